"""One table of ops drives the op tests of test_ops.py.

Each `Case` builds one expression from placeholders, through `lib`: either
``minigraph`` or `tensorflow_lib()` (TensorFlow's functions under minigraph's names).
So the *same* lambda builds the minigraph graph and the TensorFlow graph that it is
compared with. For a case with output y, the checks differentiate

    loss = sum(y * weights)                   weights: fixed random, so softmax's
                                              gradient is not trivially zero
    grads = d loss / d inputs
    hvps = d sum_k(grads_k * directions_k) / d inputs    (Hessian-vector products)

`gradient_check` compares grads and hvps with central differences of Session.run
(float64); test_ops.py compares all three with TensorFlow in float64 and float32.
Inputs keep away from kinks (relu at 0, clip's bounds) and from where log, sqrt and
division are undefined.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable

import numpy as np

import minigraph as mg

# dtype name -> (worst relative error seen, which check); printed by conftest.py
WORST_PARITY_ERROR: dict[str, tuple[float, str]] = {}


# --- input makers: rng -> float64 array ---------------------------------------------


def normal(*shape):
    return lambda rng: rng.normal(size=shape)


def positive(*shape):
    return lambda rng: rng.uniform(0.5, 2.0, size=shape)


def away_from(points, *shape, margin=0.1):
    """Uniform in [-2, 2] but at least `margin` from each of `points` (the kinks)."""

    def make(rng):
        values = rng.uniform(-2.0, 2.0, size=shape)
        for p in points:
            near = np.abs(values - p) < margin
            values[near] = p + np.where(values[near] >= p, margin, -margin) * 2
        return values

    return make


def distribution(*shape):
    """Rows that are probability distributions (labels for cross-entropy)."""

    def make(rng):
        p = rng.uniform(0.1, 1.0, size=shape)
        return p / p.sum(axis=-1, keepdims=True)

    return make


def small_integers(*shape):
    """Whole numbers 0..2, so equal() finds matches."""
    return lambda rng: rng.integers(0, 3, size=shape).astype(np.float64)


# --- the table ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable  # build(lib, *placeholders) -> tensor
    inputs: tuple  # one input maker per placeholder
    differentiable: bool = True
    # inputs whose Hessian-vector product TensorFlow gets wrong, so only the central
    # differences check ours: TF's SoftmaxCrossEntropyWithLogits gradient drops the
    # labels' second-order term (its labels gradient ignores grad_grad, see
    # _SoftmaxCrossEntropyWithLogitsGrad in tensorflow/python/ops/nn_grad.py)
    tensorflow_hvp_wrong: tuple = ()


def _reductions():
    cases = []
    for reduce in ("reduce_sum", "reduce_mean", "reduce_max"):
        for axis, keepdims, shape in [
            (None, False, (3, 4)),
            (None, True, (3, 4)),
            (1, False, (3, 4)),
            (0, True, (3, 4)),
            (-1, False, (2, 3, 4)),
            ((0, 2), False, (2, 3, 4)),
            ((-1, 0), True, (2, 3, 4)),
        ]:
            cases.append(
                Case(
                    f"{reduce}(axis={axis}, keepdims={keepdims}) of {shape}",
                    lambda lib, x, reduce=reduce, axis=axis, keepdims=keepdims: getattr(lib, reduce)(
                        x, axis=axis, keepdims=keepdims
                    ),
                    (normal(*shape),),
                )
            )
    return cases


CASES = [
    # element-wise binary ops, by name and by operator
    Case("add", lambda lib, x, y: lib.add(x, y), (normal(3, 4), normal(3, 4))),
    Case("subtract", lambda lib, x, y: lib.subtract(x, y), (normal(3, 4), normal(3, 4))),
    Case("multiply", lambda lib, x, y: lib.multiply(x, y), (normal(3, 4), normal(3, 4))),
    Case("divide", lambda lib, x, y: lib.divide(x, y), (normal(3, 4), positive(3, 4))),
    Case("x + y", lambda lib, x, y: x + y, (normal(3, 4), normal(3, 4))),
    Case("x - y", lambda lib, x, y: x - y, (normal(3, 4), normal(3, 4))),
    Case("x * y", lambda lib, x, y: x * y, (normal(3, 4), normal(3, 4))),
    Case("x / y", lambda lib, x, y: x / y, (normal(3, 4), positive(3, 4))),
    Case("x * x (one input, two paths)", lambda lib, x: x * x, (normal(3, 4),)),
    # broadcasting
    Case("(3,4) + (4,)", lambda lib, x, y: x + y, (normal(3, 4), normal(4))),
    Case("(3,1) * (1,4)", lambda lib, x, y: x * y, (normal(3, 1), normal(1, 4))),
    Case("(3,4) - (3,1)", lambda lib, x, y: x - y, (normal(3, 4), normal(3, 1))),
    Case("(2,1,4) / (3,1)", lambda lib, x, y: x / y, (normal(2, 1, 4), positive(3, 1))),
    Case("scalar tensor * (3,4)", lambda lib, s, x: s * x, (normal(), normal(3, 4))),
    Case("(3,4) / scalar tensor", lambda lib, x, s: x / s, (normal(3, 4), positive())),
    # Python scalars on either side take the tensor's dtype
    Case("x + 2.5", lambda lib, x: x + 2.5, (normal(3, 4),)),
    Case("3 - x", lambda lib, x: 3 - x, (normal(3, 4),)),
    Case("0.5 * x", lambda lib, x: 0.5 * x, (normal(3, 4),)),
    Case("x / 4", lambda lib, x: x / 4, (normal(3, 4),)),
    Case("2 / x", lambda lib, x: 2.0 / x, (positive(3, 4),)),
    # unary
    Case("negative", lambda lib, x: lib.negative(x), (normal(3, 4),)),
    Case("-x", lambda lib, x: -x, (normal(3, 4),)),
    Case("exp", lambda lib, x: lib.exp(x), (normal(3, 4),)),
    Case("log", lambda lib, x: lib.log(x), (positive(3, 4),)),
    Case("square", lambda lib, x: lib.square(x), (normal(3, 4),)),
    Case("sqrt", lambda lib, x: lib.sqrt(x), (positive(3, 4),)),
    Case("pow by a number", lambda lib, x: x ** 3.0, (normal(3, 4),)),
    Case("pow of two tensors", lambda lib, x, y: lib.pow(x, y), (positive(3, 4), normal(4))),
    Case("relu", lambda lib, x: lib.nn.relu(x), (away_from([0.0], 3, 4),)),
    Case("sigmoid", lambda lib, x: lib.nn.sigmoid(x), (normal(3, 4),)),
    Case("tanh", lambda lib, x: lib.nn.tanh(x), (normal(3, 4),)),
    Case("clip_by_value", lambda lib, x: lib.clip_by_value(x, -0.5, 1.0), (away_from([-0.5, 1.0], 3, 5),)),
    # matrices
    Case("matmul", lambda lib, a, b: lib.matmul(a, b), (normal(3, 4), normal(4, 2))),
    Case("a @ b", lambda lib, a, b: a @ b, (normal(2, 3), normal(3, 5))),
    Case("a @ a (one input, two paths)", lambda lib, a: a @ a, (normal(3, 3),)),
    Case("reshape (3,4) -> (2,-1)", lambda lib, x: lib.reshape(x, (2, -1)), (normal(3, 4),)),
    Case("reshape (2,3,4) -> (-1,)", lambda lib, x: lib.reshape(x, (-1,)), (normal(2, 3, 4),)),
    Case("reshape (6,) -> (3,1,2)", lambda lib, x: lib.reshape(x, (3, 1, 2)), (normal(6),)),
    Case("transpose", lambda lib, x: lib.transpose(x), (normal(3, 4),)),
    Case("transpose perm=(1,2,0)", lambda lib, x: lib.transpose(x, (1, 2, 0)), (normal(2, 3, 4),)),
    # softmax and friends, along the last axis
    Case("softmax", lambda lib, x: lib.nn.softmax(x), (normal(3, 5),)),
    Case("softmax of (2,3,4)", lambda lib, x: lib.nn.softmax(x), (normal(2, 3, 4),)),
    Case("log_softmax", lambda lib, x: lib.nn.log_softmax(x), (normal(3, 5),)),
    Case(
        "softmax_cross_entropy_with_logits",
        lambda lib, logits, labels: lib.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits),
        (normal(4, 5), distribution(4, 5)),
        tensorflow_hvp_wrong=(1,),
    ),
    Case(
        "softmax_cross_entropy_with_logits, large logits",
        lambda lib, logits, labels: lib.nn.softmax_cross_entropy_with_logits(labels=labels, logits=100.0 * logits),
        (normal(4, 5), distribution(4, 5)),
        tensorflow_hvp_wrong=(1,),
    ),
    *_reductions(),
    # a dense layer and its loss: the worksheet's network in small
    Case(
        "mean cross-entropy of softmax(relu(x @ w + b) @ v)",
        lambda lib, x, w, b, v, labels: lib.reduce_mean(
            lib.nn.softmax_cross_entropy_with_logits(labels=labels, logits=lib.matmul(lib.nn.relu(x @ w + b), v))
        ),
        (normal(5, 4), normal(4, 3), normal(3), normal(3, 2), distribution(5, 2)),
        tensorflow_hvp_wrong=(4,),
    ),
]

NO_GRADIENT_CASES = [
    Case("argmax(axis=0)", lambda lib, x: lib.argmax(x, axis=0), (normal(3, 4),), differentiable=False),
    Case("argmax(axis=1)", lambda lib, x: lib.argmax(x, axis=1), (normal(3, 4),), differentiable=False),
    Case("argmax(axis=-1)", lambda lib, x: lib.argmax(x, axis=-1), (normal(2, 3, 4),), differentiable=False),
    Case("equal", lambda lib, x, y: lib.equal(x, y), (small_integers(3, 4),) * 2, differentiable=False),
    Case(
        "equal (3,4) == (4,)",
        lambda lib, x, y: lib.equal(x, y),
        (small_integers(3, 4), small_integers(4)),
        differentiable=False,
    ),
    Case("cast to int32", lambda lib, x: lib.cast(3 * x, lib.int32), (normal(3, 4),), differentiable=False),
    Case("cast to int64", lambda lib, x: lib.cast(x, "int64"), (small_integers(3, 4),), differentiable=False),
    # integer arithmetic keeps TF's dtypes: sums stay int32, means truncate, / gives float64
    Case(
        "reduce_sum of int32",
        lambda lib, x: lib.reduce_sum(lib.cast(10 * x, lib.int32), axis=1),
        (normal(3, 4),),
        differentiable=False,
    ),
    Case(
        "reduce_mean of int32",
        lambda lib, x: lib.reduce_mean(lib.cast(10 * x, lib.int32), axis=0),
        (normal(3, 4),),
        differentiable=False,
    ),
    Case(
        "reduce_max of int64",
        lambda lib, x: lib.reduce_max(lib.cast(10 * x, "int64"), axis=-1, keepdims=True),
        (normal(3, 4),),
        differentiable=False,
    ),
    Case(
        "int32 / int32",
        lambda lib, x, y: lib.cast(10 * x, lib.int32) / (lib.cast(y, lib.int32) + 1),
        (normal(3, 4), positive(3, 4)),
        differentiable=False,
    ),
]


def tensorflow_lib():
    """TensorFlow's functions under minigraph's names, for Case.build."""
    import tensorflow as tf

    return SimpleNamespace(
        **{
            name: getattr(tf, name)
            for name in (
                "add subtract multiply divide negative matmul exp square sqrt pow reshape transpose "
                "clip_by_value reduce_sum reduce_mean reduce_max argmax equal cast constant int32"
            ).split()
        },
        log=tf.math.log,
        nn=tf.nn,
    )


# --- building and running the derivatives of a case ----------------------------------


@dataclass
class Derivatives:
    """The graph of one case: y, loss, first gradients, s = sum(grads * directions), hvps."""

    placeholders: list
    y: object
    loss: object
    grads: list
    s: object
    hvps: list


def build_derivatives(
    case: Case, lib, gradients, placeholder, xs, weights, directions, known_shapes: bool = True
) -> Derivatives:
    """Builds y = case(xs) and its derivatives in the default graph, with `lib`'s ops.
    Without `known_shapes` the placeholders have unknown rank: shapes are learnt at run time."""
    placeholders = [placeholder(x.dtype.name, x.shape if known_shapes else None) for x in xs]
    y = case.build(lib, *placeholders)
    if not case.differentiable:
        return Derivatives(placeholders, y, None, gradients(y, placeholders), None, [])
    loss = lib.reduce_sum(y * lib.constant(weights))
    grads = gradients(loss, placeholders)
    terms = [lib.reduce_sum(g * lib.constant(v)) for g, v in zip(grads, directions) if g is not None]
    s = terms[0]
    for term in terms[1:]:
        s = s + term
    return Derivatives(placeholders, y, loss, grads, s, gradients(s, placeholders))


def case_arrays(case: Case, dtype: str = "float64", xs=None):
    """The case's inputs, loss weights (y's shape) and directions (the inputs' shapes).

    Seeded by the case's id, so float32 runs see the float64 values, rounded.
    """
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    if xs is None:
        xs = [make(rng) for make in case.inputs]
    with mg.Graph().as_default():  # only to learn y's shape
        y = case.build(mg, *[mg.placeholder(x.dtype, x.shape) for x in xs])
    weights = rng.uniform(-1.0, 1.0, size=y.shape)
    directions = [rng.uniform(-1.0, 1.0, size=x.shape) for x in xs]
    return [x.astype(dtype) for x in xs], weights.astype(dtype), [v.astype(dtype) for v in directions]


def fetch(session, tensors: list, feed: dict) -> list:
    """session.run of a list that may hold None (a disconnected gradient): None stays None."""
    present = [t for t in tensors if t is not None]
    values = iter(session.run(present, feed) if present else [])
    return [None if t is None else next(values) for t in tensors]


def run_minigraph(case: Case, xs, weights, directions, known_shapes: bool = True) -> dict:
    with mg.Graph().as_default():
        d = build_derivatives(case, mg, mg.gradients, mg.placeholder, xs, weights, directions, known_shapes)
        with mg.Session() as session:
            return _run(d, session, xs)


def run_tensorflow(case: Case, xs, weights, directions, known_shapes: bool = True) -> dict:
    import tensorflow as tf

    with tf.Graph().as_default() as graph:
        lib, gradients, placeholder = tensorflow_lib(), tf.compat.v1.gradients, tf.compat.v1.placeholder
        d = build_derivatives(case, lib, gradients, placeholder, xs, weights, directions, known_shapes)
        with tf.compat.v1.Session(graph=graph, config=plain_session_config()) as session:
            return _run(d, session, xs)


def plain_session_config():
    """A session config that runs TF's kernels as the graph says, without grappler's
    rewrites (they would make the first run slow and the comparison less direct)."""
    import tensorflow as tf

    config = tf.compat.v1.ConfigProto()
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    config.graph_options.optimizer_options.opt_level = tf.compat.v1.OptimizerOptions.L0
    return config


def _run(d: Derivatives, session, xs) -> dict:
    feed = dict(zip(d.placeholders, xs))
    y, *grads = fetch(session, [d.y] + d.grads, feed)
    hvps = fetch(session, d.hvps, feed)
    return {"y": y, "grads": grads, "hvps": hvps}


# --- numeric differentiation --------------------------------------------------------


def numeric_gradient(f: Callable, xs: list, index: int, h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar f(xs) with respect to xs[index]."""
    xs = [x.copy() for x in xs]
    x = xs[index]
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + h
        plus = f(xs)
        x[i] = original - h
        minus = f(xs)
        x[i] = original
        grad[i] = (plus - minus) / (2 * h)
    return grad


def gradient_check(case: Case, xs=None, rtol: float = 1e-6) -> None:
    """mg.gradients (first and second order) against central differences, in float64.

    The first gradients are checked against differences of the loss; the second
    (Hessian-vector products) against differences of s = sum(grads * directions),
    the scalar whose symbolic gradient they are.
    """
    xs, weights, directions = case_arrays(case, xs=xs)
    with mg.Graph().as_default():
        d = build_derivatives(case, mg, mg.gradients, mg.placeholder, xs, weights, directions)
        session = mg.Session()

        def feed(values):
            return dict(zip(d.placeholders, values))

        y = session.run(d.y, feed(xs))
        assert np.shape(y) == d.y.shape and y.dtype == d.y.dtype, "static shape/dtype differ from the run's"
        for k, x in enumerate(xs):
            grad, hvp = d.grads[k], d.hvps[k]
            assert grad is not None, f"no gradient for input {k}"
            assert grad.shape == x.shape and grad.dtype == x.dtype
            expected = numeric_gradient(lambda values: session.run(d.loss, feed(values)), xs, k)
            _assert_close(session.run(grad, feed(xs)), expected, rtol, f"d loss / d input {k}")
            expected = numeric_gradient(lambda values: session.run(d.s, feed(values)), xs, k)
            actual = np.zeros_like(x) if hvp is None else session.run(hvp, feed(xs))
            _assert_close(actual, expected, rtol, f"Hessian-vector product for input {k}")


def _assert_close(actual, expected, rtol, what) -> None:
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def relative_error(ours, theirs) -> float:
    """max |ours - theirs| / max |theirs|: relative to the array's scale, so an
    element that cancels to ~0 does not turn rounding noise into a huge ratio."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    scale = np.max(np.abs(theirs), initial=0.0)
    difference = np.max(np.abs(ours - theirs), initial=0.0)
    return 0.0 if difference == 0 else difference / max(scale, np.finfo(np.float64).tiny)


def record_parity_error(dtype: str, error: float, where: str) -> None:
    if error > WORST_PARITY_ERROR.get(dtype, (-1.0, ""))[0]:
        WORST_PARITY_ERROR[dtype] = (error, where)
