"""ops/comparison.py and the operators that build its ops, against TensorFlow 1.x
(tf.compat.v1 graph mode): node names, op types, inputs and attributes; bool in and
bool out; TF1's operators (< <= >= on numbers, & | ^ ~ on bools, no ==).

Values against TF are in the op table (support/op_cases.py)."""

import numpy as np
import pytest
import tensorflow as tf

import minigraph as mg
from support.graph_defs import assert_same_nodes, tensorflow_graph_def

v1 = tf.compat.v1


def build_both(build):
    """`build(lib, x, y, b, c)` with float64 placeholders x, y and bool b, c, in each library."""
    graphs = []
    for lib, graph in ((v1, tf.Graph()), (mg, mg.Graph())):
        with graph.as_default():
            x, y = lib.placeholder(lib.float64, (2, 3), name="x"), lib.placeholder(lib.float64, (3,), name="y")
            b, c = lib.placeholder(lib.bool, (2, 3), name="b"), lib.placeholder(lib.bool, (2, 3), name="c")
            build(lib, x, y, b, c)
        graphs.append(graph)
    return graphs


@pytest.mark.parametrize("build", [
    lambda lib, x, y, b, c: [lib.less(x, y), lib.less_equal(x, y), lib.greater_equal(x, y), lib.not_equal(x, y)],
    lambda lib, x, y, b, c: [x < y, x <= y, x >= y, x > y, y <= x],
    lambda lib, x, y, b, c: [lib.not_equal(b, c), lib.logical_and(b, c), lib.logical_or(b, c),
                             lib.logical_not(b), lib.logical_xor(b, c), lib.logical_xor(c, b, name="flip")],
    lambda lib, x, y, b, c: [b & c, b | c, b ^ c, ~b, c ^ b, (x > y) | b],
], ids=["functions", "operators", "logical functions", "logical operators"])
def test_graph_defs_match_tensorflow(build):
    """Python values are left out: minigraph names their constants Const, TF '<op>/y'."""
    theirs, ours = build_both(build)
    # TF's Equal and NotEqual carry incompatible_shape_error, TF 2's switch for how a shape
    # mismatch is reported; minigraph always reports it as an error
    assert_same_nodes(tensorflow_graph_def(ours), tensorflow_graph_def(theirs),
                      skip_attrs=lambda node: ("incompatible_shape_error",))


def test_double_equals_is_identity_as_in_tf1(graph):
    """TF1 gives tensors no ==: a tensor stays a dict key and a set member (feed_dict)."""
    x, y = mg.placeholder(mg.float32, (2,)), mg.placeholder(mg.float32, (2,))
    assert (x == x) is True and (x == y) is False and (x != y) is True
    assert {x: 1, y: 2}[y] == 2
    assert len(graph.get_operations()) == 2  # no op was built


def test_comparisons_give_bool_with_broadcasting(graph):
    x, y = mg.placeholder(mg.int32, (2, 1)), mg.placeholder(mg.int32, (3,))
    for z in (x < y, x <= y, x >= y, mg.not_equal(x, y)):
        assert z.dtype == mg.bool and z.shape == (2, 3)
    with mg.Session() as session:
        less, not_equal = session.run([x < y, mg.not_equal(x, y)], {x: [[0], [2]], y: [0, 1, 2]})
    np.testing.assert_array_equal(less, [[False, True, True], [False, False, False]])
    np.testing.assert_array_equal(not_equal, [[False, True, True], [True, True, False]])


def test_python_values_take_the_tensor_dtype(graph):
    i = mg.placeholder(mg.int64, (3,))
    z = 2 <= i  # Python reflects it: i >= 2
    assert z.op.type == "GreaterEqual" and z.op.inputs[1].dtype == mg.int64
    with mg.Session() as session:
        np.testing.assert_array_equal(session.run(z, {i: [1, 2, 3]}), [False, True, True])


@pytest.mark.parametrize("build, message", [
    (lambda x, b: mg.less(b, b), "Less is not defined for bool tensors"),
    (lambda x, b: b <= b, "LessEqual is not defined for bool tensors"),
    (lambda x, b: mg.logical_and(x, b), "Input 'x' of 'LogicalAnd' Op has type float32 that does not match "
                                        "expected type of bool"),
    (lambda x, b: mg.logical_or(b, x), "Input 'y' of 'LogicalOr' Op has type float32"),
    (lambda x, b: mg.logical_not(x), "Input 'x' of 'LogicalNot' Op has type float32"),
    (lambda x, b: x & x, "Input 'x' of 'LogicalAnd' Op has type float32"),
    (lambda x, b: ~x, "Input 'x' of 'LogicalNot' Op has type float32"),
    (lambda x, b: mg.less(x, mg.constant([1, 2], mg.int32)), "does not match dtype float32"),
])
def test_dtype_errors(graph, build, message):
    x, b = mg.placeholder(mg.float32, (2,), name="x"), mg.placeholder(mg.bool, (2,), name="b")
    with pytest.raises(TypeError, match=message) as error:
        build(x, b)
    assert "(node '" in str(error.value)  # the node is named


def test_logical_ops_broadcast_and_match_truth_tables(graph):
    b, c = mg.placeholder(mg.bool, (2, 1)), mg.placeholder(mg.bool, (2,))
    feed = {b: [[False], [True]], c: [False, True]}
    with mg.Session() as session:
        values = session.run([b & c, b | c, b ^ c, ~b, mg.reduce_any(b ^ c), mg.reduce_all(b | c, axis=0)], feed)
    np.testing.assert_array_equal(values[0], [[False, False], [False, True]])
    np.testing.assert_array_equal(values[1], [[False, True], [True, True]])
    np.testing.assert_array_equal(values[2], [[False, True], [True, False]])
    np.testing.assert_array_equal(values[3], [[True], [False]])
    assert values[4] == np.True_
    np.testing.assert_array_equal(values[5], [False, True])


def test_no_gradient_flows_through_a_comparison(graph):
    x = mg.placeholder(mg.float64, (3,))
    flag = mg.cast(mg.logical_and(x > 0.0, x <= 1.0), mg.float64)
    assert mg.gradients(mg.reduce_sum(flag * 1.0), x) == [None]
