#!/usr/bin/env bash
# Run every ridgeline speed bench and print their tables: bash bench/run_all.sh [--quick]
# Benches print figures; none asserts a time. mlsysim is optional (see bench/README.md).
# bench/bench_lab.py (the lab's browser bench) is run on its own, not from here.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
for bench in bench_core bench_cli bench_mlsysim; do
  echo "### bench/$bench.py $*"
  "$PY" "bench/$bench.py" "$@"
  echo
done
