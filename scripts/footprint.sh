#!/usr/bin/env bash
# The agent's own footprint in one run, next to process-exporter 0.7.10 and the C floor, on this machine:
#   1. at rest: real /proc, working directory /, default flags (5 s scans): CPU, RSS, threads, inotify watches, switches;
#      process-exporter beside it, scraped every 5 s (it scans on a scrape only);
#   2. CPU per scan on the real /proc with SPAWN extra sleeping processes: ours with 1 s scans (default, and with
#      -adaptive-reads=false), process-exporter scraped once a second, procfloor (open/read/close of the same files);
#   3. /metrics on a FIXTURE-process tree (2 threads each): scrape latency at 10 scrapes/s, and our RSS.
# CPU is utime+stime from /proc/<pid>/stat (10 ms ticks) over each window; per scan = CPU / scans in the window.
# Usage: scripts/footprint.sh [SPAWN=3000] [FIXTURE=5000] [WINDOW=30]; report in load-tests/reports/footprint/.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
SPAWN=${SPAWN:-3000}; FIXTURE=${FIXTURE:-5000}; WINDOW=${WINDOW:-30}
out="$here/load-tests/reports/footprint"; mkdir -p "$out"; report="$out/report.md"
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

dotnet build -c Release "$here/src/ProcActors.Host" >/dev/null
dotnet build -c Release "$here/load-tests/ProcActors.Benchmarks" >/dev/null
agent="$here/src/ProcActors.Host/bin/Release/net10.0/procactors"
bench="$here/load-tests/ProcActors.Benchmarks/bin/Release/net10.0/ProcActors.Benchmarks.dll"
pe=/usr/bin/prometheus-process-exporter
[ -x "$pe" ] || { echo "process-exporter missing: apt-get install -y prometheus-process-exporter" >&2; exit 2; }
gcc -O2 "${PROCFLOOR_SRC:-/work/shared/tools/procfloor.c}" -o "$work/procfloor"
hz=$(getconf CLK_TCK)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss_mb() { awk '/^VmRSS/{printf "%.1f", $2/1024}' "/proc/$1/status"; }
threads() { awk '/^Threads/{print $2}' "/proc/$1/status"; }
watches() { local n=0 fd; for fd in /proc/$1/fd/*; do [ "$(readlink "$fd" 2>/dev/null)" = anon_inode:inotify ] && n=$((n + $(grep -c '^inotify' "/proc/$1/fdinfo/${fd##*/}" || true))); done; echo $n; }
switches() { perf stat -x, -e context-switches -p "$1" -- sleep "$2" 2>&1 >/dev/null | awk -F, '/context-switches/{print $1}'; }
metric() { curl -fs "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1==m{print $2}'; }
wait_http() { for _ in $(seq 120); do curl -fs "http://127.0.0.1:$1/" >/dev/null && return 0; sleep 0.5; done; echo "nothing serves on $1" >&2; exit 1; }
start_agent() { # port, flags...
  local p=$1; shift
  (cd / && STATE_DIRECTORY="$work" exec "$agent" --persistence none -web.listen-address "127.0.0.1:$p" "$@" >>"$work/agent.log" 2>&1) &
  pids+=($!); last=$!; wait_http "$p"
}
start_pe() { # port, flags...
  local p=$1; shift
  (cd / && exec "$pe" -web.listen-address "127.0.0.1:$p" "$@" >>"$work/pe.log" 2>&1) &
  pids+=($!); last=$!; wait_http "$p"
}
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }
cfg="$work/all.yml"; printf 'process_names:\n  - name: "{{.Comm}}"\n    cmdline:\n      - ".+"\n' > "$cfg"

{
echo "# Footprint ($(date -u +%FT%TZ), $(nproc) cores, $(uname -r), $(ls /proc | grep -c '^[0-9]') processes at start)"
echo
echo "## 1. At rest: real /proc, working directory /, 5 s interval, ${WINDOW} s window after a 60 s warm-up"
echo
echo "| | CPU % of a core | RSS MB | threads | inotify watches | context switches/s |"
echo "|---|---:|---:|---:|---:|---:|"
} > "$report"

p=$(port); start_agent "$p"; a=$last
q=$(port); start_pe "$q" -config.path "$cfg"; e=$last
sleep 60
ta=$(ticks $a); te=$(ticks $e); t0=$(date +%s.%N)
( for _ in $(seq $((WINDOW / 5))); do curl -fs "http://127.0.0.1:$q/metrics" >/dev/null; sleep 5; done ) &
sa=$(switches $a "$WINDOW"); wait $!
t1=$(date +%s.%N); el=$(echo "$t1 - $t0" | bc -l)
printf '| ProcActors (defaults) | %.2f | %s | %s | %s | %.0f |\n' "$(echo "($(ticks $a) - $ta) / $hz / $el * 100" | bc -l)" "$(rss_mb $a)" "$(threads $a)" "$(watches $a)" "$(echo "$sa / $el" | bc -l)" >> "$report"
printf '| process-exporter, scraped every 5 s | %.2f | %s | %s | %s | |\n' "$(echo "($(ticks $e) - $te) / $hz / $el * 100" | bc -l)" "$(rss_mb $e)" "$(threads $e)" "$(watches $e)" >> "$report"
stop $a; stop $e

# 2. CPU per scan with SPAWN extra sleepers (our own children, killed at the end).
sleepers=()
for _ in $(seq "$SPAWN"); do sleep 3600 & sleepers+=($!); done
procs=$(ls /proc | grep -c '^[0-9]')
{
echo
echo "## 2. CPU per scan, real /proc with $SPAWN extra sleeping processes ($procs in all), ${WINDOW} s each"
echo
echo "| | CPU ms per scan | µs per process | vs ours (default) |"
echo "|---|---:|---:|---:|"
} >> "$report"
per_scan_agent() { # flags... -> ms per scan
  local p; p=$(port); start_agent "$p" --scan-interval 1s "$@"; local a=$last
  sleep 10
  local c0 t0 c1 t1; c0=$(metric "$p" procactors_cycles_total); t0=$(ticks $a)
  sleep "$WINDOW"
  c1=$(metric "$p" procactors_cycles_total); t1=$(ticks $a)
  stop $a
  echo "($t1 - $t0) * 1000 / $hz / ($c1 - $c0)" | bc -l
}
ours=$(per_scan_agent)
exact=$(per_scan_agent -adaptive-reads=false)
q=$(port); start_pe "$q" -config.path "$cfg"; e=$last
curl -fs "http://127.0.0.1:$q/metrics" >/dev/null; te=$(ticks $e)
for _ in $(seq "$WINDOW"); do curl -fs "http://127.0.0.1:$q/metrics" >/dev/null; done
theirs=$(echo "($(ticks $e) - $te) * 1000 / $hz / $WINDOW" | bc -l); stop $e
read -r _ floor_procs _ floor_us < <("$work/procfloor" /proc 5)
floor=$(echo "$floor_us * $floor_procs / 1000" | bc -l)
for row in "ProcActors (defaults: adaptive reads)|$ours" "ProcActors -adaptive-reads=false|$exact" "process-exporter 0.7.10|$theirs" "C floor (procfloor, same files)|$floor"; do
  printf '| %s | %.1f | %.1f | %.2f× |\n' "${row%%|*}" "${row##*|}" "$(echo "${row##*|} * 1000 / $procs" | bc -l)" "$(echo "${row##*|} / $ours" | bc -l)" >> "$report"
done
kill "${sleepers[@]}" 2>/dev/null || true; wait "${sleepers[@]}" 2>/dev/null || true

# 3. /metrics on a generated tree.
tree=$(dotnet "$bench" fixture "$FIXTURE" --out "$work")
p=$(port); start_agent "$p" -procfs "$tree" -config.path "$cfg"; a=$last
sleep 15
python3 - "$p" "$WINDOW" >> "$report" <<'PY'
import sys, time, urllib.request
port, window = int(sys.argv[1]), int(sys.argv[2])
url = f"http://127.0.0.1:{port}/metrics"
lat, size, start = [], 0, time.monotonic()
for k in range(window * 10):
    due = start + k / 10
    now = time.monotonic()
    if due > now: time.sleep(due - now)
    t = time.monotonic(); body = urllib.request.urlopen(url).read(); lat.append((time.monotonic() - max(t, due)) * 1000); size = len(body)
lat.sort(); pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"\n## 3. /metrics on a generated tree, 10 scrapes/s for {window} s\n")
print("| scrapes | body KB | p50 ms | p99 ms | max ms |\n|---:|---:|---:|---:|---:|")
print(f"| {len(lat)} | {size/1024:.0f} | {pct(0.5):.2f} | {pct(0.99):.2f} | {lat[-1]:.2f} |")
PY
echo >> "$report"
echo "ProcActors RSS serving $FIXTURE processes: $(rss_mb $a) MB, threads $(threads $a)." >> "$report"
stop $a
cat "$report"
