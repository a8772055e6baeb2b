#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Screenshots of each view in English and Korean into docs/screenshots/.
# Run from the source root after building:  tests/ui/screenshots.sh [BUILD_DIR]
# (Makes its own Xvfb display and session bus.)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$here/build}"
out="$here/docs/screenshots"
ctl="$build/src/drdeskctl"
tmp="$(mktemp -d /tmp/drdesk-shots.XXXXXX)"
db="$tmp/drdesk.db"
mkdir -p "$out" "$tmp/config" "$tmp/cache" "$tmp/run"
chmod 700 "$tmp/run"

"$ctl" --db "$db" init
"$ctl" --db "$db" demo --customers 5000 --seed 42 2>/dev/null

# Korean local time (UTC+9) quarter hours around now.
now=$(date -u +%s)
q=$(( (now / 900) * 900 ))
iso () { TZ=Asia/Seoul date -d "@$1" +%Y-%m-%dT%H:%M:%S+09:00; }
past=$("$ctl" --db "$db" event start --name "Heat wave (Mon)" --kind reliability \
        --start "$(iso $((q - 86400 - 7200)))" --end "$(iso $((q - 86400)))" --target-kw 5000 2>/dev/null)
for c in $(seq 1 40); do "$ctl" --db "$db" answer "$past" $c accept >/dev/null; done
"$ctl" --db "$db" event end "$past" >/dev/null
cancelled=$("$ctl" --db "$db" event start --name "Price spike" --kind economic \
        --start "$(iso $((q - 2 * 86400)))" --end "$(iso $((q - 2 * 86400 + 3600)))" --target-kw 2000 2>/dev/null)
"$ctl" --db "$db" event cancel "$cancelled" >/dev/null
running=$("$ctl" --db "$db" event start --name "Summer peak" --kind reliability \
        --start "$(iso $((q - 1800)))" --end "$(iso $((q + 5400)))" --target-kw 8000 \
        --answer-deadline "$(iso $((q + 5400)))" 2>/dev/null)
for c in $(seq 1 3 300); do "$ctl" --db "$db" answer "$running" $c accept >/dev/null; done
for c in $(seq 2 7 200); do "$ctl" --db "$db" answer "$running" $c deny >/dev/null; done
"$ctl" --db "$db" event start --name "Citizen DR drill" --kind citizen \
        --start "$(iso $((q + 86400 + 3600)))" --end "$(iso $((q + 86400 + 7200)))" --target-kw 1000 \
        --resource seoul-residential >/dev/null 2>&1 || true

export XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run"
export GDK_BACKEND=x11 GSK_RENDERER=cairo LANG=C.UTF-8 NO_AT_BRIDGE=1
xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- bash -s "$build" "$db" "$out" <<'INNER'
set -euo pipefail
build=$1 db=$2 out=$3
shot () { sleep "${2:-1.5}"; import -window root "$out/$1"; }
for lang in en ko; do
  LANGUAGE=$lang "$build/src/gui/drdesk" --db "$db" --listen 127.0.0.1:0 >/dev/null 2>&1 &
  pid=$!
  wid=$(xdotool search --sync --onlyvisible --class drdesk | head -1)
  xdotool windowfocus --sync "$wid" 2>/dev/null || true
  sleep 3
  xdotool mousemove 400 330 click 1          # select a customer: the detail pane fills
  shot "window-customers-$lang.png" 2
  xdotool key alt+2
  shot "window-timeline-$lang.png"
  xdotool key alt+3
  shot "window-responses-$lang.png" 2
  xdotool key ctrl+n
  shot "start-event-dialog-$lang.png" 2
  xdotool key Escape
  sleep 0.5
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
INNER
# Preferences (each page), About, Keyboard Shortcuts, the dark style, and
# the window at 1024×600 (the smallest screen it is made for).
export XDG_CONFIG_HOME="$tmp/config2"
mkdir -p "$XDG_CONFIG_HOME"
xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- bash -s "$build" "$db" "$out" <<'INNER'
set -euo pipefail
build=$1 db=$2 out=$3
win () { xdotool search --sync --onlyvisible --name "$1" | head -1; }
for lang in en ko; do
  LANGUAGE=$lang "$build/src/gui/drdesk" --db "$db" --listen 127.0.0.1:0 >/dev/null 2>&1 &
  pid=$!
  main=$(xdotool search --sync --onlyvisible --class drdesk | head -1)
  sleep 3
  xdotool key ctrl+comma
  sleep 1.5
  prefs=$(xdotool search --sync --onlyvisible --class drdesk | grep -v "^$main\$" | head -1)
  xdotool windowmove "$prefs" 330 120
  sleep 0.5
  for page in 1 2 3; do
    # the page switcher's buttons sit in the header bar
    case $page in 1) x=-110;; 2) x=0;; 3) x=110;; esac
    eval "$(xdotool getwindowgeometry --shell "$prefs")"
    xdotool mousemove $((X + WIDTH / 2 + x)) $((Y + 24)) click 1
    sleep 0.8
    name=$(echo portal kepco settlement | cut -d' ' -f$page)
    import -window "$prefs" "$out/prefs-$name-$lang.png"
  done
  xdotool key Escape
  sleep 0.5
  if [ "$lang" = en ]; then
    xdotool key ctrl+question
    sleep 1.5
    import -window root "$out/shortcuts-en.png"
    xdotool key Escape
    sleep 0.5
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
# About: through the primary menu like a person
LANGUAGE=en "$build/src/gui/drdesk" --db "$db" --listen 127.0.0.1:0 >/dev/null 2>&1 &
pid=$!
main=$(xdotool search --sync --onlyvisible --class drdesk | head -1)
sleep 3
xdotool key F10
sleep 1
xdotool key Up Return
sleep 1.5
import -window root "$out/about-en.png"
kill "$pid"; wait "$pid" 2>/dev/null || true
# Dark: the desktop asks for it
gsettings set org.gnome.desktop.interface color-scheme prefer-dark
LANGUAGE=en "$build/src/gui/drdesk" --db "$db" --listen 127.0.0.1:0 >/dev/null 2>&1 &
pid=$!
xdotool search --sync --onlyvisible --class drdesk >/dev/null
sleep 3
xdotool mousemove 400 330 click 1
sleep 1.5
import -window root "$out/window-dark-en.png"
xdotool key alt+2
sleep 1.5
import -window root "$out/window-dark-timeline-en.png"
kill "$pid"; wait "$pid" 2>/dev/null || true
gsettings reset org.gnome.desktop.interface color-scheme
INNER
xvfb-run -a -s "-screen 0 1024x600x24 -nolisten tcp" dbus-run-session -- bash -s "$build" "$db" "$out" <<'INNER'
set -euo pipefail
build=$1 db=$2 out=$3
for lang in en ko; do
  LANGUAGE=$lang "$build/src/gui/drdesk" --db "$db" --listen 127.0.0.1:0 >/dev/null 2>&1 &
  pid=$!
  main=$(xdotool search --sync --onlyvisible --class drdesk | head -1)
  xdotool windowsize "$main" 1024 600
  sleep 3
  import -window root "$out/window-small-$lang.png"
  xdotool key alt+2
  sleep 1.5
  import -window root "$out/window-small-timeline-$lang.png"
  xdotool key alt+3
  sleep 1.5
  import -window root "$out/window-small-responses-$lang.png"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
INNER
rm -rf "$tmp"
echo "screenshots in $out"
