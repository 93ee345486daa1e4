"""The ops of minigraph/ops, driven by the one table in support/op_cases.py:

- every differentiable op's first and second derivatives against central differences;
- values, gradients and Hessian-vector products against TensorFlow's (tf.compat.v1
  graph mode) in float64 (relative 1e-10) and float32 (1e-5);
- argmax, comparisons and casts: the same values as TensorFlow and no gradient;
- each case in each dtype it accepts: the run gives the static dtype and shape, and
  bool inputs are refused where they make no sense;
- hypothesis: random broadcast shapes and random reduction axes.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import minigraph as mg
from support.derivatives import gradient_check, run_minigraph
from support.inputs import in_dtype
from support.op_cases import CASES, NO_GRADIENT_CASES, Case, case_arrays
from support.tensorflow import assert_matches_tensorflow, in_each_setting, run_tensorflow

TOLERANCE = {"float64": 1e-10, "float32": 1e-5}


def ids(cases):
    return [case.id for case in cases]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_gradients_match_central_differences(case):
    gradient_check(case)


@in_each_setting
@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_matches_tensorflow(case, dtype, known_shapes, parity_errors):
    """Values, gradients and Hessian-vector products; "unknown shapes" feeds placeholders of
    unknown rank, so every shape a gradient needs is found at run time."""
    assert_matches_tensorflow(case, dtype, known_shapes, TOLERANCE[dtype], parity_errors)


@pytest.mark.parametrize("case", NO_GRADIENT_CASES, ids=ids(NO_GRADIENT_CASES))
def test_no_gradient_ops_match_tensorflow(case):
    arrays = case_arrays(case)
    ours, theirs = run_minigraph(case, *arrays), run_tensorflow(case, *arrays)
    assert ours["y"].dtype == theirs["y"].dtype
    np.testing.assert_array_equal(ours["y"], theirs["y"])
    assert ours["grads"] == [None] * len(case.inputs)
    assert theirs["grads"] == [None] * len(case.inputs)


def test_table_covers_every_public_op():
    """Each op of the public API appears in the table (by the op types its cases build)."""
    seen = set()
    for case in CASES + NO_GRADIENT_CASES:
        xs, _, _ = case_arrays(case)
        with mg.Graph().as_default() as graph:
            case.build(mg, *[mg.placeholder(x.dtype, x.shape) for x in xs])
        seen |= {op.type for op in graph.get_operations()}
    wanted = {
        "AddV2", "Sub", "Mul", "RealDiv", "Neg", "MatMul", "Exp", "Log", "Square", "Sqrt",
        "Relu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Sum", "Mean", "Max", "Reshape",
        "Transpose", "ClipByValue", "SoftmaxCrossEntropyWithLogits", "ArgMax", "Equal", "Cast",
        "AddN", "Pow", "Greater", "OnesLike",
        "Maximum", "Minimum", "Abs", "Sign", "Log1p", "Expm1", "Reciprocal", "Floor", "Ceil", "Round",
        "FloorMod", "FloorDiv", "Min", "Prod", "Any", "All", "ArgMin", "Less", "LessEqual", "GreaterEqual",
        "NotEqual", "LogicalAnd", "LogicalOr", "LogicalNot",
    }  # fmt: skip
    assert wanted <= seen, f"not covered: {sorted(wanted - seen)}"


# --- random shapes ------------------------------------------------------------------

BINARY = {
    "add": lambda lib, x, y: x + y,
    "subtract": lambda lib, x, y: x - y,
    "multiply": lambda lib, x, y: x * y,
    "divide": lambda lib, x, y: x / y,
}


@settings(max_examples=25, deadline=None)
@given(
    op=st.sampled_from(sorted(BINARY)),
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_broadcasting_random_shapes(op, shapes, seed):
    """Any two numpy-broadcastable shapes: numpy's value and shape, and correct gradients."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shapes.input_shapes[0])
    y = rng.uniform(0.5, 2.0, size=shapes.input_shapes[1])  # positive: safe to divide by
    case = Case(f"{op} {shapes.input_shapes}", BINARY[op], ())
    with mg.Graph().as_default():
        a, b = mg.placeholder(mg.float64, x.shape), mg.placeholder(mg.float64, y.shape)
        z = case.build(mg, a, b)
        assert z.shape == shapes.result_shape
        value = mg.Session().run(z, {a: x, b: y})
    np.testing.assert_array_equal(value, case.build(None, x, y))
    gradient_check(case, xs=[x, y])


NUMPY_REDUCTIONS = {"reduce_sum": np.sum, "reduce_mean": np.mean, "reduce_max": np.max, "reduce_min": np.min,
                    "reduce_prod": np.prod}


@st.composite
def reductions(draw):
    rank = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=rank, max_size=rank)))
    axis = draw(
        st.one_of(
            st.none(),
            st.integers(-rank, rank - 1),
            st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=rank, unique_by=lambda a: a % rank).map(
                tuple
            ),
        )
    )
    return draw(st.sampled_from(sorted(NUMPY_REDUCTIONS))), shape, axis, draw(st.booleans())


@settings(max_examples=25, deadline=None)
@given(reduction=reductions(), seed=st.integers(0, 2**16))
def test_reductions_random_axes(reduction, seed):
    """Any shape, any axes (int, negative, tuple, None), keepdims or not: numpy's result."""
    name, shape, axis, keepdims = reduction
    x = np.random.default_rng(seed).normal(size=shape)
    case = Case(f"{name}({shape}, {axis}, {keepdims})", lambda lib, t: getattr(lib, name)(t, axis, keepdims), ())
    expected = NUMPY_REDUCTIONS[name](x, axis=axis, keepdims=keepdims)
    with mg.Graph().as_default():
        t = mg.placeholder(mg.float64, shape=shape)
        y = case.build(mg, t)
        assert y.shape == expected.shape
        np.testing.assert_allclose(mg.Session().run(y, {t: x}), expected, rtol=1e-14)
    gradient_check(case, xs=[x])


def test_reductions_with_unknown_dims():
    """Shapes known only at run time: the gradient still reaches the input's shape."""
    x = mg.Graph()
    with x.as_default():
        t = mg.placeholder(mg.float64, shape=(None, 3))
        mean = mg.reduce_mean(t, axis=0)
        assert mean.shape == (3,)
        assert mg.reduce_sum(t, axis=1, keepdims=True).shape == (None, 1)
        (grad,) = mg.gradients(mean, t)
        assert grad.shape == (None, 3)
        value = np.arange(12.0).reshape(4, 3)
        np.testing.assert_allclose(mg.Session().run(grad, {t: value}), np.full((4, 3), 0.25))


# --- dtypes: what a run returns is what the graph promised -----------------------------

ALL_CASES = CASES + NO_GRADIENT_CASES


@pytest.mark.parametrize(
    "case, dtype",
    [pytest.param(case, dtype, id=f"{case.id}-{dtype}") for case in ALL_CASES for dtype in case.dtypes],
)
def test_run_values_have_the_static_dtype_and_shape(case, dtype):
    xs = [in_dtype(x, dtype) for x in case_arrays(case)[0]]
    with mg.Graph().as_default():
        placeholders = [mg.placeholder(dtype, shape=x.shape) for x in xs]
        out = case.build(mg, *placeholders)
        value = mg.Session().run(out, dict(zip(placeholders, xs)))
    assert np.asarray(value).dtype == out.dtype
    assert np.shape(value) == out.shape


@pytest.mark.parametrize("case", [case for case in ALL_CASES if "bool" not in case.dtypes], ids=lambda case: case.id)
def test_arithmetic_on_bool_is_an_error_at_creation(case):
    """As in TF: cast a bool tensor (equal's, say) to a number before adding it up."""
    with mg.Graph().as_default():
        flags = [mg.placeholder(mg.bool, shape=x.shape) for x in case_arrays(case)[0]]
        with pytest.raises(TypeError, match="bool"):
            case.build(mg, *flags)
