"""One job in this process: ``python -m benchmarks.jobs FRAMEWORK --data FILE [...]``.

Imports the framework, loads the data, trains, and prints one line: ``RESULT {json}``
with the seconds of each timed epoch, the final loss and accuracy on all rows
(computed by numpy from the final weights, the same way for every framework), the
resident memory after the imports and at its peak (VmHWM), and the BLAS threads.
``--threads N`` (1 unless told) limits every library to N threads; the harness also
sets the thread variables of the environment the job starts in, which OpenMP and XLA
read when they load.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import time

from threadpoolctl import threadpool_limits

from benchmarks.harness import RESULT_PREFIX, blas_threads, memory_mb
from benchmarks.jobs import CHOICES, PLAIN
from benchmarks.jobs.data import Data

MODULES = {"minigraph": "minigraph_fit", PLAIN: "minigraph_fit", "keras": "keras_fit", "torch": "torch_loop",
           "jax": "jax_step", "numpy": "numpy_loop"}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("framework", choices=CHOICES)
    parser.add_argument("--data", required=True, help="the .npz written by harness.write_data")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=1, help="timed epochs (default 1)")
    parser.add_argument("--warmup-steps", type=int, default=50, help="untimed steps before the timed epochs")
    parser.add_argument("--threads", type=int, default=1, help="threads for each library (0: one per core)")
    parser.add_argument("--rows", type=int, default=None, help="train on the first ROWS rows only (--quick runs)")
    args = parser.parse_args(argv)

    if args.framework == PLAIN:  # every session made without a config runs the plain plan
        os.environ["MINIGRAPH_GRAPH_PASSES"] = "off"
    started = time.perf_counter()
    job = importlib.import_module(f"benchmarks.jobs.{MODULES[args.framework]}")
    import_seconds = time.perf_counter() - started
    if args.threads:  # the environment set OpenMP's and XLA's; these are set at run time
        threadpool_limits(limits=args.threads)
        if hasattr(job, "limit_threads"):
            job.limit_threads(args.threads)
    data = Data.load(args.data, args.rows)
    rss_before_training = memory_mb("VmRSS")

    clock, weights = job.train(data, args.batch_size, args.hidden, args.epochs, args.warmup_steps)
    peak = memory_mb("VmHWM")  # before scoring, whose float64 arrays would be the peak of a small job
    loss, accuracy = data.evaluate(weights)
    result = {
        "framework": args.framework,
        "version": job.version(),
        "batch_size": args.batch_size,
        "hidden": args.hidden,
        "rows": len(data.x),
        "threads": args.threads,
        "epoch_seconds": [round(s, 4) for s in clock.wall_seconds],
        "seconds_per_epoch": round(statistics.median(clock.wall_seconds), 4),
        "cpu_seconds_per_epoch": round(statistics.median(clock.cpu_seconds), 4),
        "final_loss": round(loss, 4),
        "final_accuracy": round(accuracy, 4),
        "import_seconds": round(import_seconds, 2),
        "rss_before_training_mb": rss_before_training,
        "peak_rss_mb": peak,
        "blas_threads": blas_threads(),
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
