#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Screenshots of the Settlement view with a load chart, English and Korean,
# into docs/screenshots/window-settlement-{en,ko}.png. The window is the
# one of tests/gui/test-settlement (/settlement/view/settles): an event on
# a temp database settled in-process against the KEPCO simulator, first
# customer selected. Korean uses po/ko.po plus po/ko-settle.po.fragment
# (until the lead merges the fragment).
# Run from the source root after building:  tests/ui/screenshots-settlement.sh [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$here/build}"
out="$here/docs/screenshots"
tmp="$(mktemp -d /tmp/drdesk-settle-shots.XXXXXX)"
mkdir -p "$out" "$tmp/config" "$tmp/cache" "$tmp/run" "$tmp/locale/ko/LC_MESSAGES"
chmod 700 "$tmp/run"
msgcat --use-first "$here/po/ko.po" "$here/po/ko-settle.po.fragment" -o "$tmp/ko.po"
msgfmt -o "$tmp/locale/ko/LC_MESSAGES/drdesk.mo" "$tmp/ko.po"

export XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run"
export GDK_BACKEND=x11 GSK_RENDERER=cairo LANG=C.UTF-8 NO_AT_BRIDGE=1
export GSETTINGS_BACKEND=memory TZ=America/New_York
export DRD_SOURCE_DIR="$here" DRD_BUILD_DIR="$build" DRD_LOCALEDIR="$tmp/locale"
for lang in en ko; do
  LANGUAGE=$lang DRD_SCREENSHOT="$out/window-settlement-$lang.png" \
    xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- \
    "$build/tests/gui/test-settlement" -p /settlement/view/settles >/dev/null
done
rm -rf "$tmp"
echo "screenshots in $out/window-settlement-{en,ko}.png"
