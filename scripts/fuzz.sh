#!/usr/bin/env bash
# The long fuzz campaign: every /proc parser and the YAML config loader, N inputs each (default 1,000,000),
# single-threaded, through the same tests a normal run does with 20,000. Prints inputs, accepted, rejected, seconds
# and inputs/second per target. An input that throws is saved under fuzz-crashes/<target>/ to be added to
# tests/ProcActors.Procfs.Tests/corpus/ once fixed.
#   scripts/fuzz.sh [inputs]
set -euo pipefail
cd "$(dirname "$0")/.."
export PROCACTORS_FUZZ_INPUTS=${1:-1000000}
export PROCACTORS_FUZZ_REPORT=$(mktemp)
export PROCACTORS_FUZZ_CRASHES=$PWD/fuzz-crashes
trap 'rm -f "$PROCACTORS_FUZZ_REPORT"' EXIT

status=0
dotnet test -c Release tests/ProcActors.Procfs.Tests --filter "FullyQualifiedName~FuzzCampaignTests" -- xUnit.MaxParallelThreads=1 || status=$?
dotnet test -c Release tests/ProcActors.Tracking.Tests --filter "FullyQualifiedName~NamingConfigFuzzTests" || status=$?

printf '\n%-14s %10s %10s %10s %9s %10s\n' target inputs accepted rejected seconds inputs/s
sort "$PROCACTORS_FUZZ_REPORT" | awk -F'\t' '{printf "%-14s %10s %10s %10s %9s %10s\n", $1, $2, $3, $4, $5, $6}'
exit "$status"
