"""The one table of ops that test_ops.py runs every check on.

Each ``Case`` builds one expression from placeholders through ``lib``: either
``minigraph`` or ``support.tensorflow.tensorflow_lib()`` (TensorFlow's functions under
minigraph's names). So the *same* lambda builds the minigraph graph and the
TensorFlow graph it is compared with. A case also says which dtypes it accepts, so the
table drives the dtype checks too.

``CASES`` are differentiable: first and second derivatives are checked against
central differences and TensorFlow. ``NO_GRADIENT_CASES`` (argmax, comparisons,
casts to integers) must match TensorFlow's values and have no gradient.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

import minigraph as mg
from support.inputs import away_from, distribution, normal, positive, small_integers

FLOATS = ("float32", "float64")
NUMBERS = FLOATS + ("int32", "int64")
ANY = NUMBERS + ("bool",)


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
    # the dtypes the case accepts: a run gives each the static dtype and shape; a
    # case without "bool" refuses bool inputs when the graph is built
    dtypes: tuple = FLOATS


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
                    dtypes=NUMBERS,
                )
            )
    return cases


CASES = [
    # element-wise binary ops, by name and by operator
    Case("add", lambda lib, x, y: lib.add(x, y), (normal(3, 4), normal(3, 4)), dtypes=NUMBERS),
    Case("subtract", lambda lib, x, y: lib.subtract(x, y), (normal(3, 4), normal(3, 4)), dtypes=NUMBERS),
    Case("multiply", lambda lib, x, y: lib.multiply(x, y), (normal(3, 4), normal(3, 4)), dtypes=NUMBERS),
    # integers divide to float64, as in TF
    Case("divide", lambda lib, x, y: lib.divide(x, y), (normal(3, 4), positive(3, 4)), dtypes=NUMBERS),
    Case("x + y", lambda lib, x, y: x + y, (normal(3, 4), normal(3, 4)), dtypes=NUMBERS),
    Case("x - y", lambda lib, x, y: x - y, (normal(3, 4), normal(3, 4)), dtypes=NUMBERS),
    Case("x * y", lambda lib, x, y: x * y, (normal(3, 4), normal(3, 4)), dtypes=NUMBERS),
    Case("x / y", lambda lib, x, y: x / y, (normal(3, 4), positive(3, 4)), dtypes=NUMBERS),
    Case("add_n", lambda lib, x, y: lib.add_n([x, y, x]), (normal(3, 4), normal(3, 4)), dtypes=NUMBERS),
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
    Case("negative", lambda lib, x: lib.negative(x), (normal(3, 4),), dtypes=NUMBERS),
    Case("-x", lambda lib, x: -x, (normal(3, 4),), dtypes=NUMBERS),
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
    Case("matmul", lambda lib, a, b: lib.matmul(a, b), (normal(3, 4), normal(4, 2)), dtypes=NUMBERS),
    Case("a @ b", lambda lib, a, b: a @ b, (normal(2, 3), normal(3, 5))),
    Case("a @ a (one input, two paths)", lambda lib, a: a @ a, (normal(3, 3),)),
    Case("reshape (3,4) -> (2,-1)", lambda lib, x: lib.reshape(x, (2, -1)), (normal(3, 4),), dtypes=ANY),
    Case("reshape (2,3,4) -> (-1,)", lambda lib, x: lib.reshape(x, (-1,)), (normal(2, 3, 4),), dtypes=ANY),
    Case("reshape (6,) -> (3,1,2)", lambda lib, x: lib.reshape(x, (3, 1, 2)), (normal(6),), dtypes=ANY),
    Case("transpose", lambda lib, x: lib.transpose(x), (normal(3, 4),), dtypes=ANY),
    Case("transpose perm=(1,2,0)", lambda lib, x: lib.transpose(x, (1, 2, 0)), (normal(2, 3, 4),), dtypes=ANY),
    # softmax and friends, along the last axis
    Case("softmax", lambda lib, x: lib.nn.softmax(x), (normal(3, 5),)),
    Case("softmax of (2,3,4)", lambda lib, x: lib.nn.softmax(x), (normal(2, 3, 4),)),
    Case("log_softmax", lambda lib, x: lib.nn.log_softmax(x), (normal(3, 5),)),
    # the _v2 name: gradients flow into the labels too (TF1's name, which stops them: test_nn_losses.py)
    Case(
        "softmax_cross_entropy_with_logits_v2",
        lambda lib, logits, labels: lib.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits),
        (normal(4, 5), distribution(4, 5)),
        tensorflow_hvp_wrong=(1,),
    ),
    Case(
        "softmax_cross_entropy_with_logits_v2, large logits",
        lambda lib, logits, labels: lib.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=100.0 * logits),
        (normal(4, 5), distribution(4, 5)),
        tensorflow_hvp_wrong=(1,),
    ),
    *_reductions(),
    # a dense layer and its loss: the worksheet's network in small
    Case(
        "mean cross-entropy of softmax(relu(x @ w + b) @ v)",
        lambda lib, x, w, b, v, labels: lib.reduce_mean(
            lib.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=lib.matmul(lib.nn.relu(x @ w + b), v))
        ),
        (normal(5, 4), normal(4, 3), normal(3), normal(3, 2), distribution(5, 2)),
        tensorflow_hvp_wrong=(4,),
    ),
]

NO_GRADIENT_CASES = [
    Case("argmax(axis=0)", lambda lib, x: lib.argmax(x, axis=0), (normal(3, 4),), differentiable=False, dtypes=ANY),
    Case("argmax(axis=1)", lambda lib, x: lib.argmax(x, axis=1), (normal(3, 4),), differentiable=False, dtypes=ANY),
    Case(
        "argmax(axis=-1)", lambda lib, x: lib.argmax(x, axis=-1), (normal(2, 3, 4),), differentiable=False, dtypes=ANY
    ),
    Case("x > y", lambda lib, x, y: x > y, (small_integers(3, 4),) * 2, differentiable=False, dtypes=NUMBERS),
    Case(
        "equal", lambda lib, x, y: lib.equal(x, y), (small_integers(3, 4),) * 2, differentiable=False, dtypes=ANY
    ),
    Case(
        "equal (3,4) == (4,)",
        lambda lib, x, y: lib.equal(x, y),
        (small_integers(3, 4), small_integers(4)),
        differentiable=False,
        dtypes=ANY,
    ),
    Case("ones_like", lambda lib, x: lib.ones_like(x), (normal(3, 4),), differentiable=False, dtypes=ANY),
    Case("cast to int32", lambda lib, x: lib.cast(3 * x, lib.int32), (normal(3, 4),), differentiable=False),
    Case(
        "cast to int64",
        lambda lib, x: lib.cast(x, "int64"),
        (small_integers(3, 4),),
        differentiable=False,
        dtypes=ANY,
    ),
    Case(
        "cast to int32, then float32",
        lambda lib, x: lib.cast(lib.cast(x, lib.int32), lib.float32),
        (small_integers(3, 4),),
        differentiable=False,
        dtypes=ANY,
    ),
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


# --- shapes and indexing: ops/shaping.py, slicing.py, joining.py, indexing.py, batch_matmul.py ---------
# Data movement works for any dtype (bool included); the cases that add or multiply refuse bools.


def _moving(case_id, build, inputs, dtypes=ANY, differentiable=True):
    return Case(case_id, build, inputs, differentiable=differentiable, dtypes=dtypes)


CASES += [
    _moving("concat axis=0", lambda lib, x, y: lib.concat([x, y], 0), (normal(2, 3), normal(4, 3))),
    _moving("concat axis=-1 of three", lambda lib, x, y: lib.concat([x, y, x], axis=-1), (normal(2, 3), normal(2, 1))),
    _moving("concat of one (an identity)", lambda lib, x: lib.concat([x], 1), (normal(2, 3),)),
    _moving("stack axis=0", lambda lib, x, y: lib.stack([x, y, x]), (normal(2, 3), normal(2, 3))),
    _moving("stack axis=-1", lambda lib, x, y: lib.stack([x, y], axis=-1), (normal(2, 3), normal(2, 3))),
    _moving("unstack axis=1, restacked reversed",
            lambda lib, x: lib.stack(lib.unstack(x, num=4, axis=1)[::-1]), (normal(3, 4),)),
    _moving("unstack, one row used", lambda lib, x: lib.unstack(x, num=3)[1], (normal(3, 4),)),
    _moving("split 3 ways along axis 1, concatenated reversed",
            lambda lib, x: lib.concat(lib.split(x, 3, axis=1)[::-1], 1), (normal(2, 6),)),
    _moving("split, one piece used", lambda lib, x: lib.split(x, 2)[1], (normal(4, 3),)),
    _moving("split sizes [1, -1, 2] along axis 1", lambda lib, x: lib.split(x, [1, -1, 2], 1)[1], (normal(3, 6),)),
    _moving("squeeze", lambda lib, x: lib.squeeze(x), (normal(3, 1, 4, 1),)),
    _moving("squeeze axis=[1]", lambda lib, x: lib.squeeze(x, axis=[1]), (normal(3, 1, 1),)),
    _moving("squeeze squeeze_dims=-1", lambda lib, x: lib.squeeze(x, squeeze_dims=[-1]), (normal(2, 1),)),
    _moving("expand_dims axis=1", lambda lib, x: lib.expand_dims(x, 1), (normal(3, 4),)),
    _moving("expand_dims dim=-1", lambda lib, x: lib.expand_dims(x, dim=-1), (normal(3, 4),)),
    _moving("tile [2, 3]", lambda lib, x: lib.tile(x, [2, 3]), (normal(2, 3),)),
    _moving("tile [1, 2, 1] of a stack", lambda lib, x: lib.tile(x, [1, 2, 1]), (normal(2, 1, 3),)),
    _moving("pad", lambda lib, x: lib.pad(x, [[1, 0], [2, 1]]), (normal(2, 3),)),
    Case("pad with constant_values", lambda lib, x: lib.pad(x, [[0, 1], [1, 1]], constant_values=2),
         (normal(2, 3),), dtypes=NUMBERS),
    _moving("reverse axis [0]", lambda lib, x: lib.reverse(x, [0]), (normal(3, 4),)),
    _moving("reverse axis [0, -1]", lambda lib, x: lib.reverse(x, [0, -1]), (normal(2, 3, 4),)),
    _moving("slice", lambda lib, x: lib.slice(x, [1, 0], [2, -1]), (normal(3, 4),)),
    _moving("slice of a 3-d tensor", lambda lib, x: lib.slice(x, [0, 1, 1], [-1, 1, 2]), (normal(2, 3, 4),)),
    _moving("strided_slice with masks", lambda lib, x: lib.strided_slice(x, [0, 3], [2, 0], [1, -1], begin_mask=1),
            (normal(3, 4),)),
    _moving("x[1]", lambda lib, x: x[1], (normal(3, 4),)),
    _moving("x[:, 0]", lambda lib, x: x[:, 0], (normal(3, 4),)),
    _moving("x[-1, ::-1]", lambda lib, x: x[-1, ::-1], (normal(3, 4),)),
    _moving("x[..., None]", lambda lib, x: x[..., None], (normal(3, 4),)),
    _moving("x[::-1, 1::2]", lambda lib, x: x[::-1, 1::2], (normal(3, 4),)),
    _moving("x[1:, None, ::-2]", lambda lib, x: x[1:, None, ::-2], (normal(3, 5),)),
    _moving("x[0, ..., 1:3]", lambda lib, x: x[0, ..., 1:3], (normal(2, 3, 4),)),
    _moving("x[:2] + x[1:] (overlapping pieces)", lambda lib, x: x[:2] + x[1:], (normal(3, 4),), dtypes=NUMBERS),
    _moving("gather rows [2, 0, 2]", lambda lib, x: lib.gather(x, [2, 0, 2]), (normal(3, 4),)),
    _moving("gather axis=1 with (2, 2) indices", lambda lib, x: lib.gather(x, [[1, 3], [0, 1]], axis=1),
            (normal(3, 4),)),
    _moving("gather of a vector", lambda lib, x: lib.gather(x, [4, 0, 0, 1]), (normal(5),)),
    Case("where(x > 0, x, y)", lambda lib, x, y: lib.where(x > 0.0, x, y), (away_from([0.0], 3, 4), normal(3, 4))),
    _moving("where of a row vector condition", lambda lib, x, y: lib.where(lib.constant([True, False, True]), x, y),
            (normal(3, 4), normal(3, 4))),
    # reshape gives the stacks a known rank: minigraph's matmul of two inputs of unknown rank is MatMul
    # (TF builds BatchMatMulV2 then), so the "unknown shapes" setting would compare two different ops
    Case("batched matmul (2,3,4) @ (2,4,5)", lambda lib, a, b: lib.matmul(lib.reshape(a, (-1, 3, 4)), b),
         (normal(2, 3, 4), normal(2, 4, 5)), dtypes=NUMBERS),
    Case("batched matmul broadcasts (2,1,3,4) @ (3,4,2)",
         lambda lib, a, b: lib.matmul(lib.reshape(a, (2, -1, 3, 4)), b), (normal(2, 1, 3, 4), normal(3, 4, 2))),
    Case("batched matmul (2,3,4) @ (4,5) matrix", lambda lib, a, b: lib.matmul(lib.reshape(a, (-1, 3, 4)), b),
         (normal(2, 3, 4), normal(4, 5))),
    Case("batched matmul transpose_a, transpose_b",
         lambda lib, a, b: lib.matmul(lib.reshape(a, (2, 4, 3)), b, transpose_a=True, transpose_b=True),
         (normal(2, 4, 3), normal(2, 5, 4))),
    Case("batched matmul adjoint_b", lambda lib, a, b: lib.matmul(a, lib.reshape(b, (-1, 5, 4)), adjoint_b=True),
         (normal(3, 4), normal(2, 5, 4))),
    Case("batched a @ b", lambda lib, a, b: lib.reshape(a, (2, 2, 3)) @ b, (normal(2, 2, 3), normal(2, 3, 2))),
    Case("matmul transpose_a", lambda lib, a, b: lib.matmul(a, b, transpose_a=True), (normal(4, 3), normal(4, 2))),
    Case("matmul transpose_b", lambda lib, a, b: lib.matmul(a, b, transpose_b=True), (normal(3, 4), normal(2, 4))),
]

NO_GRADIENT_CASES += [
    _moving("shape", lambda lib, x: lib.shape(x), (normal(3, 4),), differentiable=False),
    _moving("shape out_type=int64", lambda lib, x: lib.shape(x, out_type=lib.int64), (normal(2, 3, 1),),
            differentiable=False),
    _moving("size", lambda lib, x: lib.size(x), (normal(3, 4),), differentiable=False),
    _moving("rank", lambda lib, x: lib.rank(x), (normal(3, 4),), differentiable=False),
    _moving("one_hot", lambda lib, x: lib.one_hot(lib.cast(x, lib.int32), 3), (small_integers(4),),
            differentiable=False),
    _moving("one_hot of a matrix, axis=0, on/off values",
            lambda lib, x: lib.one_hot(lib.cast(x, lib.int32) - 1, 3, on_value=5.0, off_value=-1.0, axis=0),
            (small_integers(2, 3),), differentiable=False),
]


# --- math and comparisons: ops/piecewise.py, comparison.py, reduction.py, math.py's unary ------------
# Inputs keep away from the joins (0 for abs and sign; x == y for maximum): there the one-sided
# slopes differ and central differences straddle them. test_math_extra.py checks the joins.


def tf1(lib):
    """TF 1.x's own functions, old keyword names included (reduction_indices=, keep_dims=, dim=):
    minigraph itself, or tf.compat.v1 (whose nn module is TF1's too)."""
    if lib is mg:
        return mg
    import tensorflow as tf

    return tf.compat.v1


def _math_reductions():
    cases = []
    for reduce in ("reduce_min", "reduce_prod"):
        for axis, keepdims, shape in [(None, False, (3, 4)), (1, True, (3, 4)), ((0, 2), False, (2, 3, 4)),
                                      (-1, False, (2, 3, 4))]:
            cases.append(Case(f"{reduce}(axis={axis}, keepdims={keepdims}) of {shape}",
                              lambda lib, x, reduce=reduce, axis=axis, keepdims=keepdims: getattr(lib, reduce)(
                                  x, axis=axis, keepdims=keepdims),
                              (normal(*shape),), dtypes=NUMBERS))
    return cases


CASES += [
    Case("maximum", lambda lib, x, y: lib.maximum(x, y), (normal(3, 4), normal(3, 4)), dtypes=NUMBERS),
    Case("minimum", lambda lib, x, y: lib.minimum(x, y), (normal(3, 4), normal(3, 4)), dtypes=NUMBERS),
    Case("maximum (3,4) and (4,)", lambda lib, x, y: lib.maximum(x, y), (normal(3, 4), normal(4))),
    Case("minimum(x, 0.5)", lambda lib, x: lib.minimum(x, 0.5), (away_from([0.5], 3, 4),)),
    Case("abs", lambda lib, x: lib.abs(x), (away_from([0.0], 3, 4),), dtypes=NUMBERS),
    Case("abs(x)", lambda lib, x: abs(x), (away_from([0.0], 3, 4),), dtypes=NUMBERS),
    Case("sign (gradient zeros)", lambda lib, x: lib.sign(x) * x, (away_from([0.0], 3, 4),), dtypes=NUMBERS),
    Case("log1p", lambda lib, x: lib.log1p(x), (positive(3, 4),)),
    Case("expm1", lambda lib, x: lib.expm1(x), (normal(3, 4),)),
    Case("reciprocal", lambda lib, x: lib.reciprocal(x), (positive(3, 4),)),
    Case("floormod", lambda lib, x, y: lib.floormod(x, y), (normal(3, 4), positive(3, 4)), dtypes=NUMBERS),
    Case("x % y, y (4,)", lambda lib, x, y: x % y, (normal(3, 4), positive(4))),
    Case("2.5 % x", lambda lib, x: 2.5 % x, (positive(3, 4),)),
    *_math_reductions(),
    # TF 1.x's old keyword names; the reshape gives "unknown shapes" a rank to swap softmax's axis with
    Case("reduce_sum(reduction_indices=1, keep_dims=True)",
         lambda lib, x: tf1(lib).reduce_sum(x, reduction_indices=1, keep_dims=True), (normal(3, 4),),
         dtypes=NUMBERS),
    Case("reduce_mean(reduction_indices=[0])", lambda lib, x: tf1(lib).reduce_mean(x, reduction_indices=[0]),
         (normal(3, 4),)),
    Case("reduce_max(keep_dims=True)", lambda lib, x: tf1(lib).reduce_max(x, keep_dims=True), (normal(3, 4),)),
    Case("reduce_prod(reduction_indices=0, keep_dims=True)",
         lambda lib, x: tf1(lib).reduce_prod(x, reduction_indices=0, keep_dims=True), (normal(3, 4),)),
    Case("softmax(dim=0)", lambda lib, x: tf1(lib).nn.softmax(lib.reshape(x, (3, 4)), dim=0), (normal(3, 4),)),
    Case("log_softmax(dim=1) of (2,3,4)",
         lambda lib, x: tf1(lib).nn.log_softmax(lib.reshape(x, (2, 3, 4)), dim=1), (normal(2, 3, 4),)),
    Case("softmax(axis=-1), the default", lambda lib, x: tf1(lib).nn.softmax(x, axis=-1), (normal(3, 4),)),
]


def _no_gradient(case_id, build, inputs, dtypes=NUMBERS):
    return Case(case_id, build, inputs, differentiable=False, dtypes=dtypes)


_COUNTS = (small_integers(3, 4),) * 2  # whole numbers 0..2: comparisons meet ties

NO_GRADIENT_CASES += [
    _no_gradient("less", lambda lib, x, y: lib.less(x, y), _COUNTS),
    _no_gradient("less_equal", lambda lib, x, y: lib.less_equal(x, y), _COUNTS),
    _no_gradient("greater_equal", lambda lib, x, y: lib.greater_equal(x, y), _COUNTS),
    _no_gradient("not_equal", lambda lib, x, y: lib.not_equal(x, y), _COUNTS, dtypes=ANY),
    _no_gradient("not_equal (3,4) != (4,)", lambda lib, x, y: lib.not_equal(x, y),
                 (small_integers(3, 4), small_integers(4)), dtypes=ANY),
    _no_gradient("x < y", lambda lib, x, y: x < y, _COUNTS),
    _no_gradient("x <= y", lambda lib, x, y: x <= y, _COUNTS),
    _no_gradient("x >= y", lambda lib, x, y: x >= y, _COUNTS),
    _no_gradient("1 <= x (reflected: x >= 1)", lambda lib, x: 1 <= x, _COUNTS[:1]),
    _no_gradient("logical_and", lambda lib, x, y: lib.logical_and(x > 0, y > 1), _COUNTS),
    _no_gradient("logical_or", lambda lib, x, y: lib.logical_or(x > 0, y > 1), _COUNTS),
    _no_gradient("logical_not", lambda lib, x: lib.logical_not(x > 0), _COUNTS[:1]),
    _no_gradient("logical_xor", lambda lib, x, y: lib.logical_xor(x > 0, y > 1), _COUNTS),
    _no_gradient("(x > 0) & (y > 1) | ~(x < 2) ^ (y < 1)",
                 lambda lib, x, y: (x > 0) & (y > 1) | ~(x < 2) ^ (y < 1), _COUNTS),
    _no_gradient("reduce_any(axis=1)", lambda lib, x: lib.reduce_any(x > 1, axis=1), _COUNTS[:1]),
    _no_gradient("reduce_all(axis=0, keep_dims=True)",
                 lambda lib, x: tf1(lib).reduce_all(x > 0, axis=0, keep_dims=True), _COUNTS[:1]),
    _no_gradient("reduce_any of everything", lambda lib, x: lib.reduce_any(x > 1), _COUNTS[:1]),
    _no_gradient("argmin(axis=0)", lambda lib, x: lib.argmin(x, axis=0), (normal(3, 4),), dtypes=ANY),
    _no_gradient("argmin(dimension=1, output_type=int32)",
                 lambda lib, x: tf1(lib).argmin(x, dimension=1, output_type=lib.int32), (normal(3, 4),), dtypes=ANY),
    _no_gradient("argmax(dimension=-1)", lambda lib, x: tf1(lib).argmax(x, dimension=-1), (normal(2, 3, 4),),
                 dtypes=ANY),
    _no_gradient("floor", lambda lib, x: lib.floor(3 * x), (normal(3, 4),), dtypes=FLOATS),
    _no_gradient("ceil", lambda lib, x: lib.ceil(3 * x), (normal(3, 4),), dtypes=FLOATS),
    _no_gradient("round (halves to even)", lambda lib, x: lib.round(x - 0.5), _COUNTS[:1], dtypes=FLOATS),
    _no_gradient("x // y", lambda lib, x, y: x // y, (normal(3, 4), positive(3, 4))),
    _no_gradient("floordiv of int32", lambda lib, x: lib.floordiv(lib.cast(10 * x, lib.int32), 3),
                 (normal(3, 4),), dtypes=FLOATS),
    _no_gradient("x % 3 of int32", lambda lib, x: lib.cast(10 * x, lib.int32) % -3, (normal(3, 4),), dtypes=FLOATS),
    _no_gradient("reduce_prod of int32", lambda lib, x: lib.reduce_prod(lib.cast(3 * x, lib.int32), axis=1),
                 (normal(3, 4),), dtypes=FLOATS),
    _no_gradient("reduce_min of int64 (keepdims)",
                 lambda lib, x: lib.reduce_min(lib.cast(10 * x, "int64"), axis=0, keepdims=True), (normal(3, 4),),
                 dtypes=FLOATS),
]


# --- tf.nn's losses: ops/losses.py (in_top_k, tf.losses and the errors: test_nn_losses.py) ---------------
CLASSES = [0, 3, 1, 4]  # one label per row of a (4, 5) matrix of logits


def _unit_interval(*shape):
    return lambda rng: rng.uniform(0.0, 1.0, size=shape)


CASES += [
    Case("l2_loss", lambda lib, x: lib.nn.l2_loss(x), (normal(3, 4),)),
    Case("l2_loss of a scalar * x", lambda lib, x, s: lib.nn.l2_loss(s * x), (normal(2, 3), positive())),
    Case("l2_normalize axis=1", lambda lib, x: lib.nn.l2_normalize(x, 1), (normal(3, 4),)),
    Case("l2_normalize axis=None", lambda lib, x: lib.nn.l2_normalize(x), (normal(3, 4),)),
    Case("l2_normalize dim=0", lambda lib, x: lib.nn.l2_normalize(x, dim=0), (normal(3, 4),)),
    Case("sigmoid_cross_entropy_with_logits",
         lambda lib, x, z: lib.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
         (away_from([0.0], 3, 4), _unit_interval(3, 4))),
    Case("sigmoid_cross_entropy_with_logits, large logits",
         lambda lib, x, z: lib.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=30.0 * x),
         (away_from([0.0], 3, 4), _unit_interval(3, 4))),
    Case("sparse_softmax_cross_entropy_with_logits",
         lambda lib, x: lib.nn.sparse_softmax_cross_entropy_with_logits(labels=lib.constant(CLASSES), logits=x),
         (normal(4, 5),)),
    Case("sparse_softmax_cross_entropy_with_logits, int64 labels, large logits",
         lambda lib, x: lib.nn.sparse_softmax_cross_entropy_with_logits(
             labels=lib.constant(CLASSES, dtype=lib.int64), logits=50.0 * x),
         (normal(4, 5),)),
    Case("sparse_softmax_cross_entropy_with_logits of a (2, 2, 5) stack",
         lambda lib, x: lib.nn.sparse_softmax_cross_entropy_with_logits(labels=lib.constant([[0, 4], [2, 2]]),
                                                                        logits=x),
         (normal(2, 2, 5),)),
]
