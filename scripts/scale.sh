#!/usr/bin/env bash
# The scale runs behind the README's reliability figures, larger than a normal test run affords:
#   - ScaleTests with 50,000 processes and one process of 100,000 threads (fixture trees of symbolic links on
#     /dev/shm, read with the agent's reader settings): every process and thread counted exactly, a counter going
#     back in all of them clamped; prints scan times and the memory held;
#   - RealManyThreadsTests with a real process of THREADS threads (gcc-built, 16 KB stacks) on the real /proc.
# Usage: scripts/scale.sh [processes] [threads] [real threads]   (defaults 50000 100000 15000)
# Every thread is a pid: the real run needs that many free pids under kernel.pid_max, shared with every process
# of the machine; it is skipped (with the count it reached) when they cannot all be started.
set -euo pipefail
cd "$(dirname "$0")/.."
processes=${1:-50000}
threads=${2:-100000}
real=${3:-15000}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet build -c Release tests/ProcActors.Tracking.Tests -v q -nologo
status=0
# One test at a time: each one's scan times are its own.
PROCACTORS_SCALE_PROCESSES=$processes PROCACTORS_SCALE_THREADS=$threads PROCACTORS_REAL_THREADS=$real \
  dotnet test tests/ProcActors.Tracking.Tests -c Release --no-build \
  --filter "FullyQualifiedName~ScaleTests|FullyQualifiedName~RealManyThreadsTests" \
  --logger "console;verbosity=detailed" -- xUnit.ParallelizeTestCollections=false >"$log" 2>&1 || status=$?
grep -E "^  (Passed|Failed|Skipped) |processes:|threads:|threads in one|Error Message|Assert\." "$log" || cat "$log"
exit "$status"
