#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# systemd-analyze verify on the shipped units: SERVICE (the build's copy,
# whose ExecStart points at the built drdeskctl) and SOCKET. Unknown keys
# and bad values are only warnings to systemd-analyze (exit 0), so any
# output fails the test too. Exit 77 (skipped) without systemd-analyze.
set -eu
service=$1
socket=$2
command -v systemd-analyze >/dev/null 2>&1 || { echo "# systemd-analyze is not installed"; exit 77; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/drd-units.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cp "$service" "$dir/drdesk-serve.service"
cp "$socket" "$dir/drdesk-serve.socket"
status=0
out=$(cd "$dir" && systemd-analyze verify --man=no drdesk-serve.socket drdesk-serve.service 2>&1) || status=$?
if [ "$status" -ne 0 ] || [ -n "$out" ]; then
  printf '%s\n' "$out"
  echo "systemd-analyze verify: exit $status"
  exit 1
fi
echo "units verify: drdesk-serve.socket drdesk-serve.service"
