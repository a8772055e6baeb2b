#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/bench-outage.sh [BUILD_DIR] [OUTAGE_S] [CUSTOMERS]
# The real window (build/src/gui/drdesk) during a KEPCO outage, with its
# DEFAULT KEPCO settings (15 s timeout, 4 attempts, 8 in flight, breaker 27
# failures of the last 30 attempts with a 30 s cooldown, settler backoff
# 30 s doubling) — issue "Prove it under stress":
#  1. a database of CUSTOMERS (default 300, drdeskctl demo) with one event
#     three days ago (14:00-16:00 KST), 40% accepted, ended;
#  2. reference: a copy settled by `drdeskctl settle` against a fault-free
#     drdesk-kepco-sim (seed 7);
#  3. idle noise floor: drdesk on the settled reference (nothing to do) for
#     IDLE_S seconds (default 10), the first 3 s (start-up) left out;
#  4. drdesk --db win.db --kepco-url URL --no-portal, under Xvfb and its
#     own session bus (GDK_BACKEND=x11, GSK_RENDERER=cairo, private XDG
#     dirs, GSETTINGS_BACKEND=memory so every setting is the default),
#     settles the original against a simulator with the same seed and
#     --fail-rate 0.3 --timeout-rate 0.05 --malformed-rate 0.05 (timed-out
#     requests held 60 s, beyond drdesk's 15 s timeout) and
#     --outage START/START+OUTAGE_S (default 60) starting LEAD_S (default
#     15) seconds after drdesk. DRD_BENCH_STALL=1 makes drdesk print, once
#     a second, the longest lateness of a 5 ms main-loop timer (and the
#     main thread's CPU time during it), the longest frame-clock gap, the
#     breaker state, settled/total and the overview's KEPCO indicator text
#     (src/gui/drd-bench-stall.h). The script waits
#     until the event is settled (at most SETTLE_TIMEOUT_S, default 3600),
#     then quits drdesk with SIGTERM;
#  5. the settlements and points ledger of both databases are compared.
# Prints the figures (idle floor, longest stall and frame gap during the
# outage, time from the outage's start to the breaker opening, whether the
# indicator said "circuit open", trips from closed outside the outage, the
# catch-up and total settle times, settled count, ledger equality) and
# PASS or FAIL. Exit status 0 only if: stall <= 100 ms, the indicator
# showed the open breaker, everyone settled, ledgers equal.
# env: IDLE_S, LEAD_S, SETTLE_TIMEOUT_S, DRD_BENCH_KEEP=1 (keep the temp dir).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${1:-$here/build}" && pwd)"
outage_s="${2:-60}"
n="${3:-300}"
idle_s="${IDLE_S:-10}"
lead_s="${LEAD_S:-15}"
settle_timeout="${SETTLE_TIMEOUT_S:-3600}"
ctl="$build/src/drdeskctl"
sim="$build/src/drdesk-kepco-sim"
drdesk="$build/src/gui/drdesk"
for x in "$ctl" "$sim" "$drdesk"; do
  [[ -x "$x" ]] || { echo "bench-outage: $x not built" >&2; exit 2; }
done
for c in sqlite3 xvfb-run dbus-run-session bc; do
  command -v "$c" >/dev/null || { echo "bench-outage: needs $c" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-outage-XXXXXX")
cleanup () {
  for f in "$tmp"/*.pid; do [[ -f "$f" ]] && kill "$(cat "$f")" 2>/dev/null || true; done
  [[ -n "${DRD_BENCH_KEEP:-}" ]] || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

start_sim () {   # start_sim NAME ARGS... → prints the URL
  local name=$1; shift
  "$sim" --listen 127.0.0.1:0 --seed 7 --event "$ev_start/$ev_end" "$@" \
    > "$tmp/$name.out" 2> "$tmp/$name.err" &
  echo $! > "$tmp/$name.pid"   # (this runs in $(...): no shell variable survives)
  for _ in $(seq 50); do grep -q LISTENING "$tmp/$name.out" 2>/dev/null && break; sleep 0.1; done
  sed -n 's/^LISTENING //p' "$tmp/$name.out"
}

stop () {   # stop NAME: ends the process whose pid is in NAME.pid
  local pid
  [[ -f "$tmp/$1.pid" ]] || return 0
  pid=$(cat "$tmp/$1.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$tmp/$1.pid"
}

sim_stats () {   # sim_stats URL: the simulator's counters (JSON), if curl is there
  command -v curl >/dev/null && curl -s --max-time 5 "${1%/}/admin/stats" || true
}

ledger () {   # the settlement results and points, in a canonical order
  sqlite3 "$1" "SELECT event_id, customer_id, answer, baseline_wh, actual_wh, reduction_wh,
                       outcome, points, note FROM settlements ORDER BY event_id, customer_id;
                SELECT customer_id, event_id, reason, points FROM points_ledger
                 ORDER BY event_id, customer_id, reason;
                SELECT id, status FROM events ORDER BY id;"
}

mkdir -p "$tmp/config" "$tmp/cache" "$tmp/run"; chmod 700 "$tmp/run"
export XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run"
export GDK_BACKEND=x11 GSK_RENDERER=cairo NO_AT_BRIDGE=1 LANGUAGE=C LC_ALL=C.UTF-8
export GSETTINGS_BACKEND=memory

# drdesk_bg NAME DB URL: the real window in the background, its pid in
# NAME.pid (the shell inside the session bus execs drdesk), output NAME.out.
drdesk_bg () {
  local name=$1 db=$2 url=$3
  DRD_BENCH_STALL=1 xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- \
    sh -c 'echo $$ > "$1"; shift; exec "$@"' sh "$tmp/$name.pid" \
      "$drdesk" --db "$db" --kepco-url "$url" --no-portal \
    > "$tmp/$name.out" 2> "$tmp/$name.err" &
  echo $! > "$tmp/$name-xvfb.pid"
  for _ in $(seq 100); do [[ -s "$tmp/$name.pid" ]] && break; sleep 0.1; done
}

# stall_max FILE FIELD FROM TO: the largest FIELD (loop-max-ms, frame-max-ms)
# of the once-a-second lines whose second overlaps (FROM, TO].
stall_max () {
  awk -v f="$2" -v a="$3" -v b="$4" '
    $1 == "BENCH" && $2 == "stall" {
      t = substr($3, 3) + 0
      for (i = 4; i <= NF; i++) if (index($i, f "=") == 1) v = substr($i, length(f) + 2) + 0
      if (t > a && t - 1 < b && v > m) m = v
    }
    END { printf "%.1f\n", m + 0 }' "$1"
}

# stall_cpu FILE FROM TO: the main thread's CPU time, its run-queue wait
# and the machine's steal time (ms) during the longest stall of those
# lines; the rest of the stall it was blocked (e.g. on the X server).
stall_cpu () {
  awk -v a="$2" -v b="$3" '
    $1 == "BENCH" && $2 == "stall" {
      t = substr($3, 3) + 0; l = substr($4, 13) + 0; c = substr($5, 8) + 0
      w = substr($6, 9) + 0; s = substr($7, 10) + 0
      if (t > a && t - 1 < b && l > m) { m = l; mc = c; mw = w; ms = s }
    }
    END { printf "%.1f ms, waiting for a CPU %.1f ms, machine steal %.1f ms\n", mc + 0, mw + 0, ms + 0 }' "$1"
}

# ---- 1. database ----
day=$(TZ=Asia/Seoul date -d '3 days ago' +%Y-%m-%d)
ev_start="${day}T14:00:00+09:00"
ev_end="${day}T16:00:00+09:00"
"$ctl" --db "$tmp/win.db" demo --customers "$n" --seed 1 >/dev/null
id=$("$ctl" --db "$tmp/win.db" event start --name outage --kind reliability \
       --start "$ev_start" --end "$ev_end" --target-kw 1000)
sqlite3 "$tmp/win.db" "UPDATE responses SET answer = 1, answered_at = strftime('%s','now'), channel = 3
                       WHERE event_id = $id AND customer_id % 5 < 2;"
"$ctl" --db "$tmp/win.db" event end "$id" >/dev/null
targeted=$(sqlite3 "$tmp/win.db" "SELECT count(*) FROM responses WHERE event_id = $id")
sqlite3 "$tmp/win.db" ".backup '$tmp/ref.db'"
# The window reads its KEPCO service key from the file next to the database.
(umask 077; printf 'bench\n' > "$tmp/win.db.kepco-key"; cp "$tmp/win.db.kepco-key" "$tmp/ref.db.kepco-key")
echo "bench-outage: $n customers ($targeted targeted), event $id $ev_start/$ev_end, outage ${outage_s} s" >&2

# ---- 2. reference ----
url=$(start_sim clean)
t0=$(date +%s.%N)
"$ctl" --db "$tmp/ref.db" settle "$id" --kepco-url "$url" --service-key bench \
  > "$tmp/ref.out" 2> "$tmp/ref.err"
ref_s=$(echo "$(date +%s.%N) - $t0" | bc -l)
printf 'bench-outage: fault-free drdeskctl settle %.1f s\n' "$ref_s" >&2
ledger "$tmp/ref.db" > "$tmp/ref.ledger"
ref_stats=$(sim_stats "$url")

# ---- 3. idle noise floor: the real window with nothing to do ----
i0=$(date +%s.%N)
drdesk_bg idle "$tmp/ref.db" "$url"
sleep "$idle_s"
stop idle
wait "$(cat "$tmp/idle-xvfb.pid")" 2>/dev/null || true
rm -f "$tmp/idle-xvfb.pid"
idle=$(stall_max "$tmp/idle.out" loop-max-ms "$(echo "$i0 + 3" | bc)" 9999999999)
idle_frame=$(stall_max "$tmp/idle.out" frame-max-ms "$(echo "$i0 + 3" | bc)" 9999999999)
stop clean
echo "bench-outage: idle floor ${idle} ms (frame gap ${idle_frame} ms)" >&2

# ---- 4. the window during the outage ----
w0=$(date +%s)
o_start=$(( w0 + lead_s ))
o_end=$(( o_start + outage_s ))
iso () { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
url=$(start_sim faulty --fail-rate 0.3 --timeout-rate 0.05 --malformed-rate 0.05 \
        --outage "$(iso $o_start)/$(iso $o_end)")
drdesk_bg win "$tmp/win.db" "$url"
echo "bench-outage: drdesk pid $(cat "$tmp/win.pid"); outage $(iso $o_start) to $(iso $o_end)" >&2
status=0
deadline=$(( o_end + settle_timeout ))
last_report=0
while (( $(date +%s) < deadline )); do
  sleep 2
  kill -0 "$(cat "$tmp/win.pid")" 2>/dev/null || { echo "bench-outage: drdesk exited" >&2; break; }
  status=$(sqlite3 "$tmp/win.db" "SELECT status FROM events WHERE id = $id" 2>/dev/null || echo 0)
  [[ "$status" == 4 ]] && break   # DRD_EVENT_SETTLED
  if (( $(date +%s) - last_report >= 60 )); then
    last_report=$(date +%s)
    echo "bench-outage: $(( last_report - w0 )) s: $(grep '^BENCH stall ' "$tmp/win.out" | tail -1 \
          | cut -d' ' -f9-12)" >&2
  fi
done
t_settled=$(date +%s.%N)
stop win
wait "$(cat "$tmp/win-xvfb.pid")" 2>/dev/null || true
rm -f "$tmp/win-xvfb.pid"
faulty_stats=$(sim_stats "$url")
stop faulty
ledger "$tmp/win.db" > "$tmp/win.ledger"

# ---- 5. verdict ----
out="$tmp/win.out"
stall=$(stall_max "$out" loop-max-ms "$o_start" "$o_end")
stall_cpu_ms=$(stall_cpu "$out" "$o_start" "$o_end")
frame=$(stall_max "$out" frame-max-ms "$o_start" "$o_end")
before=$(stall_max "$out" loop-max-ms "$(( w0 + 3 ))" "$o_start")
after=$(stall_max "$out" loop-max-ms "$o_end" 9999999999)
# "circuit open" in the indicator text of a line whose second is in the outage.
seen=$(awk -v a="$o_start" -v b="$o_end" '
  $1 == "BENCH" && $2 == "stall" { t = substr($3, 3) + 0
    if (t > a && t - 1 < b && index($0, "circuit open") > 0) { print "yes"; exit } }' "$out")
seen=${seen:-no}
open_text=$(awk -v a="$o_start" -v b="$o_end" '
  $1 == "BENCH" && $2 == "stall" { t = substr($3, 3) + 0
    if (t > a && t - 1 < b && index($0, "circuit open") > 0) { sub(/.* kepco=/, ""); print; exit } }' "$out")
# Breaker transitions: the first opening after the outage's start, and
# trips from closed (not re-openings after a failed probe) outside it.
read -r to_open trips_in trips_out reopens <<< "$(awk -v a="$o_start" -v b="$o_end" '
  BEGIN { prev = "closed"; first = -1 }
  $1 == "BENCH" && $2 == "breaker" { t = substr($3, 3) + 0; s = substr($4, 7)
    if (s == "open") {
      if (t >= a && first < 0) first = t - a
      if (prev == "closed") { if (t >= a && t < b + 1) tin++; else tout++ } else re++
    }
    prev = s }
  END { printf "%s %d %d %d\n", (first < 0 ? "never" : sprintf("%.1f", first)), tin, tout, re }' "$out")"
rows=$(sqlite3 "$tmp/win.db" "SELECT count(*) FROM settlements WHERE event_id = $id")
catchup=$(echo "$t_settled - $o_end" | bc -l)
total=$(echo "$t_settled - $w0" | bc -l)
if cmp -s "$tmp/ref.ledger" "$tmp/win.ledger"; then equal=yes; else equal=no; fi
[[ "$status" == 4 ]] && settled_word=yes || settled_word=no

echo "outage: ${outage_s} s, ${n} customers (${targeted} targeted), drdesk with its default KEPCO settings"
echo "idle noise floor (drdesk with nothing to do, same machine, this run): ${idle} ms (frame gap ${idle_frame} ms)"
echo "longest main-loop stall before the outage (settling, 40% faults): ${before} ms"
echo "longest main-loop stall during the outage: ${stall} ms (main thread on CPU ${stall_cpu_ms} of it; frame gap ${frame} ms)"
echo "longest main-loop stall after the outage (catch-up): ${after} ms"
if [[ "$to_open" == never ]]; then opened="breaker never opened"
else opened="breaker opened ${to_open} s after the outage began"; fi
echo "${opened}; trips from closed during the outage: ${trips_in}, outside it: ${trips_out}; re-openings after a failed probe: ${reopens}"
echo "breaker open shown by the overview: ${seen}${open_text:+ (\"$open_text\")}"
printf 'settled: %s (%s of %s settlement rows); catch-up after the outage %.0f s; total %.0f s (fault-free drdeskctl settle %.1f s)\n' \
  "$settled_word" "$rows" "$targeted" "$catchup" "$total" "$ref_s"
[[ -n "$ref_stats" ]] && echo "simulator, fault-free reference: $ref_stats"
[[ -n "$faulty_stats" ]] && echo "simulator, faulty (the window): $faulty_stats"
echo "ledger equal to the fault-free drdeskctl settle: ${equal}"
# Rows the window did settle, each against the reference's row.
sqlite3 "$tmp/win.db" "ATTACH '$tmp/ref.db' AS r;
  SELECT 'settled rows identical to the reference: ' || count(*) || ' of ' ||
         (SELECT count(*) FROM settlements) FROM settlements w JOIN r.settlements x
   USING (event_id, customer_id)
   WHERE w.answer IS x.answer AND w.baseline_wh IS x.baseline_wh AND w.actual_wh IS x.actual_wh
     AND w.reduction_wh IS x.reduction_wh AND w.outcome IS x.outcome AND w.points IS x.points
     AND w.note IS x.note;"
[[ "$equal" == yes ]] || diff "$tmp/ref.ledger" "$tmp/win.ledger" | head -20 >&2
if [[ "$equal" == yes && "$seen" == yes && "$settled_word" == yes \
      && $(echo "$stall <= 100" | bc) == 1 ]]; then
  echo "PASS"
else
  echo "FAIL"; exit 1
fi
