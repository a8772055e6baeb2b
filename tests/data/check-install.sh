#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the current build into a scratch DESTDIR (no rebuild) and checks
# that every file a desktop needs lands where it belongs.
# Usage: check-install.sh MESON PREFIX BINDIR DATADIR LOCALEDIR APP_ID EXPECT_GUI
set -eu

meson=$1 prefix=$2 bindir=$3 datadir=$4 localedir=$5 app_id=$6 expect_gui=$7
build=${DRD_BUILD_DIR:?DRD_BUILD_DIR is not set}

dest=$(mktemp -d "${TMPDIR:-/tmp}/drd-install-XXXXXX")
trap 'rm -rf "$dest"' EXIT

# An absolute option (bindir=/usr/bin) stays as it is; a relative one is
# under the prefix.
under_prefix () {
  case $1 in
    /*) printf '%s' "$1" ;;
    *) printf '%s/%s' "$prefix" "$1" ;;
  esac
}
bin=$dest$(under_prefix "$bindir")
share=$dest$(under_prefix "$datadir")
locale=$dest$(under_prefix "$localedir")

if ! "$meson" install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$dest.log" 2>&1; then
  cat "$dest.log" >&2
  rm -f "$dest.log"
  echo "meson install failed" >&2
  exit 1
fi
rm -f "$dest.log"

fail=0
need () {   # need TEST PATH
  if [ "$1" "$2" ] && [ -s "$2" ]; then
    echo "ok: ${2#"$dest"}"
  else
    echo "MISSING or wrong: ${2#"$dest"}" >&2
    fail=1
  fi
}

need -x "$bin/drdeskctl"
need -x "$bin/drdesk-kepco-sim"
if [ "$expect_gui" = true ]; then
  need -x "$bin/drdesk"
fi
need -f "$share/applications/$app_id.desktop"
need -f "$share/metainfo/$app_id.metainfo.xml"
need -f "$share/glib-2.0/schemas/$app_id.gschema.xml"
need -f "$share/icons/hicolor/scalable/apps/$app_id.svg"
need -f "$share/icons/hicolor/symbolic/apps/$app_id-symbolic.svg"
need -f "$share/drdesk/holidays-kr.csv"
need -f "$locale/ko/LC_MESSAGES/drdesk.mo"

# The installed files are the validated ones, with the icon they name.
if [ -f "$share/applications/$app_id.desktop" ]; then
  grep -qx "Icon=$app_id" "$share/applications/$app_id.desktop" \
    || { echo "desktop file does not name icon $app_id" >&2; fail=1; }
fi
if [ -f "$share/glib-2.0/schemas/$app_id.gschema.xml" ]; then
  glib-compile-schemas --strict --dry-run "$share/glib-2.0/schemas" \
    || { echo "installed schema does not compile" >&2; fail=1; }
fi

exit $fail
