"""Writes RESULTS.md and results.png from the JSON records the other scripts leave in results/.

    python -m benchmarks.report [--results benchmarks/results] [--out benchmarks]

Run the four benchmarks first (benchmarks/README.md), then this. The tables are made
from the records only, so RESULTS.md always says what was measured, on what machine
and when; the prose around them is in ``results/notes.md``, written by hand after
reading the numbers, and copied in at the end.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.harness import RESULTS, paired_ratio
from benchmarks.worksheet_job import verdict

HERE = Path(__file__).resolve().parent
def load(results: Path, name: str) -> dict | None:
    path = results / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def table(header: list[str], rows: list[list]) -> list[str]:
    """A markdown table, numbers right-aligned."""
    align = ["---" if index == 0 else "---:" for index in range(len(header))]
    return ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"] + [
        "| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def machine_lines(record: dict) -> list[str]:
    machine = record["machine"]
    when = f"{machine['date']} to {record['finished']}" if "finished" in record else f"{machine['date']} (run's end)"
    return [f"- {when}; {machine['cpu']}, {machine['cores']} cores; Python {machine['python']}, "
            f"numpy {machine['numpy']}; one-minute load average then: {machine['load_at_start']}; "
            f"minigraph as of {machine.get('source', 'an unrecorded commit')}"]


def thread_summary(runs: dict) -> str:
    pools = {}
    for framework, results in runs.items():
        pools[framework] = ", ".join(sorted({f"{pool['library']} {pool['threads']}" for pool in
                                             results[0]["blas_threads"]}))
    return "; ".join(f"{framework}: {pool}" for framework, pool in pools.items())


def worksheet_section(record: dict) -> list[str]:
    lines = ["## The worksheet job", "",
             f"`python -m benchmarks.worksheet_job`: {record['rows']:,} rows, batch {record['batch_size']}, "
             f"{record['hidden']} hidden units, Adam, one epoch per process, {record['rounds']} rounds taking turns, "
             f"{record['threads'] or 'all'} thread(s) per library.", ""]
    lines += machine_lines(record)
    lines += [f"- thread pools seen by threadpoolctl in each job: {thread_summary(record['runs'])}", ""]
    rows = []
    for framework, row in record["summary"].items():
        loads = row["loads"]
        rows.append([f"**{framework}**" if framework == "minigraph" else framework, row["version"],
                     f"{row['seconds_per_epoch']:.3f}", f"{row['fastest']:.3f} - {row['slowest']:.3f}",
                     f"{row['cpu_seconds_per_epoch']:.3f}", f"{row['peak_rss_mb']:.0f}",
                     f"{row['rss_before_training_mb']:.0f}",
                     f"{row['peak_rss_mb'] - row['rss_before_training_mb']:.0f}", f"{row['final_accuracy']:.4f}",
                     f"{min(loads):.1f} - {max(loads):.1f}"])
    lines += table(["system", "version", "s/epoch (median)", "fastest - slowest", "CPU s/epoch",
                    "peak MB", "MB after imports and data", "MB added by training", "train accuracy after",
                    "load"], rows)
    lines += ["", "Ratios, each the median over rounds of the ratio within one round; the goals are issue 11's, "
              "judged by each clock:", ""]
    ratio_rows = [[ratio["ratio"], f"{ratio['wall']:.2f}", "" if ratio["cpu"] is None else f"{ratio['cpu']:.2f}",
                   verdict(ratio)] for ratio in record["ratios"]]
    lines += table(["ratio", "wall clock", "CPU time", "goal: met?"], ratio_rows)
    return lines + [""]


def batch_width_section(record: dict) -> list[str]:
    frameworks = record["frameworks"]
    lines = ["## Batch size and width", "",
             f"`python -m benchmarks.batch_width`: s/epoch, median of {record['rounds']} rounds taking turns, "
             f"{record['rows']:,} rows, {record['threads'] or 'all'} thread(s) per library; in brackets, that "
             "framework's time over minigraph's in the same round (median over rounds: above 1, minigraph is faster). "
             "First by the wall clock, then by CPU time.", ""]
    lines += machine_lines(record) + [""]
    for key, clock in (("seconds_per_epoch", "wall clock"), ("cpu_seconds_per_epoch", "CPU time")):
        rows = []
        for comparison in record["comparisons"]:
            cells = [str(comparison["batch_size"]), str(comparison["hidden"])]
            for framework in frameworks:
                seconds = comparison["summary"][framework][key]
                ratio = paired_ratio(comparison["runs"], framework, "minigraph", key=key)
                cells.append(f"{seconds:.3f}" + ("" if framework == "minigraph" else f" ({ratio:.2f})"))
            rows.append(cells)
        lines += table(["batch", "hidden", *[f"{framework}, {clock}" for framework in frameworks]], rows) + [""]
    return lines


def engine_section(record: dict) -> list[str]:
    lines = ["## Engine overhead", "",
             f"`python -m benchmarks.engine_overhead`: an add of two fed float32 scalars, µs per call, best of "
             f"7 timings of {record['calls']:,} calls (median beside it; best CPU time too). minigraph's own time is "
             "the call's minus numpy's `x + y` on the same arrays. Load before: "
             f"{record['load_before']}.", ""]
    def row(label: str, timing: dict, own: str = "") -> list:
        return [label] + [f"{timing[key]:.2f}" for key in ("best", "median", "best_cpu")] + [own]

    rows = [row("numpy `x + y` (the kernel)", record["numpy x + y"])]
    for path, timing in record["minigraph"].items():
        rows.append(row(f"minigraph `{path}`", timing, f"**{timing['own']:.2f}** (CPU {timing['own_cpu']:.2f})"))
    if "tensorflow" in record:
        for path in ("session.run", "make_callable"):
            rows.append(row(f"TensorFlow {record['tensorflow']['version']} `{path}`", record["tensorflow"][path]))
    lines += machine_lines(record) + [""]
    return lines + table(["call", "µs (best)", "µs (median)", "µs CPU (best)", "minigraph's own µs (goal < 10)"],
                         rows) + [""]


def chain_section(record: dict) -> list[str]:
    stages = list(record["per_op_growth"])
    lines = ["## Chains of ops", "",
             "`python -m benchmarks.long_chain`: x = x * a + b repeated; CPU seconds of each stage, µs per op of "
             "the chain in brackets; the last row is µs per op at the longest chain over µs per op at the "
             "shortest (1.0: linear; for compile, at the longest chain whose plan was compiled: a plan of more "
             "than 10,000 steps is read step by step, never compiled).", ""]
    lines += machine_lines(record) + [""]
    rows = []
    for ops, times in record["chains"].items():
        rows.append([f"{int(ops):,}"] + ["not compiled" if stage == "compile" and not times.get("compiled", True)
                                         else f"{times[stage]:.3f} ({times[stage] / int(ops) * 1e6:.1f})"
                                         for stage in stages] + [f"{times['wall_seconds']:.1f}"])
    rows.append(["growth per op"] + [f"{record['per_op_growth'][stage]:.2f}" for stage in stages] + [""])
    return lines + table(["ops", *stages, "wall s"], rows) + [""]


def plot(records: dict, path: Path) -> None:
    """Three panels: the worksheet job, batch and width, and chain scaling."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    worksheet = records.get("worksheet_job")
    if worksheet:
        names = list(worksheet["summary"])
        wall = [worksheet["summary"][name]["seconds_per_epoch"] for name in names]
        cpu = [worksheet["summary"][name]["cpu_seconds_per_epoch"] for name in names]
        positions = range(len(names))
        axes[0].bar([p - 0.2 for p in positions], wall, width=0.4, label="wall clock")
        axes[0].bar([p + 0.2 for p in positions], cpu, width=0.4, label="CPU time")
        axes[0].set_xticks(list(positions), names, rotation=20)
        axes[0].set_ylabel("seconds per epoch (median)")
        axes[0].set_title(f"worksheet job, batch {worksheet['batch_size']}, {worksheet['rows']:,} rows")
        axes[0].legend()
    grid = records.get("batch_width")
    if grid:
        labels = [f"b{c['batch_size']}\nh{c['hidden']}" for c in grid["comparisons"]]
        width = 0.8 / len(grid["frameworks"])
        for index, framework in enumerate(grid["frameworks"]):
            values = [c["summary"][framework]["cpu_seconds_per_epoch"] for c in grid["comparisons"]]
            axes[1].bar([p + (index - (len(grid["frameworks"]) - 1) / 2) * width for p in range(len(labels))],
                        values, width=width, label=framework)
        axes[1].set_xticks(range(len(labels)), labels)
        axes[1].set_yscale("log")
        axes[1].set_ylabel("CPU seconds per epoch (median, log)")
        axes[1].set_title("batch size (b) and hidden width (h)")
        axes[1].legend(fontsize=8)
    chains = records.get("long_chain")
    if chains:
        sizes = [int(ops) for ops in chains["chains"]]
        for stage in chains["per_op_growth"]:
            shown = [ops for ops in sizes if stage != "compile" or chains["chains"][str(ops)].get("compiled", True)]
            per_op = [chains["chains"][str(ops)][stage] / ops * 1e6 for ops in shown]
            axes[2].plot(shown, per_op, marker="o", label=stage)
        axes[2].set_xscale("log")
        axes[2].set_yscale("log")
        axes[2].set_xlabel("ops in the chain")
        axes[2].set_ylabel("CPU µs per op (flat = linear)")
        axes[2].set_title("chain scaling")
        axes[2].legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON records are")
    parser.add_argument("--out", type=Path, default=HERE, help="where RESULTS.md and results.png go")
    args = parser.parse_args(argv)
    records = {name: load(args.results, name) for name in ("worksheet_job", "batch_width", "engine_overhead",
                                                           "long_chain")}
    lines = ["# Benchmark results", "",
             "Made by `python -m benchmarks.report` from the records in `benchmarks/results/`; each section names "
             "the command that measured it (see benchmarks/README.md). The machine was shared with other "
             "work while these ran: the load average is given with each table, CPU time beside wall-clock time, "
             "and the ratios, taken within one round of turns, are the figures to trust.", "",
             "![the worksheet job, batch and width, chain scaling](results.png)", ""]
    sections = (("worksheet_job", worksheet_section), ("batch_width", batch_width_section),
                ("engine_overhead", engine_section), ("long_chain", chain_section))
    for name, section in sections:
        if records[name]:
            lines += section(records[name])
    notes = args.results / "notes.md"
    if notes.exists():
        lines += [notes.read_text().rstrip(), ""]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "RESULTS.md").write_text("\n".join(lines))
    plot(records, args.out / "results.png")
    print(f"wrote {args.out / 'RESULTS.md'} and {args.out / 'results.png'}")


if __name__ == "__main__":
    main()
