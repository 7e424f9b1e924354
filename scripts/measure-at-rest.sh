#!/usr/bin/env bash
# The agent's own cost at rest, started like systemd starts it (working directory /, default flags): CPU over a window
# from /proc/<pid>/stat ticks, RSS and its private part (smaps_rollup), threads, inotify watches and context switches.
# Context switches come from `perf stat` when perf is installed (it also counts threads that exit during the window);
# otherwise they are summed over the threads alive at both ends.
#
# Usage: [ISOLATED=1] [SLEEPERS=100] [CLUSTER=3] [COMPARE_BIN=path] [WARMUP=30] [BIN=path]
#        scripts/measure-at-rest.sh [window s, default 30] [agent flags...]
#   ISOLATED=1   run in a PID namespace of its own with its own /proc (unshare --pid --fork --mount-proc), holding
#                SLEEPERS sleeping processes it spawns plus the agents: an idle host of ~100 processes. Without it the
#                agents scan the machine's real /proc (here: other engineers' busy dotnet processes, whose memory
#                changes every scan, so adaptive reads re-read their smaps_rollup each time: a pessimistic figure).
#   CLUSTER=N    also start N agents that form one cluster on 127.0.0.1 (--seed-nodes to the first), beside the single
#                agent, in the same window on the same /proc; prints the mean cost per clustered node over the single.
#   COMPARE_BIN  also run this other build of the agent (e.g. a copy of the previous one) beside it: before/after in
#                one window. With CLUSTER=N, the compared build also forms an N-node cluster of its own (cnode1..N).
# Every agent gets its own free --remote port (the default 127.0.0.1:4053 may be taken on a shared machine) and its
# own state directory (default SQLite persistence). Output: one table row per agent.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "${ISOLATED:-0}" = 1 ] && [ -z "${AT_REST_INSIDE:-}" ]; then
  exec unshare --pid --fork --mount-proc env AT_REST_INSIDE=1 "$0" "$@"
fi
window=${1:-30}; shift || true
bin=${BIN:-"$here/src/ProcActors.Host/bin/Release/net10.0/procactors"}
[ -x "$bin" ] || dotnet build -c Release "$here/src/ProcActors.Host" >/dev/null
work=$(mktemp -d); pids=(); labels=(); ports=(); others=()
cleanup() {
  for p in "${pids[@]}" "${others[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true; rm -rf "$work"
}
trap cleanup EXIT
if [ -n "${AT_REST_INSIDE:-}" ]; then
  # Enough sleepers for ~SLEEPERS processes in this namespace once the agents and this shell are counted.
  builds=$([ -n "${COMPARE_BIN:-}" ] && echo 2 || echo 1)
  n=$(( ${SLEEPERS:-100} - 3 - builds * (1 + ${CLUSTER:-0}) ))
  for _ in $(seq "$n"); do sleep infinity & others+=($!); done
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # label, binary, flags...
  local label=$1 exe=$2; shift 2
  local port; port=$(free_port)
  mkdir -p "$work/$label"
  (cd / && STATE_DIRECTORY="$work/$label" exec "$exe" -web.listen-address "127.0.0.1:$port" "$@" >"$work/$label/log" 2>&1) &
  pids+=($!); labels+=("$label"); ports+=("$port")
}
remote() { echo "127.0.0.1:$(free_port)"; }

start agent "$bin" --remote "$(remote)" "$@"
[ -n "${COMPARE_BIN:-}" ] && start compared "$COMPARE_BIN" --remote "$(remote)" "$@"
if [ "${CLUSTER:-0}" -gt 0 ]; then
  seed=$(remote)
  start node1 "$bin" --remote "$seed" --seed-nodes "$seed" --node-name node1 "$@"
  for i in $(seq 2 "$CLUSTER"); do start "node$i" "$bin" --remote "$(remote)" --seed-nodes "$seed" --node-name "node$i" "$@"; done
  if [ -n "${COMPARE_BIN:-}" ]; then
    # The compared build forms a cluster of its own beside it: both overheads from the same window.
    seed=$(remote)
    start cnode1 "$COMPARE_BIN" --remote "$seed" --seed-nodes "$seed" --node-name cnode1 "$@"
    for i in $(seq 2 "$CLUSTER"); do start "cnode$i" "$COMPARE_BIN" --remote "$(remote)" --seed-nodes "$seed" --node-name "cnode$i" "$@"; done
  fi
fi
for i in "${!pids[@]}"; do
  for _ in $(seq 120); do curl -fs "http://127.0.0.1:${ports[$i]}/metrics" >/dev/null && break; sleep 0.5; done
done
sleep "${WARMUP:-30}"

hz=$(getconf CLK_TCK)
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/{v+=$2} /^nonvoluntary_ctxt/{n+=$2} END{print v+n}'; }
declare -A t0 c0 perfpid
for i in "${!pids[@]}"; do p=${pids[$i]}; t0[$p]=$(ticks "$p"); c0[$p]=$(switches "$p"); done
s0=$(date +%s.%N)
if command -v perf >/dev/null; then
  for p in "${pids[@]}"; do perf stat -x, -e context-switches -p "$p" -- sleep "$window" 2>"$work/perf.$p" >/dev/null & perfpid[$p]=$!; done
  for p in "${pids[@]}"; do wait "${perfpid[$p]}" || true; done
else
  sleep "$window"
fi
s1=$(date +%s.%N)
elapsed=$(echo "$s1 - $s0" | bc -l)
watches() {
  local n=0 fd
  for fd in /proc/$1/fd/*; do
    [ "$(readlink "$fd" 2>/dev/null)" = anon_inode:inotify ] && n=$((n + $(grep -c '^inotify' "/proc/$1/fdinfo/${fd##*/}" || true)))
  done
  echo "$n"
}
rollup() { awk -v k="$2" '$1==k":"{printf "%.1f", $2/1024}' "/proc/$1/smaps_rollup"; }
private() { awk '/^Private_(Clean|Dirty):/{s+=$2} END{printf "%.1f", s/1024}' "/proc/$1/smaps_rollup"; }

echo "# at rest: $(ls /proc | grep -c '^[0-9]') processes in $([ -n "${AT_REST_INSIDE:-}" ] && echo "an isolated PID namespace" || echo "the machine's /proc"), ${window} s window after ${WARMUP:-30} s, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| agent | CPU % of a core | RSS MB | private MB | anonymous MB | threads | inotify watches | context switches/s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
declare -A cpu
for i in "${!pids[@]}"; do
  p=${pids[$i]}
  cpu[$p]=$(echo "($(ticks "$p") - ${t0[$p]}) / $hz / $elapsed * 100" | bc -l)
  if [ -s "$work/perf.$p" ] && grep -q context-switches "$work/perf.$p"; then
    cs=$(echo "$(grep context-switches "$work/perf.$p" | cut -d, -f1) / $elapsed" | bc -l)
  else
    cs=$(echo "($(switches "$p") - ${c0[$p]}) / $elapsed" | bc -l)
  fi
  printf '| %s | %.2f | %s | %s | %s | %s | %s | %.0f |\n' "${labels[$i]}" "${cpu[$p]}" "$(rollup "$p" Rss)" "$(private "$p")" \
    "$(rollup "$p" Anonymous)" "$(awk '/^Threads/{print $2}' "/proc/$p/status")" "$(watches "$p")" "$cs"
done
overhead() { # prefix of the clustered nodes' labels, index of the single agent of the same build, what to call it
  local sum=0 i
  for i in "${!pids[@]}"; do [[ ${labels[$i]} == "$1"* ]] && sum=$(echo "$sum + ${cpu[${pids[$i]}]}" | bc -l); done
  printf '%s %.2f (mean of %d clustered nodes minus the single agent)\n' "$3" \
    "$(echo "$sum / $CLUSTER - ${cpu[${pids[$2]}]}" | bc -l)" "$CLUSTER"
}
if [ "${CLUSTER:-0}" -gt 0 ]; then
  overhead node 0 cluster_overhead_per_node_percent_of_core
  [ -n "${COMPARE_BIN:-}" ] && overhead cnode 1 compared_cluster_overhead_per_node_percent_of_core
  # Each node must have seen the others: otherwise the figure is not about a cluster.
  for i in "${!pids[@]}"; do
    [[ ${labels[$i]} == node* || ${labels[$i]} == cnode* ]] || continue
    up=$(curl -fs "http://127.0.0.1:${ports[$i]}/metrics/fleet" | grep -o 'node="[^"]*"' | sort -u | wc -l || true)
    echo "${labels[$i]} sees $up nodes in its fleet view"
  done
fi
