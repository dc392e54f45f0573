"""What goes into the PyInstaller bundle: read by `crewdesk.spec` and `build.py`.

One place for the name, hidden imports, metadata to copy, data and exclusions, so that the
Linux, Windows and macOS builds are made the same way.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
"""The repository root."""

APP_NAME = "CrewDesk"
"""The product name (the macOS .app, installers, the desktop entry)."""

EXE_NAME = "crewdesk"
"""The executable and the one-folder build's directory name."""

BUNDLE_ID = "dev.crewdesk.CrewDesk"
"""The reverse-DNS id (macOS bundle id, Linux desktop file id)."""

BWRAP_FOLDER = "bubblewrap"
"""Where the Linux release carries bubblewrap and the libraries it needs, next to the
executable (`desktop_app.engine.sandbox._bwrap.BUNDLED` looks there first)."""

SANDBOX_SCRIPTS = ("_launcher.py", "_landlock.py", "_seccomp.py", "_win32.py")
"""Sandbox launchers a frozen build runs by path (`crewdesk --exec-python SCRIPT`): Linux's
Landlock launcher and the modules it imports, and Windows' AppContainer launcher."""

_SYSTEM_LIBRARIES = ("linux-vdso", "libc.so", "ld-linux", "libpthread", "libdl.so", "librt.so",
                     "libm.so")
"""The C library's parts: always on the target, and never to be copied."""


def bwrap_files() -> list[Path]:
    """This machine's `bwrap` and the shared libraries it needs beyond the C library.

    Empty when bubblewrap is not installed (the release then relies on the user's own, or on
    the Landlock backend).
    """
    found = shutil.which("bwrap") or "/usr/bin/bwrap"
    program = Path(found).resolve()
    if not program.is_file():
        return []
    listed = subprocess.run(["ldd", str(program)], capture_output=True, text=True, check=False)
    libraries = []
    for line in listed.stdout.splitlines():
        name, _, rest = line.strip().partition(" => ")
        path = rest.split(" (")[0].strip()
        if path.startswith("/") and not name.startswith(_SYSTEM_LIBRARIES):
            libraries.append(Path(path).resolve().with_name(name))
    return [program, *libraries]


HIDDEN_IMPORTS = (
    # litellm's token counter loads tiktoken encodings through this plugin namespace.
    "tiktoken_ext",
    "tiktoken_ext.openai_public",
)
"""Modules imported dynamically that PyInstaller cannot see."""

HIDDEN_PACKAGES = ("keyring.backends", "desktop_app")
"""Packages whose every submodule is bundled: keyring finds its backends by entry point, and
the CLI imports the window (`desktop_app.ui.app`) by name."""

LITELLM_LAZY_REGISTRY = "litellm/_lazy_imports_registry.py"
"""Where litellm lists, by module path, the attributes it imports on first use: each of those
modules is a hidden import (without them `litellm.acompletion` does not exist when frozen)."""

PRUNED_PACKAGES = ("litellm.proxy",)
"""Packages whose modules are dropped from the bundle when they cannot be imported here (the
proxy server's modules need FastAPI & co., which CrewDesk does not install); the ones that
import are kept, since litellm's client code uses a few of them."""

METADATA = (
    "litellm",
    "keyring",
    "pydantic",
    "pyside6-essentials",
    "shiboken6",
    "qasync",
    "crewdesk",
    "httpx2",  # the mcp SDK's HTTP client reads its own version at import
)
"""Distributions whose metadata the app (or a library) reads with `importlib.metadata`."""

LITELLM_DATA_EXCLUDES = ("proxy/**",)
"""litellm's admin-proxy web UI and its files: never used by CrewDesk."""

EXCLUDES: dict[str, tuple[str, ...]] = {
    "boto3/botocore/s3transfer (AWS SDK)": ("boto3", "botocore", "s3transfer"),
    "huggingface_hub/hf_xet": ("huggingface_hub", "hf_xet"),
    "tkinter": ("tkinter", "_tkinter"),
    "IPython/jedi": ("IPython", "jedi", "parso", "matplotlib_inline"),
    "test tools (pytest, hypothesis, mypy)": (
        "pytest",
        "_pytest",
        "pytestqt",
        "pytest_asyncio",
        "hypothesis",
        "mypy",
        "mypyc",
    ),
    "build tools (setuptools, pip, PyInstaller)": (
        "setuptools",
        "pkg_resources",
        "pip",
        "PyInstaller",
    ),
    "tokenizers (Hugging Face)": ("tokenizers",),
    "unused Qt modules": (
        "PySide6.QtQml",
        "PySide6.QtQuick",
        "PySide6.QtQuickWidgets",
        "PySide6.QtQuickControls2",
        "PySide6.QtOpenGL",
        "PySide6.QtOpenGLWidgets",
        "PySide6.QtDesigner",
        "PySide6.QtHelp",
        "PySide6.QtUiTools",
        "PySide6.QtPrintSupport",
        "PySide6.QtSql",
        "PySide6.QtTest",
        "PySide6.QtConcurrent",
        "PySide6.QtDBus",
        "PySide6.QtNetwork",
        "PySide6.QtSvg",
        "PySide6.QtSvgWidgets",
        "PySide6.QtQuickTest",
        "PySide6.QtXml",
    ),
}
"""Packages CrewDesk never imports, by group (the build report measures each group)."""


DROPS = (
    "PySide6/Qt/translations/",
    "PySide6/Qt/plugins/platformthemes/libqgtk3",
    "PySide6/Qt/plugins/generic/",
    "PySide6/Qt/plugins/egldeviceintegrations/",
    "PySide6/Qt/plugins/platforms/libqvnc",
    "PySide6/Qt/plugins/platforms/libqlinuxfb",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay",
    "PySide6/Qt/plugins/platforms/libqeglfs",
    "PySide6/Qt/plugins/imageformats/libqtiff",
    "PySide6/Qt/plugins/imageformats/libqwebp",
    "PySide6/Qt/plugins/imageformats/libqjpeg",
    "PySide6/Qt/plugins/imageformats/libqgif",
    "PySide6/Qt/lib/libQt6Network",
    # Needed only by the GTK theme plugin dropped above (no other bundled library links them).
    "libgdk_pixbuf",
    "libcairo",
    "libatk-",
    "libpango",
    "libpixman",
    "libthai",
    "libdatrie",
    "libfribidi",
    "libgraphite2",
    "libharfbuzz",
    "libgio-",
    "libgmodule-",
    "libgobject-",
    "libmount",
    "libblkid",
    "libselinux",
    "libjpeg",
    # DeepSeek's Hugging Face tokenizer: litellm reads it only through `tokenizers`, which is
    # excluded (token counting then falls back to tiktoken). Not the Anthropic one: litellm's
    # utils module reads that file when it is imported.
    "litellm/litellm_core_utils/tokenizers/deepseek_tokenizer",
)
"""Collected files CrewDesk never loads: translations of Qt's own dialogs (the UI is English),
input-device, framebuffer, VNC and GTK-theme plugins, image formats other than PNG/SVG/ICO,
QtNetwork's library (nothing links it), the GTK plugin's own dependencies, and litellm's
DeepSeek tokenizer file. Matched as path prefixes (with `/` separators) in the bundle."""


def keep_file(dest: str) -> bool:
    """Whether a collected file (its path inside the bundle) stays in the bundle."""
    path = dest.replace("\\", "/")
    return not any(path.startswith(prefix) for prefix in DROPS)


def examples_dir() -> Path:
    """The example crews bundled as data (found at run time under `sys._MEIPASS`)."""
    return REPO / "resources" / "examples"


def icons_dir() -> Path:
    """The app icons (PNG sizes, .ico, .icns)."""
    return REPO / "resources" / "icons"


def litellm_lazy_modules(site_packages: Path) -> list[str]:
    """The modules named in litellm's lazy-import registry, as absolute module names."""
    text = (site_packages / LITELLM_LAZY_REGISTRY).read_text(encoding="utf-8")
    names = set(re.findall(r'\(\s*"([.\w]+)",\s*"\w+"\s*,?\s*\)', text))
    return sorted(
        ("litellm" + name if name.startswith(".") else name)
        for name in names
        if not any(name.startswith(p) for p in (".proxy", "litellm.proxy"))
    )


def excluded_modules(skip_groups: tuple[str, ...] = ()) -> list[str]:
    """Every excluded module, except the groups named in `skip_groups`."""
    return [name for group, names in EXCLUDES.items() if group not in skip_groups for name in names]
