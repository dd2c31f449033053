#!/usr/bin/env bash
# Runs the test suite once per Keras backend: tensorflow, jax, torch.
#
# The backend is fixed for the life of a Python process, so each backend
# gets its own pytest run. Arguments are passed on to pytest, e.g.
#
#   bash tools/test_all_backends.sh -x -q tests/test_neurons.py
#
# Exits non-zero if any backend fails or runs no tests.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

backends=(tensorflow jax torch)
declare -A results=()
failed=0

for b in "${backends[@]}"; do
    echo
    echo "==================== KERAS_BACKEND=${b} ===================="
    # `|| status=$?` keeps set -e from stopping the loop, so every backend
    # runs and the summary below is complete.
    status=0
    KERAS_BACKEND="${b}" python -m pytest "$@" || status=$?
    if [[ ${status} -eq 0 ]]; then
        results[${b}]="passed"
    elif [[ ${status} -eq 5 ]]; then
        # pytest exits with 5 when no test ran (none collected, or all
        # deselected); a suite that runs nothing must not pass.
        results[${b}]="FAILED: no tests ran (pytest exit code 5)"
        failed=1
    else
        results[${b}]="FAILED (pytest exit code ${status})"
        failed=1
    fi
done

echo
echo "==================== summary ===================="
for b in "${backends[@]}"; do
    echo "${b}: ${results[${b}]}"
done
exit "${failed}"
