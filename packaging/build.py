"""Builds CrewDesk's one-folder PyInstaller bundle and packs the Linux release.

    uv run python packaging/build.py [--out dist] [--skip-tar] [--measure]

Steps: icons (when missing) -> PyInstaller one-folder build of `packaging/crewdesk.spec` into
`<out>/crewdesk/` -> on Linux, the build machine's bubblewrap into `<out>/crewdesk/bubblewrap/`
(the code sandbox) and `<out>/CrewDesk-<version>-linux-x86_64.tar.gz` (the folder, a
`.desktop` entry, the icon and `install.sh`) -> an AppImage when `appimagetool` is on PATH.
`--measure` also builds once per exclusion group with that group kept, and reports what each
exclusion saves. The version comes from `desktop_app.__version__` only.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO)]

import bundle  # noqa: E402

from desktop_app import __version__  # noqa: E402

MB = 1_000_000

MEASURED_STEPS = ("strip", "drops", "pruning")
"""Size steps of the spec besides exclusions, measured like them (see crewdesk.spec)."""


def folder_size(path: Path) -> int:
    """Bytes of every file under `path` (links not followed)."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def ensure_icons() -> None:
    """Renders the icons from the SVG when they are not there yet."""
    if not (bundle.icons_dir() / "crewdesk-256.png").exists():
        subprocess.run([sys.executable, str(HERE / "make_icons.py")], check=True)


def pyinstaller(out: Path, work: Path, keep_groups: tuple[str, ...] = ()) -> Path:
    """Runs PyInstaller on the spec; returns the one-folder build (`<out>/crewdesk`)."""
    env = dict(
        os.environ, CREWDESK_KEEP_GROUPS="|".join(keep_groups), LITELLM_LOCAL_MODEL_COST_MAP="True"
    )  # no network while hooks import litellm
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        str(HERE / "crewdesk.spec"),
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(out),
        "--workpath",
        str(work),
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=REPO)
    print(f"PyInstaller: {time.perf_counter() - started:.0f} s")
    return out / bundle.EXE_NAME


def ship_bwrap(folder: Path) -> list[Path]:
    """Copies this machine's bwrap (and its libraries) into `<folder>/bubblewrap/` (Linux).

    The sandbox prefers it over the user's own (`crewdesk doctor` says which one runs), so
    the release isolates model code where bubblewrap is not installed.

    Returns:
        The files copied; empty (with a warning) when bubblewrap is not installed here.
    """
    files = bundle.bwrap_files()
    if not files:
        print("bubblewrap: not installed on the build machine: the release will not carry it")
        return []
    target = folder / bundle.BWRAP_FOLDER
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    copied = [Path(shutil.copy2(path, target / path.name)) for path in files]
    copied[0].chmod(0o755)
    size = sum(path.stat().st_size for path in copied)
    print(f"bubblewrap: {', '.join(p.name for p in copied)} ({size / 1000:.0f} kB)")
    return copied


def release_name() -> str:
    """`CrewDesk-<version>-<os>-<machine>`, e.g. CrewDesk-0.1.0-linux-x86_64."""
    return (
        f"{bundle.APP_NAME}-{__version__}-{sys.platform.rstrip('0123456789')}-"
        f"{platform.machine().lower()}"
    )


def stage_linux(folder: Path, stage: Path) -> Path:
    """Lays out the Linux release folder: the build, desktop entry, icon and install.sh."""
    top = stage / release_name()
    shutil.rmtree(top, ignore_errors=True)
    top.mkdir(parents=True)
    shutil.copytree(folder, top / bundle.EXE_NAME, symlinks=True)
    desktop = REPO / "resources" / "desktop"
    shutil.copy2(desktop / f"{bundle.BUNDLE_ID}.desktop", top)
    shutil.copy2(bundle.icons_dir() / "crewdesk-256.png", top / "crewdesk.png")
    shutil.copy2(HERE / "linux" / "install.sh", top / "install.sh")
    (top / "install.sh").chmod(0o755)
    (top / "VERSION").write_text(__version__ + "\n", encoding="utf-8")
    return top


def pack_tar(top: Path, out: Path, *, xz: bool = False) -> Path:
    """Packs `top` as `<out>/<top name>.tar.gz` (or `.tar.xz`: about a fifth smaller, slower)."""
    if xz:
        target = out / f"{top.name}.tar.xz"
        with tarfile.open(target, "w:xz", preset=6) as tar:
            tar.add(top, arcname=top.name)
        return target
    target = out / f"{top.name}.tar.gz"
    with tarfile.open(target, "w:gz", compresslevel=9) as tar:
        tar.add(top, arcname=top.name)
    return target


def appimage(top: Path, out: Path) -> Path | None:
    """Builds `<out>/<name>.AppImage` with appimagetool, when it is installed."""
    tool = shutil.which("appimagetool")
    if tool is None:
        print("AppImage: skipped (appimagetool is not installed; see packaging/README.md)")
        return None
    appdir = out / "CrewDesk.AppDir"
    shutil.rmtree(appdir, ignore_errors=True)
    shutil.copytree(top / bundle.EXE_NAME, appdir / "usr" / "lib" / bundle.EXE_NAME, symlinks=True)
    shutil.copy2(top / f"{bundle.BUNDLE_ID}.desktop", appdir)
    shutil.copy2(top / "crewdesk.png", appdir / "crewdesk.png")
    run = appdir / "AppRun"
    run.write_text(
        '#!/bin/sh\nexec "$(dirname "$(readlink -f "$0")")/usr/lib/crewdesk/crewdesk" "$@"\n',
        encoding="utf-8",
    )
    run.chmod(0o755)
    target = out / f"{release_name()}.AppImage"
    subprocess.run(
        [tool, str(appdir), str(target)], check=True, env=dict(os.environ, ARCH=platform.machine())
    )
    return target


def measure(out: Path, work: Path, baseline: int) -> None:
    """Builds once per exclusion group with that group kept; prints what each one saves."""
    print(f"\nexclusion savings (baseline {baseline / MB:.1f} MB):")
    for group in (*bundle.EXCLUDES, *MEASURED_STEPS):
        folder = pyinstaller(out / "measure", work / "measure", keep_groups=(group,))
        print(f"  {group:<46} {(folder_size(folder) - baseline) / MB:7.1f} MB", flush=True)
    shutil.rmtree(out / "measure", ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Builds the bundle (and the Linux tar.gz); returns the exit code."""
    parser = argparse.ArgumentParser(prog="packaging/build.py", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "dist", help="output folder (dist)")
    parser.add_argument("--work", type=Path, default=REPO / "build", help="PyInstaller work folder")
    parser.add_argument("--skip-tar", action="store_true", help="build the folder only")
    parser.add_argument(
        "--xz",
        action="store_true",
        help="also pack a .tar.xz (smaller download, about 2 minutes more)",
    )
    parser.add_argument(
        "--measure",
        action="store_true",
        help="also rebuild per exclusion group and report what each saves",
    )
    args = parser.parse_args(argv)
    out, work = args.out.resolve(), args.work.resolve()
    ensure_icons()
    folder = pyinstaller(out, work)
    if sys.platform.startswith("linux"):
        ship_bwrap(folder)
    size = folder_size(folder)
    print(f"one-folder build: {folder} ({size / MB:.1f} MB)")
    if args.measure:
        measure(out, work, size)
    if args.skip_tar or not sys.platform.startswith("linux"):
        return 0
    top = stage_linux(folder, work / "stage")
    tar = pack_tar(top, out)
    print(f"release: {tar} ({tar.stat().st_size / MB:.1f} MB)")
    if args.xz:
        packed = pack_tar(top, out, xz=True)
        print(f"release: {packed} ({packed.stat().st_size / MB:.1f} MB)")
    image = appimage(top, out)
    if image is not None:
        print(f"AppImage: {image} ({image.stat().st_size / MB:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
