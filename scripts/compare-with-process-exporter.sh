#!/usr/bin/env bash
# Runs only the comparison of our agent with the reference, process-exporter 0.7.10 (Debian's
# prometheus-process-exporter): tests/ProcActors.Host.Tests/ProcessExporterComparisonTests.cs.
# Installs the Debian package first when it is missing. Extra arguments go to `dotnet test`.
# PROCESS_EXPORTER=/path/to/binary compares with another build instead of /usr/bin/prometheus-process-exporter.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${PROCESS_EXPORTER:-/usr/bin/prometheus-process-exporter}
if [ ! -x "$binary" ]; then
  if [ -n "${PROCESS_EXPORTER:-}" ]; then
    echo "PROCESS_EXPORTER=$binary is not an executable" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "installing prometheus-process-exporter (Debian package) ..." >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq prometheus-process-exporter
fi
echo "reference: $("$binary" -version 2>&1 | head -n 1)" >&2

exec dotnet test tests/ProcActors.Host.Tests --filter "FullyQualifiedName~ProcessExporterComparison" "$@"
