"""Look for leaked secrets in files: plain text, base64 (any alignment) and UTF-16.

Used by the secrets audit of the reliability work and by tests: after a session that set keys
and ran crews, no key may appear in any file under the app's folders, logs, exports or the
temporary directory. Hits name the file and a masked form of the key, never the key itself.
"""

from __future__ import annotations

import base64
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeAlias

from desktop_app.storage.secrets import mask

__all__ = ["AuditReport", "SecretHit", "find_secrets_in_tree", "scan_tree", "secret_needles"]

Encoding: TypeAlias = Literal["plain", "base64", "base64url", "utf-16-le", "utf-16-be"]

MIN_BASE64_SECRET = 8
"""Shorter secrets are searched in plain and UTF-16 only (their base64 core is too short)."""

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class SecretHit:
    """One secret found in one file.

    Attributes:
        path: The file.
        secret: The secret, masked (see `desktop_app.storage.secrets.mask`).
        encoding: How it was written there.
        offset: Byte offset of the first match.
    """

    path: Path
    secret: str
    encoding: Encoding
    offset: int


@dataclass(slots=True)
class AuditReport:
    """The result of `scan_tree`.

    Attributes:
        hits: Every (file, secret, encoding) found, once each.
        files_scanned: How many files were read to the end.
        unreadable: Files that could not be read (a leak there would go unseen).
    """

    hits: list[SecretHit] = field(default_factory=list)
    files_scanned: int = 0
    unreadable: list[Path] = field(default_factory=list)


def _base64_cores(data: bytes, *, urlsafe: bool) -> list[bytes]:
    """Parts of the base64 text of `data` that are the same wherever `data` sits in a stream.

    Base64 packs 3 bytes into 4 characters, so the text of `data` depends on its offset modulo
    3. For each offset, keep only the characters made of `data`'s bits alone.
    """
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    cores = []
    for shift in range(3):
        text = encode(b"\0" * shift + data)
        start = math.ceil(8 * shift / 6)
        end = (8 * (shift + len(data))) // 6
        cores.append(text[start:end])
    return cores


def secret_needles(secret: str) -> list[tuple[Encoding, bytes]]:
    """Every byte string whose presence in a file means `secret` leaked.

    Args:
        secret: The secret to look for.

    Returns:
        (encoding, bytes) pairs, without duplicates.
    """
    raw = secret.encode("utf-8")
    needles: list[tuple[Encoding, bytes]] = [
        ("plain", raw),
        ("utf-16-le", secret.encode("utf-16-le")),
        ("utf-16-be", secret.encode("utf-16-be")),
    ]
    if len(raw) >= MIN_BASE64_SECRET:
        needles += [("base64", core) for core in _base64_cores(raw, urlsafe=False)]
        needles += [("base64url", core) for core in _base64_cores(raw, urlsafe=True)]
    seen: set[bytes] = set()
    unique = []
    for encoding, needle in needles:
        if needle not in seen:
            seen.add(needle)
            unique.append((encoding, needle))
    return unique


def _files_under(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for folder, _dirs, files in os.walk(root, followlinks=False):
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                yield path


def _scan_file(
    path: Path, needles: list[tuple[str, Encoding, bytes]]
) -> Iterator[tuple[str, Encoding, int]]:
    """Yields (masked secret, encoding, offset) per needle found, reading in chunks."""
    overlap = max(len(n) for _, _, n in needles) - 1
    found: set[int] = set()
    offset = 0
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            window = tail + chunk
            base = offset - len(tail)
            for index, (label, encoding, needle) in enumerate(needles):
                if index in found:
                    continue
                position = window.find(needle)
                if position >= 0:
                    found.add(index)
                    yield label, encoding, base + position
            offset += len(chunk)
            tail = window[-overlap:] if overlap else b""


def scan_tree(roots: Path | Iterable[Path], secrets: Iterable[str]) -> AuditReport:
    """Scans every file under `roots` for each secret in each encoding.

    Args:
        roots: Folders (or files) to scan; missing ones are skipped.
        secrets: The secrets to look for; empty strings are ignored.

    Returns:
        The hits, how many files were scanned, and which could not be read.
    """
    root_list = [roots] if isinstance(roots, Path) else list(roots)
    needles = [
        (mask(secret), encoding, needle)
        for secret in dict.fromkeys(s for s in secrets if s)
        for encoding, needle in secret_needles(secret)
    ]
    report = AuditReport()
    if not needles:
        return report
    seen: set[Path] = set()
    for root in root_list:
        for path in _files_under(Path(root)):
            if path in seen:
                continue
            seen.add(path)
            try:
                hits = list(_scan_file(path, needles))
            except OSError:
                report.unreadable.append(path)
                continue
            report.files_scanned += 1
            report.hits += [SecretHit(path, label, enc, off) for label, enc, off in hits]
    return report


def find_secrets_in_tree(root: Path | Iterable[Path], secrets: Iterable[str]) -> list[SecretHit]:
    """Returns every place under `root` where one of `secrets` appears (see `scan_tree`).

    Args:
        root: A folder, a file, or several of them.
        secrets: The secrets to look for.
    """
    return scan_tree(root, secrets).hits
