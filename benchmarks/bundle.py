"""The Linux release: how big it is, which glibc it needs, and how fast its window shows.

Reads the build that `uv run python packaging/build.py` left in `dist/` (the tar.gz, and the
tar.xz when `--xz` made one), unpacks the tar.gz into a fresh temp folder, then:

1. Sizes: the unpacked one-folder build and each archive. Targets: <= 250 MB unpacked,
   <= 100 MB compressed.
2. glibc: the newest `GLIBC_x.y` symbol version that any ELF file of the bundle asks for
   (through `objdump -T`): the oldest glibc the bundle runs on.
3. Start to window shown: the bundled binary is started under a fresh Xvfb (xcb, a bare
   environment: PATH=/usr/bin:/bin, a fresh home) with `CREWDESK_STARTUP_PROBE=1`, which
   prints the time of the main window's first paint and quits. The first start is reported
   apart (files not yet in the page cache), then the median and best of N more. Target: 2 s.

Usage: ``uv run python benchmarks/bundle.py [--runs 5]``
"""

from __future__ import annotations

import argparse
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "packaging"), str(ROOT)]

from build import MB, folder_size, release_name  # noqa: E402  (packaging/build.py)
from tests.xvfb import xvfb_display  # noqa: E402

RELEASE = release_name()
GLIBC = re.compile(rb"GLIBC_(\d+)\.(\d+)")


def is_elf(path: Path) -> bool:
    """Whether `path` is an ELF file (a library or a program)."""
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def newest_glibc(folder: Path) -> tuple[tuple[int, int], str]:
    """The newest GLIBC symbol version any ELF file under `folder` needs, and that file."""
    newest, owner = (0, 0), ""
    for path in folder.rglob("*"):
        if not path.is_file() or path.is_symlink() or not is_elf(path):
            continue
        dump = subprocess.run(["objdump", "-T", str(path)], capture_output=True, check=False)
        for major, minor in GLIBC.findall(dump.stdout):
            version = (int(major), int(minor))
            if version > newest:
                newest, owner = version, str(path.relative_to(folder))
    return newest, owner


def window_shown(binary: Path, display: str) -> float:
    """Seconds from spawning `binary` to its window's first paint, with a fresh home."""
    with tempfile.TemporaryDirectory() as home:
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": home,
            "CREWDESK_HOME": f"{home}/crewdesk",
            "LANG": "C.UTF-8",
            "DISPLAY": display,
            "QT_QPA_PLATFORM": "xcb",
            "CREWDESK_STARTUP_PROBE": "1",
        }
        started = time.time()
        done = subprocess.run(
            [str(binary)], env=env, capture_output=True, text=True, timeout=120, check=True
        )
    line = next(x for x in done.stdout.splitlines() if x.startswith("CREWDESK_WINDOW_SHOWN="))
    return float(line.partition("=")[2]) - started


def report_sizes(unpacked: Path) -> None:
    """Prints the unpacked size and each archive's size against the targets."""
    size = folder_size(unpacked / "crewdesk")
    print(f"one-folder build, unpacked: {size / MB:6.1f} MB   (target <= 250 MB)")
    for suffix in ("tar.gz", "tar.xz"):
        archive = ROOT / "dist" / f"{RELEASE}.{suffix}"
        if archive.exists():
            print(f"{suffix:<26}: {archive.stat().st_size / MB:6.1f} MB   (target <= 100 MB)")


def main() -> int:
    """Prints the release's figures; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="warm starts measured (5)")
    args = parser.parse_args()
    tarball = ROOT / "dist" / f"{RELEASE}.tar.gz"
    if not tarball.exists():
        print(f"no build at {tarball}: run `uv run python packaging/build.py` first")
        return 2
    if shutil.which("Xvfb") is None or shutil.which("objdump") is None:
        print("needs Xvfb and objdump (binutils)")
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        with tarfile.open(tarball) as tar:
            tar.extractall(scratch, filter="tar")
        unpacked = Path(scratch) / RELEASE
        report_sizes(unpacked)
        (major, minor), owner = newest_glibc(unpacked / "crewdesk")
        print(
            f"needs glibc >= {major}.{minor} (asked for by {owner}); built on "
            f"{platform.libc_ver()[1]}"
        )
        binary = unpacked / "crewdesk" / "crewdesk"
        with xvfb_display() as display:
            first = window_shown(binary, display)
            warm = [window_shown(binary, display) for _ in range(args.runs)]
        print(
            f"start to window shown: first {first:.2f} s; then median "
            f"{statistics.median(warm):.2f} s, best {min(warm):.2f} s, worst {max(warm):.2f} s "
            f"over {args.runs} starts   (target <= 2 s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
