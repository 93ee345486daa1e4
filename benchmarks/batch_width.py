"""Where BLAS does the work: the worksheet job at larger batches and wider hidden layers.

    python -m benchmarks.batch_width [--rounds 3] [--threads 1] [--frameworks ...] [--quick]

At batch 32 and 128 hidden units a step is a few small matrix products, and the time
goes to what runs around them: Python, dispatch, allocation. That is where a graph
engine can win or lose. Here the matrices grow, one dimension at a time from the
worksheet's job: batch 32, 256 and 2048 at 128 hidden units, then hidden widths 1024
and 4096 at batch 32. As they grow, every framework's step becomes the same few
GEMMs, and the question turns around: minigraph must not *add* cost where BLAS
dominates (a copy too many, a transpose made explicit, a float64 upcast).

Same rules as worksheet_job.py: each framework in its own process, taking turns,
median s/epoch over rounds, one thread per library unless ``--threads`` says otherwise.
``--quick``: 2,048 rows, one round, minigraph and the numpy loop, two small settings.
"""

from __future__ import annotations

import argparse

from benchmarks.harness import RESULTS, available, compare, machine, paired_ratio, save_json, write_data
from benchmarks.jobs import FRAMEWORKS

SETTINGS = [(32, 128), (256, 128), (2048, 128), (32, 1024), (32, 4096)]  # (batch size, hidden units)
QUICK_SETTINGS = [(32, 128), (256, 1024)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="threads for each library (0: one per core)")
    parser.add_argument("--frameworks", nargs="+", choices=FRAMEWORKS, default=None)
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,048 rows, 1 round, minigraph and numpy")
    parser.add_argument("--json", default=None, help="where to write the record (default: results/batch_width.json; "
                                                     "--quick writes none unless asked)")
    args = parser.parse_args(argv)
    settings = QUICK_SETTINGS if args.quick else SETTINGS
    rows = 2048 if args.quick else None
    rounds = 1 if args.quick else args.rounds
    default = ["minigraph", "numpy"] if args.quick else ["minigraph", "keras", "torch", "jax", "numpy"]
    frameworks, missing = available(args.frameworks or default)
    if missing:
        print(f"left out, not installed: {', '.join(missing)} (pip install -e .[bench])")

    from minigraph.examples.worksheet import load_pca_mnist

    (x_train, y_train), _ = load_pca_mnist()
    data_path = write_data(x_train, y_train, sorted({hidden for _, hidden in settings}))
    comparisons = []
    try:
        for batch_size, hidden in settings:
            print(f"batch {batch_size}, hidden {hidden}:", flush=True)
            comparison = compare(frameworks, rounds, args.threads, data_path, batch_size, hidden,
                                 warmup_steps=5 if args.quick else 20, rows=rows)
            comparison["ratios_to_minigraph"] = {
                framework: paired_ratio(comparison["runs"], framework, "minigraph")
                for framework in frameworks if framework != "minigraph"}
            comparisons.append(comparison)
    finally:
        data_path.unlink()

    print(f"\ns/epoch (median of {rounds} round(s)), {args.threads or 'all'} thread(s) per library, "
          f"{rows or len(x_train):,} rows; in brackets: that framework's time / minigraph's, paired by round")
    print(f"{'batch':>6}{'hidden':>7}" + "".join(f"{framework:>18}" for framework in frameworks))
    for comparison in comparisons:
        cells = []
        for framework in frameworks:
            seconds = comparison["summary"][framework]["seconds_per_epoch"]
            ratio = comparison["ratios_to_minigraph"].get(framework)
            cells.append(f"{seconds:.3f}" + (f" ({ratio:.2f})" if ratio is not None else ""))
        print(f"{comparison['batch_size']:>6}{comparison['hidden']:>7}" + "".join(f"{cell:>18}" for cell in cells))
    record = {"machine": machine(), "rows": rows or len(x_train), "threads": args.threads, "rounds": rounds,
              "frameworks": frameworks, "comparisons": comparisons}
    path = args.json or (None if args.quick else RESULTS / "batch_width.json")
    if path:
        save_json(record, path)


if __name__ == "__main__":
    main()
