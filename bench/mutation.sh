#!/bin/bash
# Mutation testing of the core's mathematics with mutmut (configuration: [tool.mutmut] in
# pyproject.toml: the modules mutated and the core's fast tests that judge each mutant).
# Usage: bash bench/mutation.sh [MUTANT_NAME_GLOB ...]   e.g. 'fpsnn_core.kernels.*'
# Prints mutmut's summary line and the surviving mutants; report: docs/mutation.md.
# Takes about 25 minutes on 2 cores for all modules; mutmut keeps results in mutants/
# (ignored by git) and reruns only mutants whose function or tests changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
nice -n 19 "$PY" -m mutmut run --max-children "${JOBS:-2}" "$@" | tr '\r' '\n' | tail -n 1
"$PY" -m mutmut results
