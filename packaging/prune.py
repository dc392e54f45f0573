"""Finds the modules of a package that cannot be imported in this environment.

PyInstaller follows every import it can see, including the ones inside functions of litellm's
client code that lead into its proxy server, so it bundles hundreds of proxy modules that need
FastAPI and other packages CrewDesk does not install. Those modules fail to import whether
they are bundled or not; leaving them out changes nothing but the size.

    python packaging/prune.py MODULE...   prints the ones that raise ImportError, one a line
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Sequence


def unimportable(modules: Sequence[str]) -> list[str]:
    """The `modules` that raise ImportError, probed in a fresh interpreter (no side effects
    on the caller)."""
    env = dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True")
    done = subprocess.run(
        [sys.executable, __file__, *modules],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=600,
    )
    return done.stdout.split()


def main(modules: Sequence[str]) -> int:
    """Imports each module; prints the names of those that raise ImportError."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            print(name)
        except Exception:  # noqa: BLE001, S112 - importable but broken: keep it, as is
            continue
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
