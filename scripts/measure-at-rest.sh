#!/usr/bin/env bash
# The agent's own cost at rest, started like systemd starts it (working directory /, no flags): CPU over a window
# from /proc/<pid>/stat ticks, RSS, threads, inotify watches and context switches summed over its threads.
# Context switches come from `perf stat` when perf is installed (it also counts threads that exit during the window,
# as each scan's thread does); otherwise they are summed over the threads alive at both ends.
# Usage: [WARMUP=seconds after the first scrape, default 30] scripts/measure-at-rest.sh [window s, default 30] [agent flags...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
window=${1:-30}; shift || true
bin="$here/src/ProcActors.Host/bin/Release/net10.0/procactors"
[ -x "$bin" ] || dotnet build -c Release "$here/src/ProcActors.Host" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
state=$(mktemp -d)
(cd / && STATE_DIRECTORY="$state" exec "$bin" -web.listen-address "127.0.0.1:$port" "$@" >"$state/log" 2>&1) &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$state"' EXIT
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14+$15}' /proc/$pid/stat; }
switches() { cat /proc/$pid/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/{v+=$2} /^nonvoluntary_ctxt/{n+=$2} END{print v, n}'; }
for _ in $(seq 60); do curl -fs "http://127.0.0.1:$port/metrics" >/dev/null && break; sleep 0.5; done
sleep "${WARMUP:-30}"
t0=$(ticks); read -r v0 n0 < <(switches); s0=$(date +%s.%N)
if command -v perf >/dev/null; then
  perf stat -x, -e context-switches -p "$pid" -- sleep "$window" 2>"$state/perf" >/dev/null || true
else
  sleep "$window"
fi
t1=$(ticks); read -r v1 n1 < <(switches); s1=$(date +%s.%N)
elapsed=$(echo "$s1 - $s0" | bc -l)
watches=0; inotify_fds=0
for fd in /proc/$pid/fd/*; do
  if [ "$(readlink "$fd" 2>/dev/null)" = "anon_inode:inotify" ]; then
    inotify_fds=$((inotify_fds + 1))
    watches=$((watches + $(grep -c '^inotify' "/proc/$pid/fdinfo/${fd##*/}" || true)))
  fi
done
printf 'cpu_percent_of_core %.2f\n' "$(echo "($t1 - $t0) / $hz / $elapsed * 100" | bc -l)"
printf 'rss_mb %.1f\n' "$(awk '/^VmRSS/{print $2/1024}' /proc/$pid/status)"
echo "threads $(awk '/^Threads/{print $2}' /proc/$pid/status)"
echo "inotify_fds $inotify_fds"
echo "inotify_watches $watches"
if [ -s "$state/perf" ] && grep -q context-switches "$state/perf"; then
  printf 'context_switches_per_s %.1f (perf stat, all threads)\n' "$(echo "$(grep context-switches "$state/perf" | cut -d, -f1) / $elapsed" | bc -l)"
fi
printf 'voluntary_switches_per_s %.1f (live threads)\n' "$(echo "($v1 - $v0) / $elapsed" | bc -l)"
printf 'nonvoluntary_switches_per_s %.1f (live threads)\n' "$(echo "($n1 - $n0) / $elapsed" | bc -l)"
awk '/^(Rss|Anonymous|Private|Shared)/{printf "%s %.1f MB\n", $1, $2/1024}' /proc/$pid/smaps_rollup
