#!/usr/bin/env bash
# The agent's own footprint in one run, next to process-exporter 0.7.10 and the C floor, on this machine:
#   1. at rest: real /proc, working directory /, default flags (5 s scans): CPU, RSS, threads, inotify watches, switches;
#      process-exporter beside it, scraped every 5 s (it scans on a scrape only);
#   2. CPU per scan on the real /proc with SPAWN extra sleeping processes: ours with 1 s scans (default, and with
#      -adaptive-reads=false), process-exporter scraped once a second, procfloor (open/read/close of the same files);
#      and the agent's CPU beyond its scanning thread (procactors_scan_cpu_seconds_total) against that thread's own;
#      each agent is measured in two windows: from 10 s after start, and steady from TIER_UP s (the JIT has compiled
#      the per-cycle code at its optimizing tier by then: at 1 s scans a method run once a cycle reaches the 30 calls
#      of tiered compilation after 30 s); the CPU per scan compared is the steady one;
#   3. /metrics on a FIXTURE-process tree (2 threads each): scrape latency at 10 scrapes/s on a kept-alive connection
#      (as Prometheus scrapes), the tiny status page `/` right after each as the machine's own noise, and our RSS;
#   4. per cycle: the update-latency load scenario (the real actor pipeline over an in-memory table) at 10k and 50k
#      processes, REPEAT runs each: bytes allocated per cycle and p99 latency, medians;
#   5. soak: the agent on a SOAK-process fixture tree at the default 5 s interval, RSS sampled every 10 s for SOAK_SECONDS.
# CPU is utime+stime from /proc/<pid>/stat (10 ms ticks) over each window; per scan = CPU / scans in the window.
# Usage: scripts/footprint.sh [SPAWN=3000] [FIXTURE=5000] [WINDOW=30] [REPEAT=3] [SOAK=10000] [SOAK_SECONDS=120]
#        [TIER_UP=60] [SECTIONS="1 2 3 4 5"] [SKIP_BUILD=1]; report in load-tests/reports/footprint/.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
SPAWN=${SPAWN:-3000}; FIXTURE=${FIXTURE:-5000}; WINDOW=${WINDOW:-30}; REPEAT=${REPEAT:-3}
SOAK=${SOAK:-10000}; SOAK_SECONDS=${SOAK_SECONDS:-120}; SECTIONS=${SECTIONS:-1 2 3 4 5}; TIER_UP=${TIER_UP:-60}
section() { [[ " $SECTIONS " == *" $1 "* ]]; }
out="$here/load-tests/reports/footprint"; mkdir -p "$out"; report="$out/report.md"
work=$(mktemp -d); pids=(); sleepers=()
# The sleepers of section 2 too: wait waits for every child, and a sleeper left alive held a failed run for an hour.
cleanup() { for p in "${pids[@]}" "${sleepers[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

if [ -z "${SKIP_BUILD:-}" ]; then # SKIP_BUILD=1: use the Release builds already there
  dotnet build -c Release "$here/src/ProcActors.Host" >/dev/null
  dotnet build -c Release "$here/load-tests/ProcActors.Benchmarks" >/dev/null
  dotnet build -c Release "$here/load-tests/ProcActors.LoadTests" >/dev/null
fi
agent="$here/src/ProcActors.Host/bin/Release/net10.0/procactors"
bench="$here/load-tests/ProcActors.Benchmarks/bin/Release/net10.0/ProcActors.Benchmarks.dll"
loadtests="$here/load-tests/ProcActors.LoadTests/bin/Release/net10.0/ProcActors.LoadTests.dll"
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
value() { awk -v m="$1" '$1==m{print $2}' <<< "$2"; } # metric name, a scrape's text
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

echo "# Footprint ($(date -u +%FT%TZ), $(nproc) cores, $(uname -r), $(ls /proc | grep -c '^[0-9]') processes at start, load average $(cut -d' ' -f1-3 /proc/loadavg))" > "$report"

if section 1; then
{
echo
echo "## 1. At rest: real /proc, working directory /, 5 s interval, ${WINDOW} s window after a 60 s warm-up"
echo
echo "| | CPU % of a core | RSS MB | threads | inotify watches | context switches/s |"
echo "|---|---:|---:|---:|---:|---:|"
} >> "$report"

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
fi

# 2. CPU per scan with SPAWN extra sleepers (our own children, killed at the end).
if section 2; then
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
per_scan_agent() { # flags... -> for each window (the first from 10 s after start, the steady one from TIER_UP s):
  # "ms per scan (whole process)" "ms per scan (scanning thread)"
  local p; p=$(port); start_agent "$p" --scan-interval 1s "$@"; local a=$last begin=$SECONDS from
  for from in 10 "$TIER_UP"; do
    sleep $((from - (SECONDS - begin) > 0 ? from - (SECONDS - begin) : 0))
    # One scrape per edge; both figures per scan counted where the scanning thread's CPU is (the scan-duration
    # histogram's count is observed with it), not per merged cycle: a cycle is counted after the pipeline, and an
    # edge falling between the two skewed the ratio by a scan in 30.
    local m0 m1 t0 t1; m0=$(curl -fs "http://127.0.0.1:$p/metrics"); t0=$(ticks $a)
    sleep "$WINDOW"
    m1=$(curl -fs "http://127.0.0.1:$p/metrics"); t1=$(ticks $a)
    local n s; n=$(echo "$(value procactors_scan_duration_seconds_count "$m1") - $(value procactors_scan_duration_seconds_count "$m0")" | bc -l)
    s=$(echo "$(value procactors_scan_cpu_seconds_total "$m1") - $(value procactors_scan_cpu_seconds_total "$m0")" | bc -l)
    [ "${n%.*}" -gt 0 ] || { echo "no scan ended in the ${WINDOW} s window from ${from} s: make WINDOW longer" >&2; stop $a; exit 1; }
    echo "($t1 - $t0) * 1000 / $hz / $n" | bc -l
    echo "$s * 1000 / $n" | bc -l
  done
  stop $a
}
{ read -r ours_first; read -r ours_thread_first; read -r ours; read -r ours_thread; } < <(per_scan_agent)
{ read -r exact_first; read -r exact_thread_first; read -r exact; read -r exact_thread; } < <(per_scan_agent -adaptive-reads=false)
q=$(port); start_pe "$q" -config.path "$cfg"; e=$last
curl -fs "http://127.0.0.1:$q/metrics" >/dev/null; te=$(ticks $e)
for _ in $(seq "$WINDOW"); do curl -fs "http://127.0.0.1:$q/metrics" >/dev/null; done
theirs=$(echo "($(ticks $e) - $te) * 1000 / $hz / $WINDOW" | bc -l); stop $e
read -r _ floor_procs _ floor_us < <("$work/procfloor" /proc 5)
floor=$(echo "$floor_us * $floor_procs / 1000" | bc -l)
for row in "ProcActors (defaults: adaptive reads)|$ours" "ProcActors -adaptive-reads=false|$exact" "process-exporter 0.7.10|$theirs" "C floor (procfloor, same files)|$floor"; do
  printf '| %s | %.1f | %.1f | %.2f× |\n' "${row%%|*}" "${row##*|}" "$(echo "${row##*|} * 1000 / $procs" | bc -l)" "$(echo "${row##*|} / $ours" | bc -l)" >> "$report"
done
{
echo
echo "Everything of the agent beyond its scanning thread (the actor pipeline, the view, timers, GC, JIT, the two"
echo "scrapes of the window), per scan, against the scanning thread's own CPU (\`procactors_scan_cpu_seconds_total\`); the"
echo "table above is of the steady window (from ${TIER_UP} s after start); in the first window (from 10 s) the JIT is still"
echo "compiling the per-cycle code at its optimizing tier, a one-off cost:"
echo
echo "| | window | whole agent ms per scan | scanning thread ms per scan | the rest, share of the thread's |"
echo "|---|---|---:|---:|---:|"
share() { echo "($1 - $2) * 100 / $2" | bc -l; }
printf '| defaults | steady | %.1f | %.1f | %.0f %% |\n' "$ours" "$ours_thread" "$(share "$ours" "$ours_thread")"
printf '| defaults | first, 10 s after start | %.1f | %.1f | %.0f %% |\n' "$ours_first" "$ours_thread_first" "$(share "$ours_first" "$ours_thread_first")"
printf '| -adaptive-reads=false | steady | %.1f | %.1f | %.0f %% |\n' "$exact" "$exact_thread" "$(share "$exact" "$exact_thread")"
printf '| -adaptive-reads=false | first, 10 s after start | %.1f | %.1f | %.0f %% |\n' "$exact_first" "$exact_thread_first" "$(share "$exact_first" "$exact_thread_first")"
} >> "$report"
kill "${sleepers[@]}" 2>/dev/null || true; wait "${sleepers[@]}" 2>/dev/null || true
fi

# 3. /metrics on a generated tree.
if section 3; then
tree=$(dotnet "$bench" fixture "$FIXTURE" --out "$work")
p=$(port); start_agent "$p" -procfs "$tree" -config.path "$cfg"; a=$last
sleep 15
python3 - "$p" "$WINDOW" "$(cut -d' ' -f1 /proc/loadavg)" >> "$report" <<'PY'
import sys, time, http.client
port, window, load = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
# Kept-alive connections, as Prometheus scrapes; "/" (a few hundred bytes, no cache, no view) right after each
# scrape shows what the machine adds to any request at that moment.
conns = {path: http.client.HTTPConnection("127.0.0.1", port, timeout=30) for path in ("/metrics", "/")}
lat, size, start = {path: [] for path in conns}, 0, time.monotonic()
for k in range(window * 10):
    due = start + k / 10
    now = time.monotonic()
    if due > now: time.sleep(due - now)
    for path, conn in conns.items():
        t = time.monotonic()
        conn.request("GET", path); body = conn.getresponse().read()
        lat[path].append((time.monotonic() - (max(t, due) if path == "/metrics" else t)) * 1000)
        if path == "/metrics": size = len(body)
for v in lat.values(): v.sort()
pct = lambda v, q: v[min(len(v) - 1, int(q * len(v)))]
print(f"\n## 3. /metrics on a generated tree, 10 scrapes/s for {window} s (load average {load} at the start)\n")
print("| path | requests | body KB | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|")
for path, v in lat.items():
    print(f"| {path} | {len(v)} | {size/1024 if path == '/metrics' else 0:.0f} | {pct(v, 0.5):.2f} | {pct(v, 0.99):.2f} | {v[-1]:.2f} |")
PY
echo >> "$report"
echo "ProcActors RSS serving $FIXTURE processes: $(rss_mb $a) MB, threads $(threads $a)." >> "$report"
stop $a
rm -rf "$tree"
fi

# 4. Per cycle: the update-latency scenario, REPEAT runs per size, medians.
if section 4; then
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
{
echo
echo "## 4. Per cycle: update-latency (real pipeline, in-memory table, 1 % churn, 2 scans/s, 60 s (120 cycles) after its 60 s warm-up), $REPEAT runs, median"
echo
echo "| processes | allocated per cycle KiB (runs) | p99 ms (runs) | load average during |"
echo "|---:|---:|---:|---|"
} >> "$report"
for procs in 10000 50000; do
  allocs=(); p99s=(); loads=()
  for _ in $(seq "$REPEAT"); do
    rm -rf "$work/ul"
    dotnet "$loadtests" update-latency --procs "$procs" --no-progress --report-dir "$work/ul" >/dev/null 2>&1 || true
    outp=$(cat "$work/ul/report.txt")
    # "... 200.5 MiB allocated (5.0 MiB per request) ..." -> KiB per request (one request is one cycle)
    allocs+=("$(grep -o '([0-9.]* [KMG]iB per request)' <<<"$outp" | head -1 | awk '{v=substr($1,2); u=$2; if (u=="MiB") v*=1024; if (u=="GiB") v*=1048576; printf "%.0f", v}')")
    p99s+=("$(grep -o 'p99 = [0-9.]*' <<<"$outp" | head -1 | awk '{print $3}')")
    loads+=("$(cut -d' ' -f1 /proc/loadavg)")
  done
  printf '| %s | %s (%s) | %s (%s) | %s |\n' "$procs" "$(printf '%s\n' "${allocs[@]}" | median)" "${allocs[*]}" \
    "$(printf '%s\n' "${p99s[@]}" | median)" "${p99s[*]}" "${loads[*]}" >> "$report"
done
fi

# 5. Soak: RSS of the agent tracking SOAK processes at the default interval.
if section 5; then
tree=$(dotnet "$bench" fixture "$SOAK" --out "$work")
p=$(port); start_agent "$p" -procfs "$tree" -config.path "$cfg"; a=$last
sleep 30
samples=()
for _ in $(seq $((SOAK_SECONDS / 10))); do samples+=("$(rss_mb $a)"); sleep 10; done
samples+=("$(rss_mb $a)")
tracked=$(curl -fs "http://127.0.0.1:$p/metrics" | awk 'index($1, "namedprocess_namegroup_num_procs{") == 1 {n += $2} END {print n}')
{
echo
echo "## 5. Soak: $SOAK-process fixture tree (2 threads each), default 5 s interval, RSS every 10 s for $SOAK_SECONDS s after 30 s"
echo
echo "RSS MB: ${samples[*]}"
echo
printf 'first %s, last %s, max %s; processes tracked at the end: %s\n' "${samples[0]}" "${samples[-1]}" \
  "$(printf '%s\n' "${samples[@]}" | sort -g | tail -1)" "$tracked"
} >> "$report"
stop $a
rm -rf "$tree"
fi
cat "$report"
