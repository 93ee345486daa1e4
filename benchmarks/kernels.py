"""What each kernel of the worksheet's training step costs at batch 32, alone.

    python -m benchmarks.kernels [--calls 20000] [--quick]

At batch 32 the arrays are tiny (32 x 10 logits, a 32 x 128 hidden layer): numpy
adds, multiplies and exponentiates them in well under a microsecond. What a kernel
costs is mostly the Python around the arithmetic: each numpy helper (``np.mean``,
``np.broadcast_to``, ``np.where``, an ``errstate`` block) spends a microsecond or more
checking its arguments before it touches a number. This script times each op's
kernel (``op.forward``) on the values it gets in the worksheet's step, one op at a
time, with no session around it: the numbers a faster kernel must lower.

These are the ops as the graph builds them, which is what a plan runs with the passes off
(``mg.passes.plain_config()``). With the passes on, the fit step runs fewer kernels: several
of these are fused into one (softmax and its cross-entropy, a dense layer's MatMul, bias
add and relu, the accuracy's argmaxes and count), and multiplications by weights of one
are gone. ``sess.plan_source(fetches)`` shows the steps a plan runs.

Each op is built as the worksheet's graph builds it (Dense(128) + relu, Dense(10) +
softmax, categorical cross-entropy, the accuracy metric, their gradients) on
placeholders of batch 32; the figure is the best of 7 timings of N calls (noise on a
shared machine only ever adds time), with the median beside it, and the best by CPU
time (``time.process_time``: what a busy neighbour takes is not counted). Run it with
``OPENBLAS_NUM_THREADS=1`` to time MatMul as the worksheet job does.
"""

from __future__ import annotations

import argparse

import numpy as np

import minigraph as mg
from benchmarks.engine_overhead import per_call_microseconds
from benchmarks.harness import load_average, machine
from minigraph.ops.array import broadcast_like, ones_like, sum_like
from minigraph.ops.nn import relu_gradient
from minigraph.ops.reduction import ReducedSize

BATCH, FEATURES, HIDDEN, CLASSES = 32, 60, 128, 10
WIDE = 4096  # the widest hidden layer of benchmarks/batch_width.py


def worksheet_kernels() -> list[tuple[str, mg.Operation, tuple]]:
    """(label, op, input values) for each kernel of the worksheet's step, at batch 32."""
    rng = np.random.default_rng(0)

    def value(*shape, dtype=np.float32):
        return rng.normal(size=shape).astype(dtype)

    def fed(*shape, dtype=mg.float32):
        return mg.placeholder(dtype, shape=(None,) + shape)

    inputs, hidden, logits = fed(FEATURES), fed(HIDDEN), fed(CLASSES)
    labels, per_example = fed(CLASSES), fed()
    kernel, bias = mg.placeholder(mg.float32, (FEATURES, HIDDEN)), mg.placeholder(mg.float32, (HIDDEN,))
    kernel_1, bias_1 = mg.placeholder(mg.float32, (HIDDEN, CLASSES)), mg.placeholder(mg.float32, (CLASSES,))
    hits = mg.placeholder(mg.bool, (None,))
    indices = mg.placeholder(mg.int64, (None,))

    x, h, z = value(BATCH, FEATURES), value(BATCH, HIDDEN), value(BATCH, CLASSES)
    y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, BATCH)]
    w, b, w1, b1, v = value(FEATURES, HIDDEN), value(HIDDEN), value(HIDDEN, CLASSES), value(CLASSES), value(BATCH)
    g_hidden = value(BATCH, HIDDEN)
    seed = mg.constant(1.0)
    rows = [
        ("MatMul (dense)", mg.matmul(inputs, kernel), (x, w)),
        ("MatMul (dense_1)", mg.matmul(hidden, kernel_1), (h, w1)),
        ("MatMul (grad, transpose_a)", mg.matmul(inputs, hidden, transpose_a=True), (x, g_hidden)),
        ("MatMul (grad, transpose_b)", mg.matmul(logits, kernel_1, transpose_b=True), (z, w1)),
        ("AddV2 (BiasAdd)", hidden + bias, (h, b)),
        ("Relu", mg.nn.relu(hidden), (h,)),
        ("ReluGrad", relu_gradient(hidden, hidden), (g_hidden, h)),
        ("Softmax", mg.nn.softmax(logits), (z,)),
        ("SoftmaxCrossEntropyWithLogits", mg.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits),
         (z, y)),
        ("Mul", per_example * per_example, (v, v)),
        ("Mean (loss)", mg.reduce_mean(per_example), (v,)),
        ("ArgMax", mg.argmax(logits, axis=1), (z,)),
        ("Equal", mg.equal(indices, indices), (np.argmax(z, 1), np.argmax(y, 1))),
        ("Cast (bool -> float32)", mg.cast(hits, mg.float32), (np.argmax(z, 1) == np.argmax(y, 1),)),
        ("OnesLike", ones_like(per_example), (v,)),
        ("Sum (metric)", mg.reduce_sum(per_example), (v,)),
        ("ReducedSize", ReducedSize(per_example, axis=None).output, (v,)),
        ("BroadcastLike (loss grad seed)", broadcast_like(seed, per_example), (np.array(1.0, np.float32), v)),
        ("BroadcastLike (xent grad)", broadcast_like(per_example, logits, axes=(-1,)), (v, z)),
        ("SumLike (bias grad)", sum_like(logits, bias_1), (z, b1)),
    ]
    return [(label, tensor.op, values) for label, tensor, values in rows]


def wide_kernels() -> list[tuple[str, mg.Operation, tuple]]:
    """The kernels whose size grows with the hidden layer, at width 4096 (batch 32): there
    the arithmetic, not the overhead, is the cost."""
    rng = np.random.default_rng(0)
    hidden, bias = mg.placeholder(mg.float32, (None, WIDE)), mg.placeholder(mg.float32, (WIDE,))
    h, g, b = (rng.normal(size=shape).astype(np.float32) for shape in ((BATCH, WIDE), (BATCH, WIDE), (WIDE,)))
    rows = [
        (f"Relu (width {WIDE})", mg.nn.relu(hidden), (h,)),
        (f"ReluGrad (width {WIDE})", relu_gradient(hidden, hidden), (g, h)),
        (f"SumLike (bias grad, width {WIDE})", sum_like(hidden, bias), (g, b)),
    ]
    return [(label, tensor.op, values) for label, tensor, values in rows]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000, help="calls per timing (7 timings each)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 200 calls per timing")
    args = parser.parse_args(argv)
    calls = 200 if args.quick else args.calls
    info = machine()
    print(f"kernels of the worksheet step at batch {BATCH}; µs per call, best of 7 x {calls:,} calls; "
          f"load {load_average()}")
    print(f"{info['cpu']}, numpy {info['numpy']}, {info['source']}, {info['date']}")
    print(f"{'kernel':<34}{'best':>8}{'median':>8}{'best CPU':>10}")
    with mg.Graph().as_default():
        # the wide kernels take ~20 times longer a call: ~20 times fewer calls
        for rows, row_calls, total_label in ((worksheet_kernels(), calls, "sum (the worksheet's kernels)"),
                                             (wide_kernels(), calls // 20 + 1, f"sum (width {WIDE})")):
            total = total_cpu = 0.0
            for label, op, values in rows:
                forward = op.forward
                timing = per_call_microseconds(lambda: forward(*values), row_calls)
                total += timing["best"]
                total_cpu += timing["best_cpu"]
                print(f"{label:<34}{timing['best']:>8.2f}{timing['median']:>8.2f}{timing['best_cpu']:>10.2f}")
            print(f"{total_label:<34}{total:>8.2f}{'':>8}{total_cpu:>10.2f}")


if __name__ == "__main__":
    main()
