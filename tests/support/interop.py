"""Running one model in two libraries: a GraphDef in TensorFlow (TF1 graph mode), the
worksheet's network and a small CNN built and trained a little in minigraph."""

from __future__ import annotations

import numpy as np

import minigraph as mg
from support.parity import relative_error


def case_in_minigraph(case):
    """An op-table case built in a new graph on float32 placeholders: (graph, {placeholder: input}, y)."""
    from support.op_cases import case_arrays

    xs, _, _ = case_arrays(case, "float32")
    with mg.Graph().as_default() as graph:
        placeholders = [mg.placeholder(x.dtype, x.shape) for x in xs]
        y = case.build(mg, *placeholders)
    return graph, dict(zip(placeholders, xs)), y


def recorder(parity_errors, direction: str):
    """`record(dtype, error, where)` for assert_close: the worst error of each dtype, per direction."""
    return lambda dtype, error, where: parity_errors.record(f"{direction}, {dtype}", error, where)


def assert_close(ours: np.ndarray, theirs: np.ndarray, record, where: str, tolerance: float = 1e-5) -> None:
    """The same dtype and shape; floats within `tolerance` (relative to the array's scale,
    support/parity.py) and recorded with `record(dtype name, error, where)`; the rest equal."""
    assert ours.dtype == theirs.dtype, where
    assert ours.shape == theirs.shape, where
    if ours.dtype.kind == "f":
        error = relative_error(ours, theirs)
        record(ours.dtype.name, error, where)
        assert error <= tolerance, f"{where}: relative error {error:.3g}"
    else:
        np.testing.assert_array_equal(ours, theirs, err_msg=where)


def run_in_tensorflow(graph_def, fetches: list[str], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Imports a GraphDef (a message, or minigraph's text parsed by protobuf) into a new TF
    graph and runs it: tensor names in, arrays out. Feeds naming no node are dropped (a
    shape minigraph knew statically is a Const there, and its placeholder fell away).

    TF's default session config, as a user runs a frozen graph. (With grappler off and
    opt_level L0, support.tensorflow's plain config, TF 2.21 gave zeros for the second-order
    conv gradient of test_graph_util, or our numbers when every node was fetched too.)"""
    import tensorflow as tf
    from google.protobuf import text_format

    if not isinstance(graph_def, tf.compat.v1.GraphDef):
        graph_def = text_format.Parse(str(graph_def), tf.compat.v1.GraphDef())
    names = {node.name for node in graph_def.node}
    with tf.Graph().as_default() as graph:
        tf.compat.v1.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=graph) as session:
            return session.run(fetches, {k: v for k, v in feeds.items() if k.split(":")[0] in names})


def small_cnn(lib, x, seed: int = 0):
    """conv2d + bias_add + relu, max_pool, avg_pool, reshape, matmul + bias, softmax: the ops of a
    Keras CNN, with variables of fixed starting values so both libraries start alike."""
    rng = np.random.default_rng(seed)
    v1 = lib.compat.v1 if lib is not mg else mg

    def variable(*shape):
        return v1.Variable(rng.normal(scale=0.3, size=shape).astype("float32"))

    w, b, v, c = variable(3, 3, 1, 4), variable(4), variable(2 * 2 * 4, 3), variable(3)
    h = lib.nn.relu(lib.nn.bias_add(lib.nn.conv2d(x, w, [1, 1, 1, 1], "SAME"), b))
    h = lib.nn.avg_pool(lib.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME"), [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    logits = lib.matmul(lib.reshape(h, [-1, 2 * 2 * 4]), v) + c
    return lib.nn.softmax(logits), logits


def trained_small_cnn(images: np.ndarray, labels: np.ndarray, steps: int = 5):
    """minigraph's small_cnn after a few steps of gradient descent: (session, x, probabilities)."""
    graph = mg.Graph()
    with graph.as_default():
        x = mg.placeholder(mg.float32, (None, 8, 8, 1), name="images")
        y = mg.placeholder(mg.float32, (None, 3), name="labels")
        probabilities, logits = small_cnn(mg, x)
        loss = mg.reduce_mean(mg.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))
        train = mg.train.GradientDescentOptimizer(0.1).minimize(loss)
        session = mg.Session(graph=graph)
        session.run(mg.global_variables_initializer())
        for _ in range(steps):
            session.run(train, {x: images, y: labels})
    return session, x, probabilities


def cnn_data(count: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    images = rng.normal(size=(count, 8, 8, 1)).astype("float32")
    labels = np.eye(3, dtype="float32")[rng.integers(0, 3, size=count)]
    return images, labels


def trained_worksheet_model(samples: int = 256, seed: int = 0):
    """The worksheet's network (60 -> Dense(128) relu -> Dense(10) softmax), fit one epoch
    with Adam on inputs shaped like its PCA features: (model, inputs)."""
    from minigraph.examples.worksheet import build_model
    from minigraph.keras.utils import set_random_seed

    set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(samples, 60)) * 100).astype("float32")  # unscaled, as the worksheet's PCA output
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, size=samples)]
    model = build_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    return model, x
