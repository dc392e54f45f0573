#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine, then runs them.
#   bash scripts/test.sh [pytest arguments...]
# - uv (from PyPI) when it is missing; uv then installs Python packages from uv.lock.
# - On Debian/Ubuntu as root: Xvfb and the X11 libraries Qt's xcb platform needs, when
#   missing (one GUI test starts Xvfb itself to take a real screenshot); bubblewrap (the
#   sandbox for model-written code) when `bwrap` is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check uv
fi

X_PACKAGES="xvfb xauth libegl1 libgl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 \
libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0 libxcb-render-util0 \
libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 fonts-dejavu-core"
if ! command -v Xvfb >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "Installing Xvfb and Qt's X11 libraries (apt-get)..."
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $X_PACKAGES >/dev/null
fi

if ! command -v bwrap >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "Installing bubblewrap, the sandbox for model-written code (apt-get)..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null
fi

uv sync --locked --quiet
uv run lint-imports --no-cache >/dev/null
exec uv run pytest "$@"
