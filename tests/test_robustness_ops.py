"""Issue 8, the op-level bugs: each test fails on the ops as they were before the fix.

Where TensorFlow's number is the point (pow's and divide's gradients, empty axes,
integer conversions), it is computed by TF1 graph mode in the test itself.
"""

import numpy as np
import pytest

import minigraph as mg
from minigraph.errors import InvalidArgumentError


def run(fetches, feed_dict=None):
    return mg.Session().run(fetches, feed_dict)


def tensorflow_run(build):
    """Builds `build(tf) -> fetches` in a fresh TF1 graph and runs it."""
    import tensorflow as tf

    with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as session:
        return session.run(build(tf))


# --- item 5: where the static rule could not decide, the kernel checks ---------------


@pytest.mark.parametrize(
    "a, b, message",
    [
        ((3,), (3, 2), r"In\[0\] \('a'\) must be a matrix \(ndims == 2\), got shape \(3,\)"),
        ((2, 3), (3,), r"In\[1\] \('b'\) must be a matrix \(ndims == 2\), got shape \(3,\)"),
        ((2, 3, 4), (2, 4, 5), r"got shape \(2, 3, 4\); a batched product is not MatMul"),
        ((2, 3), (4, 5), r"Matrix size-incompatible: In\[0\]: \[2, 3\], In\[1\]: \[4, 5\]"),
    ],
    ids=["vector a", "vector b", "rank 3", "inner dims"],
)
def test_matmul_of_unknown_rank_checks_the_values(graph, a, b, message):
    x, y = mg.placeholder(mg.float32), mg.placeholder(mg.float32)
    product = mg.matmul(x, y)
    with pytest.raises(InvalidArgumentError, match=message + r".*\(node 'MatMul', op MatMul\)"):
        run(product, {x: np.ones(a), y: np.ones(b)})


def test_matmul_of_unknown_rank_is_still_a_matrix(graph):
    a, b = mg.placeholder(mg.float32), mg.placeholder(mg.float32, (3, 4))
    product = mg.matmul(a, b)
    assert product.shape == (None, 4)  # as TF's MatMul infers: only matrices get this far
    (grad,) = mg.gradients(mg.reduce_sum(product), [a])
    np.testing.assert_array_equal(run(grad, {a: np.ones((2, 3)), b: np.ones((3, 4))}), np.full((2, 3), 4.0))


@pytest.mark.parametrize("build", [mg.nn.softmax, mg.nn.log_softmax], ids=["softmax", "log_softmax"])
def test_softmax_of_a_fed_scalar_is_refused(graph, build):
    x = mg.placeholder(mg.float32)
    y = build(x)
    with pytest.raises(InvalidArgumentError, match=r"logits must have at least one axis \(the classes\), "
                                                   r"got the scalar 2.0 \(node '(Log)?Softmax'"):
        run(y, {x: 2.0})


def test_cross_entropy_of_a_fed_scalar_is_refused(graph):
    logits, labels = mg.placeholder(mg.float32), mg.placeholder(mg.float32)
    loss = mg.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    with pytest.raises(InvalidArgumentError, match="logits must have at least one axis"):
        run(loss, {logits: 1.0, labels: 1.0})


def test_cross_entropy_labels_do_not_broadcast_at_run_time(graph):
    logits, labels = mg.placeholder(mg.float32), mg.placeholder(mg.float32)
    loss = mg.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    with pytest.raises(InvalidArgumentError, match=r"logits and labels must have the same shape, got "
                                                   r"logits \(2, 3\) and labels \(1, 3\)"):
        run(loss, {logits: np.zeros((2, 3)), labels: np.full((1, 3), 1 / 3)})


# --- items 6 and 7: gradients as TF computes them -------------------------------------

BASES = [-2.0, -1.0, 0.0, 0.0, 0.0, 0.5, 2.0, -np.inf]
EXPONENTS = [2.0, 3.0, 2.0, 0.0, -1.0, 2.0, 0.5, -1.0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pow_gradients_match_tensorflow_where_the_base_is_not_positive(graph, dtype):
    x, y = mg.placeholder(dtype, (8,)), mg.placeholder(dtype, (8,))
    z = x**y
    ours = run([z] + mg.gradients(z, [x, y]), {x: BASES, y: EXPONENTS})

    def build(tf):
        x, y = tf.constant(BASES, dtype), tf.constant(EXPONENTS, dtype)
        z = tf.pow(x, y)
        return [z] + tf.gradients(z, [x, y])

    theirs = tensorflow_run(build)
    for mine, tfs in zip(ours, theirs):
        np.testing.assert_array_equal(mine, tfs)  # NaN where TF has NaN (0 ** -1 * 0), nowhere else
    assert np.all(ours[2][:4] == 0)  # x <= 0: 0 as in TF, not NaN (ln x never evaluated)


def test_pow_exponent_gradient_is_differentiable_again(graph):
    x, y = mg.placeholder(mg.float64, (3,)), mg.placeholder(mg.float64, (3,))
    (grad_y,) = mg.gradients(mg.reduce_sum(x**y), [y])
    (second,) = mg.gradients(mg.reduce_sum(grad_y), [y])
    values = run(second, {x: [-1.0, 0.0, 3.0], y: [2.0, 2.0, 2.0]})
    np.testing.assert_allclose(values, [0.0, 0.0, 9.0 * np.log(3.0) ** 2])  # z ln^2 x, 0 where x <= 0


def test_divide_gradient_is_finite_where_tensorflow_is(graph):
    numerators = np.array([1e-30, 1e30, 3e38, 1.0], np.float32)
    denominators = np.array([1e-30, 1e-20, 1e-5, 1e-30], np.float32)
    x, y = mg.placeholder(mg.float32, (4,)), mg.placeholder(mg.float32, (4,))
    ours = run(mg.gradients(x / y, [x, y]), {x: numerators, y: denominators})

    def build(tf):
        x, y = tf.constant(numerators), tf.constant(denominators)
        return tf.gradients(x / y, [x, y])

    theirs = tensorflow_run(build)
    np.testing.assert_array_equal(ours[1], theirs[1])
    assert ours[1][0] == np.float32(-1e30)  # -x / y**2 gave -inf: y**2 underflows to 0 in float32


# --- item 9: precision of log_softmax and the fused cross-entropy ---------------------


def test_log_softmax_keeps_float32_precision(graph):
    """Logits in [0, 8] with one confident class per row, so log p is near 0 there:
    float32 results within a few ulp of the float64 ones (x - (max + log sum) was 5e-5 off)."""
    rng = np.random.default_rng(8)
    logits = rng.uniform(0.0, 1.0, size=(200, 10)).astype(np.float32)
    logits[np.arange(200), np.arange(200) % 10] = rng.uniform(7.0, 8.0, size=200)
    exact = logits.astype(np.float64)
    exact = exact - np.log(np.sum(np.exp(exact), axis=-1, keepdims=True))
    labels = np.eye(10, dtype=np.float32)[np.arange(200) % 10]
    x, t = mg.placeholder(mg.float32, (None, 10)), mg.placeholder(mg.float32, (None, 10))
    log_p, loss = run([mg.nn.log_softmax(x), mg.nn.softmax_cross_entropy_with_logits(labels=t, logits=x)],
                      {x: logits, t: labels})
    assert np.max(np.abs(log_p - exact) / np.abs(exact)) < 5e-7
    exact_loss = -np.sum(labels * exact, axis=-1)
    assert np.max(np.abs(loss - exact_loss) / exact_loss) < 5e-7


def test_log_softmax_of_huge_equal_logits_is_minus_log_two(graph):
    x = mg.constant([[1e30, 1e30]])
    log_p, loss = run([mg.nn.log_softmax(x), mg.nn.softmax_cross_entropy_with_logits(labels=[[1.0, 0.0]], logits=x)])
    np.testing.assert_allclose(log_p, [[-np.log(2.0)] * 2], rtol=1e-6)  # was 0
    np.testing.assert_allclose(loss, [np.log(2.0)], rtol=1e-6)


# --- item 10: add_n ------------------------------------------------------------------


def test_add_n_refuses_mixed_dtypes_naming_the_inputs(graph):
    with pytest.raises(TypeError, match=r"inputs must share one dtype, but inputs\[0\] Tensor\(\"Const:0\".* is "
                                        r"float32 and inputs\[1\] Tensor\(\"Const_1:0\".* is int32"):
        mg.add_n([mg.constant(1.0), mg.constant(1)])


def test_add_n_does_not_broadcast(graph):
    with pytest.raises(ValueError, match=r"add_n does not broadcast.*inputs\[1\] .* does not fit \(2,\)"):
        mg.add_n([mg.constant([1.0, 2.0]), mg.constant(1.0)])
    a, b = mg.placeholder(mg.float32), mg.placeholder(mg.float32, (None,))
    total = mg.add_n([a, b])
    with pytest.raises(InvalidArgumentError, match=r"inputs\[0\] has shape \(2, 2\) and inputs\[1\] \(2,\)"):
        run(total, {a: np.ones((2, 2)), b: np.ones(2)})


def test_add_n_merges_static_shapes(graph):
    total = mg.add_n([mg.placeholder(mg.float32, (None, 3)), mg.placeholder(mg.float32, (2, None))])
    assert total.shape == (2, 3)  # as TF's shape rule: the most specific shape both allow


def test_add_n_of_nothing_and_of_one(graph):
    with pytest.raises(ValueError, match="add_n needs a list of at least one tensor, got an empty list"):
        mg.add_n([])
    single = mg.add_n([[1.0, 2.0]])
    assert isinstance(single, mg.Tensor) and single.dtype == mg.float32
    np.testing.assert_array_equal(run(single), [1.0, 2.0])


# --- item 12: reductions and softmax over an empty axis -------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
def test_reductions_of_an_empty_axis_match_tensorflow(graph, dtype):
    x = mg.placeholder(dtype, (2, 0))
    empty = np.ones((2, 0), dtype)
    ours = run([mg.reduce_max(x, axis=1), mg.reduce_max(x), mg.reduce_mean(x), mg.reduce_mean(x, axis=1),
                mg.reduce_sum(x)], {x: empty})

    def build(tf):
        x = tf.constant(empty)
        return [tf.reduce_max(x, axis=1), tf.reduce_max(x), tf.reduce_mean(x), tf.reduce_mean(x, axis=1),
                tf.reduce_sum(x)]

    for mine, theirs in zip(ours, tensorflow_run(build)):
        assert mine.dtype == theirs.dtype
        np.testing.assert_array_equal(mine, theirs)  # -inf / INT_MIN, NaN or 0 for a mean, 0 for a sum


def test_softmax_and_cross_entropy_of_an_empty_class_axis(graph):
    x, t = mg.placeholder(mg.float32, (2, 0)), mg.placeholder(mg.float32, (2, 0))
    loss = mg.nn.softmax_cross_entropy_with_logits(labels=t, logits=x)
    values = run([mg.nn.softmax(x), mg.nn.log_softmax(x), loss] + mg.gradients(loss, [x]),
                 {x: np.zeros((2, 0)), t: np.zeros((2, 0))})
    assert [v.shape for v in values] == [(2, 0), (2, 0), (2,), (2, 0)]
    assert str(values[2]) == "[0. 0.]"  # 0, not -0


def test_integer_mean_truncates_toward_zero_as_tensorflow(graph):
    values = np.array([[-1, -2], [1, 2], [-7, 0]], np.int32)
    ours = run(mg.reduce_mean(mg.constant(values), axis=1))
    np.testing.assert_array_equal(ours, tensorflow_run(lambda tf: tf.reduce_mean(tf.constant(values), axis=1)))


# --- item 13: integers never overflow silently ---------------------------------------


def test_an_int32_tensor_refuses_a_float_it_cannot_hold(graph):
    n = mg.placeholder(mg.int32, (2,))
    with pytest.raises(TypeError, match=r"Cannot convert 1e\+20 to a Const of dtype int32: out of its range "
                                        r"\[-2147483648, 2147483647\]; it was passed to input 'y' of Mul"):
        n * 1e20
    with pytest.raises(TypeError, match=r"out of its range .* input 'x' of AddV2"):
        2**31 + n  # TF wraps this one to -2**31 without a word


@pytest.mark.parametrize("value, dtype", [(1e300, mg.int32), (2**31, mg.int32), (-1, mg.uint8),
                                          (np.float64(1e300), mg.int32), (np.int64(2**40), mg.int32),
                                          (float("inf"), mg.int64), (float("nan"), mg.int32)])
def test_constants_refuse_values_their_integer_dtype_cannot_hold(graph, value, dtype):
    with pytest.raises(TypeError, match=f"Cannot convert .* of dtype {dtype.name}"):
        mg.constant(value, dtype=dtype)


@pytest.mark.parametrize("value, dtype", [(2**31 - 1, "int32"), (2**31, "int64"), (-(2**31) - 1, "int64"),
                                          (2**40, "int64"), ([1, 2**40], "int64"), (2**63, "uint64")])
def test_python_ints_take_the_dtype_tensorflow_gives_them(graph, value, dtype):
    ours = mg.constant(value)
    theirs = tensorflow_run(lambda tf: tf.constant(value))
    assert ours.dtype == mg.as_dtype(dtype) == theirs.dtype
    np.testing.assert_array_equal(run(ours), theirs)


def test_an_int_too_large_for_any_dtype_is_refused(graph):
    with pytest.raises(TypeError, match="an integer must fit in int64 \\(or uint64\\), as in TF"):
        mg.constant(2**70)


def test_integer_constants_take_any_integer_that_fits(graph):
    assert run(mg.constant(5, dtype=mg.uint8)) == 5  # was refused: int64 -> uint8 is not a 'same_kind' cast
    assert run(mg.constant(np.uint64(7), dtype=mg.int32)) == 7
    assert run(mg.constant(1e300, dtype=mg.float32)) == np.inf  # floats overflow to inf, as in TF


# --- found by the differential fuzz (test_fuzz.py) ------------------------------------


def test_integer_means_are_summed_as_tensorflow_sums_them(graph):
    """int32 values are summed in int64 (exact where an int32 sum wraps); int64 sums wrap."""
    int32s = np.array([2**31 - 1, 2**31 - 1, 1, 2], np.int32)
    int64s = [int32s.astype(np.int64) * 2**32, np.array([2**62] * 3), np.array([-(2**63)] * 2), np.array([-7, 0])]
    ours = run([mg.reduce_mean(mg.constant(v)) for v in [int32s] + int64s])
    theirs = tensorflow_run(lambda tf: [tf.reduce_mean(tf.constant(v)) for v in [int32s] + int64s])
    assert ours == theirs and ours[0] == 2**30  # a wrapped int32 sum gave -1


def test_argmax_passes_over_nan_as_tensorflow(graph):
    values = np.array([[np.nan, 1.0, 2.0], [1.0, np.inf, np.nan]], np.float32)
    ours = run(mg.argmax(mg.constant(values), axis=1))
    np.testing.assert_array_equal(ours, tensorflow_run(lambda tf: tf.argmax(tf.constant(values), axis=1)))


def test_argmax_checks_the_axis_when_the_rank_was_unknown(graph):
    x = mg.placeholder(mg.float32)
    with pytest.raises(InvalidArgumentError, match=r"Expected an axis in the range \[0, 0\) for a value of shape "
                                                   r"\(\), but got 0 \(node 'ArgMax'"):
        run(mg.argmax(x, axis=0), {x: 1.0})


def test_a_reduction_refuses_an_axis_named_twice(graph):
    with pytest.raises(ValueError, match=r"Invalid reduction axes \[0, 0\]: they name one axis twice"):
        mg.reduce_sum(mg.placeholder(mg.float32, (2, 3)), axis=[0, -2])


def test_reduce_prod_differentiates_an_empty_tensor(graph):
    x = mg.placeholder(mg.float32, (0, 3, 3))
    (grad,) = mg.gradients(mg.reduce_prod(x, axis=1), [x])  # was numpy's "cannot reshape array of size 0"
    (second,) = mg.gradients(mg.reduce_sum(grad), [x])
    assert [v.shape for v in run([grad, second], {x: np.zeros((0, 3, 3))})] == [(0, 3, 3)] * 2


def test_relu_and_square_take_integers_as_tensorflow(graph):
    n = mg.constant([-2, 3])
    relu, square = run([mg.nn.relu(n), mg.square(n)])
    assert relu.tolist() == [0, 3] and square.tolist() == [4, 9] and relu.dtype == square.dtype == mg.int32


def test_cross_entropy_casts_integer_labels_to_the_logits_dtype(graph):
    logits = mg.placeholder(mg.float64, (2, 3))
    loss = mg.nn.softmax_cross_entropy_with_logits(labels=mg.constant([[0, 1, 0], [1, 0, 0]]), logits=logits)
    assert loss.dtype == mg.float64  # TF casts the labels; one-hot int labels are common
    np.testing.assert_allclose(run(loss, {logits: np.zeros((2, 3))}), [np.log(3.0)] * 2)


def test_sqrt_gradient_is_zero_where_nothing_flows_back_as_tensorflow(graph):
    x = mg.placeholder(mg.float32, (4,))
    (unused,) = mg.gradients(mg.sqrt(x), [x], grad_ys=mg.constant(np.zeros(4, np.float32)))
    values = [0.0, -0.0, 4.0, -1.0]
    np.testing.assert_array_equal(run(unused, {x: values}), [0.0] * 4)  # was NaN at 0, -0 and -1
    y, g = mg.sqrt(x), mg.placeholder(mg.float32, (4,))
    (dx,) = mg.gradients(y, [x], grad_ys=g)
    ours = run([dx] + mg.gradients(dx, [x, g]), {x: values, g: [0.0, 1.0, 2.0, 1.0]})

    def build(tf):
        x, g = tf.constant(values), tf.constant([0.0, 1.0, 2.0, 1.0])
        (dx,) = tf.gradients(tf.sqrt(x), [x], grad_ys=g)
        return [dx] + tf.gradients(dx, [x, g])

    for mine, theirs in zip(ours, tensorflow_run(build)):  # second derivatives as TF's too
        np.testing.assert_array_equal(mine, theirs)


def test_clip_gradient_is_zero_outside_even_for_a_nan_upstream(graph):
    x = mg.placeholder(mg.float32, (2,))
    (dx,) = mg.gradients(mg.clip_by_value(x, -1.0, 1.0), [x], grad_ys=mg.constant([np.nan, np.nan]))
    np.testing.assert_array_equal(run(dx, {x: [5.0, 0.5]}), [0.0, np.nan])  # NaN * 0 gave NaN outside


def test_reducing_every_axis_of_unknown_rank_gives_a_scalar(graph):
    x = mg.placeholder(mg.float32)
    assert mg.reduce_mean(x).shape == () and mg.reduce_sum(x, keepdims=True).shape is None  # as TF


def test_reduction_axes_are_checked_when_the_rank_was_unknown(graph):
    x = mg.placeholder(mg.int32)
    with pytest.raises(InvalidArgumentError, match=r"Invalid reduction axis -1 for a value of shape \(\) "
                                                   r"\(node 'Mean'"):
        run(mg.reduce_mean(x, axis=-1), {x: 3})  # was IndexError's 'tuple index out of range'
    with pytest.raises(InvalidArgumentError, match=r"Invalid reduction axes \[0, -1\]: they name one axis twice"):
        run(mg.reduce_sum(x, axis=[0, -1]), {x: [1, 2]})
