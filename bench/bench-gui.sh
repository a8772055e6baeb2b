#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/bench-gui.sh [BUILD_DIR] [CUSTOMERS]: the window benchmark on a
# database of CUSTOMERS (default 1,000,000) made once with drdeskctl demo
# and kept in $DRD_BENCH_DIR (default /tmp/drdesk-bench). Runs under its
# own Xvfb display and session bus.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build}"
n="${2:-1000000}"
dir="${DRD_BENCH_DIR:-/tmp/drdesk-bench}"
db="$dir/customers-$n.db"
mkdir -p "$dir" "$dir/config" "$dir/cache" "$dir/run"
chmod 700 "$dir/run"
if [[ ! -f "$db" ]]; then
  echo "bench-gui: making $db" >&2
  "$build/src/drdeskctl" --db "$db" demo --customers "$n" --seed 1 >&2
fi
export XDG_CONFIG_HOME="$dir/config" XDG_CACHE_HOME="$dir/cache" XDG_RUNTIME_DIR="$dir/run"
export GDK_BACKEND=x11 GSK_RENDERER=cairo NO_AT_BRIDGE=1
xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- \
  "$build/bench/bench-gui" --db "$db" --drdesk "$build/src/gui/drdesk" --runs "${DRD_BENCH_RUNS:-5}"
