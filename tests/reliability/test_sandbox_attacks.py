"""The attack suite of issue 12: model code tries to escape, through the real engine path.

For each backend that works here (`bwrap`, `landlock`), a victim process (the "app", with a
key in the environment it started with, a fake home and data folder) runs every attack of
`sandbox_attacks.ATTACKS` as a crew on the simulator; each test checks one attack's outcome,
from what the code printed and from the world outside (files, listeners, processes).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop_app.engine.sandbox import BACKENDS, detect
from tests.reliability.sandbox_attacks import ATTACKS, INJECTION, World, attack_world

MAX_PROCESSES = 64  # CodeLimits' default
DISK_MB = 256  # CodeLimits' default
DISK_SLACK_MB = 256  # the Landlock backend watches the folder every 0.05 s
AVAILABLE = [name for name in BACKENDS if detect(name).backend == name]
pytestmark = pytest.mark.skipif(  # macOS and Windows: tests/engine/test_sandbox_platforms.py
    not sys.platform.startswith("linux"), reason="the attacks use /proc, ptrace, D-Bus: Linux")


@pytest.fixture(scope="module", params=AVAILABLE)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Runs every attack once per backend; the tests read the outcomes."""
    yield attack_world(tmp_path_factory.mktemp(f"attacks-{request.param}"), str(request.param))


def _output(world: World, name: str) -> str:
    assert name in world.outputs, (
        f"no outcome (victim exit {world.victim_exit}): {world.stderr[-2000:]}")
    text = world.outputs[name]
    for secret in world.secrets.values():
        assert secret not in text, f"{name}: leaked a planted secret: {text}"
    return text


def _outside_untouched(world: World) -> None:
    outside = Path(world.fields["outside"])
    assert sorted(p.name for p in outside.iterdir()) == ["target.txt"]
    assert (outside / "target.txt").read_text() == "protected"
    settings = json.loads(Path(world.fields["data"], "settings.json").read_text())
    assert settings == {"marker": world.secrets["settings"]}


def _disk_mb(text: str) -> int:
    numbers = [int(w) for part in text.split("disk:")[1:] for w in part.split()[:1] if w.isdigit()]
    return max(numbers, default=0)


def _forks(text: str) -> int:
    return int(text.split("forks:")[1].split()[0])


@dataclass(frozen=True)
class Contained:
    """How a contained attack looks: pieces of its output, and checks of the world."""

    expect: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    world: tuple[Callable[[World], None], ...] = ()
    measure: Callable[[str], int] | None = None
    cap: int = 0

    def check(self, world: World, text: str) -> None:
        _expect(text, *self.expect)
        _absent(text, *self.absent)
        for check in self.world:
            check(world)
        if self.measure is not None:
            assert 0 < self.measure(text) <= self.cap, text


def _untouched(*expect: str) -> Contained:
    return Contained(expect=expect, absent=("WROTE",), world=(_outside_untouched,))


def _no_connections(*names: str) -> Callable[[World], None]:
    def check(world: World) -> None:
        assert {n: world.listeners[n].connections for n in names} == dict.fromkeys(names, 0)

    return check


def _no_daemon(world: World) -> None:
    assert world.daemons_left == []


def _victim_ok(world: World) -> None:
    assert world.victim_exit == 0, world.stderr[-2000:]


CHECKS: dict[str, Contained] = {
    "normal code: the seed example's average": Contained(expect=("35.0",)),
    "read /proc/<parent>/environ (and every process's)": Contained(expect=("no key",)),
    "read /proc/<parent>/mem": Contained(expect=("no key",)),
    "read ~/.ssh/id_rsa": Contained(expect=("ssh: blocked",)),
    "read the app's settings.json": Contained(expect=("settings: blocked",)),
    "read the run history (SQLite, also through ATTACH)":
        Contained(expect=("history uri blocked", "history attach blocked")),
    "rewrite the app's settings.json (provider URL)": _untouched("rewrite: blocked"),
    "write outside: direct, append": _untouched("write w blocked", "write a blocked"),
    "write outside: symlink": _untouched("symlink: blocked"),
    "write outside: hard link": _untouched("hardlink: blocked"),
    "write outside: directory fd": _untouched("dirfd: blocked"),
    "write outside: rename out of the run folder": _untouched("rename: blocked"),
    "network: connect to a loopback server":
        Contained(expect=("tcp: blocked",), world=(_no_connections("tcp"),)),
    "D-Bus: the session bus socket, an abstract socket": Contained(
        expect=("bus blocked", "abstract blocked"), world=(_no_connections("bus", "abstract"),)),
    "ptrace and process_vm_readv on the app":
        Contained(expect=("ptrace blocked", "vm_readv blocked"), absent=("ATTACHED", "READ ")),
    "open /proc/sys and /proc/sysrq-trigger for writing (nothing is written)":
        Contained(expect=("procsys: blocked",), absent=("WRITABLE",)),
    "new namespaces (unshare user + mount)":
        Contained(expect=("unshare: blocked",), absent=("MADE",)),
    "read another program's System V shared memory":
        Contained(expect=("shm: blocked",), absent=("READ",)),
    "leave a daemon behind (setsid, double fork)":
        Contained(expect=("daemon: started",), world=(_no_daemon,)),
    "fork bomb": Contained(absent=("NOT CAPPED",), measure=_forks, cap=MAX_PROCESSES),
    "memory hog (4 GB)": Contained(expect=("memory: MemoryError",)),
    "disk fill": Contained(absent=("NOT CAPPED",), measure=_disk_mb, cap=DISK_MB + DISK_SLACK_MB),
    "kill the app (SIGKILL)":
        Contained(expect=("kill app: blocked",), absent=("app: SENT",), world=(_victim_ok,)),
}


def _expect(text: str, *pieces: str) -> None:
    for piece in pieces:
        assert piece in text, text


def _absent(text: str, *pieces: str) -> None:
    for piece in pieces:
        assert piece not in text, text


def test_every_attack_is_checked() -> None:
    assert sorted(CHECKS) == sorted(a.name for a in ATTACKS)


@pytest.mark.skipif(not AVAILABLE, reason="no sandbox backend works on this machine")
@pytest.mark.parametrize("name", [a.name for a in ATTACKS])
def test_the_attack_is_contained(world: World, name: str) -> None:
    CHECKS[name].check(world, _output(world, name))


@pytest.mark.skipif(not AVAILABLE, reason="no sandbox backend works on this machine")
def test_code_injected_through_a_knowledge_file_runs_but_reads_nothing(world: World) -> None:
    text = _output(world, INJECTION)
    assert "code exited with status 1" in text and ".ssh/id_rs" in text  # the code ran
