"""`crewdesk doctor`: versions, Qt, keychain, folders, providers, a crew on the simulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from desktop_app import doctor
from desktop_app.storage.paths import AppPaths
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import ProviderSettings, Settings, SettingsStore

KEY = "sk-doctor-Secret-0123456789abcdef"


def test_doctor_in_process_prints_everything_and_exits_0(
    qapp: QApplication, capsys: pytest.CaptureFixture[str], _private_home: Path
) -> None:
    # `qapp` first: the doctor reuses the running application instead of making its own.
    assert doctor.main([]) == 0
    out = capsys.readouterr().out
    for label in ("Python", "CrewDesk", "PySide6", "qasync", "litellm", "keyring"):
        assert f"  {label} " in out
    assert "platform plugin 'offscreen'" in out
    assert "[ok  ] keychain: backend desktop_app.storage.testing.MemoryKeyring" in out
    assert str(_private_home / "data") in out
    assert "[WARN] providers: none configured" in out
    assert f"= {doctor.expected_average()}" in out
    assert out.rstrip().endswith("all checks passed (1 warning(s))")


def test_versions_come_from_metadata_without_importing_litellm_or_qt() -> None:
    code = ("import sys; from desktop_app import doctor; doctor.versions(); "
            "print(sorted(m for m in ('litellm', 'PySide6') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_doctor_names_providers_but_never_shows_a_key(
    capsys: pytest.CaptureFixture[str]
) -> None:
    paths = AppPaths.from_env()
    SecretStore().set("work-openai", KEY)
    SettingsStore(paths).save(Settings(
        providers=[ProviderSettings(id="work", kind="openai", display_name="Work OpenAI",
                                    credential_name="work-openai")],
        default_provider="work",
    ))
    assert doctor.main(["--no-crew", "--no-qt"]) == 0
    out = capsys.readouterr().out
    assert "[ok  ] providers: Work OpenAI [openai] (default)" in out
    assert KEY not in out and KEY[-8:] not in out
    assert "Qt" not in out.split("Checks:")[1]


def test_doctor_fails_when_a_display_is_required_but_missing(
    qapp: QApplication, capsys: pytest.CaptureFixture[str]
) -> None:
    assert doctor.main(["--qt", "--no-crew"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] Qt:" in out
    assert out.rstrip().endswith("1 check(s) failed")


def test_without_a_keychain_the_doctor_warns_with_the_fix(
    capsys: pytest.CaptureFixture[str]
) -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    assert doctor.main(["--no-crew", "--no-qt"]) == 0
    out = capsys.readouterr().out
    assert "[WARN] keychain:" in out and "fix:" in out and "gnome-keyring" in out
    assert doctor.main(["--no-crew", "--no-qt", "--strict"]) == 1


@pytest.mark.parametrize(
    ("environ", "platform_name", "expected"),
    [
        ({}, "linux", True),
        ({"DISPLAY": ":0"}, "linux", False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({"QT_QPA_PLATFORM": "xcb"}, "linux", False),
        ({}, "win32", False),
        ({}, "darwin", False),
    ],
)
def test_offscreen_only_where_no_display_exists(
    environ: dict[str, str], platform_name: str, expected: bool
) -> None:
    assert doctor.needs_offscreen(environ, platform_name) is expected


def test_python_m_desktop_app_doctor_without_a_display_exits_0(_private_home: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run(
        [sys.executable, "-m", "desktop_app.doctor"], env=env, capture_output=True,
        text=True, timeout=110, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "platform plugin 'offscreen'" in done.stdout
    assert "[ok  ] simulated crew" in done.stdout
    assert done.stdout.rstrip().endswith("all checks passed (1 warning(s))")
