#!/bin/sh
# Installs this CrewDesk release for the current user (no root needed):
#   ~/.local/share/crewdesk/          the program folder
#   ~/.local/bin/crewdesk             a link to its executable (for the terminal)
#   ~/.local/share/applications/      the desktop entry (the app menu)
#   ~/.local/share/icons/hicolor/256x256/apps/crewdesk.png
# Run it again to update; `./install.sh --uninstall` removes it all (your crews and settings
# stay in CrewDesk's data folders).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
bin=$HOME/.local/bin
app=$data/crewdesk
desktop=$data/applications/dev.crewdesk.CrewDesk.desktop
icon=$data/icons/hicolor/256x256/apps/crewdesk.png

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$app" "$desktop" "$icon"
    [ -L "$bin/crewdesk" ] && rm -f "$bin/crewdesk"
    echo "CrewDesk removed."
    exit 0
fi

mkdir -p "$data/applications" "$(dirname "$icon")" "$bin"
rm -rf "$app.new"
cp -a "$here/crewdesk" "$app.new"
rm -rf "$app"
mv "$app.new" "$app"
ln -sf "$app/crewdesk" "$bin/crewdesk"
cp "$here/crewdesk.png" "$icon"
sed "s|^Exec=.*|Exec=\"$app/crewdesk\"|" "$here/dev.crewdesk.CrewDesk.desktop" > "$desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q "$data/icons/hicolor" || true
echo "CrewDesk installed in $app; start it from the app menu or with: $bin/crewdesk"
