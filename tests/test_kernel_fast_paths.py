"""The kernels' fast paths give the same bits as the plain numpy formulas they replace.

The kernels of the worksheet's step are written to cost little on small arrays (the
ufuncs' own reductions instead of np.sum and np.max, work in place in a new array,
a cheap NaN test before argmax's slow path, a copy instead of a broadcast view). None
of that may change a number. Each test here runs an op's kernel (``op.forward``) and
the plain formula it stood for (the code before: ``np.max``, ``np.sum``, ``np.where``,
``np.broadcast_to``...) on the same inputs, random ones and the edges (NaN, inf,
-0.0, empty arrays, integer dtypes, keepdims, negative axes), and asks for the same
type, dtype, shape and bytes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigraph as mg
from minigraph.errors import InvalidArgumentError
from minigraph.ops import nn
from minigraph.ops.array import SMALL_BROADCAST, broadcast_like, ones_like, sum_like, zeros_like
from minigraph.ops.nn import SMALL_ZEROS, relu_gradient, row_max, zeros_for_max
from minigraph.ops.reduction import ReducedSize

FLOATS = ("float16", "float32", "float64")


def assert_same_bits(ours, plain) -> None:
    """Same kind of value (array or numpy scalar), dtype, shape and bytes."""
    assert type(ours) is type(plain), (type(ours), type(plain))
    assert ours.dtype == plain.dtype and ours.shape == plain.shape, (ours.dtype, ours.shape, plain.dtype, plain.shape)
    assert np.asarray(ours).tobytes() == np.asarray(plain).tobytes(), (ours, plain)


def kernel(tensor: mg.Tensor):
    """The op's kernel, called as a session calls it."""
    return tensor.op.forward


def random_values(rng, shape, dtype, edges: bool = True) -> np.ndarray:
    """Normal values scaled up (so float16 rounds too), and, with `edges`, some NaN, inf,
    -inf, -0.0 and 0.0 sprinkled in; integers for integer dtypes."""
    if np.dtype(dtype).kind in "iu":
        return rng.integers(-50, 50, size=shape).astype(dtype)
    values = (rng.normal(size=shape) * 10).astype(dtype)
    if edges and values.size:
        flat = values.reshape(-1)
        spots = rng.choice(flat.size, size=min(flat.size, 5), replace=False)
        flat[spots] = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0], dtype)[: len(spots)]
    return values


LAYOUTS = {  # the ways a value may lie in memory
    "C": lambda a: a,
    "Fortran": np.asfortranarray,
    "transposed": lambda a: a.T,
    "strided": lambda a: a[:, ::2],
    "reversed": lambda a: a[::-1],
}


@pytest.fixture
def rng():
    return np.random.default_rng(17)


def quietly(function, *values):
    """The plain formula, with numpy's floating-point warnings off (the kernels may warn
    where the formulas do; only the values are compared here)."""
    with np.errstate(all="ignore"):
        return function(*values)


# --- softmax, log_softmax, the cross-entropy -------------------------------------------


def plain_softmax(x):
    shifted = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return shifted / np.sum(shifted, axis=-1, keepdims=True)


def plain_log_softmax(x):
    if x.shape[-1] == 0:
        return x.copy()
    shifted = x - np.max(x, axis=-1, keepdims=True)
    log_sum = np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True, dtype=np.float64))
    return (shifted - log_sum).astype(x.dtype)


def plain_cross_entropy(x, labels):
    """TF's formula: sum(labels * (log_sum - shifted)), the difference made in float64 and
    rounded once (the kernel's order; the old one, -(shifted - log_sum), differs only in
    the sign of a NaN: see the test after the next)."""
    if x.shape[-1] == 0:
        return np.sum(labels * -x, axis=-1)
    shifted = x - np.max(x, axis=-1, keepdims=True)
    log_sum = np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True, dtype=np.float64))
    return np.sum(labels * (log_sum - shifted).astype(x.dtype), axis=-1)


def assert_same_bits_but_the_sign_of_nan(ours, plain) -> None:
    """Same type, dtype, shape and bytes once every NaN is made the same NaN: NaN in the
    same places, every other number to the last bit (-0.0 included)."""
    assert np.array_equal(np.isnan(ours), np.isnan(plain))
    assert_same_bits(np.where(np.isnan(ours), np.nan, ours).astype(ours.dtype),
                     np.where(np.isnan(plain), np.nan, plain).astype(plain.dtype))
    assert type(ours) is type(plain)


SOFTMAX_SHAPES = [(32, 10), (7,), (2, 3, 5), (0, 10), (1, 1), (4, 200), (3, 300)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SOFTMAX_SHAPES, ids=str)
@pytest.mark.parametrize("edges", [False, True], ids=["finite", "nan-inf"])
def test_softmax_and_log_softmax_equal_the_plain_formulas(graph, rng, dtype, shape, edges):
    x = random_values(rng, shape, dtype, edges)
    logits = mg.placeholder(dtype, shape=None)
    with np.errstate(all="ignore"):
        assert_same_bits(kernel(mg.nn.softmax(logits))(x), quietly(plain_softmax, x))
        assert_same_bits(kernel(mg.nn.log_softmax(logits))(x), quietly(plain_log_softmax, x))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SOFTMAX_SHAPES + [(3, 0)], ids=str)
@pytest.mark.parametrize("edges", [False, True], ids=["finite", "nan-inf"])
def test_cross_entropy_equals_the_plain_formula(graph, rng, dtype, shape, edges):
    x = random_values(rng, shape, dtype, edges)
    labels = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]).astype(dtype) if shape[-1] else np.zeros(shape, dtype)
    if edges and labels.size >= 3:
        labels.reshape(-1)[:3] = [0.0, -0.0, 1.5]  # zeros of both signs meet -inf and 0 log-probabilities
    logits, targets = mg.placeholder(dtype), mg.placeholder(dtype)
    loss = mg.nn.softmax_cross_entropy_with_logits_v2(labels=targets, logits=logits)
    with np.errstate(all="ignore"):
        ours = kernel(loss)(x, labels)
    assert_same_bits(ours, quietly(plain_cross_entropy, x, labels))
    # and the formula before, -(shifted - log_sum): the same numbers (a - b is -(b - a)), NaN where it was
    assert_same_bits_but_the_sign_of_nan(ours, quietly(lambda: np.sum(labels * -plain_log_softmax(x), axis=-1)))


ROW_MAX_SHAPES = [(32, 10), (1, 1), (7,), (2, 3, 5), (0, 10), (2, 0, 4), (5, 256), (5, 257), (4096, 10), (4097, 3)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", ROW_MAX_SHAPES, ids=str)
@pytest.mark.parametrize("layout", ["C", "Fortran", "reversed", "strided"])
def test_row_max_is_np_max_or_nan_where_np_max_is_nan(rng, dtype, shape, layout):
    """argmax's element (short C-ordered rows) or np.maximum.reduce (the rest): np.max's value,
    on rows of NaN of both signs, infs and zeros of both signs."""
    x = random_values(rng, shape, dtype)
    if x.size:
        flat = x.reshape(-1)
        flat[rng.choice(flat.size, size=min(flat.size, 7), replace=False)] = np.array(
            [-np.nan, np.nan, -0.0, 0.0, -np.inf, np.inf, -0.0], dtype)[:min(flat.size, 7)]
    x = {"C": x, "Fortran": np.asfortranarray(x), "reversed": x[::-1],
         "strided": x[..., ::2] if shape[-1] > 1 else x}[layout]
    before = x.copy()
    ours, plain = row_max(x), np.max(x, axis=-1, keepdims=True)
    assert (ours.dtype, ours.shape) == (plain.dtype, plain.shape)
    nan = np.isnan(plain)
    assert np.array_equal(np.isnan(ours), nan) and np.array_equal(ours[~nan], plain[~nan])
    assert x.tobytes() == before.tobytes()  # the input is only read


def test_row_max_keeps_the_row_starts_of_a_few_small_shapes_read_only():
    rng = np.random.default_rng(4)
    for rows in range(1, 200):  # a loop over batch sizes: the kept starts stay few
        x = rng.standard_normal((rows, 3)).astype(np.float32)
        np.testing.assert_array_equal(row_max(x), np.max(x, axis=-1, keepdims=True))
        assert len(nn._ROW_STARTS) <= nn.KEPT_SHAPES
    kept = nn._ROW_STARTS[(rows, 3)]
    np.testing.assert_array_equal(kept.ravel(), np.arange(0, 3 * rows, 3))
    assert not kept.flags.writeable
    row_max(np.zeros((nn.KEPT_ROW_STARTS + 1, 2), np.float32))
    assert (nn.KEPT_ROW_STARTS + 1, 2) not in nn._ROW_STARTS  # large batches are not held on to


@pytest.mark.parametrize("dtype", FLOATS)
def test_argmax_points_at_the_first_largest_element_or_the_first_nan(dtype):
    """What row_max relies on, checked on this numpy: ties go to the first, and a NaN (of
    either sign) is the largest, the first one found. Row lengths cross numpy's vector widths."""
    rng = np.random.default_rng(3)
    for length in (1, 2, 3, 7, 8, 9, 10, 16, 17, 31, 64, 65, 130):
        x = rng.integers(-3, 3, size=(200, length)).astype(dtype)  # many ties
        marks = rng.integers(0, 12, size=x.shape)
        x[marks == 0], x[marks == 1] = np.nan, -np.nan
        x[marks == 2], x[marks == 3] = -0.0, 0.0
        has_nan = np.isnan(x).any(axis=-1)
        first_nan = np.isnan(x).argmax(axis=-1)
        first_largest = (x == np.max(np.where(np.isnan(x), -np.inf, x), axis=-1, keepdims=True)).argmax(axis=-1)
        np.testing.assert_array_equal(x.argmax(axis=-1), np.where(has_nan, first_nan, first_largest))


@pytest.mark.parametrize("dtype", FLOATS)
def test_a_row_whose_max_is_zero_of_both_signs_gives_the_plain_formulas_bits(graph, dtype):
    """np.max may give 0.0 or -0.0 for these rows, row_max the first zero: the sign shows in
    x - max, and nowhere in softmax, log_softmax or the cross-entropy (row_max's docstring)."""
    x = np.array([[-0.0, 0.0, -1.0, -3.0], [0.0, -0.0, -2.0, -0.0], [-0.0, -0.0, -5.0, -1.0],
                  [0.0, -0.0, 0.0, -0.0], [-1.0, -0.0, -2.0, 0.0], [-0.0, -4.0, -4.0, 0.0]], dtype)
    x = np.concatenate([x, np.tile(np.array([[-0.0, 0.0]], dtype), (1, 2)), x[:, ::-1]])
    labels = np.full(x.shape, 0.25, dtype)
    logits, targets = mg.placeholder(dtype), mg.placeholder(dtype)
    assert_same_bits(kernel(mg.nn.softmax(logits))(x), plain_softmax(x))
    assert_same_bits(kernel(mg.nn.log_softmax(logits))(x), plain_log_softmax(x))
    loss = mg.nn.softmax_cross_entropy_with_logits_v2(labels=targets, logits=logits)
    assert_same_bits(kernel(loss)(x, labels), plain_cross_entropy(x, labels))
    assert_same_bits(kernel(loss)(x, labels), np.sum(labels * -plain_log_softmax(x), axis=-1))


def test_softmax_of_huge_logits_stays_finite_and_keeps_the_small_differences(graph):
    x = np.array([[1e30, 1e30, -1e30]], np.float32)
    logits = mg.placeholder(mg.float32)
    np.testing.assert_array_equal(kernel(mg.nn.softmax(logits))(x), [[0.5, 0.5, 0.0]])
    assert kernel(mg.nn.log_softmax(logits))(x)[0, 0] == np.float32(-np.log(2))


def test_softmax_leaves_its_input_alone(graph, rng):
    """The in-place steps work in the kernel's own new array, never in the input."""
    x = random_values(rng, (32, 10), "float32", edges=False)
    before = x.copy()
    logits, labels = mg.placeholder(mg.float32), mg.placeholder(mg.float32)
    kernel(mg.nn.softmax(logits))(x)
    kernel(mg.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits))(x, before.copy())
    np.testing.assert_array_equal(x, before)


def test_softmax_of_a_scalar_of_unknown_rank_is_refused_by_name(graph):
    logits = mg.placeholder(mg.float32, name="scores")
    with pytest.raises(InvalidArgumentError, match=r"logits must have at least one axis.*got the scalar 2\.0"):
        kernel(mg.nn.softmax(logits))(np.array(2.0, np.float32))


# --- relu and its gradient ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS + ("int32", "int64", "int8", "uint8"))
def test_relu_and_relu_gradient_equal_the_plain_formulas(graph, rng, dtype):
    x = random_values(rng, (32, 128), dtype)
    grad = random_values(rng, (32, 128), dtype)
    features = mg.placeholder(dtype)
    assert_same_bits(kernel(mg.nn.relu(features))(x), np.maximum(x, 0))
    with np.errstate(all="ignore"):
        assert_same_bits(kernel(relu_gradient(features, features))(grad, x), grad * (x > 0))
    # a 0-d value gives a numpy scalar, as np.maximum does
    assert_same_bits(kernel(mg.nn.relu(features))(x[0, 0]), np.maximum(x[0, 0], 0))


@pytest.mark.parametrize("grad_shape", [(128,), (1, 128), ()], ids=str)
def test_relu_gradient_of_a_broadcast_or_scalar_gradient_equals_the_plain_product(graph, rng, grad_shape):
    x = random_values(rng, (4, 128), "float32")
    grad = random_values(rng, grad_shape, "float32", edges=False)
    grad = grad[()] if grad_shape == () else grad  # a numpy scalar
    features = mg.placeholder(mg.float32)
    assert_same_bits(kernel(relu_gradient(features, features))(grad, x), grad * (x > 0))


@pytest.mark.parametrize("dtype", FLOATS)
def test_relu_keeps_the_sign_of_zero_and_nan(graph, dtype):
    """Against zeros numpy takes its vectorised loop (a body of whole registers, then a tail),
    against the scalar 0 another: each length and start below lands -0.0, NaN of either sign
    and inf in both parts, and the bits must agree."""
    specials = np.array([-0.0, 0.0, np.nan, -np.nan, -np.inf, np.inf, -1.0, 1.0], dtype)
    relu = kernel(mg.nn.relu(mg.placeholder(dtype)))
    rng = np.random.default_rng(5)
    for length in range(1, 200, 7):
        values = rng.choice(specials, size=length + 3)
        for start in range(3):  # a view that starts off the array's alignment
            x = values[start:start + length]
            assert_same_bits(relu(x), np.maximum(x, 0))
            assert_same_bits(relu(x.reshape(1, -1)), np.maximum(x.reshape(1, -1), 0))
    assert_same_bits(relu(values[::2]), np.maximum(values[::2], 0))  # not contiguous: the scalar path


def test_relu_s_zeros_are_kept_read_only_and_only_when_small(graph, rng):
    """Relu (and the fused layer's relu) reads zeros kept from run to run: they must stay
    zeros, be no run's result, and not hold on to the memory of a large batch."""
    float32 = np.dtype(np.float32)
    zeros = zeros_for_max((32, 128), float32)
    assert zeros is zeros_for_max((32, 128), float32) and not zeros.flags.writeable and not zeros.any()
    relu = kernel(mg.nn.relu(mg.placeholder(mg.float32)))
    for _ in range(3):  # run after run, each a new array with the plain max's bits
        x = random_values(rng, (32, 128), "float32")
        ours = relu(x)
        assert_same_bits(ours, np.maximum(x, 0))
        assert not np.shares_memory(ours, zeros) and ours.flags.writeable
    assert not zeros.any() and zeros.tobytes() == bytes(zeros.nbytes)  # +0.0 everywhere, still
    large = (SMALL_ZEROS + 1,)
    assert zeros_for_max(large, float32) is not zeros_for_max(large, float32)
    for rows in range(1, 100):  # a loop over batch sizes: the kept zeros stay few
        assert not zeros_for_max((rows, 3), float32).any()
        assert len(nn._ZERO_ARRAYS) <= nn.KEPT_SHAPES


@pytest.mark.parametrize("layout", LAYOUTS)
def test_relu_keeps_its_input_s_layout(graph, rng, layout):
    x = LAYOUTS[layout](random_values(rng, (6, 8), "float32"))
    ours = kernel(mg.nn.relu(mg.placeholder(mg.float32)))(x)
    assert_same_bits(ours, np.maximum(x, 0))
    assert ours.strides == np.maximum(x, 0).strides


# --- reductions ---------------------------------------------------------------------------


REDUCTION_AXES = [None, 0, -1, (0, 2), (-1, -3), 1, (), (0, 1, 2)]


def plain_mean(x, axis, keepdims):
    """The mean kernel before: np.sum, then the division inside errstate, then astype."""
    count = int(np.prod(x.shape if axis is None else [x.shape[a] for a in axis]))
    total = np.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)
    with np.errstate(invalid="ignore"):
        return (total / count).astype(x.dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("axis", REDUCTION_AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_float_sum_mean_max_min_equal_the_plain_formulas(graph, rng, dtype, axis, keepdims):
    x = random_values(rng, (4, 3, 5), dtype)
    value = mg.placeholder(dtype, shape=(4, 3, 5))
    canonical = None if axis is None else tuple(sorted(a % 3 for a in np.atleast_1d(axis)))
    with np.errstate(all="ignore"):
        assert_same_bits(kernel(mg.reduce_sum(value, axis, keepdims))(x),
                         np.sum(x, axis=canonical, keepdims=keepdims, dtype=x.dtype))
        assert_same_bits(kernel(mg.reduce_mean(value, axis, keepdims))(x), plain_mean(x, canonical, keepdims))
        assert_same_bits(kernel(mg.reduce_max(value, axis, keepdims))(x),
                         np.max(x, axis=canonical, keepdims=keepdims, initial=-np.inf))
        assert_same_bits(kernel(mg.reduce_min(value, axis, keepdims))(x),
                         np.min(x, axis=canonical, keepdims=keepdims, initial=np.inf))
    assert_same_bits(kernel(ReducedSize(value, axis=canonical).output)(x),
                     np.asarray(int(np.prod(x.shape if canonical is None else [x.shape[a] for a in canonical])),
                                dtype=x.dtype))


@pytest.mark.parametrize("dtype", FLOATS)
def test_the_mean_of_the_worksheet_loss_is_a_numpy_scalar_as_before(graph, rng, dtype):
    """A mean over every axis gives a numpy scalar (np.sum does), not a 0-d array."""
    x = random_values(rng, (32,), dtype, edges=False)
    ours = kernel(mg.reduce_mean(mg.placeholder(dtype, shape=(None,))))(x)
    assert_same_bits(ours, plain_mean(x, None, False))
    assert isinstance(ours, np.generic)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("as_scalar", [False, True], ids=["0-d array", "numpy scalar"])
def test_reductions_of_a_0d_value_equal_the_plain_formulas(graph, keepdims, as_scalar):
    """A scalar loss reduced again (a mean of a mean): numpy scalars come in as well as 0-d arrays."""
    x = np.array(2.5, np.float32)
    x = x[()] if as_scalar else x
    value = mg.placeholder(mg.float32, shape=())
    assert_same_bits(kernel(mg.reduce_sum(value, keepdims=keepdims))(x),
                     np.sum(x, axis=None, keepdims=keepdims, dtype=x.dtype))
    assert_same_bits(kernel(mg.reduce_mean(value, keepdims=keepdims))(x), plain_mean(x, None, keepdims))
    assert_same_bits(kernel(mg.reduce_max(value, keepdims=keepdims))(x),
                     np.max(x, axis=None, keepdims=keepdims, initial=-np.inf))


@pytest.mark.parametrize("shape, axis", [((0, 3), 0), ((0, 3), None), ((3, 0), 1), ((2, 0, 4), (1, 2))], ids=str)
def test_a_float_mean_of_nothing_is_nan_and_warns_nothing(graph, shape, axis, recwarn):
    x = np.zeros(shape, np.float32)
    ours = kernel(mg.reduce_mean(mg.placeholder(mg.float32, shape=shape), axis))(x)
    assert_same_bits(ours, plain_mean(x, None if axis is None else tuple(np.atleast_1d(axis)), False))
    assert np.isnan(ours).all()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("dtype", ["int32", "int64", "int8", "uint8"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)], ids=str)
def test_integer_sum_mean_and_size_keep_their_dtype(graph, rng, dtype, axis):
    x = random_values(rng, (4, 3, 5), dtype)
    value = mg.placeholder(dtype, shape=(4, 3, 5))
    canonical = None if axis is None else tuple(sorted(a % 3 for a in np.atleast_1d(axis)))
    assert_same_bits(kernel(mg.reduce_sum(value, axis))(x), np.sum(x, axis=canonical, dtype=x.dtype))
    count = math.prod(x.shape if canonical is None else [x.shape[a] for a in canonical])
    total = np.asarray(np.sum(x, axis=canonical, dtype=np.int64 if x.dtype.itemsize < 8 else x.dtype))
    mean = (total // count + ((total % count != 0) & (total < 0))).astype(x.dtype)  # C's division
    assert_same_bits(kernel(mg.reduce_mean(value, axis))(x), mean)


def test_a_reduction_over_an_axis_found_out_of_range_at_run_time_names_it(graph):
    value = mg.placeholder(mg.float32)  # unknown rank: the kernel checks the axis
    with pytest.raises(InvalidArgumentError, match=r"Invalid reduction axis 2 for a value of shape \(3, 4\)"):
        kernel(mg.reduce_mean(value, axis=2))(np.ones((3, 4), np.float32))


# --- argmax, argmin --------------------------------------------------------------------


def plain_arg(function, nan_as, x, axis, output_type):
    if x.dtype.kind == "f":
        x = np.where(np.isnan(x), nan_as, x)
    return function(x, axis=axis).astype(output_type)


ARG_CASES = [("argmax", np.argmax, -np.inf), ("argmin", np.argmin, np.inf)]


@pytest.mark.parametrize("name, function, nan_as", ARG_CASES, ids=["argmax", "argmin"])
@pytest.mark.parametrize("dtype", FLOATS + ("int32", "int64", "bool"))
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("output_type", ["int64", "int32"])
@pytest.mark.parametrize("edges", [False, True], ids=["finite", "nan-inf"])
def test_argmax_and_argmin_equal_the_plain_formula(graph, rng, name, function, nan_as, dtype, axis, output_type,
                                                   edges):
    x = random_values(rng, (32, 10), dtype, edges) if dtype != "bool" else rng.random((32, 10)) < 0.3
    value = mg.placeholder(dtype, shape=(None, 10))
    ours = kernel(getattr(mg, name)(value, axis=axis, output_type=output_type))(x)
    canonical = axis % 2
    assert_same_bits(ours, plain_arg(function, nan_as, x, canonical, output_type))


@pytest.mark.parametrize("name, function, nan_as", ARG_CASES, ids=["argmax", "argmin"])
def test_argmax_passes_over_nan_even_a_whole_row_of_it(graph, name, function, nan_as):
    x = np.array([[np.nan, 1.0, 3.0], [np.nan, np.nan, np.nan], [2.0, np.nan, -np.inf], [np.inf, np.nan, 1.0]],
                 np.float32)
    ours = kernel(getattr(mg, name)(mg.placeholder(mg.float32), axis=1))(x)
    assert_same_bits(ours, plain_arg(function, nan_as, x, 1, "int64"))
    assert ours[0] == (2 if name == "argmax" else 1)


@pytest.mark.parametrize("dtype", FLOATS)
def test_argmax_of_huge_values_warns_nothing(graph, dtype, recwarn):
    """The NaN test on the way in must not overflow (and warn) where argmax itself does not."""
    big = np.finfo(dtype).max
    x = np.array([[big, -big, np.inf], [-np.inf, -np.inf, -big]], dtype)
    ours = kernel(mg.argmax(mg.placeholder(dtype), axis=1))(x)
    assert_same_bits(ours, np.argmax(x, axis=1))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_argmax_refuses_empty_and_out_of_range_as_before(graph):
    value = mg.placeholder(mg.float32)
    with pytest.raises(ValueError, match="attempt to get argmax of an empty sequence"):
        kernel(mg.argmax(value, axis=1))(np.zeros((3, 0), np.float32))
    with pytest.raises(InvalidArgumentError, match=r"Expected an axis in the range \[-2, 2\).*but got 2"):
        kernel(mg.argmax(value, axis=2))(np.zeros((3, 4), np.float32))


# --- the broadcasting pair, ones and zeros --------------------------------------------------


def plain_broadcast_like(x, like, axes):
    if axes:
        rank = np.ndim(x) + len(axes)
        shape = list(np.shape(x))
        for position in sorted(a % rank for a in axes):
            shape.insert(position, 1)
        x = np.reshape(x, shape)
    return np.broadcast_to(x, like.shape)


BROADCASTS = [  # (x, like, axes)
    ((), (32,), ()),
    ((32,), (32, 10), (-1,)),
    ((32,), (32, 10), (1,)),
    ((10,), (32, 10), (0,)),
    ((1, 10), (32, 10), ()),
    ((10,), (32, 10), ()),
    ((3,), (2, 3, 4), (0, -1)),
    ((32,), (0, 32), ()),
    ((1,), (0,), ()),
    ((), (), ()),
    ((4,), (4,), ()),
    ((SMALL_BROADCAST // 2,), (SMALL_BROADCAST // 2, 4), (-1,)),  # above the copy size: a view
]


@pytest.mark.parametrize("x_shape, like_shape, axes", BROADCASTS, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "bool"])
def test_broadcast_like_equals_numpy_broadcast_to(graph, rng, x_shape, like_shape, axes, dtype):
    x = random_values(rng, x_shape, dtype if dtype != "bool" else "float32")
    if dtype == "bool":
        x = x > 0
    like = np.zeros(like_shape, np.float32)
    op_output = broadcast_like(mg.placeholder(dtype), mg.placeholder(mg.float32), axes)
    ours = kernel(op_output)(x, like)
    plain = plain_broadcast_like(x, like, axes)
    assert ours.dtype == plain.dtype and ours.shape == plain.shape
    assert np.array_equal(ours, plain, equal_nan=dtype != "bool" and dtype != "int32")
    assert np.ascontiguousarray(ours).tobytes() == np.ascontiguousarray(plain).tobytes()
    if x.ndim == 0 and like_shape:
        scalar = x[()]  # a numpy scalar (a Mean's output) broadcasts the same
        assert np.ascontiguousarray(kernel(op_output)(scalar, like)).tobytes() == np.ascontiguousarray(plain).tobytes()


@pytest.mark.parametrize("x_shape, like_shape", [((3,), (4,)), ((2, 3), (3, 2)), ((0,), (1,)), ((1, 3), (3,))],
                         ids=str)
def test_broadcast_like_refuses_what_broadcast_to_refuses_with_its_message(graph, x_shape, like_shape):
    x, like = np.ones(x_shape, np.float32), np.ones(like_shape, np.float32)
    with pytest.raises(ValueError) as plain:
        np.broadcast_to(x, like.shape)
    with pytest.raises(ValueError) as ours:
        kernel(broadcast_like(mg.placeholder(mg.float32), mg.placeholder(mg.float32)))(x, like)
    assert str(ours.value) == str(plain.value)


def plain_sum_like(x, like, axes):
    rank = len(like.shape) + len(axes)
    kept = list(like.shape)
    for position in sorted(a % rank for a in axes):
        kept.insert(position, 1)
    kept = tuple(kept)
    if x.shape == kept:
        return x.reshape(like.shape)
    lead = x.ndim - len(kept)
    summed = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(kept) if d == 1 and x.shape[lead + i] != 1)
    return x.sum(axis=summed, keepdims=True).reshape(kept).reshape(like.shape)


SUMS = [  # (x, like, axes)
    ((32, 10), (10,), ()),
    ((32, 10), (1, 10), ()),
    ((32, 10), (32, 1), ()),
    ((32, 10), (), ()),
    ((32, 10), (32,), (-1,)),
    ((32, 10), (10,), (0,)),
    ((2, 3, 4), (3,), (0, -1)),
    ((5, 2, 3, 4), (3, 4), ()),
    ((5, 2, 3, 4), (2, 1, 4), ()),
    ((0, 10), (10,), ()),
    ((4,), (4,), ()),
    ((), (), ()),
]


@pytest.mark.parametrize("x_shape, like_shape, axes", SUMS, ids=str)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64"])
def test_sum_like_equals_the_plain_sum(graph, rng, x_shape, like_shape, axes, dtype):
    """Integers included: an int32 gradient is summed in int64, by the kernel as by numpy's sum."""
    x = random_values(rng, x_shape, dtype)
    like = np.zeros(like_shape, np.float32)
    with np.errstate(all="ignore"):  # inf + -inf is NaN, and numpy says so, in both
        ours = kernel(sum_like(mg.placeholder(dtype), mg.placeholder(mg.float32), axes))(x, like)
        assert_same_bits(ours, plain_sum_like(x, like, axes))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_ones_and_zeros_like_equal_numpy_s_values_and_layout(graph, rng, layout, dtype):
    """Layout too: a reduction of the result adds in memory order, so strides can matter."""
    x = LAYOUTS[layout](rng.normal(size=(6, 4)).astype(dtype))
    for build, plain in ((ones_like, np.ones_like), (zeros_like, np.zeros_like)):
        ours = kernel(build(mg.placeholder(dtype)))(x)
        assert_same_bits(ours, plain(x))
        assert ours.strides == plain(x).strides


def test_ones_like_of_a_numpy_scalar_is_a_0d_array(graph):
    ours = kernel(ones_like(mg.placeholder(mg.float32)))(np.float32(3.0))
    assert_same_bits(ours, np.ones_like(np.float32(3.0)))


# --- matmul ----------------------------------------------------------------------------------


@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
def test_matmul_equals_numpy_s_product(graph, rng, transpose_a, transpose_b):
    a = rng.normal(size=(60, 32) if transpose_a else (32, 60)).astype(np.float32)
    b = rng.normal(size=(128, 60) if transpose_b else (60, 128)).astype(np.float32)
    product = mg.matmul(mg.placeholder(mg.float32), mg.placeholder(mg.float32), transpose_a=transpose_a,
                        transpose_b=transpose_b)
    assert_same_bits(kernel(product)(a, b), (a.T if transpose_a else a) @ (b.T if transpose_b else b))


def test_matmul_of_a_non_matrix_found_at_run_time_names_the_input(graph):
    product = mg.matmul(mg.placeholder(mg.float32), mg.placeholder(mg.float32))
    with pytest.raises(InvalidArgumentError, match=r"In\[1\] \('b'\) must be a matrix \(ndims == 2\), got shape "
                                                   r"\(3,\)"):
        kernel(product)(np.ones((2, 3), np.float32), np.ones(3, np.float32))
    with pytest.raises(InvalidArgumentError, match=r"Matrix size-incompatible: In\[0\]: \[2, 3\], In\[1\]: \[4, 5\]"):
        kernel(product)(np.ones((2, 3), np.float32), np.ones((4, 5), np.float32))
