#!/bin/sh
# macOS: builds CrewDesk.app (the spec's BUNDLE step) and packs it in a .dmg.
#   sh packaging/macos/build_dmg.sh            (from the repository root, on a Mac)
# Output: dist/CrewDesk-<version>-macos-<arch>.dmg. Unsigned: sign and notarize the .app
# (codesign --deep --options runtime, xcrun notarytool) before giving it to users.
set -eu
cd "$(dirname "$0")/../.."
uv run python packaging/build.py --skip-tar
version=$(uv run python -c "from desktop_app import __version__; print(__version__)")
arch=$(uname -m)
stage=build/dmg
rm -rf "$stage"
mkdir -p "$stage"
cp -R dist/CrewDesk.app "$stage/"
ln -s /Applications "$stage/Applications"
hdiutil create -volname "CrewDesk $version" -srcfolder "$stage" -ov -format UDZO \
    "dist/CrewDesk-$version-macos-$arch.dmg"
echo "dist/CrewDesk-$version-macos-$arch.dmg"
