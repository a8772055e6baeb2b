#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Screenshots of the customer import report dialog, English and Korean,
# into docs/screenshots/import-report-{en,ko}.png: the dialog of
# tests/gui/test-import (/import/same-as-cli) after importing its table of
# rule cases (every refused row with the CLI's reason).
# Run from the source root after building:  tests/ui/screenshots-import.sh [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$here/build}"
out="$here/docs/screenshots"
tmp="$(mktemp -d /tmp/drdesk-import-shots.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out" "$tmp/config" "$tmp/cache" "$tmp/run" "$tmp/locale/ko/LC_MESSAGES"
chmod 700 "$tmp/run"
msgfmt -o "$tmp/locale/ko/LC_MESSAGES/drdesk.mo" "$here/po/ko.po"

export XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run"
export GDK_BACKEND=x11 GSK_RENDERER=cairo LANG=C.UTF-8 NO_AT_BRIDGE=1
export GSETTINGS_BACKEND=memory TZ=America/New_York
export DRD_SOURCE_DIR="$here" DRD_BUILD_DIR="$build" DRD_LOCALEDIR="$tmp/locale"
for lang in en ko; do
  LANGUAGE=$lang DRD_SCREENSHOT="$out/import-report-$lang.png" \
    xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- \
    "$build/tests/gui/test-import" -p /import/same-as-cli >/dev/null
done
echo "screenshots in $out/import-report-{en,ko}.png"
