"""minigraph.graph_def: as_graph_def() next to TensorFlow's own, for the same graphs.

minigraph's str(graph_def) is parsed by real protobuf (the one TensorFlow ships) into
TensorFlow's GraphDef message, then compared with the GraphDef TensorFlow builds.
Known differences, by design:

- `versions { producer: ... }` names a TF release; it is not compared.
- TF stores a constant of several elements as binary `tensor_content`; minigraph
  prints the values (`float_val: 1`), which is the same tensor to protobuf, so
  constants are compared by value (tf.make_ndarray).
- TF adds attributes minigraph has no use for: MatMul's `grad_a`/`grad_b`, and
  `_has_manual_control_dependencies` on a variable's Assign.
"""

import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import text_format

import minigraph as mg
from minigraph.keras import backend as K

tf1 = tf.compat.v1
pytestmark = pytest.mark.usefixtures("graph")

TF_ONLY_ATTRS = {"grad_a", "grad_b", "_has_manual_control_dependencies"}
W = np.array([[1.0, 2.0], [3.0, 4.0]])


def parse(graph_def) -> tf1.GraphDef:
    """minigraph's text, read by protobuf into TensorFlow's GraphDef message."""
    return text_format.Parse(str(graph_def), tf1.GraphDef())


def placeholders_and_add(lib, placeholder):
    x = placeholder("float32", shape=(2, 2))
    y = placeholder("float32", shape=(2, 2))
    return x + y


def dot_with_variables(lib, placeholder, variable):
    """The worksheet's K.dot cell, with a bias and the initializer."""
    x = placeholder("float32", shape=(None, 2))
    w = variable(W, dtype="float32")
    b = variable(np.zeros(2), dtype="float32", name="bias")
    y = lib.nn.relu(lib.matmul(x, w) + b)
    lib.nn.softmax(y)
    return lib.compat.v1.global_variables_initializer() if lib is tf else mg.global_variables_initializer()


def tensorflow_graph_def(build, *args):
    with tf.Graph().as_default() as graph:
        build(tf, tf1.placeholder, *args)
        return graph.as_graph_def()


def ref_variable(value, dtype, name=None):
    return tf1.Variable(value, dtype=dtype, name=name, use_resource=False)  # TF1's VariableV2


def test_placeholders_and_add_equal_tensorflows(graph):
    theirs = tensorflow_graph_def(placeholders_and_add)
    placeholders_and_add(mg, mg.placeholder)
    ours = parse(graph.as_graph_def())
    ours.versions.CopyFrom(theirs.versions)
    assert ours == theirs


def test_text_is_tensorflows_text(graph):
    """Character for character what protobuf prints for TF's GraphDef (but the producer)."""
    theirs = tensorflow_graph_def(placeholders_and_add)
    placeholders_and_add(mg, mg.placeholder)
    ours = graph.as_graph_def()
    producer = f"producer: {ours.producer}"
    assert str(ours).replace(producer, f"producer: {theirs.versions.producer}") == text_format.MessageToString(theirs)
    assert str(ours).startswith('node {\n  name: "Placeholder"\n  op: "Placeholder"\n  attr {\n    key: "dtype"\n')


def test_variables_and_matmul_match_tensorflow(graph):
    theirs = tensorflow_graph_def(dot_with_variables, ref_variable)
    dot_with_variables(mg, mg.placeholder, lambda value, dtype, name=None: mg.Variable(value, dtype=dtype, name=name))
    ours = parse(graph.as_graph_def())
    assert [(n.name, n.op, list(n.input)) for n in ours.node] == [(n.name, n.op, list(n.input)) for n in theirs.node]
    assert [n.name for n in ours.node] == [
        "Placeholder", "Variable/initial_value", "Variable", "Variable/Assign", "Variable/read",
        "bias/initial_value", "bias", "bias/Assign", "bias/read", "MatMul", "add", "Relu", "Softmax", "init",
    ]  # fmt: skip
    assert list(ours.node[-1].input) == ["^Variable/Assign", "^bias/Assign"]
    for mine, reference in zip(ours.node, theirs.node):
        assert set(mine.attr) == set(reference.attr) - TF_ONLY_ATTRS, mine.name
        for key in mine.attr:
            if key == "value":
                ours_tensor, their_tensor = mine.attr[key].tensor, reference.attr[key].tensor
                np.testing.assert_array_equal(tf.make_ndarray(ours_tensor), tf.make_ndarray(their_tensor))
                assert ours_tensor.dtype == their_tensor.dtype
                assert ours_tensor.tensor_shape == their_tensor.tensor_shape
            else:
                assert mine.attr[key] == reference.attr[key], f"{mine.name}: attr {key}"


def test_the_worksheets_backend_cell():
    """x = K.placeholder; w = K.variable; K.dot(x, w): the node names TF1 gives them."""
    x = K.placeholder(shape=(2, 2))
    w = K.variable(W)
    K.dot(x, w)
    mg.global_variables_initializer()
    ours = parse(mg.get_default_graph().as_graph_def())
    expected = [
        ("Placeholder", "Placeholder", []),
        ("Variable/initial_value", "Const", []),
        ("Variable", "VariableV2", []),
        ("Variable/Assign", "Assign", ["Variable", "Variable/initial_value"]),
        ("Variable/read", "Identity", ["Variable"]),
        ("MatMul", "MatMul", ["Placeholder", "Variable/read"]),
        ("init", "NoOp", ["^Variable/Assign"]),
    ]
    assert [(n.name, n.op, list(n.input)) for n in ours.node] == expected


def test_every_kind_of_node_parses(graph):
    """A graph with every op, attribute kind and constant dtype: protobuf reads it all."""
    x = mg.placeholder(mg.float32, shape=(None, 3))
    anything = mg.placeholder(mg.float64)
    labels = mg.placeholder(mg.float32, shape=(None, 3))
    w = mg.Variable(np.full((3, 3), 0.1), dtype=mg.float32)
    h = mg.clip_by_value(mg.nn.tanh(mg.transpose(x @ w)), -0.5, 0.5)
    loss = mg.reduce_mean(mg.nn.softmax_cross_entropy_with_logits(labels=labels, logits=mg.transpose(h)))
    mg.gradients(loss, [w, x])
    mg.argmax(mg.reshape(x, (-1,)), 0)
    mg.equal(mg.cast(x, mg.int64), mg.constant(np.int64(3)))
    mg.constant([True, False])
    mg.constant(np.array([1 / 3, 1e-8, 1e20]), name="doubles")
    mg.sqrt(anything * 2.0) - mg.exp(anything)
    mg.assign_sub(w, mg.ones_like(w))
    ours = parse(graph.as_graph_def())
    assert [n.name for n in ours.node] == [op.name for op in graph.get_operations()]
    by_name = {n.name: n for n in ours.node}
    np.testing.assert_array_equal(tf.make_ndarray(by_name["doubles"].attr["value"].tensor), [1 / 3, 1e-8, 1e20])
    assert by_name["transpose"].attr["perm"].list.i == [1, 0]
    assert by_name["Placeholder_1"].attr["shape"].shape.unknown_rank
    assert [d.size for d in by_name["Placeholder"].attr["shape"].shape.dim] == [-1, 3]


@pytest.mark.parametrize("value", [0.1, 1.0, 1 / 3, 1e-8, 1e8, 123456789.0, -0.0, 3e38, np.inf])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_floats_print_as_tensorflow_prints_them(value, dtype):
    """str(graph_def) of a scalar constant, line for line TensorFlow's print."""
    with tf.Graph().as_default() as graph:
        tf.constant(value, dtype=dtype)
    theirs = [line for line in str(graph.as_graph_def()).splitlines() if "_val:" in line]
    mg.constant(value, dtype=dtype)
    ours = [line for line in str(mg.get_default_graph().as_graph_def()).splitlines() if "_val:" in line]
    assert ours == theirs
