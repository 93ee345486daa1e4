"""The math of issue 9 item 4 where the op table can't look: ops/piecewise.py at its
joins (ties, 0, steps), reduce_prod where elements are 0, the identities of empty
reductions, NaN, integer division by 0, the dtype rules, and TF 1.x's old keyword
names (reduction_indices, keep_dims, dimension, dim). Each against TensorFlow 1.x
(tf.compat.v1 graph mode) where TF decides the answer."""

import numpy as np
import pytest
import tensorflow as tf

import minigraph as mg
from minigraph.errors import InvalidArgumentError
from support.graph_defs import assert_same_nodes, tensorflow_graph_def

v1 = tf.compat.v1


def run_both(build, *values):
    """`build(lib, *placeholders)` -> a list of tensors, run in each library on `values`
    (one float64 or int placeholder per value, shaped like it). Gradients that are None
    stay None."""
    results = []
    for lib, graph, session_class in ((v1, tf.Graph(), v1.Session), (mg, mg.Graph(), mg.Session)):
        with graph.as_default():
            placeholders = [lib.placeholder(np.asarray(v).dtype.name, np.shape(v)) for v in values]
            fetches = build(lib, *placeholders)
            present = [t for t in fetches if t is not None]
            with session_class(graph=graph) as session:
                got = iter(session.run(present, dict(zip(placeholders, values))))
            results.append([None if t is None else next(got) for t in fetches])
    return results


def assert_same(theirs, ours):
    assert len(theirs) == len(ours)
    for reference, mine in zip(theirs, ours):
        assert (reference is None) == (mine is None)
        if reference is not None:
            assert np.asarray(mine).dtype == np.asarray(reference).dtype
            np.testing.assert_array_equal(mine, reference)


# --- piecewise functions at their joins ------------------------------------------------


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_ties_send_the_gradient_to_x_as_tf(name):
    def build(lib, x, y):
        z = getattr(lib, name)(x, y)
        return [z, *lib.gradients(z, [x, y])]

    # ties in the first column, and y broadcast along the rows
    assert_same(*run_both(build, np.array([[1.0, 2.0, 0.0], [3.0, -1.0, 5.0]]), np.array([1.0, 3.0, -1.0])))


def test_abs_sign_and_the_steps_at_zero_and_their_gradients():
    """abs' slope at 0 is 0; sign's gradient is zeros; floor, ceil, round and // have none."""
    def build(lib, x):
        outputs = [lib.abs(x), lib.sign(x), lib.floor(x), lib.ceil(x), lib.round(x), x // 2.0]
        grads = [lib.gradients(y, x)[0] for y in outputs]
        return outputs + grads

    assert_same(*run_both(build, np.array([-1.5, -0.0, 0.0, 0.5, 1.5, 2.5, np.nan])))


def test_round_of_integers_is_the_tensor_itself(graph):
    i = mg.placeholder(mg.int32, (3,))
    assert mg.round(i) is i


def test_floormod_and_floordiv_signs_as_python():
    def build(lib, x, y, i, j):
        return [x % y, x // y, lib.floormod(x, y), i % j, i // j, -7 % j, lib.gradients(x % y, [x, y])[1]]

    x, y = np.array([-3.5, 3.5, -0.5, 7.0]), np.array([2.0, -2.0, 3.0, 0.5])
    i, j = np.array([-7, 7, 5, -5], np.int32), np.array([3, -3, 2, -2], np.int32)
    theirs, ours = run_both(build, x, y, i, j)
    assert_same(theirs, ours)
    np.testing.assert_array_equal(ours[3], [-7 % 3, 7 % -3, 5 % 2, -5 % -2])  # Python's %


def test_float_division_by_zero_is_inf_or_nan_as_tf():
    assert_same(*run_both(lambda lib, x: [x // 0.0, x % 0.0, lib.reciprocal(x)], np.array([1.0, -1.0, 0.0])))


@pytest.mark.parametrize("build", [lambda i, j: i % j, lambda i, j: i // j, lambda i, j: mg.floormod(i, 0)])
def test_integer_division_by_zero_is_refused_naming_the_node(graph, build):
    i, j = mg.placeholder(mg.int32, (3,), name="i"), mg.placeholder(mg.int32, (3,), name="j")
    z = build(i, j)
    with pytest.raises(InvalidArgumentError, match=rf"Integer division by zero.*\(node '{z.op.name}', op "):
        mg.Session().run(z, {i: [1, 2, 3], j: [1, 0, 2]})


def test_nan_as_tf():
    """max/min propagate NaN; argmax/argmin pass over it (all NaN: index 0)."""
    def build(lib, x, y):
        return [lib.maximum(x, 0.0), lib.minimum(x, 0.0), lib.reduce_min(x), lib.argmin(x), lib.argmax(x),
                lib.argmin(y), lib.sign(x), lib.abs(x)]

    assert_same(*run_both(build, np.array([1.0, np.nan, -1.0]), np.array([np.nan, np.nan])))


# --- reductions -------------------------------------------------------------------------


@pytest.mark.parametrize("value, axis", [
    (np.array([1.0, 2.0, 0.0, 4.0]), None),
    (np.array([0.0, 2.0, 0.0, 4.0]), None),  # two zeros: every gradient is 0
    (np.array([[0.0, 2.0, 3.0], [1.0, 0.0, 0.0], [2.0, 3.0, 4.0]]), 1),
    (np.array([[0.0, 2.0, 3.0], [1.0, 0.0, 0.0], [2.0, 3.0, 4.0]]), 0),
    (np.arange(24.0).reshape(2, 3, 4) - 5.0, (0, 2)),
])
def test_reduce_prod_gradient_is_right_where_elements_are_zero(value, axis):
    def build(lib, x):
        y = lib.reduce_prod(x, axis=axis)
        return [y, lib.gradients(lib.reduce_sum(y * y), x)[0]]

    assert_same(*run_both(build, value))


@pytest.mark.parametrize("value", [[0.0, 2.0, 3.0], [0.0, 0.0, 3.0, 1.5], [0.0, 0.0, 0.0, 2.0], [1.0, 2.0, 3.0]])
def test_reduce_prod_second_derivative_is_right_where_elements_are_zero(graph, value):
    """The Hessian of x_1 x_2 ... x_n, entry (i, j), is the product of the others but x_i and x_j.
    Here minigraph is exact where TF is not: TF's second derivative divides by x (at (0, 2, 3)
    it gives 0 for the first entry of H @ d, where the calculus gives -2)."""
    value = np.array(value)
    n = len(value)
    hessian = np.array([[0.0 if i == j else np.prod(np.delete(value, [i, j])) for j in range(n)] for i in range(n)])
    direction = np.linspace(-1.0, 1.0, n) + 0.3
    x = mg.placeholder(mg.float64, (n,))
    (grad,) = mg.gradients(mg.reduce_prod(x), x)
    (hvp,) = mg.gradients(mg.reduce_sum(grad * direction), x)
    np.testing.assert_allclose(mg.Session().run(hvp, {x: value}), hessian @ direction, rtol=1e-14, atol=1e-14)


def test_reduce_min_shares_the_gradient_between_ties_as_tf():
    def build(lib, x):
        return lib.gradients(lib.reduce_min(x, axis=1), x)

    assert_same(*run_both(build, np.array([[1.0, 1.0, 2.0], [3.0, -1.0, -1.0]])))


def test_empty_reductions_give_their_identities_as_tf():
    def build(lib, x, i):
        flags = x > 0.0
        return [lib.reduce_min(x), lib.reduce_prod(x), lib.reduce_min(i), lib.reduce_prod(i),
                lib.reduce_any(flags), lib.reduce_all(flags), lib.reduce_min(x, axis=1)]

    assert_same(*run_both(build, np.zeros((2, 0)), np.zeros((0,), np.int32)))


def test_integer_reductions_keep_their_dtype():
    def build(lib, i):
        return [lib.reduce_prod(i, axis=0), lib.reduce_min(i, axis=1, keepdims=True), lib.argmin(i, axis=1)]

    assert_same(*run_both(build, np.array([[3, -2, 7], [2**31 - 1, 5, 5]], np.int32)))


# --- dtype rules ------------------------------------------------------------------------


@pytest.mark.parametrize("build, dtype, message", [
    (lambda x: mg.floor(x), mg.int32, "Floor needs a float input"),
    (lambda x: mg.ceil(x), mg.int64, "Ceil needs a float input"),
    (lambda x: mg.log1p(x), mg.int32, "Log1p needs a float input"),
    (lambda x: mg.expm1(x), mg.int32, "Expm1 needs a float input"),
    (lambda x: mg.reciprocal(x), mg.int32, "Reciprocal needs a float input"),  # TF has no integer kernel
    (lambda x: mg.abs(x), mg.bool, "Abs is not defined for bool tensors"),
    (lambda x: mg.maximum(x, x), mg.bool, "Maximum is not defined for bool tensors"),
    (lambda x: x % x, mg.bool, "FloorMod is not defined for bool tensors"),
    (lambda x: mg.reduce_prod(x), mg.bool, "Prod is not defined for bool tensors"),
    (lambda x: mg.reduce_min(x), mg.bool, "Min is not defined for bool tensors"),
    (lambda x: mg.reduce_any(x), mg.float32, "Input 'input' of 'Any' Op has type float32 that does not match "
                                             "expected type of bool"),
    (lambda x: mg.reduce_all(x, axis=0), mg.int32, "Input 'input' of 'All' Op has type int32"),
    (lambda x: mg.maximum(x, mg.constant([1.0, 2.0])), mg.float64, "does not match dtype float64"),
])
def test_dtype_errors_name_the_node(graph, build, dtype, message):
    x = mg.placeholder(dtype, (2,), name="x")
    with pytest.raises(TypeError, match=message) as error:
        build(x)
    assert "(node '" in str(error.value)


def test_argmax_output_type(graph):
    x = mg.placeholder(mg.float32, (2, 3))
    assert mg.argmax(x, 1, output_type=mg.int32).dtype == mg.int32
    assert mg.argmin(x, output_type="int64").shape == (3,)  # axis 0 by default, as TF1
    with pytest.raises(TypeError, match="ArgMax's output_type must be int32 or int64, got int16"):
        mg.argmax(x, output_type=mg.int16)


def test_integers_keep_their_dtype(graph):
    i = mg.placeholder(mg.int64, (3,))
    for z in (mg.maximum(i, 2), mg.minimum(3, i), abs(i), mg.sign(i), i % 2, i // 2, mg.reduce_prod(i)):
        assert z.dtype == mg.int64, z


# --- TF 1.x's old keyword names -----------------------------------------------------------


def test_old_keyword_names_give_the_same_graphs_as_tf():
    def build(lib, x):
        return [
            lib.reduce_sum(x, reduction_indices=[1], keep_dims=True),
            lib.reduce_mean(x, reduction_indices=0), lib.reduce_max(x, keep_dims=True),
            lib.reduce_min(x, reduction_indices=1), lib.reduce_prod(x, keep_dims=True, reduction_indices=0),
            lib.reduce_any(x > 0.0, reduction_indices=0, keep_dims=True), lib.reduce_all(x > 0.0, keep_dims=True),
            lib.argmax(x, dimension=1), lib.argmin(x, dimension=0),
            lib.nn.softmax(x, dim=0), lib.nn.log_softmax(x, dim=-1), lib.nn.softmax(x, axis=1),
        ]

    value = np.random.default_rng(9).normal(size=(3, 4))
    theirs, ours = run_both(build, value)
    for reference, mine in zip(theirs, ours):
        assert mine.dtype == reference.dtype and mine.shape == reference.shape
        np.testing.assert_allclose(mine, reference, rtol=1e-13)


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.reduce_sum(x, axis=0, reduction_indices=0),
    lambda lib, x: lib.reduce_min(x, keepdims=True, keep_dims=True),
    lambda lib, x: lib.reduce_any(x > 0, axis=[0], reduction_indices=[0]),
    lambda lib, x: lib.argmax(x, axis=0, dimension=0),
    lambda lib, x: lib.argmin(x, 1, dimension=1),
    lambda lib, x: lib.nn.softmax(x, axis=0, dim=0),
    lambda lib, x: lib.nn.log_softmax(x, axis=-1, dim=-1),
])
def test_both_names_at_once_are_refused_with_tfs_message(call):
    messages = []
    for lib, graph in ((v1, tf.Graph()), (mg, mg.Graph())):
        with graph.as_default(), pytest.raises(ValueError) as error:
            call(lib, lib.placeholder(lib.float32, (2, 3)))
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert messages[1].startswith("Cannot specify both '")


def test_softmax_along_an_axis_needs_a_known_rank(graph):
    with pytest.raises(NotImplementedError, match="Softmax along axis 0 of .* whose rank is unknown"):
        mg.nn.softmax(mg.placeholder(mg.float32), dim=0)
    with pytest.raises(ValueError, match=r"axis 2 is out of range .* \[-2, 2\)"):
        mg.nn.log_softmax(mg.placeholder(mg.float32, (2, 3)), axis=2)


def test_graph_defs_of_the_elementwise_ops_match_tensorflow():
    def build(lib, x, y):
        return [lib.maximum(x, y), lib.minimum(x, y), lib.abs(x), lib.sign(x), lib.log1p(x), lib.expm1(x),
                lib.reciprocal(x), lib.floor(x), lib.ceil(x), lib.round(x), lib.floormod(x, y), x % y, x // y,
                abs(y)]

    graphs = []
    for lib, graph in ((v1, tf.Graph()), (mg, mg.Graph())):
        with graph.as_default():
            build(lib, lib.placeholder(lib.float32, (2,), name="x"), lib.placeholder(lib.float32, (2,), name="y"))
        graphs.append(tensorflow_graph_def(graph))
    assert_same_nodes(graphs[1], graphs[0])


def test_activations_are_exported_where_tf1_has_them():
    assert mg.sigmoid is mg.nn.sigmoid and mg.tanh is mg.nn.tanh
    assert mg.mod is mg.floormod and mg.floor_div is mg.floordiv
