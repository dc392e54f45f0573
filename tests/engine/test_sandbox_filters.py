"""The Landlock and seccomp pieces on their own, each in a child process (they are for good)."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.engine.sandbox import _landlock, _seccomp

SANDBOX = Path(_seccomp.__file__).parent
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def _child(source: str, tmp_path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(SANDBOX)!r})\n"
         + source],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_every_denied_call_returns_an_error(machine: str) -> None:
    code = _seccomp.program(machine)
    assert code[-1] == (0x06, 0, 0, 0x7FFF0000)  # the default: allow
    table = {**(_seccomp._X86_64 if machine == "x86_64" else _seccomp._AARCH64),
             **_seccomp._COMMON}
    for name in _seccomp._DENIED_NAMES:
        at = code.index((0x15, 0, 1, table[name]))
        assert code[at + 1] == (0x06, 0, 0, 0x00050000 | errno.EPERM), name
    assert len(_seccomp.compiled(machine)) == 8 * len(code)


@linux_only
@pytest.mark.skipif(not _seccomp.supported(), reason="no filter for this processor")
def test_the_filter_refuses_sockets_and_ptrace_but_python_still_works(tmp_path: Path) -> None:
    out = _child(
        "import _seccomp, socket, subprocess, threading, ctypes, os\n"
        "_seccomp.install()\n"
        "try:\n    socket.socket()\nexcept PermissionError:\n    print('socket refused')\n"
        "a, b = socket.socketpair(); print('socketpair ok')\n"
        "t = threading.Thread(target=print, args=('thread ok',)); t.start(); t.join()\n"
        "print(subprocess.run([sys.executable, '-c', 'print(1)'], capture_output=True,"
        " text=True).stdout.strip() == '1' and 'subprocess ok')\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "print('ptrace', libc.ptrace(0x4206, os.getppid(), None, None), ctypes.get_errno())\n",
        tmp_path,
    )
    assert out.split("\n")[:4] == ["socket refused", "socketpair ok", "thread ok",
                                   "subprocess ok"]
    assert f"ptrace -1 {errno.EPERM}" in out


@linux_only
@pytest.mark.skipif(_landlock.abi_version() < 1, reason="no Landlock in this kernel")
def test_landlock_lets_it_read_the_prefix_and_write_only_its_folder(tmp_path: Path) -> None:
    secret = tmp_path.parent / f"{tmp_path.name}-secret.txt"
    secret.write_text("secret")
    run = tmp_path / "run"
    run.mkdir()
    prefixes = [sys.base_prefix, sys.prefix, "/usr/lib", "/usr/lib64", "/lib", "/lib64"]
    out = _child(
        "import _landlock\n"
        f"_landlock.restrict(read_only={prefixes!r}, writable=[{str(run)!r}])\n"
        f"open({str(run / 'ok.txt')!r}, 'w').write('x'); print('write inside ok')\n"
        f"for path, mode in (({str(secret)!r}, 'r'), ({str(tmp_path / 'out.txt')!r}, 'w')):\n"
        "    try:\n        open(path, mode)\n    except PermissionError:\n"
        "        print('refused', mode)\n",
        tmp_path,
    )
    assert out.split() == ["write", "inside", "ok", "refused", "r", "refused", "w"]
    secret.unlink()
