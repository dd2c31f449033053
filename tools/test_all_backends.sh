#!/usr/bin/env bash
# Runs the test suite once per Keras backend: tensorflow, jax, torch.
#
# The backend is fixed for the life of a Python process, so each backend
# gets its own pytest run. The three runs go side by side (most tests are
# small models whose time is Python overhead on one core, so two cores
# finish three runs in about half the time of one after another); each
# run's output is kept in a log and printed whole when that run ends. Set
# KERAS_SNN_TEST_SEQUENTIAL=1 to run them one after another instead, with
# live output. Arguments are passed on to pytest, e.g.
#
#   bash tools/test_all_backends.sh -x -q tests/test_neurons.py
#
# Exits non-zero if any backend fails or runs no tests.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

backends=(tensorflow jax torch)
declare -A results=()
declare -A pids=()
declare -A backend_of=()
failed=0
log_dir="$(mktemp -d)"
trap 'rm -rf "${log_dir}"' EXIT

describe() {
    # pytest exits with 5 when no test ran (none collected, or all
    # deselected); a suite that runs nothing must not pass.
    case "$1" in
        0) echo "passed" ;;
        5) echo "FAILED: no tests ran (pytest exit code 5)" ;;
        *) echo "FAILED (pytest exit code $1)" ;;
    esac
}

run_backend() {
    KERAS_BACKEND="$1" python -m pytest "${@:2}"
}

start=${SECONDS}
if [[ "${KERAS_SNN_TEST_SEQUENTIAL:-0}" == "1" ]]; then
    for b in "${backends[@]}"; do
        echo
        echo "==================== KERAS_BACKEND=${b} ===================="
        # `|| status=$?` keeps set -e from stopping the loop, so every
        # backend runs and the summary below is complete.
        status=0
        run_backend "${b}" "$@" || status=$?
        results[${b}]="$(describe "${status}")"
        [[ ${status} -eq 0 ]] || failed=1
    done
else
    for b in "${backends[@]}"; do
        # Two cores for three runs: one thread per operation each, so that
        # the runs do not oversubscribe the cores (TensorFlow and PyTorch
        # otherwise start a thread pool per core in every process).
        OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 \
            run_backend "${b}" "$@" >"${log_dir}/${b}.log" 2>&1 &
        pids[${b}]=$!
        backend_of[$!]=${b}
    done
    echo "running the tests on ${backends[*]} side by side..."
    # Each log is printed as soon as its run ends, whichever ends first
    # (`wait -n -p`, bash 5.1 or newer).
    for _ in "${backends[@]}"; do
        status=0
        finished=""
        wait -n -p finished "${pids[@]}" || status=$?
        b=${backend_of[${finished}]}
        unset "pids[${b}]"
        echo
        echo "==================== KERAS_BACKEND=${b} ===================="
        cat "${log_dir}/${b}.log"
        results[${b}]="$(describe "${status}")"
        [[ ${status} -eq 0 ]] || failed=1
    done
fi

echo
echo "==================== summary ===================="
for b in "${backends[@]}"; do
    echo "${b}: ${results[${b}]}"
done
echo "wall time: $((SECONDS - start)) s"
exit "${failed}"
