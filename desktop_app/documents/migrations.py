"""Migrations of crew files from older `schema_version`s to the current one.

`MIGRATIONS[n]` turns the raw mapping of a version-``n`` file into a version ``n + 1``
mapping (and sets its ``schema_version``). Loading runs them in turn, so an old file is brought
forward instead of being refused or silently dropped. Version 1 is the first released format,
so the table is empty today; the next format change adds ``MIGRATIONS[1]`` and bumps
`CURRENT_SCHEMA_VERSION`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from desktop_app.documents.model import CURRENT_SCHEMA_VERSION

Migration = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns a version-n mapping into a version n + 1 mapping."""

MIGRATIONS: dict[int, Migration] = {}
"""The migration from each old version to the next."""


class SchemaVersionError(ValueError):
    """A file whose `schema_version` is missing, malformed, too new, or has no migration."""


def migrate(
    data: Mapping[str, Any],
    *,
    migrations: Mapping[int, Migration] | None = None,
    current: int = CURRENT_SCHEMA_VERSION,
) -> dict[str, Any]:
    """Brings a crew file's raw mapping up to the current schema version.

    Args:
        data: The mapping read from the file.
        migrations: The table to use (`MIGRATIONS` unless given; tests pass their own).
        current: The version to reach.

    Returns:
        A new mapping at version ``current``.

    Raises:
        SchemaVersionError: The version is missing, not a whole number, newer than
            ``current``, or no migration leads from it.
    """
    table = MIGRATIONS if migrations is None else migrations
    version = data.get("schema_version")
    if version is None:
        raise SchemaVersionError(f"missing schema_version (this CrewDesk writes {current})")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SchemaVersionError(f"schema_version must be a whole number, not {version!r}")
    if version > current:
        raise SchemaVersionError(
            f"schema_version {version} is newer than this CrewDesk understands ({current}); "
            "update CrewDesk to open this file"
        )
    result = dict(data)
    while version < current:
        step = table.get(version)
        if step is None:
            raise SchemaVersionError(f"no migration from schema_version {version}")
        result = step(result)
        version += 1
        result["schema_version"] = version
    return result
