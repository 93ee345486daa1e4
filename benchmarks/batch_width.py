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

from benchmarks import harness
from benchmarks.jobs import FRAMEWORKS

SETTINGS = [(32, 128), (256, 128), (2048, 128), (32, 1024), (32, 4096)]  # (batch size, hidden units)
QUICK_SETTINGS = [(32, 128), (256, 1024)]


def main(argv=None) -> None:
    args = harness.comparison_options(__doc__.splitlines()[0], rounds=3, record="batch_width").parse_args(argv)
    frameworks, rows, rounds = harness.comparison_plan(args, default=FRAMEWORKS)
    started = harness.machine()
    settings = QUICK_SETTINGS if args.quick else SETTINGS
    data_path, all_rows = harness.worksheet_data(sorted({hidden for _, hidden in settings}))
    comparisons = []
    try:
        for batch_size, hidden in settings:
            print(f"batch {batch_size}, hidden {hidden}:", flush=True)
            comparison = harness.compare(frameworks, rounds, args.threads, data_path, batch_size, hidden,
                                 warmup_steps=5 if args.quick else 20, rows=rows)
            comparison["ratios_to_minigraph"] = {
                framework: harness.paired_ratio(comparison["runs"], framework, "minigraph")
                for framework in frameworks if framework != "minigraph"}
            comparisons.append(comparison)
    finally:
        data_path.unlink()

    print(f"\ns/epoch (median of {rounds} round(s)), {args.threads or 'all'} thread(s) per library, "
          f"{rows or all_rows:,} rows; in brackets: that framework's time / minigraph's, paired by round")
    print(f"{'batch':>6}{'hidden':>7}" + "".join(f"{framework:>18}" for framework in frameworks))
    for comparison in comparisons:
        cells = []
        for framework in frameworks:
            seconds = comparison["summary"][framework]["seconds_per_epoch"]
            ratio = comparison["ratios_to_minigraph"].get(framework)
            cells.append(f"{seconds:.3f}" + (f" ({ratio:.2f})" if ratio is not None else ""))
        print(f"{comparison['batch_size']:>6}{comparison['hidden']:>7}" + "".join(f"{cell:>18}" for cell in cells))
    record = {"machine": started, "finished": harness.now(), "rows": rows or all_rows, "threads": args.threads,
              "rounds": rounds, "frameworks": frameworks, "comparisons": comparisons}
    path = args.json or (None if args.quick else harness.RESULTS / "batch_width.json")
    if path:
        harness.save_json(record, path)


if __name__ == "__main__":
    main()
