"""What every benchmark here shares: the machine it ran on, and fair turns.

A timing means little without what it was taken on, so each script records the CPU
model and cores (``lscpu``), the library versions, the BLAS threads (``threadpoolctl``),
the date, and the load average before each measurement: this machine is shared, and
a number taken while someone else's tests ran is slower for reasons of its own.

Comparing frameworks fairly takes three rules, all kept here:

1. **Each framework in its own process.** TensorFlow, PyTorch and JAX each start
   thread pools and allocators that would slow the others down in one process, and
   peak memory can only be told apart process by process. `run_child` starts one
   job as ``python -m benchmarks.jobs ...`` and reads the JSON line it prints.
2. **Taking turns.** A round runs every framework once; the next round starts the
   order one place later. Load that comes and goes then lands on each framework
   alike, and a ratio taken *within* a round (minigraph / numpy loop, same minutes)
   is steadier than one taken between medians. `take_turns` does this.
3. **Medians, not means**: one slow epoch (a neighbour's test suite starting) moves
   a mean, not a median.

Peak memory is the child's ``VmHWM`` (the high-water mark of its resident set, from
``/proc/self/status``): everything the process touched, libraries included, not only
what Python allocated (tracemalloc sees numpy's buffers but never TensorFlow's or
PyTorch's). ``ru_maxrss`` would be the same number on Linux except that it can carry
the parent's size over a fork, which VmHWM never does.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPOSITORY = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"  # the JSON records RESULTS.md is made from
RESULT_PREFIX = "RESULT "  # a child's answer: this prefix, then one line of JSON


def cpu_model() -> str:
    """The CPU's model name as lscpu gives it ("AMD EPYC"), or the platform's guess."""
    try:
        output = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or platform.machine()
    for line in output.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def load_average() -> float:
    """The one-minute load average: how many runnable threads the machine had lately."""
    return round(os.getloadavg()[0], 2)


def source() -> str:
    """Which minigraph was timed: the git commit of this checkout, and whether minigraph/ has
    uncommitted changes; outside a checkout (a `git archive` copy), $MINIGRAPH_BENCH_SOURCE."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPOSITORY, capture_output=True,
                                text=True, check=True).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "minigraph"], cwd=REPOSITORY,
                                 capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("MINIGRAPH_BENCH_SOURCE", "not a git checkout")
    return f"commit {commit}" + (f", {len(changed)} uncommitted files in minigraph/" if changed else "")


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def machine() -> dict:
    """What a reader needs to weigh the numbers: CPU, cores, Python, numpy, date, load, and the code timed."""
    return {
        "source": source(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "date": now(),
        "load_at_start": load_average(),
    }


def memory_mb(field: str) -> float:
    """A memory line of /proc/self/status in MB: VmRSS (now) or VmHWM (the peak so far)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)  # the file counts kB
    raise KeyError(f"{field} is not in /proc/self/status")


def blas_threads() -> list[dict]:
    """Each thread pool the process has loaded (OpenBLAS, MKL, OpenMP...) and its threads."""
    from threadpoolctl import threadpool_info

    return [{"library": pool.get("internal_api"), "prefix": pool.get("prefix"), "threads": pool.get("num_threads")}
            for pool in threadpool_info()]


def child_environment(threads: int) -> dict:
    """The environment a job starts in: quiet TensorFlow and, unless `threads` is 0, that
    many threads for OpenBLAS, MKL, OpenMP (PyTorch) and XLA (JAX), set before they load."""
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(REPOSITORY))
    if threads:
        for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            environment[variable] = str(threads)
        multi_thread = "true" if threads > 1 else "false"
        environment["XLA_FLAGS"] = (f"--xla_cpu_multi_thread_eigen={multi_thread} "
                                    f"intra_op_parallelism_threads={threads}")
    return environment


def run_child(arguments: list[str], threads: int, timeout: float = 1800) -> dict:
    """Runs ``python -m benchmarks.jobs <arguments>`` in a fresh process with `threads`
    threads per library (0: each library's default, one per core); returns its JSON result."""
    load = load_average()
    command = [sys.executable, "-m", "benchmarks.jobs", *arguments, "--threads", str(threads)]
    completed = subprocess.run(command, cwd=REPOSITORY,
                               env=child_environment(threads), capture_output=True, text=True, timeout=timeout)
    answers = [line for line in completed.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if completed.returncode != 0 or not answers:
        raise RuntimeError(f"job {' '.join(arguments)} failed (exit {completed.returncode}):\n"
                           f"{completed.stdout[-2000:]}\n{completed.stderr[-4000:]}")
    result = json.loads(answers[-1][len(RESULT_PREFIX):])
    result["load_before"] = load
    return result


def take_turns(frameworks: list[str], rounds: int, run_one) -> dict[str, list[dict]]:
    """Runs `run_one(framework)` for every framework in each of `rounds` rounds, the
    order rotated one place per round; returns each framework's results, round by round."""
    results: dict[str, list[dict]] = {framework: [] for framework in frameworks}
    for round_number in range(rounds):
        shift = round_number % len(frameworks)
        for framework in frameworks[shift:] + frameworks[:shift]:
            result = run_one(framework)
            result["round"] = round_number
            results[framework].append(result)
            print(f"  round {round_number + 1}/{rounds} {framework:<10} {result['seconds_per_epoch']:8.3f} s/epoch"
                  f" (CPU {result['cpu_seconds_per_epoch']:.3f})  peak {result['peak_rss_mb']:7.1f} MB"
                  f"  load {result['load_before']:.2f}", flush=True)
    return results


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def paired_ratio(results: dict[str, list[dict]], numerator: str, denominator: str,
                 key: str = "seconds_per_epoch") -> float | None:
    """The median over rounds of numerator's s/epoch over denominator's in the same round
    (`key` "cpu_seconds_per_epoch": the same with CPU times)."""
    if numerator not in results or denominator not in results:
        return None
    pairs = zip(results[numerator], results[denominator])
    return median([a[key] / b[key] for a, b in pairs])


def write_data(x: np.ndarray, y: np.ndarray, hidden_widths: list[int], seed: int = 0) -> Path:
    """Saves the job's data and one set of initial weights per hidden width to a temporary
    .npz, so every framework starts from the same arrays; returns its path."""
    arrays = {"x": x.astype(np.float32), "y": y.astype(np.float32)}
    for hidden in hidden_widths:
        for name, value in zip(("kernel_1", "bias_1", "kernel_2", "bias_2"),
                               initial_weights(x.shape[1], hidden, y.shape[1], seed)):
            arrays[f"{name}_{hidden}"] = value
    handle, path = tempfile.mkstemp(prefix="minigraph-bench-", suffix=".npz")
    os.close(handle)
    np.savez(path, **arrays)
    return Path(path)


def initial_weights(inputs: int, hidden: int, classes: int, seed: int) -> list[np.ndarray]:
    """Keras's Dense initial values: glorot_uniform kernels, limit sqrt(6 / (fan_in + fan_out)), zero biases."""
    generator = np.random.default_rng(seed)

    def glorot(fan_in: int, fan_out: int) -> np.ndarray:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return generator.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)

    kernel_1, kernel_2 = glorot(inputs, hidden), glorot(hidden, classes)
    return [kernel_1, np.zeros(hidden, np.float32), kernel_2, np.zeros(classes, np.float32)]


def save_json(record: dict, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {path}")


def available(frameworks: list[str]) -> tuple[list[str], list[str]]:
    """The frameworks whose package is installed, and those left out (torch, jax: `pip install -e .[bench]`)."""
    import importlib.util

    package = {"minigraph": "minigraph", "minigraph-plain": "minigraph", "keras": "keras", "torch": "torch",
               "jax": "jax", "numpy": "numpy"}
    present = [name for name in frameworks if importlib.util.find_spec(package[name]) is not None]
    return present, [name for name in frameworks if name not in present]


def compare(frameworks: list[str], rounds: int, threads: int, data_path: Path, batch_size: int, hidden: int,
            epochs: int = 1, warmup_steps: int = 50, rows: int | None = None) -> dict:
    """The job at one (batch size, hidden width), each framework in its own process, taking
    turns; returns each framework's runs and its medians (s/epoch, peak memory)."""
    arguments = ["--data", str(data_path), "--batch-size", str(batch_size), "--hidden", str(hidden),
                 "--epochs", str(epochs), "--warmup-steps", str(warmup_steps)]
    if rows:
        arguments += ["--rows", str(rows)]
    runs = take_turns(frameworks, rounds, lambda framework: run_child([framework, *arguments], threads))
    summary = {}
    for framework, results in runs.items():
        summary[framework] = {
            "version": results[0]["version"],
            "seconds_per_epoch": median([r["seconds_per_epoch"] for r in results]),
            "cpu_seconds_per_epoch": median([r["cpu_seconds_per_epoch"] for r in results]),
            "fastest": min(r["seconds_per_epoch"] for r in results),
            "slowest": max(r["seconds_per_epoch"] for r in results),
            "peak_rss_mb": median([r["peak_rss_mb"] for r in results]),
            "rss_before_training_mb": median([r["rss_before_training_mb"] for r in results]),
            "final_accuracy": median([r["final_accuracy"] for r in results]),
            "loads": [r["load_before"] for r in results],
        }
    return {"batch_size": batch_size, "hidden": hidden, "rounds": rounds, "threads": threads, "runs": runs,
            "summary": summary}


QUICK_ROWS = 2048  # --quick trains on this many rows, one round, minigraph and the numpy loop


def comparison_options(description: str, rounds: int, record: str) -> argparse.ArgumentParser:
    """The options every framework comparison takes."""
    from benchmarks.jobs import CHOICES

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--threads", type=int, default=1, help="threads for each library (0: one per core)")
    parser.add_argument("--frameworks", nargs="+", choices=CHOICES, default=None)
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,048 rows, 1 round, minigraph and numpy")
    parser.add_argument("--json", default=None, help=f"where to write the record (default: results/{record}.json; "
                                                     "--quick writes none unless asked)")
    return parser


def comparison_plan(args: argparse.Namespace, default: tuple[str, ...]) -> tuple[list[str], int | None, int]:
    """(frameworks installed among those asked for, or `default`; rows, None for all; rounds).
    Says which are left out."""
    frameworks, missing = available(args.frameworks or (["minigraph", "numpy"] if args.quick else list(default)))
    if missing:
        print(f"left out, not installed: {', '.join(missing)} (pip install -e .[bench])")
    return frameworks, QUICK_ROWS if args.quick else None, 1 if args.quick else args.rounds


def worksheet_data(hidden_widths: list[int]) -> tuple[Path, int]:
    """The worksheet's 60,000 PCA rows and initial weights in a temporary file: (its path, the rows)."""
    from minigraph.examples.worksheet import load_pca_mnist

    (x_train, y_train), _ = load_pca_mnist()
    return write_data(x_train, y_train, hidden_widths), len(x_train)
