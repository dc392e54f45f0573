"""Landlock (Linux 5.13+) through ctypes system calls: files, TCP and scoping.

Stdlib only: the sandbox's launcher (`_launcher.py`) imports this module by path, in a
`python -I` process, before the model's code runs. Every call here acts on the calling
thread's process and its future children; nothing can be undone.
"""

from __future__ import annotations

import ctypes
import os
import struct

TYPE_CHECKING = False  # not `typing`'s: the launcher imports this module, and `typing` is slow
if TYPE_CHECKING:
    from collections.abc import Iterable

_SYS_CREATE_RULESET = 444  # the same number on x86_64 and aarch64 (the generic table)
_SYS_ADD_RULE = 445
_SYS_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_RULE_NET_PORT = 2
_PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1, 2, 4, 8
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 16, 32, 64, 128
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 256, 512, 1024, 2048, 4096
REFER, TRUNCATE, IOCTL_DEV = 8192, 16384, 32768
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2

_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
READ_ONLY = EXECUTE | READ_FILE | READ_DIR
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
"""Rights that apply to a file itself (a rule on a file may grant only these)."""

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _syscall(number: int, *args: object) -> int:
    result = int(_libc.syscall(number, *args))
    if result < 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))
    return result


def abi_version() -> int:
    """The Landlock ABI of the running kernel; 0 when Landlock is missing or disabled."""
    try:
        return _syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0),
                        ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except OSError:
        return 0


def handled_fs(abi: int) -> int:
    """Every file-system right the given ABI knows (all of them are handled: default deny)."""
    return _FS_BY_ABI[max(key for key in _FS_BY_ABI if key <= abi)] if abi else 0


def restrict(
    *,
    read_only: Iterable[str],
    writable: Iterable[str],
    abi: int | None = None,
) -> int:
    """Restricts this process (and its future children) for good.

    Files: only `read_only` paths (and what is beneath them) can be read and executed, and
    only `writable` paths can be written, made or removed; everything else is refused.
    TCP bind and connect are refused on every port (ABI 4+); signals to processes and
    abstract UNIX sockets outside the domain are refused (ABI 6+). Paths that do not exist
    are skipped.

    Returns:
        The ABI used.

    Raises:
        OSError: Landlock is missing, or a call failed.
    """
    abi = abi_version() if abi is None else abi
    if abi < 1:
        raise OSError("Landlock is not available in this kernel")
    fs = handled_fs(abi)
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    attr = struct.pack("QQQ", fs, net, scoped)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    buffer = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _syscall(_SYS_CREATE_RULESET, buffer, ctypes.c_size_t(size), ctypes.c_uint32(0))
    try:
        for path in read_only:
            _add_path(ruleset, path, READ_ONLY & fs)
        for path in writable:
            _add_path(ruleset, path, fs)
        ctypes.set_errno(0)
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        _syscall(_SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    return abi


def _add_path(ruleset: int, path: str, access: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not os.path.isdir(path):
            access &= _FILE_RIGHTS
        rule = ctypes.create_string_buffer(struct.pack("=Qi", access, fd), 12)
        _syscall(_SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH), rule,
                 ctypes.c_uint32(0))
    finally:
        os.close(fd)
