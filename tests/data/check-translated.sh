#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The merged desktop file and metainfo carry the Korean strings of po/ko.po.
# Skips (77) while po/ko.po does not have them yet (po/ko-desktop.po.fragment
# not merged).
# Usage: check-translated.sh KO_PO DESKTOP METAINFO
set -eu
ko_po=$1 desktop=$2 metainfo=$3

if ! grep -q '^msgid "Demand Response Console"' "$ko_po"; then
  echo "po/ko.po has no desktop-file strings yet; merge po/ko-desktop.po.fragment" >&2
  exit 77
fi
fail=0
for key in 'Name\[ko\]=' 'GenericName\[ko\]=' 'Comment\[ko\]=' 'Keywords\[ko\]='; do
  grep -q "^$key" "$desktop" || { echo "desktop file lacks $key" >&2; fail=1; }
done
grep -q '<summary xml:lang="ko">' "$metainfo" || { echo "metainfo lacks a Korean summary" >&2; fail=1; }
grep -q '<p xml:lang="ko">' "$metainfo" || { echo "metainfo lacks a Korean description" >&2; fail=1; }
exit $fail
