"""The worksheet's training job by five frameworks, taking turns: s/epoch and peak memory.

    python -m benchmarks.worksheet_job [--rounds 5] [--threads 1] [--frameworks ...] [--quick]

The job: 60,000 MNIST rows projected to 60 dimensions by PCA (as the worksheet does
it), Dense(128) relu, Dense(10) softmax, Adam, batch 32, one epoch. The same arrays
and initial weights go to

- **minigraph**: the worksheet's own code, ``Sequential`` + ``compile`` + ``fit``, metrics on;
- **keras**: Keras 3 on TensorFlow (CPU), the same code;
- **torch**: PyTorch on the CPU, the eager loop of its tutorials;
- **jax**: JAX with the whole step (gradient, Adam, metrics) under ``jax.jit``;
- **numpy**: a loop written by hand: forward, backward, Adam in place, no metrics;
- **minigraph-plain**: minigraph's fit with the graph compiler's passes switched off
  (``MINIGRAPH_GRAPH_PASSES=off``), to show what they buy.

Each framework runs in its own process (``python -m benchmarks.jobs``), once per
round, the order rotated each round; each process warms up (50 untimed steps: Keras
and JAX compile their step, minigraph plans its run), then times one epoch. The
table gives each framework's median s/epoch and peak resident memory, and the
ratios that matter, each the median over rounds of a ratio *within* one round.

Every library gets one thread (``--threads 1``; 0 lets each use every core): on a
2-core machine shared with other work, a second thread measures the neighbours more
than the framework (OpenMP's threads spin while they wait for each other), and at
batch 32 a matrix is too small to split usefully anyway.

``--quick`` is a smoke run for the tests: 2,048 rows, one round, minigraph and the
numpy loop, nothing written unless ``--json`` says where.
"""

from __future__ import annotations

from benchmarks.harness import (
    RESULTS,
    compare,
    comparison_options,
    comparison_plan,
    machine,
    now,
    paired_ratio,
    save_json,
    worksheet_data,
)
from benchmarks.jobs import CHOICES

RATIOS = (  # numerator, denominator, and issue 11's goal for numerator / denominator (None: no goal)
    ("minigraph", "numpy", "<= 1.0"),
    ("keras", "minigraph", ">= 5"),
    ("torch", "minigraph", ">= 3"),
    ("minigraph", "jax", None),  # how far from a compiled step
    ("minigraph-plain", "minigraph", None),  # what the graph compiler's passes buy
)


def ratios(record: dict) -> list[dict]:
    """Each ratio of RATIOS whose two frameworks ran, by wall clock and by CPU time, and
    the peak memory of Keras over minigraph's (goal: > 1, minigraph's is lower)."""
    found = []
    for numerator, denominator, goal in RATIOS:
        wall = paired_ratio(record["runs"], numerator, denominator)
        if wall is not None:
            cpu = paired_ratio(record["runs"], numerator, denominator, key="cpu_seconds_per_epoch")
            found.append({"ratio": f"{numerator} / {denominator}, s/epoch", "wall": wall, "cpu": cpu, "goal": goal})
    summary = record["summary"]
    if "keras" in summary and "minigraph" in summary:
        memory = summary["keras"]["peak_rss_mb"] / summary["minigraph"]["peak_rss_mb"]
        found.append({"ratio": "keras / minigraph, peak memory", "wall": memory, "cpu": None, "goal": "> 1",
                      "memory": True})
    return found


def verdict(ratio: dict) -> str:
    """The ratio's goal and whether it is met, by wall clock and by CPU time: "<= 1.0: wall no, CPU yes"."""
    if ratio["goal"] is None:
        return ""
    comparison, threshold = ratio["goal"].split()
    answers = []
    for key in ("wall", "cpu"):
        if ratio[key] is not None:
            value = ratio[key]
            met = {"<=": value <= float(threshold), ">=": value >= float(threshold), ">": value > float(threshold)}
            clock = "" if ratio.get("memory") else ("CPU " if key == "cpu" else "wall ")
            answers.append(f"{clock}{'yes' if met[comparison] else 'no'}")
    return f"{ratio['goal']}: {', '.join(answers)}"


def print_table(record: dict) -> None:
    summary = record["summary"]
    print(f"\n{record['machine']['cpu']}, {record['machine']['cores']} cores, {record['threads'] or 'all'} thread(s) "
          f"per library, {record['rows']:,} rows, batch {record['batch_size']}, hidden {record['hidden']}, "
          f"{record['rounds']} round(s)")
    print(f"{'framework':<16}{'s/epoch':>9}{'fastest':>9}{'CPU s':>9}{'peak MB':>9}{'accuracy':>10}  version")
    for framework, row in summary.items():
        print(f"{framework:<16}{row['seconds_per_epoch']:>9.3f}{row['fastest']:>9.3f}"
              f"{row['cpu_seconds_per_epoch']:>9.3f}{row['peak_rss_mb']:>9.0f}"
              f"{row['final_accuracy']:>10.4f}  {row['version']}")
    print(f"{'ratio':<36}{'wall':>7}{'CPU':>7}  goal")
    for ratio in record["ratios"]:
        cpu = "" if ratio["cpu"] is None else f"{ratio['cpu']:.2f}"
        print(f"{ratio['ratio']:<36}{ratio['wall']:>7.2f}{cpu:>7}  {verdict(ratio)}")


def main(argv=None) -> None:
    args = comparison_options(__doc__.splitlines()[0], rounds=5, record="worksheet_job").parse_args(argv)
    frameworks, rows, rounds = comparison_plan(args, default=CHOICES)
    started = machine()
    data_path, all_rows = worksheet_data([128])
    try:
        record = compare(frameworks, rounds, args.threads, data_path, batch_size=32, hidden=128,
                         warmup_steps=5 if args.quick else 50, rows=rows)
    finally:
        data_path.unlink()
    record["machine"], record["finished"] = started, now()
    record["rows"] = rows or all_rows
    record["ratios"] = ratios(record)
    print_table(record)
    path = args.json or (None if args.quick else RESULTS / "worksheet_job.json")
    if path:
        save_json(record, path)


if __name__ == "__main__":
    main()
