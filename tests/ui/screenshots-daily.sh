#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Screenshots of the daily tasks at 1024×600 (the smallest screen the window
# is made for), English and Korean, into docs/screenshots/daily-*.png:
# Responses with a customer selected, Call Next, the phone-answer
# confirmation, the answer link dialog, the event's history, the customer
# pane, and the overview past its target.
# Run from the source root after building: tests/ui/screenshots-daily.sh [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$here/build}"
out="$here/docs/screenshots"
ctl="$build/src/drdeskctl"
tmp="$(mktemp -d /tmp/drdesk-daily-shots.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

make_db () {   # TARGET_KW
  rm -f "$tmp/drdesk.db"*
  "$ctl" --db "$tmp/drdesk.db" init >/dev/null
  "$ctl" --db "$tmp/drdesk.db" demo --customers 2000 --seed 42 2>/dev/null
  local now q ev
  now=$(date -u +%s); q=$(( (now / 900) * 900 ))
  iso () { TZ=Asia/Seoul date -d "@$1" +%Y-%m-%dT%H:%M:%S+09:00; }
  ev=$("$ctl" --db "$tmp/drdesk.db" event start --name "Summer peak" --kind reliability \
       --start "$(iso $((q - 1800)))" --end "$(iso $((q + 5400)))" --target-kw "$1" \
       --answer-deadline "$(iso $((q + 5400)))" 2>/dev/null)
  for c in $(seq 1 3 300); do "$ctl" --db "$tmp/drdesk.db" answer "$ev" "$c" accept >/dev/null; done
  for c in $(seq 2 7 200); do "$ctl" --db "$tmp/drdesk.db" answer "$ev" "$c" deny >/dev/null; done
  "$ctl" --db "$tmp/drdesk.db" links --rotate 4 >/dev/null
}

run () {   # SCRIPT (bash, with $build $db $out $lang)
  for lang in en ko; do
    mkdir -p "$tmp/$lang/config" "$tmp/$lang/cache" "$tmp/$lang/run"; chmod 700 "$tmp/$lang/run"
    XDG_CONFIG_HOME="$tmp/$lang/config" XDG_CACHE_HOME="$tmp/$lang/cache" \
    XDG_RUNTIME_DIR="$tmp/$lang/run" GDK_BACKEND=x11 GSK_RENDERER=cairo LANG=C.UTF-8 \
    NO_AT_BRIDGE=1 LANGUAGE=$lang \
      xvfb-run -a -s "-screen 0 1024x600x24 -nolisten tcp" dbus-run-session -- \
      bash -c "$1" _ "$build" "$tmp/drdesk.db" "$out" "$lang"
    rm -rf "$tmp/$lang"
  done
}

start='build=$1 db=$2 out=$3 lang=$4
"$build/src/gui/drdesk" --db "$db" --listen 127.0.0.1:0 >/dev/null 2>&1 &
pid=$!
wid=$(xdotool search --sync --onlyvisible --class drdesk | head -1)
xdotool windowmove "$wid" 0 0; xdotool windowsize "$wid" 1024 600
sleep 3
shot () { sleep "${2:-1.5}"; import -window root "$out/daily-$1-$lang.png"; }'
stop='kill $pid; wait $pid 2>/dev/null || true'

make_db 25000
run "$start
xdotool key alt+3; sleep 2
xdotool mousemove 300 447 click 1; shot responses 2
xdotool mousemove 575 571 click 1; shot record-confirm; xdotool key Escape; sleep 0.7
xdotool mousemove 850 571 click 1; shot link-dialog 2; xdotool key Escape; sleep 0.7
xdotool mousemove 939 284 click 1; shot event-history 2; xdotool key Escape; sleep 0.7
xdotool mousemove 447 284 click 1; shot call-next 2
xdotool key alt+1; sleep 1.5
xdotool mousemove 300 330 click 1; shot customers 2
$stop"
make_db 12000
run "$start
shot overview-over-target 1
$stop"
