"""Chains of 1,000, 10,000 and 100,000 ops: build, plan, run, differentiate. Time per op stays flat.

    python -m benchmarks.long_chain [--sizes 1000 10000 100000] [--quick]

The chain is x_{n+1} = x_n * a + b (a Mul and an AddV2 per link), the deepest graph
a student could make: every op depends on the one before. Nothing in minigraph walks
a graph by recursion, and nothing it does per op looks at the whole graph, so each
stage should cost the same per op at every length: linear in graph size. For each
length the script times

- **build**: the Python loop that adds the ops to a new graph;
- **plan**: ``sess.make_callable(x, [x0, a])``, which walks back from the fetch and
  orders the ops (no kernel runs);
- **first run**: its first call, which reads the plan step by step: each op's kernel
  on a (4,) vector;
- **compile**: its second call, which compiles the plan to one Python function
  (``minigraph/plan.py``) and runs it, less a run of the compiled function (a plan of
  more than ``plan.LARGEST_COMPILED`` steps is never compiled: then this is about 0);
- **run**: a call of the compiled function (the best of 3), or of the interpreted plan;
- **differentiate**: ``mg.gradients(reduce_sum(x), [x0, a])``, which adds the
  gradient graph (about twice as many ops again);
- **plan + run gradients**: the first call of a callable fetching the gradients.

and prints µs per op of each stage, and the ratio of that figure at the longest
chain to the shortest (1.0 is perfectly linear). tests/test_scale.py checks the values.

The times are CPU times (``time.process_time``): all of this is one thread of Python,
and on a machine shared with other work, wall-clock time would also count the
seconds this process waited for a core. The wall-clock total is printed beside them.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import minigraph as mg
from benchmarks.harness import RESULTS, load_average, machine, save_json
from minigraph.plan import LARGEST_COMPILED

STAGES = ("build", "plan", "first run", "compile", "run", "differentiate", "plan + run gradients")


def build_chain(links: int):
    """x0, a and x_links in the default graph: two ops (Mul, AddV2) per link."""
    x0 = mg.placeholder(mg.float64, shape=(4,), name="x0")
    a = mg.placeholder(mg.float64, shape=(), name="a")
    b = mg.constant(np.float64(1e-4), name="b")
    x = x0
    for _ in range(links):
        x = x * a + b
    return x0, a, x


def seconds(function):
    """Runs `function` once; returns its CPU seconds and its result (see the module docstring)."""
    started = time.process_time()
    result = function()
    return time.process_time() - started, result


def time_chain(ops: int) -> dict:
    """Seconds of each stage for a chain of `ops` ops, in a new graph and session."""
    feed_values = (np.linspace(-1.0, 1.0, 4), 1.0001)
    with mg.Graph().as_default() as graph:
        times = {"load_before": load_average()}
        times["build"], (x0, a, x) = seconds(lambda: build_chain(ops // 2))
        session = mg.Session()
        times["plan"], forward = seconds(lambda: session.make_callable(x, [x0, a]))
        times["first run"], _ = seconds(lambda: forward(*feed_values))
        compile_and_run, _ = seconds(lambda: forward(*feed_values))
        times["run"] = min(seconds(lambda: forward(*feed_values))[0] for _ in range(3))
        times["compile"] = max(compile_and_run - times["run"], 0.0)
        times["compiled"] = ops <= LARGEST_COMPILED  # the chain's plan has about as many steps as ops
        operations_before = len(graph.get_operations())
        times["differentiate"], grads = seconds(lambda: mg.gradients(mg.reduce_sum(x), [x0, a]))
        times["gradient_ops"] = len(graph.get_operations()) - operations_before
        times["plan + run gradients"], _ = seconds(lambda: session.make_callable(grads, [x0, a])(*feed_values))
        session.close()
    return times


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000], help="ops in each chain")
    parser.add_argument("--quick", action="store_true", help="smoke run: chains of 1,000 and 4,000 ops")
    parser.add_argument("--json", default=None, help="where to write the record (default: results/long_chain.json; "
                                                     "--quick writes none unless asked)")
    args = parser.parse_args(argv)
    sizes = [1_000, 4_000] if args.quick else args.sizes
    chains = {}
    for ops in sizes:
        started = time.perf_counter()
        chains[ops] = time_chain(ops)
        chains[ops]["wall_seconds"] = time.perf_counter() - started

    print("CPU seconds of each stage (µs per op of the chain)")
    print(f"{'ops':>8}" + "".join(f"{stage:>22}" for stage in STAGES) + f"{'gradient ops':>14}{'wall s':>8}{'load':>6}")
    for ops, times in chains.items():
        cells = [f"{times[stage]:.3f} s {times[stage] / ops * 1e6:5.1f} µs" for stage in STAGES]
        print(f"{ops:>8,}" + "".join(f"{cell:>22}" for cell in cells)
              + f"{times['gradient_ops']:>14,}{times['wall_seconds']:>8.1f}{times['load_before']:>6.2f}")
    shortest, longest = min(sizes), max(sizes)
    # compiling is timed on the chains whose plans are compiled, the longest of those
    longest_compiled = max((ops for ops in sizes if chains[ops]["compiled"]), default=shortest)
    growth = {stage: (chains[last][stage] / last) / (chains[shortest][stage] / shortest)
              for stage, last in ((stage, longest_compiled if stage == "compile" else longest) for stage in STAGES)}
    print(f"µs per op at {longest:,} ops / at {shortest:,} ops (1.0: linear; compile: at {longest_compiled:,} ops, "
          f"the longest plan compiled): " + ", ".join(f"{stage} {ratio:.2f}" for stage, ratio in growth.items()))
    record = {"machine": machine(), "minigraph_version": mg.__version__,
              "chains": {str(ops): times for ops, times in chains.items()}, "per_op_growth": growth}
    path = args.json or (None if args.quick else RESULTS / "long_chain.json")
    if path:
        save_json(record, path)


if __name__ == "__main__":
    main()
