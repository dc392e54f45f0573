"""What every platform's sandbox must contain: Linux (bwrap, Landlock), macOS, Windows.

The cross-platform subset of the attack suite (the full one, `tests/reliability`, is
Linux-only: `/proc`, ptrace, D-Bus...): reading a file in your home, connecting to the
network (loopback included), writing outside the run folder with the guard bypassed, and
finding a key in the environment; each through the real code runner, once per backend that
works here, with a control run (no sandbox, opted in) where it proves the attack works.
CI runs this file on Linux, macOS and Windows; there `CREWDESK_REQUIRE_SANDBOX=1` makes a
missing backend a failure rather than a skip.
"""

from __future__ import annotations

import os
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.engine.code_execution import CodeLimits, run_python
from desktop_app.engine.sandbox import BACKENDS, CHOICE_VARIABLE, detect

AVAILABLE = [name for name in BACKENDS if detect(name).backend == name]
REQUIRED = os.environ.get("CREWDESK_REQUIRE_SANDBOX") == "1"
OPTED_IN = CodeLimits(allow_unsandboxed=True)

# A write the guard (an audit hook) does not see, so only the OS sandbox can stop it.
if sys.platform == "win32":
    WRITE_OUTSIDE = """\
import ctypes
kernel = ctypes.WinDLL("kernel32", use_last_error=True)
kernel.CreateFileW.restype = ctypes.c_void_p
handle = kernel.CreateFileW({path!r}, 0x40000000, 0, None, 2, 0x80, None)
if handle not in (None, ctypes.c_void_p(-1).value):
    kernel.WriteFile(ctypes.c_void_p(handle), b"escaped", 7, ctypes.byref(ctypes.c_ulong()), None)
    kernel.CloseHandle(ctypes.c_void_p(handle))
    print("WROTE")
else:
    print("refused", ctypes.get_last_error())
"""
else:
    from tests.reliability.sandbox_attacks import UNGUARDED

    WRITE_OUTSIDE = UNGUARDED.replace(
        "unguarded(PAYLOAD)",
        "unguarded({payload!r})",
    )


def _write_outside(path: Path) -> str:
    payload = (f"try:\n    open({str(path)!r}, 'w').write('escaped'); print('WROTE')\n"
               "except OSError as exc:\n    print('refused', exc)")
    return WRITE_OUTSIDE.format(path=str(path), payload=payload)


@pytest.fixture(params=AVAILABLE)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each backend that works here, chosen through the environment."""
    monkeypatch.setenv(CHOICE_VARIABLE, str(request.param))
    return str(request.param)


@pytest.fixture
def unsandboxed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No sandbox for this test: code runs only where a crew opts in."""
    monkeypatch.setenv(CHOICE_VARIABLE, "none")
    yield


def test_this_platform_has_a_working_backend() -> None:
    if not REQUIRED:
        pytest.skip("set CREWDESK_REQUIRE_SANDBOX=1 to require a backend (CI does)")
    assert AVAILABLE, f"no sandbox on {sys.platform}: {detect().reason}"
    assert detect().backend == AVAILABLE[0]


def test_normal_code_runs_and_uses_its_own_folder(backend: str) -> None:
    result = run_python("open('a.txt', 'w').write('hi')\nprint(open('a.txt').read(), 6 * 7)")
    assert result.stdout.split() == ["hi", "42"], result


def test_a_file_in_home_cannot_be_read(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    token = f"home-secret-{uuid.uuid4().hex}"
    secret = Path.home() / f".crewdesk-sandbox-test-{uuid.uuid4().hex[:8]}.txt"
    secret.write_text(token, encoding="utf-8")
    code = (f"try:\n    print(open({str(secret)!r}).read())\n"
            "except OSError as exc:\n    print('refused', type(exc).__name__)")
    try:
        result = run_python(code)
        monkeypatch.setenv(CHOICE_VARIABLE, "none")
        control = run_python(code, OPTED_IN)
    finally:
        secret.unlink()
    assert token in control.stdout, control  # the attack works without a sandbox
    assert token not in result.stdout + result.stderr, result
    assert "refused" in result.stdout, result


def test_no_network_not_even_loopback(backend: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(5)
        server.setblocking(False)
        port = server.getsockname()[1]
        code = ("import socket\ntry:\n"
                f"    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
                "    print('CONNECTED')\n"
                "except OSError as exc:\n    print('refused', type(exc).__name__)")
        result = run_python(code)
        with pytest.raises(BlockingIOError):
            server.accept()  # nothing came in
    assert "CONNECTED" not in result.stdout and "refused" in result.stdout, result


def test_a_write_outside_the_run_folder_fails_even_past_the_guard(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "escaped.txt"
    result = run_python(_write_outside(target))
    assert not target.exists(), result
    assert "WROTE" not in result.stdout, result
    monkeypatch.setenv(CHOICE_VARIABLE, "none")
    control = run_python(_write_outside(target), OPTED_IN)
    assert target.exists(), control  # the bypass works without a sandbox


def test_the_environment_holds_no_key(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    key = f"sk-planted-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    result = run_python("import os\nprint(sorted(os.environ))\nprint(list(os.environ.values()))")
    assert key not in result.stdout and "API_KEY" not in result.stdout, result


def test_with_no_backend_code_is_refused_unless_the_crew_allows_it(
    unsandboxed: None,
) -> None:
    refused = run_python("print('ran')")
    assert refused.refused and "ran" not in refused.stdout
    text = refused.for_model(CodeLimits())
    assert text.startswith("Error: code execution is off:") and "allow_unsandboxed" in text
    assert run_python("print('ran')", OPTED_IN).stdout.strip() == "ran"


def test_the_macos_profile_denies_by_default_and_quotes_paths() -> None:
    from desktop_app.engine.sandbox._macos import profile

    text = profile('/private/tmp/run "x"\\y', ["/private/tmp/guard"])
    assert text.count("(") == text.count(")")
    assert text.splitlines()[:2] == ["(version 1)", "(deny default)"]
    assert '(subpath "/private/tmp/run \\"x\\"\\\\y")' in text
    assert "(deny network*)" in text and '(global-name "com.apple.SecurityServer")' in text
    writable = [line for line in text.splitlines() if "file-write*" in line]
    assert writable == ['(allow file-read* file-write* (subpath "/private/tmp/run \\"x\\"\\\\y"))']
