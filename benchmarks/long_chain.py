"""Time a chain of 20,000 ops: build it, run it, differentiate it, run the gradients.

The chain is x_{n+1} = x_n * a + b (a Mul and an AddV2 per step, 10,000 steps), the
deepest graph a student could make: every op depends on the one before. Nothing in
minigraph walks a graph by recursion, so depth costs time in proportion to the
number of nodes, and never a RecursionError. tests/test_scale.py checks the values.

Run from the repository root: python -m benchmarks.long_chain
(or python benchmarks/long_chain.py once minigraph is installed, as tools/setup.sh does).
"""

import time

import numpy as np

import minigraph as mg

STEPS = 10_000  # two ops per step: 20,000 ops in the chain


def build_chain(steps: int = STEPS):
    """x0, a, b placeholders and x_steps, in a new graph."""
    x0 = mg.placeholder(mg.float64, shape=(4,), name="x0")
    a = mg.placeholder(mg.float64, shape=(), name="a")
    b = mg.constant(np.float64(1e-4), name="b")
    x = x0
    for _ in range(steps):
        x = x * a + b
    return x0, a, x


def main() -> None:
    feed_values = (np.linspace(-1.0, 1.0, 4), 1.0001)
    with mg.Graph().as_default() as graph:
        started = time.perf_counter()
        x0, a, x = build_chain()
        build = time.perf_counter() - started
        forward_ops = len(graph.get_operations())

        session = mg.Session()
        feed = dict(zip((x0, a), feed_values))
        started = time.perf_counter()
        session.run(x, feed)
        first_run = time.perf_counter() - started  # plans the run, then executes it
        started = time.perf_counter()
        session.run(x, feed)
        cached_run = time.perf_counter() - started

        started = time.perf_counter()
        grads = mg.gradients(mg.reduce_sum(x), [x0, a])
        differentiate = time.perf_counter() - started
        started = time.perf_counter()
        session.run(grads, feed)
        gradient_run = time.perf_counter() - started
        started = time.perf_counter()
        session.run(grads, feed)
        cached_gradient_run = time.perf_counter() - started
        all_ops = len(graph.get_operations())

    print(f"chain of {2 * STEPS:,} ops ({forward_ops:,} nodes with the leaves)")
    print(f"gradient graph of {all_ops - forward_ops:,} nodes")
    print(f"build                 {build:7.3f} s")
    print(f"run (first: plans)    {first_run:7.3f} s")
    print(f"run (plan cached)     {cached_run:7.3f} s")
    print(f"gradients()           {differentiate:7.3f} s")
    print(f"run gradients (first) {gradient_run:7.3f} s")
    print(f"run gradients (again) {cached_gradient_run:7.3f} s")


if __name__ == "__main__":
    main()
