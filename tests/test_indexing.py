"""``x[...]``, gather, one_hot, where and batched matmul beyond the op table:

- a table of index expressions: each one's value against numpy's and TF's, its static
  shape against TF's, and the StridedSlice masks against the ones TF1 builds;
- scalar int tensors as indices (``x[i]``, ``x[i:i + 2]``), and the indices TF1 refuses;
- gather's repeated and out-of-range indices; one_hot's dtype rules and out-of-range
  rows against TF's; TF1's two wheres and where_v2; batched matmul's op types.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigraph as mg
from minigraph.errors import InvalidArgumentError

# --- x[...] against numpy and TF --------------------------------------------------------------

VALUE = np.arange(60.0).reshape(3, 4, 5)
S = slice
INDICES = [
    1, -1, (S(None), 0), (Ellipsis, None), (S(None, None, -1),), (S(1, None), None, S(None, None, -2)),
    (0, Ellipsis, S(1, 3)), (S(-2, None), S(None, -1), S(None, None, 2)), (None, 1, None), (Ellipsis,), (),
    (S(5, 0, -2),), (S(10, -10, -1),), (1, 2, 3), (S(1, 1),), (Ellipsis, -1), (S(None), None, Ellipsis, 0),
    np.int64(2), (S(-1, None, -1), S(3, 0, -1), -2), (None, Ellipsis, None), (S(0, 100), S(-100, 2)),
]  # fmt: skip


def _tensorflow_getitem(index, known_shape: bool):
    import tensorflow as tf

    with tf.Graph().as_default() as graph:
        x = tf.compat.v1.placeholder(tf.float64, VALUE.shape if known_shape else None)
        y = x[index]
        masks = {m: y.op.get_attr(m) for m in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                                                "shrink_axis_mask")}
        static = None if y.shape.rank is None else tuple(y.shape.as_list())
        with tf.compat.v1.Session(graph=graph) as session:
            return session.run(y, {x: VALUE}), static, masks


@pytest.mark.parametrize("index", INDICES, ids=[repr(i) for i in INDICES])
@pytest.mark.parametrize("known_shape", [True, False], ids=["known shape", "unknown rank"])
def test_getitem_matches_numpy_and_tensorflow(graph, index, known_shape):
    x = mg.placeholder(mg.float64, VALUE.shape if known_shape else None)
    y = x[index]
    value = mg.Session().run(y, {x: VALUE})
    np.testing.assert_array_equal(value, VALUE[index])
    theirs, static, masks = _tensorflow_getitem(index, known_shape)
    np.testing.assert_array_equal(value, theirs)
    assert y.op.type == "StridedSlice" and y.shape == static
    assert {m: y.op.attrs[m] for m in masks} == masks


def test_getitem_of_a_variable_and_its_gradient(graph):
    v = mg.Variable(np.arange(6.0).reshape(2, 3))
    (grad,) = mg.gradients(mg.reduce_sum(v[1, ::2] * 3.0), v)
    with mg.Session() as session:
        session.run(mg.global_variables_initializer())
        row, g = session.run([v[1, ::2], grad])
    np.testing.assert_array_equal(row, [3.0, 5.0])
    np.testing.assert_array_equal(g, [[0, 0, 0], [3, 0, 3]])


@pytest.mark.parametrize("dtype", [mg.int32, mg.int64])
def test_a_scalar_int_tensor_is_an_index(graph, dtype):
    x = mg.placeholder(mg.float64, (3, 4))
    i = mg.placeholder(dtype, ())
    outs = [x[i], x[i, ::-1], x[1:i], x[i:i + 2], x[..., i], x[:, S(None, None, i)]]
    assert outs[0].shape == (4,) and outs[4].shape == (3,)
    assert {out.op.inputs[1].dtype for out in outs} == {dtype}  # one int64 index makes all three int64, as TF
    value = np.arange(12.0).reshape(3, 4)
    results = mg.Session().run(outs, {x: value, i: 2})
    wanted = [value[2], value[2, ::-1], value[1:2], value[2:4], value[..., 2], value[:, ::2]]
    for result, expected in zip(results, wanted):
        np.testing.assert_array_equal(result, expected)
    (grad,) = mg.gradients(mg.reduce_sum(x[i]), x)
    np.testing.assert_array_equal(mg.Session().run(grad, {x: value, i: 1}), np.eye(3)[1][:, None] * np.ones(4))


def test_a_list_index_is_a_tuple_as_in_tf1(graph):
    """x[[1, 2]] is x[1, 2] in TF1 (numpy would pick rows 1 and 2)."""
    x = mg.placeholder(mg.float64, VALUE.shape)
    y = x[[1, 2]]
    assert y.shape == _tensorflow_getitem([1, 2], True)[1] == (5,)
    np.testing.assert_array_equal(mg.Session().run(y, {x: VALUE}), VALUE[1, 2])


REFUSED = [
    (np.array([0, 1]), "got array([0, 1])"),
    (1.5, "got 1.5"),
    ((S(0, 1.5),), "got 1.5"),
    (lambda: mg.constant([0, 1]), 'got Tensor("Const:0", shape=(2,), dtype=int32)'),
    (lambda: mg.constant(1.0), 'got Tensor("Const:0", shape=(), dtype=float32)'),
    (lambda: mg.constant([True, False, True]), "a bool mask is tf.boolean_mask in TF, which minigraph does not have"),
    (np.array([True, False, True]), "a bool mask is tf.boolean_mask in TF"),
]


@pytest.mark.parametrize("index, words", REFUSED, ids=[w for _, w in REFUSED])
def test_indices_tf1_refuses(graph, index, words):
    x = mg.placeholder(mg.float32, (3, 4))
    index = index() if callable(index) else index
    with pytest.raises(TypeError) as raised:
        x[index]
    assert str(raised.value).startswith("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and "
                                        "scalar tf.int32/tf.int64 tensors are valid indices")
    assert words in str(raised.value)


def test_indices_out_of_range(graph):
    x = mg.zeros((3, 4))
    with pytest.raises(ValueError, match=r"slice index 3 of dimension 0 out of bounds: the input's shape is \(3, 4\) "
                                         r"\(node 'strided_slice', op StridedSlice\)"):
        x[3]
    with pytest.raises(ValueError, match=r"Index out of range: the slice spec reads 3 axes, but the input has only 2"):
        x[1, 2, 3]
    with pytest.raises(ValueError, match="Multiple ellipses in slice spec not allowed"):
        x[..., ...]
    unknown = mg.placeholder(mg.float32)
    with pytest.raises(InvalidArgumentError, match=r"slice index -5 of dimension 1 out of bounds: the input's shape is "
                                                   r"\(3, 4\) \(node 'strided_slice_\d', op StridedSlice\)"):
        mg.Session().run(unknown[:, -5], {unknown: np.ones((3, 4))})


# --- gather ----------------------------------------------------------------------------------------


def test_gather_adds_the_gradient_of_a_row_picked_twice(graph):
    params = mg.placeholder(mg.float64, (None, 2))
    indices = mg.placeholder(mg.int64, (None,))
    rows = mg.gather(params, indices)
    assert rows.shape == (None, 2) and rows.op.type == "GatherV2"
    (grad,) = mg.gradients(mg.reduce_sum(rows * np.array([1.0, 10.0])), params)
    value = np.arange(8.0).reshape(4, 2)
    picked, g = mg.Session().run([rows, grad], {params: value, indices: [3, 0, 3, 3]})
    np.testing.assert_array_equal(picked, value[[3, 0, 3, 3]])
    np.testing.assert_array_equal(g, [[1, 10], [0, 0], [0, 0], [3, 30]])


def test_gather_refuses_an_index_out_of_range(graph):
    params = mg.placeholder(mg.float32, (3, 2))
    indices = mg.placeholder(mg.int32, (None,))
    rows = mg.gather(params, indices)
    for bad, words in ([0, 5], r"indices\[1\] = 5 is not in \[0, 3\)"), ([-1], r"indices\[0\] = -1 is not in \[0, 3\)"):
        with pytest.raises(InvalidArgumentError, match=words + r": axis 0 of params has 3 entries \(node 'GatherV2'"):
            mg.Session().run(rows, {params: np.ones((3, 2)), indices: bad})
    with pytest.raises(ValueError, match=r"axis 2 is out of range for a tensor of shape \(3, 2\)"):
        mg.gather(params, [0], axis=2)
    with pytest.raises(TypeError, match=r"indices must be int32 or int64, got Tensor\(\"Const_\d+:0\", shape=\(1,\), "
                                        r"dtype=float32\)"):
        mg.gather(params, mg.constant([0.0]))


# --- one_hot ---------------------------------------------------------------------------------------

ONE_HOT_DTYPES = [{}, {"on_value": 1}, {"on_value": 1.0, "off_value": 0.0}, {"dtype": mg.float64},
                  {"dtype": mg.int32, "on_value": 3}, {"off_value": -1, "dtype": "int64"},
                  {"on_value": 1.0, "dtype": mg.float64}]


def _tensorflow_one_hot(indices, depth, **kwargs):
    import tensorflow as tf

    kwargs = {k: (getattr(tf, v) if isinstance(v, str) else tf.as_dtype(v.name) if isinstance(v, np.dtype) else v)
              for k, v in kwargs.items()}
    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as session:
        return session.run(tf.one_hot(indices, depth, **kwargs))


@pytest.mark.parametrize("kwargs", ONE_HOT_DTYPES, ids=[str(k) for k in ONE_HOT_DTYPES])
def test_one_hot_dtypes_are_tensorflows(graph, kwargs):
    indices = np.array([[0, 2, 3], [-1, 1, 0]], dtype=np.int32)  # 3 and -1 are outside [0, 3): off rows
    ours = mg.Session().run(mg.one_hot(indices, 3, **kwargs))
    theirs = _tensorflow_one_hot(indices, 3, **kwargs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_one_hot_axis_is_tensorflows(graph, axis):
    indices = np.array([[0, 2, 3], [1, 1, 0]], dtype=np.int64)
    y = mg.one_hot(indices, 4, axis=axis, on_value=2.0, off_value=-1.0)
    theirs = _tensorflow_one_hot(indices, 4, axis=axis, on_value=2.0, off_value=-1.0)
    assert y.shape == theirs.shape
    np.testing.assert_array_equal(mg.Session().run(y), theirs)


def test_one_hot_refusals(graph):
    with pytest.raises(TypeError, match="dtype float32 of on_value does not match dtype parameter float64"):
        mg.one_hot([0, 1], 2, on_value=mg.constant(1.0), dtype=mg.float64)
    with pytest.raises(TypeError, match="dtype float32 of off_value does not match dtype parameter int32"):
        mg.one_hot([0, 1], 2, off_value=0.5, dtype=mg.int32)
    with pytest.raises(TypeError, match="dtype float32 of on_value does not match dtype int32 of off_value"):
        mg.one_hot([0, 1], 2, on_value=1.0, off_value=0)
    with pytest.raises(TypeError, match="indices must be uint8, int32 or int64"):
        mg.one_hot([0.0, 1.0], 2)
    with pytest.raises(ValueError, match=r"Expected axis to be -1 or between \[0, 2\), but got 3"):
        mg.one_hot([0, 1], 2, axis=3)


# --- where -----------------------------------------------------------------------------------------


def test_where_of_a_condition_gives_coordinates(graph):
    import tensorflow as tf

    x = mg.placeholder(mg.float32, (None, 3))
    coordinates = mg.where(x > 0.0)
    assert coordinates.shape == (None, 2) and coordinates.dtype == mg.int64 and coordinates.op.type == "Where"
    value = np.array([[1.0, -1.0, 2.0], [0.0, 3.0, -2.0]], np.float32)
    ours = mg.Session().run(coordinates, {x: value})
    np.testing.assert_array_equal(ours, np.argwhere(value > 0))
    with tf.Graph().as_default() as g, tf.compat.v1.Session(graph=g) as session:
        np.testing.assert_array_equal(ours, session.run(tf.compat.v1.where(value > 0)))


def test_tf1_where_chooses_rows_and_does_not_broadcast(graph):
    x, y = mg.placeholder(mg.float64, (3, 2)), mg.placeholder(mg.float64, (3, 2))
    rows = mg.where([True, False, True], x, y)
    scalar = mg.where(True, x, y)
    assert rows.op.type == scalar.op.type == "Select"
    a, b = np.ones((3, 2)), np.zeros((3, 2))
    np.testing.assert_array_equal(mg.Session().run(rows, {x: a, y: b}), [[1, 1], [0, 0], [1, 1]])
    with pytest.raises(ValueError, match=r"x .* and y .* must have one shape: TF1's where does not broadcast "
                                         r"\(where_v2 does\)"):
        mg.where(mg.constant([True, False]), mg.zeros((2,)), mg.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"condition .* must be a scalar, have the shape \(3, 2\) of x and y, or be a "
                                         r"vector as long as their first dimension"):
        mg.where([True, False], x, y)
    with pytest.raises(ValueError, match="x and y must both be non-None or both be None."):
        mg.where([True], x)
    broadcast = mg.where_v2(mg.constant([True, False]), mg.zeros((3, 2)), 1.0)
    assert broadcast.op.type == "SelectV2" and broadcast.shape == (3, 2)
    np.testing.assert_array_equal(mg.Session().run(broadcast), [[0, 1]] * 3)


def test_where_takes_a_python_number_in_the_tensors_dtype(graph):
    x = mg.placeholder(mg.float64, (2,))
    y = mg.where_v2(x > 0.0, x, 0)
    assert y.dtype == mg.float64
    np.testing.assert_array_equal(mg.Session().run(y, {x: [-1.0, 2.0]}), [0.0, 2.0])
    with pytest.raises(ValueError, match=r"x .* and y .*shape=\(\), dtype=float64.* must have one shape"):
        mg.where(x > 0.0, x, 0)  # TF1's where: a scalar y does not broadcast


# --- matmul: which op, as TF builds it ----------------------------------------------------------


def test_matmul_builds_tensorflows_ops(graph):
    import tensorflow as tf

    shapes = [((2, 3), (3, 4), {}), ((2, 3, 4), (4, 5), {}), ((4, 2), (4, 3), {"transpose_a": True}),
              ((2, 3, 4), (2, 5, 4), {"transpose_b": True}), ((5, 1, 2, 3), (4, 2, 3), {"adjoint_b": True})]
    for a_shape, b_shape, flags in shapes:
        a, b = np.ones(a_shape), np.ones(b_shape)
        ours = mg.matmul(a, b, **flags)
        with tf.Graph().as_default() as g, tf.compat.v1.Session(graph=g) as session:
            theirs = tf.matmul(a, b, **flags)
            expected = session.run(theirs)
        assert ours.shape == tuple(theirs.shape.as_list())
        assert ours.op.type == theirs.op.type or (ours.op.type, theirs.op.type) == ("MatMul", "MatMul")
        np.testing.assert_array_equal(mg.Session().run(ours), expected)
    # a rank-2 transpose sets MatMul's own transpose_a, as TF does (no Transpose node)
    transposed = mg.matmul(mg.zeros((4, 2)), mg.zeros((4, 3)), transpose_a=True)
    assert transposed.op.type == "MatMul" and transposed.op.inputs[0].op.type != "Transpose"
    assert transposed.op.graph_def_attrs()["transpose_a"] is True and transposed.shape == (2, 3)


def test_tf_newaxis_and_reverse_v2_are_tf1s_names(graph):
    assert mg.newaxis is None
    assert mg.zeros((2, 3))[:, mg.newaxis].shape == (2, 1, 3)
    assert mg.reverse_v2 is mg.reverse


# --- random index expressions ------------------------------------------------------------------------


@st.composite
def index_expressions(draw):
    """A shape and a basic index of it: ints in range, slices with any bounds and steps, None, one `...`."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    reading = draw(st.integers(0, len(shape)))
    ellipsis = draw(st.one_of(st.none(), st.integers(0, reading)))  # where `...` goes among the entries
    # the entries before `...` read the first axes, those after it the last ones
    axes = list(range(reading)) if ellipsis is None else (
        list(range(ellipsis)) + list(range(len(shape) - (reading - ellipsis), len(shape))))
    bounds = st.one_of(st.none(), st.integers(-6, 6))
    entries = []
    for axis in axes:
        if draw(st.booleans()):
            entries.append(draw(st.integers(-shape[axis], shape[axis] - 1)))
        else:
            step = draw(st.one_of(st.none(), st.integers(-3, 3).filter(bool)))
            entries.append(slice(draw(bounds), draw(bounds), step))
    if ellipsis is not None:
        entries.insert(ellipsis, Ellipsis)
    for _ in range(draw(st.integers(0, 2))):
        entries.insert(draw(st.integers(0, len(entries))), None)
    return shape, tuple(entries)


@settings(max_examples=40, deadline=None)
@given(expression=index_expressions(), known_shape=st.booleans())
def test_random_index_expressions_match_numpy(expression, known_shape):
    """Value and static shape as numpy's; the gradient is dy written back where the piece came from."""
    shape, index = expression
    value = np.arange(float(np.prod(shape))).reshape(shape)
    expected = value[index]
    weights = np.arange(1.0, expected.size + 1).reshape(expected.shape)
    with mg.Graph().as_default():
        x = mg.placeholder(mg.float64, shape if known_shape else None)
        y = x[index]
        (grad,) = mg.gradients(mg.reduce_sum(y * weights), x)
        if known_shape:
            assert y.shape == expected.shape
        result, g = mg.Session().run([y, grad], {x: value})
    np.testing.assert_array_equal(result, expected)
    wanted = np.zeros(shape)
    wanted[index] = weights
    np.testing.assert_array_equal(g, wanted)
