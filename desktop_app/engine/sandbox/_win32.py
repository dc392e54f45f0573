"""Windows AppContainer, Job Object and file grants through ctypes; also the launcher.

Stdlib only: CrewDesk spawns `python -I -S -c "...import _win32..." OPTIONS -- PROGRAM`
(a frozen build: `crewdesk --exec-python _win32.py ...`), because an AppContainer process can
only be made with `CreateProcessW` and an extended start-up attribute list, which
`subprocess` does not offer. The launcher puts the program, suspended, in a new Job Object
(killed when the launcher's handle closes, so when the launcher ends or is terminated;
processes, per-process and whole-job memory and per-process CPU time capped), in the
AppContainer `PROFILE` with no capabilities (no network, loopback included; only what is
granted to its SID, or to all app packages, can be opened), with only its three standard
handles inherited; then resumes it, waits, and exits with its exit code.

Nothing here runs, or touches `ctypes.WinDLL`, before a function is called, so the module
imports on every platform.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from ctypes import wintypes
from typing import Any

PROFILE = "CrewDesk.Sandbox"
"""The AppContainer profile's name (made once per user; its SID is derived from it)."""
READ_EXECUTE = 0x001200A9  # FILE_GENERIC_READ | FILE_GENERIC_EXECUTE
MODIFY = 0x001301BF  # READ_EXECUTE | FILE_GENERIC_WRITE | DELETE ("M" in icacls)
_ALREADY_EXISTS = -2147024713  # HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS) as a signed long
_SE_FILE_OBJECT, _DACL_INFORMATION, _GRANT_ACCESS, _TRUSTEE_IS_SID = 1, 4, 1, 0
_TRUSTEE_IS_WELL_KNOWN_GROUP, _INHERIT_BOTH = 5, 3
_JOB_EXTENDED_LIMITS = 9
_KILL_ON_CLOSE, _ACTIVE_PROCESS, _PROCESS_MEMORY, _JOB_MEMORY = 0x2000, 0x8, 0x100, 0x200
_PROCESS_TIME, _DIE_ON_UNHANDLED = 0x2, 0x400
_SECURITY_CAPABILITIES_ATTRIBUTE, _HANDLE_LIST_ATTRIBUTE = 0x20009, 0x20002
_EXTENDED_STARTUPINFO, _SUSPENDED, _UNICODE_ENVIRONMENT = 0x80000, 0x4, 0x400
_USE_STD_HANDLES, _HANDLE_FLAG_INHERIT, _INFINITE = 0x100, 1, 0xFFFFFFFF


class _SecurityCapabilities(ctypes.Structure):
    _fields_ = [("AppContainerSid", ctypes.c_void_p), ("Capabilities", ctypes.c_void_p),
                ("CapabilityCount", wintypes.DWORD), ("Reserved", wintypes.DWORD)]


class _StartupInfo(ctypes.Structure):
    _fields_ = [("cb", wintypes.DWORD), ("lpReserved", wintypes.LPWSTR),
                ("lpDesktop", wintypes.LPWSTR), ("lpTitle", wintypes.LPWSTR),
                *[(name, wintypes.DWORD) for name in (
                    "dwX", "dwY", "dwXSize", "dwYSize", "dwXCountChars", "dwYCountChars",
                    "dwFillAttribute", "dwFlags")],
                ("wShowWindow", wintypes.WORD), ("cbReserved2", wintypes.WORD),
                ("lpReserved2", ctypes.c_void_p), ("hStdInput", wintypes.HANDLE),
                ("hStdOutput", wintypes.HANDLE), ("hStdError", wintypes.HANDLE)]


class _StartupInfoEx(ctypes.Structure):
    _fields_ = [("StartupInfo", _StartupInfo), ("lpAttributeList", ctypes.c_void_p)]


class _ProcessInformation(ctypes.Structure):
    _fields_ = [("hProcess", wintypes.HANDLE), ("hThread", wintypes.HANDLE),
                ("dwProcessId", wintypes.DWORD), ("dwThreadId", wintypes.DWORD)]


class _BasicLimits(ctypes.Structure):
    _fields_ = [("PerProcessUserTimeLimit", ctypes.c_longlong),
                ("PerJobUserTimeLimit", ctypes.c_longlong), ("LimitFlags", wintypes.DWORD),
                ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t),
                ("ActiveProcessLimit", wintypes.DWORD), ("Affinity", ctypes.c_size_t),
                ("PriorityClass", wintypes.DWORD), ("SchedulingClass", wintypes.DWORD)]


class _ExtendedLimits(ctypes.Structure):
    _fields_ = [("BasicLimitInformation", _BasicLimits),
                ("IoInfo", ctypes.c_ulonglong * 6),
                ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t),
                ("PeakJobMemoryUsed", ctypes.c_size_t)]


class _Trustee(ctypes.Structure):
    _fields_ = [("pMultipleTrustee", ctypes.c_void_p), ("MultipleTrusteeOperation", ctypes.c_int),
                ("TrusteeForm", ctypes.c_int), ("TrusteeType", ctypes.c_int),
                ("ptstrName", ctypes.c_void_p)]


class _ExplicitAccess(ctypes.Structure):
    _fields_ = [("grfAccessPermissions", wintypes.DWORD), ("grfAccessMode", ctypes.c_int),
                ("grfInheritance", wintypes.DWORD), ("Trustee", _Trustee)]


def _dll(name: str) -> Any:
    """A Windows DLL whose functions set the thread's last error (Windows only)."""
    dll = getattr(ctypes, "WinDLL")(name, use_last_error=True)  # noqa: B009 - Windows-only name
    for function in ("CreateJobObjectW", "GetStdHandle"):
        if hasattr(dll, function):
            getattr(dll, function).restype = ctypes.c_void_p
    for function in ("CreateAppContainerProfile", "DeriveAppContainerSidFromAppContainerName"):
        if hasattr(dll, function):
            getattr(dll, function).restype = ctypes.c_long
    return dll


def _failed(what: str, code: int | None = None) -> OSError:
    error = getattr(ctypes, "get_last_error")() if code is None else code  # noqa: B009
    text = getattr(ctypes, "FormatError")(error).strip()  # noqa: B009
    return OSError(error, f"{what} failed: {text} (Windows error {error})")


_SID: list[ctypes.c_void_p] = []


def profile_sid() -> ctypes.c_void_p:
    """The SID of CrewDesk's AppContainer profile, making the profile the first time.

    Raises:
        OSError: Windows refused (before Windows 8 there are no AppContainers).
    """
    if _SID:
        return _SID[0]
    userenv = _dll("userenv")
    sid = ctypes.c_void_p()
    result = userenv.CreateAppContainerProfile(
        PROFILE, "CrewDesk sandbox", "Code a model wrote, run by CrewDesk", None, 0,
        ctypes.byref(sid))
    if result == _ALREADY_EXISTS:
        result = userenv.DeriveAppContainerSidFromAppContainerName(PROFILE, ctypes.byref(sid))
    if result != 0:
        raise _failed("CreateAppContainerProfile", result & 0xFFFF)
    _SID.append(sid)
    return sid


def _granted(acl: ctypes.c_void_p, sid: ctypes.c_void_p, rights: int) -> bool:
    """Whether `acl` already has an allow entry for `sid` with all of `rights`."""
    advapi = _dll("advapi32")
    if not acl.value:
        return False
    count = ctypes.c_ushort.from_address(acl.value + 4).value  # ACL.AceCount
    for index in range(count):
        ace = ctypes.c_void_p()
        if not advapi.GetAce(acl, index, ctypes.byref(ace)) or not ace.value:
            continue
        kind = ctypes.c_ubyte.from_address(ace.value).value  # ACE_HEADER.AceType
        mask = ctypes.c_uint32.from_address(ace.value + 4).value
        if kind == 0 and mask & rights == rights and advapi.EqualSid(
                ctypes.c_void_p(ace.value + 8), sid):
            return True
    return False


def grant(path: str, rights: int) -> None:
    """Lets the AppContainer use `path` with `rights` (folders: and everything below).

    Raises:
        OSError: The folder's access list could not be read or changed.
    """
    advapi, kernel = _dll("advapi32"), _dll("kernel32")
    sid = profile_sid()
    acl, descriptor = ctypes.c_void_p(), ctypes.c_void_p()
    result = advapi.GetNamedSecurityInfoW(path, _SE_FILE_OBJECT, _DACL_INFORMATION, None, None,
                                          ctypes.byref(acl), None, ctypes.byref(descriptor))
    if result != 0:
        raise _failed(f"reading the access list of {path}", result)
    try:
        if _granted(acl, sid, rights):
            return
        inherit = _INHERIT_BOTH if os.path.isdir(path) else 0
        entry = _ExplicitAccess(rights, _GRANT_ACCESS, inherit,
                                _Trustee(None, 0, _TRUSTEE_IS_SID, _TRUSTEE_IS_WELL_KNOWN_GROUP,
                                         sid))
        new_acl = ctypes.c_void_p()
        result = advapi.SetEntriesInAclW(1, ctypes.byref(entry), acl, ctypes.byref(new_acl))
        if result != 0:
            raise _failed("SetEntriesInAclW", result)
        try:
            result = advapi.SetNamedSecurityInfoW(path, _SE_FILE_OBJECT, _DACL_INFORMATION, None,
                                                  None, new_acl, None)
        finally:
            kernel.LocalFree(new_acl)
        if result != 0:
            raise _failed(f"granting the sandbox access to {path}", result)
    finally:
        kernel.LocalFree(descriptor)


def _job(processes: int, memory: int, cpu_s: int) -> int:
    """A Job Object killed on close, with its caps; returns its handle."""
    kernel = _dll("kernel32")
    job = kernel.CreateJobObjectW(None, None)
    if not job:
        raise _failed("CreateJobObjectW")
    limits = _ExtendedLimits()
    basic = limits.BasicLimitInformation
    basic.LimitFlags = (_KILL_ON_CLOSE | _ACTIVE_PROCESS | _PROCESS_MEMORY | _JOB_MEMORY
                        | _DIE_ON_UNHANDLED | (_PROCESS_TIME if cpu_s else 0))
    basic.ActiveProcessLimit = processes
    basic.PerProcessUserTimeLimit = cpu_s * 10_000_000  # in 100 ns
    limits.ProcessMemoryLimit = limits.JobMemoryLimit = memory
    if not kernel.SetInformationJobObject(ctypes.c_void_p(job), _JOB_EXTENDED_LIMITS,
                                          ctypes.byref(limits), ctypes.sizeof(limits)):
        raise _failed("SetInformationJobObject")
    return int(job)


def _std_handles() -> list[int]:
    """This process's standard handles, made inheritable (the program gets these only)."""
    kernel = _dll("kernel32")
    handles: list[int] = []
    for number in (-10, -11, -12):  # STD_INPUT, STD_OUTPUT, STD_ERROR
        handle = kernel.GetStdHandle(number)
        if handle and handle != ctypes.c_void_p(-1).value:
            kernel.SetHandleInformation(ctypes.c_void_p(handle), _HANDLE_FLAG_INHERIT,
                                        _HANDLE_FLAG_INHERIT)
        handles.append(int(handle or 0))
    return handles


def _attributes(capabilities: _SecurityCapabilities, inherit: Any) -> ctypes.Array[Any]:
    """The start-up attribute list: the AppContainer, and the only handles to inherit."""
    kernel = _dll("kernel32")
    size = ctypes.c_size_t()
    kernel.InitializeProcThreadAttributeList(None, 2, 0, ctypes.byref(size))
    buffer = ctypes.create_string_buffer(size.value)
    if not kernel.InitializeProcThreadAttributeList(buffer, 2, 0, ctypes.byref(size)):
        raise _failed("InitializeProcThreadAttributeList")
    entries: list[tuple[int, Any, int]] = [
        (_SECURITY_CAPABILITIES_ATTRIBUTE, ctypes.byref(capabilities), ctypes.sizeof(capabilities))]
    if len(inherit):
        entries.append((_HANDLE_LIST_ATTRIBUTE, inherit, ctypes.sizeof(inherit)))
    for attribute, value, length in entries:
        if not kernel.UpdateProcThreadAttribute(buffer, 0, ctypes.c_size_t(attribute), value,
                                                ctypes.c_size_t(length), None, None):
            raise _failed("UpdateProcThreadAttribute")
    return buffer


def spawn(argv: list[str], folder: str, job: int) -> _ProcessInformation:
    """Starts `argv` in the AppContainer, in `job`, with this process's standard handles."""
    kernel = _dll("kernel32")
    capabilities = _SecurityCapabilities(profile_sid(), None, 0, 0)
    handles = _std_handles()
    unique = [h for h in dict.fromkeys(handles) if h]
    inherit = (wintypes.HANDLE * len(unique))(*unique)
    attributes = _attributes(capabilities, inherit)
    info = _StartupInfoEx()
    info.StartupInfo.cb = ctypes.sizeof(info)
    info.StartupInfo.dwFlags = _USE_STD_HANDLES
    info.StartupInfo.hStdInput, info.StartupInfo.hStdOutput, info.StartupInfo.hStdError = handles
    info.lpAttributeList = ctypes.cast(attributes, ctypes.c_void_p)
    process = _ProcessInformation()
    command = ctypes.create_unicode_buffer(subprocess.list2cmdline(argv))
    try:
        if not kernel.CreateProcessW(None, command, None, None, bool(unique),
                                     _EXTENDED_STARTUPINFO | _SUSPENDED | _UNICODE_ENVIRONMENT,
                                     None, folder, ctypes.byref(info), ctypes.byref(process)):
            raise _failed(f"starting {argv[0]} in the AppContainer")
    finally:
        kernel.DeleteProcThreadAttributeList(attributes)
    if not kernel.AssignProcessToJobObject(ctypes.c_void_p(job),
                                           ctypes.c_void_p(process.hProcess)):
        kernel.TerminateProcess(ctypes.c_void_p(process.hProcess), 1)
        raise _failed("AssignProcessToJobObject")
    kernel.ResumeThread(ctypes.c_void_p(process.hThread))
    kernel.CloseHandle(ctypes.c_void_p(process.hThread))
    return process


def main(arguments: list[str]) -> int:
    """`--processes N --memory BYTES --cpu S -- PROGRAM ARGS`: runs it confined, waits."""
    split = arguments.index("--")
    options = dict(zip(arguments[:split:2], arguments[1:split:2], strict=True))
    argv = arguments[split + 1:]
    kernel = _dll("kernel32")
    try:
        job = _job(int(options["--processes"]), int(options["--memory"]), int(options["--cpu"]))
        process = spawn(argv, os.getcwd(), job)
    except OSError as exc:
        print(f"CrewDesk: the sandbox could not start: {exc}", file=sys.stderr, flush=True)
        return 126
    handle = ctypes.c_void_p(process.hProcess)
    kernel.WaitForSingleObject(handle, wintypes.DWORD(_INFINITE))
    code = wintypes.DWORD()
    kernel.GetExitCodeProcess(handle, ctypes.byref(code))
    return int(code.value)  # the job's handle closes as this process ends: what is left dies


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
