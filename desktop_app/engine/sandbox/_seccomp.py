"""A seccomp BPF filter, built and loaded with ctypes (no libseccomp needed).

Stdlib only, like `_landlock`: the launcher imports it by path. The filter refuses (EPERM)
the system calls that code a model wrote has no business making: `socket` (network and
D-Bus; `socketpair` stays allowed, asyncio needs it), `ptrace`, `process_vm_readv/writev`,
the keyring calls, `bpf`, mounts, new namespaces (`unshare`, `setns`, `clone` with a
namespace flag), `io_uring` (which would bypass this filter), System V IPC and POSIX
message queues (other programs' shared memory, such as X11's), and a few more; `clone3` gets
ENOSYS so the C library falls back to `clone`, whose flags the filter can read. Any other
architecture than the one the filter was built for is killed.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct

_DENIED_NAMES = (  # noqa: SIM905 - a table of names, easier to read as words
    "socket ptrace process_vm_readv process_vm_writev keyctl add_key request_key bpf mount "
    "umount2 unshare setns pivot_root chroot perf_event_open userfaultfd kexec_load "
    "kexec_file_load init_module finit_module delete_module open_by_handle_at "
    "name_to_handle_at io_uring_setup io_uring_enter io_uring_register open_tree move_mount "
    "fsopen fsconfig fsmount fspick mount_setattr pidfd_getfd kcmp acct swapon swapoff reboot "
    "shmget shmat shmctl semget semop semctl semtimedop msgget msgsnd msgrcv msgctl mq_open"
).split()

_X86_64 = {
    "socket": 41, "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
    "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "mount": 165,
    "umount2": 166, "unshare": 272, "setns": 308, "pivot_root": 155, "chroot": 161,
    "perf_event_open": 298, "userfaultfd": 323, "kexec_load": 246, "kexec_file_load": 320,
    "init_module": 175, "finit_module": 313, "delete_module": 176, "open_by_handle_at": 304,
    "name_to_handle_at": 303, "acct": 163, "swapon": 167, "swapoff": 168, "reboot": 169,
    "kcmp": 312, "clone": 56, "ioctl": 16, "shmget": 29, "shmat": 30, "shmctl": 31,
    "semget": 64, "semop": 65, "semctl": 66, "semtimedop": 220, "msgget": 68, "msgsnd": 69,
    "msgrcv": 70, "msgctl": 71, "mq_open": 240,
}
_AARCH64 = {
    "socket": 198, "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
    "keyctl": 219, "add_key": 217, "request_key": 218, "bpf": 280, "mount": 40,
    "umount2": 39, "unshare": 97, "setns": 268, "pivot_root": 41, "chroot": 51,
    "perf_event_open": 241, "userfaultfd": 282, "kexec_load": 104, "kexec_file_load": 294,
    "init_module": 105, "finit_module": 273, "delete_module": 106, "open_by_handle_at": 265,
    "name_to_handle_at": 264, "acct": 89, "swapon": 224, "swapoff": 225, "reboot": 142,
    "kcmp": 272, "clone": 220, "ioctl": 29, "shmget": 194, "shmat": 196, "shmctl": 195,
    "semget": 190, "semop": 193, "semctl": 191, "semtimedop": 192, "msgget": 186,
    "msgsnd": 189, "msgrcv": 188, "msgctl": 187, "mq_open": 180,
}
_COMMON = {  # numbers shared by every architecture (added after the tables split)
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428,
    "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "clone3": 435, "pidfd_getfd": 438, "mount_setattr": 442,
}
_ARCHES = {"x86_64": (0xC000003E, _X86_64), "aarch64": (0xC00000B7, _AARCH64)}
_ARCHES["arm64"] = _ARCHES["aarch64"]
_ARCHES["amd64"] = _ARCHES["x86_64"]

_CLONE_NEW_FLAGS = 0x7E020080  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME
_TIOCSTI = 0x5412
_LD_ABS_W, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW = 0x7FFF0000
_KILL_PROCESS = 0x80000000
_ERRNO = 0x00050000
_OFFSET_NR, _OFFSET_ARCH, _OFFSET_ARG0 = 0, 4, 16
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2

Instruction = tuple[int, int, int, int]


def supported() -> bool:
    """Whether a filter can be built for this machine's architecture."""
    return os.uname().machine.lower() in _ARCHES


def _deny(code: int) -> Instruction:
    return (_RET, 0, 0, _ERRNO | code)


def program(machine: str | None = None, *, allow_network: bool = False) -> list[Instruction]:
    """The filter as BPF instructions (code, jt, jf, k); `allow_network` lets `socket`
    through (bwrap's `IsolationLimits.network`)."""
    arch, table = _ARCHES[(machine or os.uname().machine).lower()]
    numbers = {**table, **_COMMON}
    out: list[Instruction] = [
        (_LD_ABS_W, 0, 0, _OFFSET_ARCH), (_JEQ, 1, 0, arch), (_RET, 0, 0, _KILL_PROCESS),
        (_LD_ABS_W, 0, 0, _OFFSET_NR),
    ]
    if arch == 0xC000003E:  # the x32 ABI's numbers would slip past the table
        out += [(_JGE, 0, 1, 0x40000000), _deny(errno.EPERM)]
    for name in _DENIED_NAMES:
        if allow_network and name == "socket":
            continue
        out += [(_JEQ, 0, 1, numbers[name]), _deny(errno.EPERM)]
    out += [(_JEQ, 0, 1, numbers["clone3"]), _deny(errno.ENOSYS)]
    out += [  # clone with a namespace flag
        (_JEQ, 0, 4, numbers["clone"]), (_LD_ABS_W, 0, 0, _OFFSET_ARG0),
        (_JSET, 0, 1, _CLONE_NEW_FLAGS), _deny(errno.EPERM), (_RET, 0, 0, _ALLOW),
    ]
    out += [  # ioctl(TIOCSTI): typing into the terminal of the user
        (_JEQ, 0, 4, numbers["ioctl"]), (_LD_ABS_W, 0, 0, _OFFSET_ARG0 + 8),
        (_JEQ, 0, 1, _TIOCSTI), _deny(errno.EPERM), (_RET, 0, 0, _ALLOW),
    ]
    out.append((_RET, 0, 0, _ALLOW))
    return out


def compiled(machine: str | None = None, *, allow_network: bool = False) -> bytes:
    """The filter as the kernel reads it (`struct sock_filter` array), e.g. for `bwrap --seccomp`."""
    return b"".join(struct.pack("=HBBI", *instruction)
                    for instruction in program(machine, allow_network=allow_network))


def install(raw: bytes | None = None) -> None:
    """Loads the filter into this process (and its future children), for good.

    Args:
        raw: The filter as `compiled()` gives it (the launcher gets it ready-made); None:
            compiled here.

    Raises:
        OSError: The kernel refused the filter.
    """
    raw = compiled() if raw is None else raw
    code_length = len(raw) // 8
    filters = ctypes.create_string_buffer(raw, len(raw))

    class _Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = _Program(code_length, ctypes.cast(filters, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"seccomp filter refused: {errno.errorcode.get(error, error)}")
