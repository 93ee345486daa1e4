"""Milliseconds per training step of mnist_deep's network: minigraph next to TensorFlow.

    python benchmarks/conv_vs_tf.py [--rounds 10] [--steps 5] [--threads 1] [--profile]

The network of TF's r1.x tutorial mnist_deep.py, built the same way in both
libraries (tf.compat.v1 graph mode for TensorFlow): 28x28x1 images, 5x5 conv with
32 filters SAME + bias + relu, 2x2 max pool stride 2, 5x5 conv with 64 filters
SAME + bias + relu, 2x2 max pool, dense 1024 + relu, dense 10, softmax
cross-entropy, batch 50. One step = forward, backward and a plain SGD update of
the eight variables (``GradientDescentOptimizer.minimize``). The tutorial's dropout
is left out of both (it is not part of this comparison), and the batch is random
uniform images with random one-hot labels: the work per step does not depend on
the values. TensorFlow runs with its default session options, grappler's rewrites
included (it fuses each conv2d with its bias add and relu).

The two libraries take turns, `steps` steps each per round, after two warm-up steps
each, so both see the same machine load; the table gives the median ms per step.
BLAS threads (numpy's, through threadpoolctl) and TensorFlow's thread settings are
printed with the result. ``--threads N`` gives both libraries N threads (numpy's BLAS
through threadpoolctl, TF's intra- and inter-op pools); 0 lets each use every core.
The default is 1 each: on a machine shared with other work it is the steady
comparison, because OpenBLAS's threads spin while they wait for each other and lose
badly when the cores are oversubscribed (TF's pool copes better). On an idle machine,
compare --threads 0 too. CPU time per step (all threads) is printed next to wall-clock
time: it shows the work each library does, whatever else the machine is running.
``--profile`` adds minigraph's CPU time per op type.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections import defaultdict

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

import minigraph as mg  # noqa: E402

BATCH = 50
SHAPES = {"W_conv1": (5, 5, 1, 32), "b_conv1": (32,), "W_conv2": (5, 5, 32, 64), "b_conv2": (64,),
          "W_fc1": (7 * 7 * 64, 1024), "b_fc1": (1024,), "W_fc2": (1024, 10), "b_fc2": (10,)}  # fmt: skip


def initial_weights(seed: int = 0) -> dict:
    """As the tutorial: weights normal with std 0.1 (truncated there), biases 0.1."""
    rng = np.random.default_rng(seed)
    return {
        name: (np.full(shape, 0.1) if name.startswith("b") else rng.normal(0.0, 0.1, shape)).astype(np.float32)
        for name, shape in SHAPES.items()
    }


def build_step(lib, tf1_api, weights: dict):
    """mnist_deep's graph and an SGD step in `lib` (mg, or TF with tf1_api = tf.compat.v1)."""
    x = tf1_api.placeholder(lib.float32, (None, 784))
    y_ = tf1_api.placeholder(lib.float32, (None, 10))
    v = {name: tf1_api.Variable(value, name=name) for name, value in weights.items()}

    def conv_relu_pool(inputs, w, b):
        h = lib.nn.relu(lib.nn.conv2d(inputs, w, strides=[1, 1, 1, 1], padding="SAME") + b)
        return lib.nn.max_pool(h, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")

    h_pool1 = conv_relu_pool(lib.reshape(x, [-1, 28, 28, 1]), v["W_conv1"], v["b_conv1"])
    h_pool2 = conv_relu_pool(h_pool1, v["W_conv2"], v["b_conv2"])
    h_fc1 = lib.nn.relu(lib.matmul(lib.reshape(h_pool2, [-1, 7 * 7 * 64]), v["W_fc1"]) + v["b_fc1"])
    logits = lib.matmul(h_fc1, v["W_fc2"]) + v["b_fc2"]
    loss = lib.reduce_mean(tf1_api.nn.softmax_cross_entropy_with_logits(labels=y_, logits=logits))
    train_step = tf1_api.train.GradientDescentOptimizer(0.01).minimize(loss)
    return x, y_, loss, train_step, tf1_api.global_variables_initializer()


class Runner:
    """One library's graph and session, ready to time steps on one batch."""

    def __init__(self, name, session, x, y_, loss, train_step, init, batch):
        self.name, self.session = name, session
        self.feed = {x: batch[0], y_: batch[1]}
        self.fetches = [loss, train_step]
        self.milliseconds: list[float] = []  # wall-clock time per step
        self.cpu_milliseconds: list[float] = []  # CPU time per step, summed over the process's threads
        session.run(init)

    def step(self) -> float:
        started, cpu_started = time.perf_counter(), time.process_time()
        loss, _ = self.session.run(self.fetches, self.feed)
        self.milliseconds.append((time.perf_counter() - started) * 1000)
        self.cpu_milliseconds.append((time.process_time() - cpu_started) * 1000)
        return float(loss)


def minigraph_runner(weights, batch) -> Runner:
    graph = mg.Graph()
    with graph.as_default():
        parts = build_step(mg, mg, weights)
    return Runner("minigraph", mg.Session(graph=graph), *parts, batch)


def tensorflow_runner(weights, batch, threads: int) -> Runner:
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        parts = build_step(tf, tf.compat.v1, weights)
    config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads)
    return Runner("TensorFlow", tf.compat.v1.Session(graph=graph, config=config), *parts, batch)


def profile(weights, batch, steps: int) -> dict:
    """minigraph's CPU ms per step by op type, each kernel timed through a wrapper."""
    runner = minigraph_runner(weights, batch)
    totals: dict[str, float] = defaultdict(float)
    for op in runner.session.graph.get_operations():
        def timed(*values, _forward=op.forward, _type=op.type_name):
            started = time.process_time()  # CPU time: steady when other work shares the machine
            result = _forward(*values)
            totals[_type] += time.process_time() - started
            return result

        op.forward = timed  # shadows the class's kernel on this graph only; the step's plan is made next
    for _ in range(steps):
        runner.step()
    return {name: seconds * 1000 / steps for name, seconds in sorted(totals.items(), key=lambda kv: -kv[1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=5, help="steps per library per round")
    parser.add_argument("--threads", type=int, default=1, help="threads for each library (0: all cores)")
    parser.add_argument("--profile", action="store_true", help="minigraph's time per op type")
    args = parser.parse_args()

    import tensorflow as tf

    if args.threads:  # after TF's import, so every BLAS it loads is limited too
        threadpool_limits(limits=args.threads)
    rng = np.random.default_rng(1)
    batch = (rng.uniform(size=(BATCH, 784)).astype(np.float32),
             np.eye(10, dtype=np.float32)[rng.integers(0, 10, BATCH)])  # fmt: skip
    weights = initial_weights()
    runners = [minigraph_runner(weights, batch), tensorflow_runner(weights, batch, args.threads)]
    first_losses = [runner.step() for runner in runners]
    for runner in runners:
        runner.step()  # the second warm-up step
        runner.milliseconds.clear()
        runner.cpu_milliseconds.clear()
    for _ in range(args.rounds):
        for runner in runners:
            for _ in range(args.steps):
                runner.step()

    print(f"mnist_deep training step (batch {BATCH}, float32, SGD), {args.rounds} rounds x {args.steps} steps each")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"numpy {np.__version__}, TensorFlow {tf.__version__}")  # fmt: skip
    for pool in threadpool_info():
        library = f"{pool['internal_api']} {pool.get('version') or ''} ({os.path.basename(pool['filepath'])})"
        print(f"thread pool: {library}, {pool['num_threads']} threads")
    print(f"TensorFlow threads: intra-op and inter-op {args.threads} (0 = one per core)")
    print(f"first-step loss: minigraph {first_losses[0]:.6f}, TensorFlow {first_losses[1]:.6f}")
    medians = [statistics.median(runner.milliseconds) for runner in runners]
    cpu = [statistics.median(runner.cpu_milliseconds) for runner in runners]
    for runner, median, cpu_median in zip(runners, medians, cpu):
        low, high = min(runner.milliseconds), max(runner.milliseconds)
        print(f"{runner.name:>10}: median {median:7.1f} ms/step (min {low:.1f}, max {high:.1f}); "
              f"CPU {cpu_median:.1f} ms/step")  # fmt: skip
    print(f"minigraph / TensorFlow: {medians[0] / medians[1]:.2f}x wall-clock, {cpu[0] / cpu[1]:.2f}x CPU time")
    if args.profile:
        print("minigraph, CPU ms per step by op type:")
        for name, ms in profile(weights, batch, args.rounds * args.steps).items():
            print(f"  {name:>22} {ms:7.2f}")


if __name__ == "__main__":
    main()
