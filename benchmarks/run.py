"""Times one full training step of keras_snn and its peers, side by side.

Every (library, config) pair runs in its own process, one after the other,
on the same machine in the same run: warm-up steps first, then the median
of `--repeats` timed steps, and the process's peak resident memory. Peers
that are not installed are reported as such.

    python -m benchmarks.run                      # S, P and L, all libraries
    python -m benchmarks.run --quick              # smoke test (CI)
    python -m benchmarks.run --configs L,L1000 --libraries "keras_snn[jax]"
    python -m benchmarks.run --peer-python /path/to/other/venv/bin/python
    python -m benchmarks.run --threads 1          # same thread cap for all

`--peer-python` runs the peers (snntorch, spikingjelly, spyx) with another
interpreter, for a venv that holds them apart from the main one.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

from benchmarks import configs
from benchmarks import workers

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = ("snntorch", "spikingjelly", "spyx")


def worker_main(library, config, warmup, repeats):
    """Runs in the child process: prints one JSON line."""
    make = workers.LIBRARIES[library][1]
    try:
        run, steps_per_call = make(config)
    except ImportError as error:
        print(json.dumps({"status": "not installed", "error": str(error)}))
        return
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) / steps_per_call)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "status": "ok",
                "ms_per_step": 1000 * statistics.median(times),
                "ms_per_step_min": 1000 * min(times),
                "peak_rss_mb": peak_kb / 1024,
            }
        )
    )


def run_one(library, config, args):
    python = args.peer_python if library in PEERS else sys.executable
    env = {
        **os.environ,
        "KERAS_BACKEND": workers.backend_for(library),
        "PYTHONPATH": REPO,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        **_thread_env(args.threads),
    }
    command = [
        python,
        "-m",
        "benchmarks.run",
        "--worker",
        library,
        "--configs",
        config,
        "--warmup",
        str(args.warmup),
        "--repeats",
        str(args.repeats),
    ]
    done = subprocess.run(
        command, env=env, cwd=REPO, capture_output=True, text=True
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"status": "failed", "error": " | ".join(tail)}
    return json.loads(lines[-1])


def _thread_env(threads):
    # On a shared machine, intra-op thread pools that wait on each other
    # distort the timings; the same cap for every library keeps them fair.
    if threads is None:
        return {}
    n = str(threads)
    return {
        "OMP_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "TF_NUM_INTRAOP_THREADS": n,
        "TF_NUM_INTEROP_THREADS": n,
        "XLA_FLAGS": (
            "--xla_cpu_multi_thread_eigen=false "
            f"intra_op_parallelism_threads={n}"
        ),
    }


def format_table(results, config_names, libraries):
    lines = []
    for config in config_names:
        lines.append(f"\n{configs.describe(config)}")
        lines.append(
            f"{'library':24s} {'ms/step':>9s} {'vs floor':>9s} "
            f"{'vs snntorch':>12s} {'peak MB':>9s}"
        )
        row = results[config]
        floor = row.get("jax floor", {}).get("ms_per_step")
        snntorch = row.get("snntorch", {}).get("ms_per_step")
        for library in libraries:
            result = row[library]
            if result["status"] != "ok":
                lines.append(f"{library:24s} {result['status']}")
                continue
            ms = result["ms_per_step"]
            vs_floor = f"{ms / floor:.2f}x" if floor else "-"
            vs_snn = f"{snntorch / ms:.2f}x faster" if snntorch else "-"
            lines.append(
                f"{library:24s} {ms:9.2f} {vs_floor:>9s} {vs_snn:>12s} "
                f"{result['peak_rss_mb']:9.0f}"
            )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--configs", default="S,P,L")
    parser.add_argument(
        "--libraries", default=",".join(workers.LIBRARIES), help="comma list"
    )
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="CI smoke run")
    parser.add_argument("--json", default=None, help="write results here")
    parser.add_argument("--peer-python", default=sys.executable)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="intra-op threads per library (default: each library's own)",
    )
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker_main(args.worker, args.configs, args.warmup, args.repeats)
        return 0
    if args.quick:
        args.warmup, args.repeats = 1, 1
    config_names = args.configs.split(",")
    libraries = args.libraries.split(",")
    for name in config_names + libraries:
        if name not in configs.CONFIGS and name not in workers.LIBRARIES:
            parser.error(f"unknown config or library: {name!r}")
    results = {}
    for config in config_names:
        results[config] = {}
        for library in libraries:
            result = run_one(library, config, args)
            results[config][library] = result
            print(f"{config} {library}: {result}", file=sys.stderr)
    print(format_table(results, config_names, libraries))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "results": results}, f, indent=2)
    failed = [
        (c, lib)
        for c in config_names
        for lib, r in results[c].items()
        if r["status"] == "failed" and lib not in PEERS
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
