"""What one ``Session.run`` costs minigraph itself: an add of two fed scalars.

    python -m benchmarks.engine_overhead [--quick] [--no-tensorflow]

A graph engine pays for every step twice: the kernels (here numpy's ``x + y``, well
under a microsecond) and its own work around them: checking the feeds, finding the
plan, filling the value list, packing the fetches. On a tiny graph the kernels are
almost nothing, so what is left is the engine. Three calls are timed:

- ``sess.run(c, {a: x, b: y})``: the general path, a feed dict and a fetch structure
  to read on every call;
- ``f(x, y)`` with ``f = sess.make_callable(c, [a, b])``: TF1's compiled step, where the
  fetches, feeds and plan were resolved once;
- ``x + y`` in numpy: the kernel alone.

minigraph's own time is the call's time minus the kernel's (``x + y`` on the same
0-d float32 arrays, timed the same way). Each is timed by ``timeit``: 7 repeats of
N calls; the best repeat is the figure (noise on a shared machine only ever adds
time), the median is printed beside it, and the best CPU time (``time.process_time``,
which does not count the time a neighbour held the core). TensorFlow's ``tf.compat.v1.Session`` on
the same graph is timed too, for scale (``--no-tensorflow`` skips it).
"""

from __future__ import annotations

import argparse
import statistics
import time
import timeit

import numpy as np

import minigraph as mg
from benchmarks.harness import RESULTS, load_average, machine, save_json


def per_call_microseconds(function, calls: int, repeats: int = 7) -> dict:
    """Best and median µs per call of `function` over `repeats` timings of `calls` calls,
    by the wall clock, and the best by CPU time (see the module docstring)."""
    wall = [seconds / calls * 1e6 for seconds in timeit.repeat(function, number=calls, repeat=repeats)]
    cpu = [seconds / calls * 1e6 for seconds in timeit.repeat(function, number=calls, repeat=repeats,
                                                               timer=time.process_time)]
    return {"best": round(min(wall), 3), "median": round(statistics.median(wall), 3), "best_cpu": round(min(cpu), 3)}


def time_minigraph(x, y, calls: int) -> dict:
    with mg.Graph().as_default():
        a = mg.placeholder(mg.float32, shape=(), name="a")
        b = mg.placeholder(mg.float32, shape=(), name="b")
        c = a + b
        session = mg.Session()
        callable_add = session.make_callable(c, [a, b])
        feed = {a: x, b: y}
        assert session.run(c, feed) == callable_add(x, y) == x + y  # the three compute the same
        return {"session.run": per_call_microseconds(lambda: session.run(c, feed), calls),
                "make_callable": per_call_microseconds(lambda: callable_add(x, y), calls)}


def time_tensorflow(x, y, calls: int) -> dict:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf1 = tf.compat.v1
    with tf.Graph().as_default():
        a = tf1.placeholder(tf.float32, shape=(), name="a")
        b = tf1.placeholder(tf.float32, shape=(), name="b")
        c = a + b
        config = tf1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
        with tf1.Session(config=config) as session:
            callable_add = session.make_callable(c, [a, b])
            feed = {a: x, b: y}
            session.run(c, feed)
            return {"version": tf.__version__,
                    "session.run": per_call_microseconds(lambda: session.run(c, feed), calls),
                    "make_callable": per_call_microseconds(lambda: callable_add(x, y), calls)}


def print_row(label: str, timing: dict, note: str = "") -> None:
    print(f"{label:<34}{timing['best']:>8.2f}{timing['median']:>8.2f}{timing['best_cpu']:>10.2f}{note}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000, help="calls per timing (7 timings each)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 500 calls per timing, no TensorFlow")
    parser.add_argument("--no-tensorflow", action="store_true")
    parser.add_argument("--json", default=None, help="where to write the record (default: "
                                                     "results/engine_overhead.json; --quick writes none unless asked)")
    args = parser.parse_args(argv)
    calls = 500 if args.quick else args.calls
    x, y = np.array(1.5, np.float32), np.array(2.5, np.float32)

    load = load_average()
    kernel = per_call_microseconds(lambda: x + y, calls)
    timings = time_minigraph(x, y, calls)
    record = {"machine": machine(), "load_before": load, "calls": calls, "minigraph_version": mg.__version__,
              "numpy x + y": kernel, "minigraph": {}}
    print(f"an add of two fed float32 scalars; µs per call, best of 7 x {calls:,} calls; load {load}")
    print(f"{'':<34}{'best':>8}{'median':>8}{'best CPU':>10}")
    print_row("numpy x + y (the kernel)", kernel)
    for path, timing in timings.items():
        own = {"own": round(timing["best"] - kernel["best"], 3),
               "own_cpu": round(timing["best_cpu"] - kernel["best_cpu"], 3)}
        record["minigraph"][path] = dict(timing, **own)
        print_row(f"minigraph {path}", timing, f"   minigraph's own: {own['own']:.2f} (CPU {own['own_cpu']:.2f})")
    if not (args.quick or args.no_tensorflow):
        tensorflow = time_tensorflow(x, y, calls)
        record["tensorflow"] = tensorflow
        for path in ("session.run", "make_callable"):
            print_row(f"TF {tensorflow['version']} {path}", tensorflow[path])
    path = args.json or (None if args.quick else RESULTS / "engine_overhead.json")
    if path:
        save_json(record, path)


if __name__ == "__main__":
    main()
