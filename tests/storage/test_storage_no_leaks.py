"""No key reaches a file: a whole storage session, then the audit scans every folder."""

from __future__ import annotations

import base64
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from desktop_app.storage.audit import scan_tree
from desktop_app.storage.history import RunHistory
from desktop_app.storage.paths import AppPaths
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import ProviderSettings, Settings, SettingsStore
from desktop_app.storage.testing import MemoryKeyring

SESSION_KEY = "sk-session-Q1w2E3r4T5y6U7i8O9p0Aa"
KEYCHAIN_KEY = "sk-ant-keychain-Zz9Yy8Xx7Ww6Vv5Uu4"


async def _session(paths: AppPaths, secrets: SecretStore, scan_roots: list[Path]) -> list[str]:
    """Saves settings, resolves both keys and records a run with each; returns the sources."""
    sources: list[str] = []
    settings = Settings(
        providers=[
            ProviderSettings(id="oa", kind="openai", credential_name="openai-main"),
            ProviderSettings(id="an", kind="anthropic", credential_name="anthropic-main"),
        ],
        default_provider="oa",
    )
    settings.set_window_state(b"\x01\x02window")
    store = SettingsStore(paths)
    await store.asave(settings)
    loaded, _ = await store.aload()
    async with RunHistory(paths) as history:
        for provider in loaded.providers:
            resolved = await secrets.aresolve(provider.credential_name, provider.kind)
            assert resolved is not None  # the key is really used in this session
            sources.append(resolved.source)
            run_id = await history.start_run(
                "Writers",
                crew_snapshot={"agents": [{"llm": {"credential": provider.credential_name}}]},
                inputs={"topic": "keys"},
            )
            history.append_text(run_id, 0, f"using {resolved.source} key {resolved!r}")
            await history.finish_run(run_id, "finished", final_output="done")
        # Also while the database is open, its write-ahead log not yet checkpointed.
        report = scan_tree(scan_roots, [SESSION_KEY, KEYCHAIN_KEY])
        assert report.files_scanned >= 3  # settings, the database and its WAL
        assert report.hits == []
    return sources


@pytest.mark.asyncio
async def test_session_and_keychain_keys_never_reach_a_file(
    app_paths: AppPaths, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    secrets = SecretStore(environ={})
    await secrets.aset("anthropic-main", KEYCHAIN_KEY)  # the memory keychain works...
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    await secrets.ause_for_session("openai-main", SESSION_KEY)  # ...then it failed for a while
    keyring.set_keyring(memory_keyring)
    roots = [*app_paths.all_dirs(), tmp_path]

    assert await _session(app_paths, secrets, roots) == ["session", "keychain"]

    report = scan_tree(roots, [SESSION_KEY, KEYCHAIN_KEY])
    assert report.files_scanned >= 2  # settings and the database
    assert report.unreadable == []
    assert report.hits == []


def test_the_audit_would_have_seen_a_leak(app_paths: AppPaths) -> None:
    app_paths.ensure()
    (app_paths.log_dir / "app.log").write_text(
        "state=" + base64.b64encode(b"{'key': '" + SESSION_KEY.encode() + b"'}").decode()
    )

    hits = scan_tree(app_paths.all_dirs(), [SESSION_KEY]).hits

    assert [(h.path.name, h.encoding) for h in hits] == [("app.log", "base64")]
