"""Neural-network functions: activations, softmax, and the fused cross-entropy.

Softmax turns a row of scores (logits) into probabilities. Computing it as written,
exp(x) / sum(exp(x)), overflows once a logit passes ~88 in float32; subtracting the
row's max first gives the same result without overflow. The same trick makes
``log_softmax`` and ``softmax_cross_entropy_with_logits`` stable: they never take the
log of a probability that has rounded to 0. That is why a classifier's loss should
be computed from logits, not from softmax's output.

The order of the subtractions matters too. ``(x - max) - log sum exp(x - max)`` keeps
the small differences between logits; ``x - (max + log sum ...)`` first adds a small
number to a large one and loses it (at logits of 1e30, log_softmax would give 0
instead of -log 2).

When the static shape rule could not decide (a placeholder of unknown rank), the
kernels check the values: softmax of a scalar has no class axis to normalise over.

On a batch of 32 the arithmetic is the cheap part of these kernels, so they are written
to spend little else: the row sum calls ``np.add.reduce`` (what ``np.sum`` calls after a
microsecond of argument handling), the row max is the element ``argmax`` points at
(``row_max``: numpy reduces a short last axis one row at a time, and pays for each row
again), and the steps after the first new array work in place in it. Each element still
goes through the same float operations in the same order, so the bits are the same as
the plain formulas give (a row holding a NaN is NaN either way; see ``row_max``).

The cross-entropy is written as TensorFlow's kernel writes it, ``log_sum - shifted``
per class, where the formula says ``-(shifted - log_sum)``: the same number (IEEE
rounding is symmetric, so a - b is exactly -(b - a)), one numpy call fewer. Only a NaN
can come out with its sign bit the other way, a bit that means nothing in a NaN.
"""

from __future__ import annotations

import numpy as np

from minigraph import dtypes
from minigraph.errors import InvalidArgumentError
from minigraph.graph import Operation, Tensor, get_default_graph, tensor_or_none
from minigraph.ops.array import broadcast_like, cast, convert_to_tensor, stop_gradient, transpose
from minigraph.ops.math import UnaryOp, binary, check_numeric, exp
from minigraph.ops.old_names import either
from minigraph.ops.reduction import reduce_sum
from minigraph.shapes import format_shape, is_compatible

# Rows at most this long take row_max's argmax path: up to 256 classes it is faster than
# np.maximum.reduce on a C-ordered batch (a third of the time at 32 x 10, a quarter at
# 4096 x 10); on longer rows numpy's vectorised max wins, and on other layouts too.
SHORT_ROW = 256

# Small arrays the kernels only read (row_max's row starts, relu's zeros) are made once per
# shape and kept for the next run: on a batch of 32, making them anew costs more than the work
# they serve. Only small ones are kept (a large one costs little next to the work on it, and
# would hold a lot of memory), and a cache that reaches KEPT_SHAPES shapes (a loop over batch
# sizes) starts again rather than grow for ever.
KEPT_SHAPES = 32


def _kept(cache: dict, key, array: np.ndarray, most_elements: int) -> None:
    """Keeps `array` in `cache` under `key`, read-only, if it has at most `most_elements`."""
    if array.size <= most_elements:
        if len(cache) >= KEPT_SHAPES:
            cache.clear()
        array.flags.writeable = False  # shared by every run: nothing may write into it
        cache[key] = array


def row_max(x: np.ndarray) -> np.ndarray:
    """The max over the last axis, kept as an axis of 1: ``np.max(x, axis=-1, keepdims=True)``.

    On a C-ordered array of short rows it is the element ``argmax`` points at, taken by its
    flat index (the row's start plus the argmax). The value is np.max's:

    - argmax returns the first largest element of the row, and in a row holding a NaN its
      first NaN (numpy treats NaN as the largest: argfunc.dispatch.c.src returns at the
      first NaN it meets). So the element taken equals np.max's, or both are NaN.
    - Equal floats have equal bits but for 0.0 and -0.0. A row whose max is 0 and that holds
      both zeros may get either sign, here or from np.max. The kernels below read the max
      only through ``shifted = x - max``: a -0.0 in the row becomes -0.0 or +0.0 there (the
      other elements get the same numbers), and shifted is read only by exp (1 for both)
      and in a difference with log_sum, where log_sum >= log 2 > 0 because the row's two
      zeros each add exp(0) = 1 to the sum: +-0.0 - log_sum is -log_sum and log_sum - +-0.0
      is log_sum, whichever the zero. No output shows the sign.
    - In a row holding a NaN every output is NaN, here as with np.max; which NaN (its sign
      and payload bits) may differ: numpy's own max gives a fresh NaN from its vector loop
      and the first NaN from its scalar one, and IEEE 754 leaves a NaN's sign unspecified.

    Needs at least one class (the kernels check that first)."""
    if x.flags.c_contiguous and x.shape[-1] <= SHORT_ROW:
        indices = x.argmax(axis=-1, keepdims=True)
        starts = _ROW_STARTS.get(x.shape)
        if starts is None:  # the flat index where each row starts, as an axis of 1
            starts = np.arange(0, x.size, x.shape[-1]).reshape(x.shape[:-1] + (1,))
            _kept(_ROW_STARTS, x.shape, starts, KEPT_ROW_STARTS)
        indices += starts
        return x.take(indices)  # take reads x as flat, in C order
    return np.maximum.reduce(x, axis=-1, keepdims=True)


_ROW_STARTS: dict = {}  # shape -> its row starts
KEPT_ROW_STARTS = 4096  # kept for shapes of at most this many rows (32 KB each); more are made anew


def softmax_parts(x: np.ndarray):
    """(x - max, exp(x - max), log(sum(exp(x - max)))) over the last axis, the log kept as
    an axis of 1: what log-softmax and the cross-entropy start from, and, with the exps
    divided by their sum, the softmax too (the fused kernel: passes/fused_softmax.py)."""
    shifted = x - row_max(x)
    exps = np.exp(shifted)
    # the sum and its log in float64: for a confident class log p is near 0, and
    # float32 rounding of the log would be a large part of it
    log_sum = np.add.reduce(exps, axis=-1, dtype=np.float64, keepdims=True)
    np.log(log_sum, out=log_sum)
    return shifted, exps, log_sum


def cross_entropy_of(shifted: np.ndarray, log_sum: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """sum(labels * -log softmax) over the last axis, from ``softmax_parts``; `shifted`'s
    memory is used up. -log softmax = log_sum - shifted, subtracted in float64 and rounded
    once into shifted's memory (TF's order: one call fewer than negating shifted - log_sum)."""
    losses = np.subtract(log_sum, shifted, out=shifted)
    return _weighted_sum(losses, labels)


def _weighted_sum(losses: np.ndarray, labels: np.ndarray) -> np.ndarray:
    if labels.dtype == losses.dtype:
        losses *= labels  # = labels * losses: a product is the same either way round
    else:
        losses = labels * losses
    return np.add.reduce(losses, axis=-1)  # 0 over an empty class axis


def _log_softmax(x: np.ndarray) -> np.ndarray:
    """(x - max) - log(sum(exp(x - max))) over the last axis: finite, and precise."""
    if x.shape[-1] == 0:  # no classes: nothing to normalise, an empty result
        return x.copy()
    shifted, _, log_sum = softmax_parts(x)
    # subtracted in float64 and rounded once to x's dtype on the way out, as
    # (shifted - log_sum).astype(x.dtype) would, without the float64 array in between
    return np.subtract(shifted, log_sum, out=shifted)


def _check_has_class_axis(op: Operation, value: np.ndarray, what: str) -> None:
    """The run-time half of the rank rule, for inputs whose rank was unknown."""
    if value.ndim == 0:
        raise op.error(
            f"{what} must have at least one axis (the classes), got the scalar {value.item()!r}",
            InvalidArgumentError,
        )


SMALL_ZEROS = 1 << 16  # zeros of up to this many elements are kept (a batch's activations)
_ZERO_ARRAYS: dict = {}  # (shape, dtype) -> read-only zeros


def zeros_for_max(shape: tuple, dtype: np.dtype) -> np.ndarray:
    """Zeros of `shape` and `dtype`, for np.maximum to read (relu's other operand): kept
    between runs when small, as making them anew is a third of a fused layer's relu.
    Of shape (), the typed 0 ReluGrad compares with: numpy compares with it faster than
    with Python's 0, which it must first fit to the array's dtype (the result is the same)."""
    key = (shape, dtype)
    zeros = _ZERO_ARRAYS.get(key)
    if zeros is None:
        zeros = np.zeros(shape, dtype)
        _kept(_ZERO_ARRAYS, key, zeros, SMALL_ZEROS)
    return zeros


class Relu(UnaryOp):
    """y = max(x, 0); dy/dx = 1 where x > 0."""

    type_name = "Relu"
    input_names = ("features",)

    def infer(self, x):  # integers too, as in TF
        check_numeric(self, x)
        return x.shape, x.dtype

    def forward(self, x):
        if type(x) is np.ndarray and x.flags.c_contiguous:
            # against an array of zeros laid out as x, not the scalar 0: numpy has a vectorised
            # max loop for two contiguous arrays, and a scalar sends it to a slower one (twice
            # the time at 32 x 4096). max(x_i, 0) is the same number either way, -0.0 and NaN too.
            return np.maximum(x, zeros_for_max(x.shape, x.dtype))
        return np.maximum(x, 0)

    def gradient(self, grad_output):
        return [relu_gradient(grad_output, self.output)]


def relu(x, name: str | None = None) -> Tensor:
    return Relu(convert_to_tensor(x), name=name).output


class ReluGrad(Operation):
    """y = g where features > 0, else 0 (the gradient of relu; itself linear in g)."""

    type_name = "ReluGrad"
    input_names = ("gradients", "features")

    def infer(self, grad, features):
        return features.shape, grad.dtype

    def forward(self, grad, features):
        passed = features > zeros_for_max((), features.dtype)
        if type(grad) is not np.ndarray or grad.shape != passed.shape:
            return grad * passed  # broadcasting, or a numpy scalar: the plain product
        # the mask as 1s and 0s of grad's dtype, then times grad in place: the same products
        # numpy makes of grad * passed, without casting each bool inside the multiplication
        result = passed.astype(grad.dtype)
        result *= grad
        return result

    def gradient(self, grad_output):
        return [relu_gradient(grad_output, self.inputs[1]), None]


def relu_gradient(grad, features) -> Tensor:
    return ReluGrad(grad, features).output


class Sigmoid(UnaryOp):
    """y = 1 / (1 + e^-x); dy/dx = y (1 - y)."""

    type_name = "Sigmoid"

    def forward(self, x):
        return np.exp(-np.logaddexp(0, -x)).astype(x.dtype)

    def gradient(self, grad_output):
        y = self.output
        return [grad_output * y * (1.0 - y)]


def sigmoid(x, name: str | None = None) -> Tensor:
    return Sigmoid(convert_to_tensor(x), name=name).output


class Tanh(UnaryOp):
    """y = tanh x; dy/dx = 1 - y^2."""

    type_name = "Tanh"

    def forward(self, x):
        return np.tanh(x)

    def gradient(self, grad_output):
        y = self.output
        return [grad_output * (1.0 - y * y)]


def tanh(x, name: str | None = None) -> Tensor:
    return Tanh(convert_to_tensor(x), name=name).output


class LastAxisOp(UnaryOp):
    """An op over the last axis (the classes), so the input needs at least one."""

    def infer(self, x):
        shape, dtype = super().infer(x)
        if shape is not None and len(shape) == 0:
            raise self.error(f"{self.type_name} needs at least one axis, got {x!r}")
        return shape, dtype


class Softmax(LastAxisOp):
    """y_i = exp(x_i) / sum_j exp(x_j) over the last axis."""

    type_name = "Softmax"
    input_names = ("logits",)

    def forward(self, x):
        _check_has_class_axis(self, x, "logits")
        if x.shape[-1] == 0:  # no classes: an empty result
            return x.copy()
        probabilities = x - row_max(x)
        np.exp(probabilities, out=probabilities)
        probabilities /= np.add.reduce(probabilities, axis=-1, keepdims=True)
        return probabilities

    def gradient(self, grad_output):
        # dL/dx_i = y_i (g_i - sum_j g_j y_j)
        y = self.output
        return [y * (grad_output - reduce_sum(grad_output * y, axis=-1, keepdims=True))]


def softmax(logits, axis=None, name: str | None = None, dim=None) -> Tensor:
    """softmax over `axis` (the last by default; TF1's old name: `dim`)."""
    return along_axis(Softmax, logits, either("axis", axis, "dim", dim), name)


def along_axis(op_class: type, logits, axis, name: str | None) -> Tensor:
    """op_class (which works on the last axis) applied along `axis`, as TF does it: the axis
    is swapped with the last one, the op applied, and the two swapped back."""
    logits = convert_to_tensor(logits)
    rank = None if logits.shape is None else len(logits.shape)
    if axis is None or axis == -1 or (rank is not None and axis == rank - 1):
        return op_class(logits, name=name).output
    if rank is None:
        raise NotImplementedError(f"{op_class.type_name} along axis {axis} of {logits!r}, whose rank is unknown: "
                                  "minigraph needs the rank to move that axis last")
    if not -rank <= axis < rank:
        raise ValueError(f"{op_class.type_name}: axis {axis} is out of range for {logits!r} "
                         f"(expected an axis in [{-rank}, {rank}))")
    perm = list(range(rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]  # a swap is its own inverse
    return transpose(op_class(transpose(logits, perm)).output, perm, name=name)


class LogSoftmax(LastAxisOp):
    """y_i = x_i - log sum_j exp(x_j) over the last axis."""

    type_name = "LogSoftmax"
    input_names = ("logits",)

    def forward(self, x):
        _check_has_class_axis(self, x, "logits")
        return _log_softmax(x)

    def gradient(self, grad_output):
        # dL/dx_i = g_i - softmax_i * sum_j g_j
        softmax_ = exp(self.output)
        return [grad_output - softmax_ * reduce_sum(grad_output, axis=-1, keepdims=True)]


def log_softmax(logits, axis=None, name: str | None = None, dim=None) -> Tensor:
    """log_softmax over `axis` (the last by default; TF1's old name: `dim`)."""
    return along_axis(LogSoftmax, logits, either("axis", axis, "dim", dim), name)


class SoftmaxCrossEntropyWithLogits(Operation):
    """loss = -sum_i labels_i * log softmax(logits)_i over the last axis, computed stably."""

    type_name = "SoftmaxCrossEntropyWithLogits"
    input_names = ("logits", "labels")

    def infer(self, logits, labels):
        if logits.dtype != labels.dtype or not dtypes.is_floating(logits.dtype):
            raise self.error(
                f"logits {logits!r} and labels {labels!r} must share one float dtype", TypeError
            )
        if logits.shape is None:
            return None, logits.dtype
        if len(logits.shape) == 0:
            raise self.error(f"logits need a class axis, got {logits!r}")
        if not is_compatible(logits.shape, labels.shape):
            raise self.error(
                f"logits and labels must have the same shape, got logits "
                f"{format_shape(logits.shape)} and labels {format_shape(labels.shape)}"
            )
        return logits.shape[:-1], logits.dtype

    def forward(self, logits, labels):
        _check_has_class_axis(self, logits, "logits")
        if labels.shape != logits.shape:  # TF would broadcast here, then fail in the gradient
            raise self.error(
                f"logits and labels must have the same shape, got logits {logits.shape} and labels "
                f"{labels.shape}", InvalidArgumentError,
            )
        if logits.shape[-1] == 0:  # no classes: nothing to normalise, a sum of nothing
            return _weighted_sum(logits.copy(), labels)
        shifted, _, log_sum = softmax_parts(logits)
        return cross_entropy_of(shifted, log_sum, labels)

    def gradient(self, grad_output):
        # d/dlogits = softmax(logits) - labels; d/dlabels = -log softmax(logits)
        logits, labels = self.inputs
        grad = broadcast_like(grad_output, logits, axes=(-1,))
        return [grad * (softmax(logits) - labels), -(grad * log_softmax(logits))]


def ensure_named_arguments(function: str, sentinel, labels, logits) -> None:
    """TF 1.x's guard for the cross-entropies: the 0.x call (logits, labels) read
    positionally would silently swap them, so only keyword arguments are accepted."""
    if sentinel is not None:
        raise ValueError(f"Only call `{function}` with named arguments (labels=..., logits=..., ...)")
    if labels is None or logits is None:
        raise ValueError(f"{function} needs both labels= and logits=")


def softmax_cross_entropy_with_logits(
    _sentinel=None, labels=None, logits=None, dim=-1, name: str | None = None
) -> Tensor:
    """Per-example cross-entropy of `labels` (a distribution per row) against softmax(logits).

    TF 1.x's name: no gradient flows into `labels` (they pass through stop_gradient, as
    in TF1); ``mg.nn.softmax_cross_entropy_with_logits_v2`` lets it flow."""
    ensure_named_arguments("softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    graph = get_default_graph() if tensor_or_none(logits) is None else tensor_or_none(logits).graph
    with graph.as_default(), graph.name_scope(name or "softmax_cross_entropy_with_logits_sg") as scope:
        labels = stop_gradient(convert_to_tensor(labels), name="labels_stop_gradient")
        return softmax_cross_entropy_with_logits_v2_helper(labels, logits, dim, scope)


def softmax_cross_entropy_with_logits_v2_helper(labels, logits, dim, name: str | None) -> Tensor:
    """The cross-entropy op itself; gradients flow into both inputs."""
    if dim != -1:
        raise NotImplementedError(f"softmax_cross_entropy_with_logits: minigraph supports dim=-1 only, got {dim!r}")
    logits_tensor, labels_tensor = tensor_or_none(logits), tensor_or_none(labels)
    if logits_tensor is not None and labels_tensor is not None and labels_tensor.dtype != logits_tensor.dtype \
            and dtypes.is_floating(logits_tensor.dtype):
        labels = cast(labels_tensor, logits_tensor.dtype)  # as TF does: int one-hot labels are common
    return binary(SoftmaxCrossEntropyWithLogits, logits, labels, name)
