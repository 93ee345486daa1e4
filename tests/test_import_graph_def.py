"""mg.import_graph_def: GraphDefs TensorFlow built (TF1 graph mode) run in minigraph with
TensorFlow's results.

- every case of the op table, built by TensorFlow's own functions (support/op_cases.py
  builds the same lambda in both libraries), imported and run on the same inputs;
- a CNN and the worksheet's network trained a little in TensorFlow, frozen by TF's
  graph_util and written by tf.io.write_graph (binary and text), then imported;
- the forms a GraphDef comes in, input_map and return_elements, and the refusals.

The worst relative difference is recorded as "TF graph run in minigraph, <dtype>".
"""

import numpy as np
import pytest
import tensorflow as tf

import minigraph as mg
from minigraph.graph_def import parse_text
from support.interop import assert_close, cnn_data, recorder, small_cnn
from support.op_cases import CASES, NO_GRADIENT_CASES, case_arrays
from support.tensorflow import tensorflow_lib

tf1 = tf.compat.v1
ALL_CASES = CASES + NO_GRADIENT_CASES

# cases whose TF functions build an op minigraph does not have: refused by name
REFUSED = {"l2_normalize": "Rsqrt"}  # tf.nn.l2_normalize multiplies by rsqrt(sum(x²)); minigraph divides by sqrt


@pytest.fixture
def record(parity_errors):
    return recorder(parity_errors, "TF graph run in minigraph")


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.id for case in ALL_CASES])
def test_op_table_built_by_tensorflow_runs_in_minigraph(case, record):
    xs, _, _ = case_arrays(case, "float32")
    with tf.Graph().as_default() as tf_graph:
        placeholders = [tf1.placeholder(x.dtype, x.shape) for x in xs]
        y = case.build(tensorflow_lib(), *placeholders)
        with tf1.Session() as session:
            theirs = session.run(y, dict(zip(placeholders, xs)))
    refused = next((op for prefix, op in REFUSED.items() if case.id.startswith(prefix)), None)
    with mg.Graph().as_default() as graph:
        if refused:
            with pytest.raises(ValueError, match=rf"has op {refused}, which minigraph does not have"):
                mg.import_graph_def(tf_graph.as_graph_def(), name="")
            return
        (ours_y,) = mg.import_graph_def(tf_graph.as_graph_def().SerializeToString(), return_elements=[y.name],
                                        name="")
        names = {op.name for op in graph.get_operations()}
        feeds = {graph.get_tensor_by_name(p.name): x for p, x in zip(placeholders, xs) if p.op.name in names}
        ours = mg.Session(graph=graph).run(ours_y, feeds)
    assert_close(ours, theirs, record, case.id)


def tensorflow_trained(build, x_value, y_value, steps=5):
    """A TF1 model trained a few steps, frozen by TF's own graph_util: (graph_def, output name)."""
    with tf.Graph().as_default() as graph:
        x = tf1.placeholder(tf.float32, (None,) + x_value.shape[1:], name="x")
        labels = tf1.placeholder(tf.float32, (None, y_value.shape[1]), name="labels")
        probabilities, logits = build(x)
        loss = tf.reduce_mean(tf1.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits))
        train = tf1.train.GradientDescentOptimizer(0.1).minimize(loss)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            for _ in range(steps):
                session.run(train, {x: x_value, labels: y_value})
            expected = session.run(probabilities, {x: x_value})
            frozen = tf1.graph_util.convert_variables_to_constants(session, graph.as_graph_def(),
                                                                   [probabilities.op.name])
    return frozen, probabilities.name, expected


def worksheet_network(x):
    """The worksheet's network written in TF1: 60 -> 128 relu -> 10 softmax."""
    rng = np.random.default_rng(0)
    w1 = tf1.Variable(rng.uniform(-0.2, 0.2, size=(60, 128)).astype("float32"), use_resource=False)
    b1 = tf1.Variable(np.zeros(128, "float32"), use_resource=False)
    w2 = tf1.Variable(rng.uniform(-0.2, 0.2, size=(128, 10)).astype("float32"), use_resource=False)
    b2 = tf1.Variable(np.zeros(10, "float32"), use_resource=False)
    logits = tf.nn.bias_add(tf.matmul(tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w1), b1)), w2), b2)
    return tf.nn.softmax(logits), logits


@pytest.mark.parametrize("as_text", [False, True], ids=["binary .pb", "text .pbtxt"])
def test_tensorflow_cnn_frozen_and_written_by_tensorflow(tmp_path, as_text, record):
    images, labels = cnn_data()
    frozen, output, expected = tensorflow_trained(lambda x: small_cnn(tf, x), images, labels)
    path = tf.io.write_graph(frozen, str(tmp_path), "cnn.pbtxt" if as_text else "cnn.pb", as_text=as_text)
    with open(path, "r" if as_text else "rb") as file:
        contents = file.read()
    with mg.Graph().as_default() as graph:
        (probabilities,) = mg.import_graph_def(contents, return_elements=[output])
        assert {"Conv2D", "BiasAdd", "MaxPool", "AvgPool", "Reshape", "MatMul", "Softmax"} <= {
            op.type for op in graph.get_operations()}
        ours = mg.Session(graph=graph).run(probabilities, {graph.get_tensor_by_name("import/x:0"): images})
    assert_close(ours, expected, record, f"TF's CNN ({'text' if as_text else 'binary'})")


def test_tensorflow_worksheet_network(record):
    rng = np.random.default_rng(1)
    x_value = (rng.normal(size=(64, 60)) * 100).astype("float32")
    y_value = np.eye(10, dtype="float32")[rng.integers(0, 10, size=64)]
    frozen, output, expected = tensorflow_trained(worksheet_network, x_value, y_value, steps=3)
    graph_def = mg.GraphDef()
    graph_def.ParseFromString(frozen.SerializeToString())
    with mg.Graph().as_default() as graph:
        (probabilities,) = mg.import_graph_def(graph_def, return_elements=[output], name="")
        ours = mg.Session(graph=graph).run(probabilities, {graph.get_tensor_by_name("x:0"): x_value})
    assert_close(ours, expected, record, "TF's worksheet network")


def test_every_form_of_graph_def_imports():
    with tf.Graph().as_default() as tf_graph:
        x = tf1.placeholder(tf.float32, (None, 3), name="x")
        tf.reduce_sum(tf.square(x), axis=1, name="total")
    message = tf_graph.as_graph_def()
    text = str(message)
    forms = {"message": message, "bytes": message.SerializeToString(), "text": text,
             "minigraph's GraphDef": parse_text(text)}
    for form, graph_def in forms.items():
        with mg.Graph().as_default() as graph:
            (total,) = mg.import_graph_def(graph_def, return_elements=["total:0"])
            assert total.name == "import/total:0", form
            value = mg.Session(graph=graph).run(total, {graph.get_tensor_by_name("import/x:0"): [[1, 2, 3]]})
            np.testing.assert_array_equal(value, [14.0], err_msg=form)
    with pytest.raises(TypeError, match="import_graph_def needs a GraphDef"):
        mg.import_graph_def(42)


def test_input_map_and_return_elements(graph):
    with tf.Graph().as_default() as tf_graph:
        x = tf1.placeholder(tf.float32, (None, 2), name="x")
        with tf.control_dependencies([tf.no_op(name="first")]):
            tf.nn.relu(x * 2.0, name="y")
    ours_x = mg.constant([[-1.0, 3.0]])
    y, first = mg.import_graph_def(tf_graph.as_graph_def(), input_map={"x:0": ours_x},
                                   return_elements=["y:0", "first"], name="model")
    assert y.name == "model/y:0" and isinstance(first, mg.Operation) and first.type == "NoOp"
    assert graph.get_operation_by_name("model/mul").inputs[0] is ours_x  # the placeholder is built (as TF), unused
    assert graph.get_operation_by_name("model/mul/y").control_inputs == (first,)  # where TF put it
    np.testing.assert_array_equal(mg.Session().run(y), [[0.0, 6.0]])
    with pytest.raises(ValueError, match="Requested return_element 'nothing' not found in graph_def"):
        mg.import_graph_def(tf_graph.as_graph_def(), return_elements=["nothing"])


def test_an_op_minigraph_lacks_is_refused_by_name(graph):
    with tf.Graph().as_default() as tf_graph:
        x = tf1.placeholder(tf.float32, (2,), name="x")
        tf.math.rsqrt(x, name="inverse_root")
    with pytest.raises(ValueError, match=r"Node 'inverse_root' has op Rsqrt, which minigraph does not have"):
        mg.import_graph_def(tf_graph.as_graph_def())


def test_an_axis_computed_from_a_feed_is_refused(graph):
    with tf.Graph().as_default() as tf_graph:
        x = tf1.placeholder(tf.float32, (2, 3), name="x")
        axis = tf1.placeholder(tf.int32, (), name="axis")
        tf.reduce_sum(x, axis=axis, name="total")
    with pytest.raises(ValueError, match=r"Sum 'total': its input 1 \('axis'\) must be known when the graph is "
                                         r"built \(minigraph keeps it as an attribute\), but it comes from "
                                         r"Placeholder 'axis', which needs a run"):
        mg.import_graph_def(tf_graph.as_graph_def())


def test_freeze_then_import_back_into_minigraph(graph):
    """minigraph -> frozen GraphDef -> minigraph: the same values, and still differentiable."""
    x = mg.placeholder(mg.float32, (None, 3), name="x")
    w = mg.Variable(np.arange(6, dtype="float32").reshape(3, 2) / 10)
    y = mg.nn.softmax(mg.nn.relu(x @ w) + mg.reduce_mean(x, axis=1, keepdims=True), name="y")
    x_value = np.array([[1.0, -2.0, 3.0]], "float32")
    with mg.Session() as session:
        session.run(mg.global_variables_initializer())
        expected = session.run(y, {x: x_value})
        frozen = mg.graph_util.convert_variables_to_constants(session, graph.as_graph_def(), ["y"])
    with mg.Graph().as_default() as again:
        (y2,) = mg.import_graph_def(frozen, return_elements=["y:0"], name="")
        (grad,) = mg.gradients(mg.reduce_sum(y2 * y2), [again.get_tensor_by_name("x:0")])
        value, gradient = mg.Session(graph=again).run([y2, grad], {again.get_tensor_by_name("x:0"): x_value})
    np.testing.assert_array_equal(value, expected)
    assert gradient.shape == (1, 3)


def test_a_graph_with_variables_must_be_frozen_first(graph):
    with tf.Graph().as_default() as tf_graph:
        weights = tf1.Variable(np.ones((2, 2), "float32"), name="weights", use_resource=False)
        tf.matmul(tf1.placeholder(tf.float32, (1, 2)), weights)
    with pytest.raises(ValueError, match=r"Node 'weights' is a TensorFlow variable \(VariableV2\): freeze the graph "
                                         r"first \(tf.compat.v1.graph_util.convert_variables_to_constants\)"):
        mg.import_graph_def(tf_graph.as_graph_def())
