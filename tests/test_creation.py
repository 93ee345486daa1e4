"""zeros, ones, fill, eye, range, linspace and the to_* casts against TensorFlow 1.x
(tf.compat.v1 graph mode): the same values, dtypes, static shapes, node types and
names, and the same refusals."""

import numpy as np
import pytest
import tensorflow as tf

import minigraph as mg
from support.derivatives import gradient_check
from support.inputs import normal
from support.op_cases import Case

v1 = tf.compat.v1

# each builder is called with (lib, dtypes) so one lambda builds both graphs
CASES = {
    "zeros": lambda lib: lib.zeros([2, 3]),
    "zeros int32": lambda lib: lib.zeros((2, 3), dtype=lib.int32),
    "zeros int": lambda lib: lib.zeros(4),
    "zeros bool": lambda lib: lib.zeros([2], dtype=lib.bool),
    "zeros large": lambda lib: lib.zeros([100, 100]),
    "ones": lambda lib: lib.ones((2, 2)),
    "ones float64": lambda lib: lib.ones([3], dtype="float64"),
    "ones bool": lambda lib: lib.ones([2], dtype=lib.bool),
    "ones large": lambda lib: lib.ones([10, 10, 10], dtype=lib.int64),
    "fill int": lambda lib: lib.fill([2, 3], 5),
    "fill float": lambda lib: lib.fill([2, 3], 5.0),
    "fill bool": lambda lib: lib.fill([2], True),
    "eye": lambda lib: lib.eye(3),
    "eye rectangular int32": lambda lib: lib.eye(2, 3, dtype=lib.int32),
    "eye batch": lambda lib: lib.eye(2, batch_shape=[3]),
    "range n": lambda lib: lib.range(5),
    "range start limit delta": lambda lib: lib.range(1, 10, 3),
    "range negative delta": lambda lib: lib.range(10, 2, -3),
    "range empty": lambda lib: lib.range(3, 3),
    "range float delta": lambda lib: lib.range(0, 1, 0.25),
    "range mixed": lambda lib: lib.range(1, 2.5, 0.5),
    "range dtype": lambda lib: lib.range(5, dtype=lib.float32),
    "range long float32": lambda lib: lib.range(0.0, 10.0, 0.1),
    "range float64": lambda lib: lib.range(-3.3, 7.7, 0.37, dtype=lib.float64),
    "range int64": lambda lib: lib.range(2, 9, 2, dtype=lib.int64),
    "linspace": lambda lib: lib.linspace(0.0, 1.0, 5),
    "linspace long": lambda lib: lib.linspace(-3.7, 11.3, 97),
    "linspace one": lambda lib: lib.linspace(2.0, 3.0, 1),
    "to_float": lambda lib: lib.to_float(lib.constant([1, 2, 3])),
    "to_double": lambda lib: lib.to_double(lib.constant([True, False])),
    "to_int32": lambda lib: lib.to_int32(lib.constant([1.7, -1.7])),
    "to_int64": lambda lib: lib.to_int64(lib.constant([2.9, -0.5])),
}


def run_both(build):
    with tf.Graph().as_default() as graph:
        theirs = build(v1)
        with v1.Session(graph=graph) as session:
            their_value = session.run(theirs)
    with mg.Graph().as_default() as graph:
        ours = build(mg)
        with mg.Session(graph=graph) as session:
            our_value = session.run(ours)
    return (ours, our_value), (theirs, their_value)


@pytest.mark.parametrize("case", CASES)
def test_matches_tensorflow(case):
    (ours, our_value), (theirs, their_value) = run_both(CASES[case])
    assert our_value.dtype == their_value.dtype
    assert ours.dtype.name == theirs.dtype.name
    assert ours.shape == tuple(theirs.shape.as_list())
    assert our_value.shape == their_value.shape
    if our_value.dtype.kind == "f":
        # TF computes range and linspace in the output dtype; so does minigraph
        np.testing.assert_allclose(our_value, their_value, rtol=np.finfo(our_value.dtype).eps, atol=0)
    else:
        np.testing.assert_array_equal(our_value, their_value)


# linspace is left out: TF 2's tf.compat.v1.linspace is built from Range, Slice and
# friends; TF 1.x's was the single LinSpace node minigraph builds.
GRAPH_DEF_CASES = [c for c in CASES if not c.startswith("linspace") and not c.startswith("eye")]


@pytest.mark.parametrize("case", GRAPH_DEF_CASES)
def test_builds_the_nodes_tensorflow_builds(case):
    """Node names and op types, in order: a small zeros is a Const, a large one a Fill
    fed by 'zeros/shape_as_tensor', range's inputs are 'range/start' ..."""
    (ours, _), (theirs, _) = run_both(CASES[case])
    our_nodes = [(op.name, op.type_name) for op in ours.graph.get_operations()]
    their_nodes = [(op.name, op.type) for op in theirs.graph.get_operations()]
    assert our_nodes == their_nodes


def test_eye_is_a_constant(graph):
    """TF builds eye from a diagonal op on ones; minigraph stores the same values."""
    identity = mg.eye(3)
    assert identity.op.type_name == "Const" and identity.op.name == "eye"
    assert mg.lin_space is mg.linspace


def test_range_and_linspace_take_tensors(graph):
    n = mg.placeholder(mg.int32, shape=())
    stop = mg.placeholder(mg.float64, shape=())
    counting, line = mg.range(n), mg.linspace(0.0, stop, n)
    assert counting.shape == (None,) and line.shape == (None,)
    assert line.dtype == mg.float64  # the Python 0.0 takes the tensor's dtype, as in TF
    with mg.Session() as session:
        counted, spaced = session.run([counting, line], {n: 4, stop: 3.0})
    np.testing.assert_array_equal(counted, [0, 1, 2, 3])
    np.testing.assert_array_equal(spaced, [0.0, 1.0, 2.0, 3.0])


def test_zeros_and_ones_take_a_shape_tensor(graph):
    shape = mg.placeholder(mg.int32, shape=(2,))
    zeros, ones = mg.zeros(shape), mg.ones(shape, dtype=mg.int64)
    assert zeros.op.type_name == "Fill" and zeros.shape == (None, None)
    with mg.Session() as session:
        z, o = session.run([zeros, ones], {shape: [2, 3]})
    assert z.dtype == np.float32 and z.shape == (2, 3) and not z.any()
    assert o.dtype == np.int64 and (o == 1).all()


def zeros_of_shape(lib):
    x = lib.placeholder(lib.float32, shape=(None, 3))
    return x, lib.zeros(lib.shape(x)) + x


def ones_of_batch_size(lib):
    x = lib.placeholder(lib.float32, shape=(None, 3))
    batch_size = lib.shape(x)[0]
    return x, lib.ones([batch_size, 3]) + x


def fill_of_batch_size(lib):
    x = lib.placeholder(lib.float32, shape=(None, 3))
    return x, lib.fill([lib.shape(x)[0], 3], 2.0) + x


@pytest.mark.parametrize("build", [zeros_of_shape, ones_of_batch_size, fill_of_batch_size])
def test_zeros_of_a_dynamic_shape_matches_tensorflow(build):
    """zeros(shape(x)) and ones([batch_size, 3]) for x of shape (None, 3): a Fill (fed by a
    Pack for the list) whose static shape is (None, 3), as TF infers it."""
    feed = np.ones((2, 3), np.float32)
    with tf.Graph().as_default() as graph:
        x, theirs = build(v1)
        their_value = v1.Session(graph=graph).run(theirs, {x: feed})
        their_nodes = [(op.name, op.type) for op in graph.get_operations()]
    with mg.Graph().as_default() as graph:
        x, ours = build(mg)
        our_value = mg.Session(graph=graph).run(ours, {x: feed})
        our_nodes = [(op.name, op.type_name) for op in graph.get_operations()]
    assert ours.shape == tuple(theirs.shape.as_list()) == (None, 3)
    assert our_nodes == their_nodes
    np.testing.assert_array_equal(our_value, their_value)


def test_zeros_refuses_what_it_cannot_build(graph):
    with pytest.raises(ValueError, match=r"zeros needs a fully known shape of non-negative ints, got \[None, 3\]"):
        mg.zeros([None, 3])


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda lib: lib.range(5, 2), "Requires start <= limit when delta > 0: 5/2"),
        (lambda lib: lib.range(0, 5, 0), "Requires delta != 0"),
        (lambda lib: lib.range(2, 5, -1), "Requires start >= limit when delta < 0: 2/5"),
        (lambda lib: lib.fill([-1, 2], 1.0), "Fill dimensions must be >= 0"),
    ],
)
def test_refuses_what_tensorflow_refuses_while_building(build, message):
    with tf.Graph().as_default(), pytest.raises(ValueError, match=message):
        build(v1)
    with mg.Graph().as_default(), pytest.raises(ValueError, match=message) as raised:
        build(mg)
    assert "(node '" in str(raised.value)  # and names the node


def test_run_time_range_errors_name_the_node(graph):
    limit = mg.placeholder(mg.int32, shape=())
    counting = mg.range(5, limit)
    with mg.Session() as session, pytest.raises(mg.errors.InvalidArgumentError, match="range.*5/2"):
        session.run(counting, {limit: 2})


def test_dtype_rules():
    with mg.Graph().as_default():
        with pytest.raises(TypeError, match="Cannot convert 1.5"):
            mg.range(0, 1.5, dtype=mg.int32)  # TF: "Expected int32, but got 1.5"
        with pytest.raises(TypeError, match=r"write 0.0, not 0"):
            mg.linspace(0, 10, 5)  # TF 1.x's LinSpace takes floats only
        with pytest.raises(ValueError, match="Requires num > 0: 0"):
            mg.linspace(0.0, 1.0, 0)


def test_fill_gradient_is_the_sum():
    """d/dvalue sum(w * fill(dims, value)) = sum(w): checked by central differences."""
    gradient_check(Case("fill", lambda lib, value: lib.fill([2, 3], value), (normal(),)))
    with mg.Graph().as_default():
        value = mg.placeholder(mg.float64, shape=())
        (grad,) = mg.gradients(mg.reduce_sum(mg.fill([2, 3], value) * np.arange(6.0).reshape(2, 3)), [value])
        with mg.Session() as session:
            assert session.run(grad, {value: 1.5}) == 15.0


def test_scalar_inputs_are_checked_by_name(graph):
    with pytest.raises(ValueError, match=r"limit must be a scalar, got .*shape=\(2,\).*\(node 'range', op Range\)"):
        mg.range(mg.constant([1, 2]))
    with pytest.raises(ValueError, match=r"value must be a scalar.*\(node 'Fill', op Fill\)"):
        mg.fill([2], mg.constant([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"num must be a scalar.*\(node 'LinSpace', op LinSpace\)"):
        mg.linspace(0.0, 1.0, mg.constant([3]))


@pytest.mark.parametrize("case", GRAPH_DEF_CASES)
def test_graph_def_matches_tensorflows(case):
    """The GraphDef node for node: op, inputs and attributes (constants by value)."""
    from google.protobuf import text_format

    (ours, _), (theirs, _) = run_both(CASES[case])
    our_def = text_format.Parse(str(ours.graph.as_graph_def()), v1.GraphDef())
    their_def = theirs.graph.as_graph_def()
    assert [n.name for n in our_def.node] == [n.name for n in their_def.node]
    for mine, reference in zip(our_def.node, their_def.node):
        assert (mine.op, list(mine.input)) == (reference.op, list(reference.input))
        reference_attrs = {k: v for k, v in reference.attr.items() if k != "Truncate"}  # Cast's, unused here
        assert set(mine.attr) == set(reference_attrs), mine.name
        for key, value in reference_attrs.items():
            if value.HasField("tensor"):
                np.testing.assert_array_equal(tf.make_ndarray(mine.attr[key].tensor), tf.make_ndarray(value.tensor))
            else:
                assert mine.attr[key] == value, (mine.name, key)


@pytest.mark.parametrize(
    "start, stop, num", [(0.0, 1.0, 5), (-3.7, 11.3, 97), (2.0, 3.0, 1), (np.float64(0.1), 2.0, 13)]
)
def test_linspace_is_tf1s_lin_space_node_bit_for_bit(start, stop, num):
    """TF 1.x's tf.linspace was the LinSpace op, which TF 2 still has as tf.raw_ops.LinSpace."""
    with tf.Graph().as_default() as graph:
        theirs = tf.raw_ops.LinSpace(start=start, stop=stop, num=num)
        their_nodes = [(op.name, op.type) for op in graph.get_operations()]
        their_value = v1.Session(graph=graph).run(theirs)
    with mg.Graph().as_default() as graph:
        ours = mg.linspace(start, stop, num)
        our_nodes = [(op.name, op.type_name) for op in graph.get_operations()]
        our_value = mg.Session(graph=graph).run(ours)
    assert our_nodes == their_nodes
    assert our_value.dtype == their_value.dtype
    np.testing.assert_array_equal(our_value, their_value)
