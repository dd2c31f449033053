"""Times full training steps of keras_snn and its peers, side by side.

Every (library, config) pair runs in its own process, on the same machine
in the same run. For each config, every library is built and warmed up
first; then each of `--repeats` rounds times the same number of training
steps (`configs.steps_per_round`) of every library in turn, so that the
slow spells of a shared machine fall on all of them alike. The table gives
the median time per step, each process's peak resident memory, and how
much of it came after the setup (imports, model, data): what training
itself took. Peers that are not installed, or that have no such model,
are reported as such.

    python -m benchmarks.run                      # S, P and L, all libraries
    python -m benchmarks.run --quick              # smoke test (CI)
    python -m benchmarks.run --configs R-LIF,R-ALIF,ON4096 --threads 1
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
import tempfile
import time

from benchmarks import configs
from benchmarks import workers

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = ("snntorch", "spikingjelly", "spyx")
MIN_WARMUP_STEPS = 3
# The smoke run checks that every library trains, not how fast: two steps
# per round, one thread each.
QUICK_STEPS_PER_ROUND = 2


def worker_main(library, config, warmup):
    """Runs in the child process, driven line by line over stdin/stdout.

    Prints `{"status": "ready"}` once warm (or why not), then times one
    round of `configs.steps_per_round(config)` training steps for each
    `round` line it reads, and on `done` prints its peak resident memory
    and exits.
    """
    make = workers.LIBRARIES[library][1]
    try:
        run, steps_per_call = make(config)
    except ImportError as error:
        _reply({"status": "not installed", "error": str(error)})
        return
    except workers.NotAvailableError as error:
        _reply({"status": "not available", "error": str(error)})
        return
    # The high-water mark of the process before its first training step:
    # imports, model, optimizer and input data.
    setup_kb = _max_rss_kb()
    # Every library runs the same number of steps per round.
    steps = configs.steps_per_round(config)
    calls = max(1, steps // steps_per_call)

    def run_round():
        for _ in range(calls):
            run()

    for _ in range(warmup):
        run_round()
    # At least MIN_WARMUP_STEPS steps: Spyx's nnx.jit traces its training
    # step again on each of the first three calls (as the dtypes of its
    # state settle), which a warm-up round of one step (config ON) would
    # leave to the timed rounds.
    for _ in range(MIN_WARMUP_STEPS - warmup * calls * steps_per_call):
        run()
    _reply({"status": "ready"})
    for line in sys.stdin:
        if line.strip() != "round":
            break
        start = time.perf_counter()
        run_round()
        ms = 1000 * (time.perf_counter() - start) / (calls * steps_per_call)
        _reply({"ms": ms})
    _reply(
        {
            "status": "ok",
            "peak_rss_mb": _max_rss_kb() / 1024,
            "setup_rss_mb": setup_kb / 1024,
        }
    )


def _max_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reply(message):
    print(json.dumps(message), flush=True)


class Worker:
    """One library on one config, in its own process."""

    def __init__(self, library, config, args):
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
            *(["--quick"] if args.quick else []),
        ]
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            command,
            env=env,
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        self.times = []

    def receive(self):
        """The worker's next JSON line, or a failure with its stderr."""
        for line in self.process.stdout:
            if line.startswith("{"):
                return json.loads(line)
        self.process.wait()
        self.stderr.seek(0)
        tail = self.stderr.read().strip().splitlines()[-3:]
        return {"status": "failed", "error": " | ".join(tail)}

    def send(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def close(self):
        self.process.kill()
        self.process.wait()
        self.stderr.close()


def run_config(config, libraries, args):
    """Times every library on `config`, one round of each in turn.

    All workers are started and warmed up first; then each round times
    the same number of steps of every library, so that a slow spell of a
    shared machine falls on all of them alike rather than on whichever ran
    then.
    """
    started = {library: Worker(library, config, args) for library in libraries}
    results, ready = {}, {}
    for library, worker in started.items():
        reply = worker.receive()
        if reply["status"] == "ready":
            ready[library] = worker
        else:
            results[library] = reply
            worker.close()
    for _ in range(args.repeats):
        for library, worker in list(ready.items()):
            worker.send("round")
            reply = worker.receive()
            if "ms" in reply:
                worker.times.append(reply["ms"])
            else:
                results[library] = reply
                worker.close()
                del ready[library]
    for library, worker in ready.items():
        worker.send("done")
        reply = worker.receive()
        if reply["status"] == "ok":
            reply = {
                "status": "ok",
                "ms_per_step": statistics.median(worker.times),
                "ms_per_step_min": min(worker.times),
                "peak_rss_mb": reply["peak_rss_mb"],
                "setup_rss_mb": reply["setup_rss_mb"],
            }
        results[library] = reply
        worker.close()
    return {library: results[library] for library in libraries}


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
            f"{'vs snntorch':>12s} {'peak MB':>9s} {'+train MB':>9s}"
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
                f"{result['peak_rss_mb']:9.0f} "
                f"{result['peak_rss_mb'] - result['setup_rss_mb']:9.0f}"
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
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI smoke run: one round of 2 steps, one thread",
    )
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
        if args.quick:
            configs.round_steps_cap = QUICK_STEPS_PER_ROUND
        worker_main(args.worker, args.configs, args.warmup)
        return 0
    if args.quick:
        args.warmup, args.repeats = 1, 1
        if args.threads is None:
            args.threads = 1
    config_names = args.configs.split(",")
    libraries = args.libraries.split(",")
    for name in config_names + libraries:
        if name not in configs.CONFIGS and name not in workers.LIBRARIES:
            parser.error(f"unknown config or library: {name!r}")
    results = {}
    for config in config_names:
        results[config] = run_config(config, libraries, args)
        for library, result in results[config].items():
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
