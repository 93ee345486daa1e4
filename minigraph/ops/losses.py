"""Loss functions of ``tf.nn``: l2_loss, l2_normalize, the sigmoid and sparse
cross-entropies, and in_top_k (a classifier's hit rate).

**Sparse labels.** ``softmax_cross_entropy_with_logits`` (ops/nn.py) wants one row of
probabilities per example; most classifiers know only the class, an integer. The
sparse version takes that integer and reads one number from the row of log-softmax:

    loss = -log softmax(logits)[label]       d loss / d logits = softmax(logits) - one_hot(label)

No gradient flows into an integer label. A label outside [0, classes) has no entry to
read, and the op says so when it runs (TF does the same; on a GPU TF gives NaN).

**Sigmoid cross-entropy, written so it cannot overflow.** For a logit x and a label
z in [0, 1], the loss -z log sigmoid(x) - (1 - z) log(1 - sigmoid(x)) simplifies to
x - x z + log(1 + e^-x). For x << 0, e^-x overflows; TF rewrites it as

    max(x, 0) - x z + log(1 + e^-|x|)

where e^-|x| is at most 1 (and log1p keeps it when it is tiny). Both halves are built from ops (a select of x or 0, a
select of -x or x), so the gradient, sigmoid(x) - z, comes out of the graph.

**in_top_k** asks, per row, whether the target class is among the k largest
predictions: fewer than k predictions are strictly larger than the target's. Ties at
the boundary count as in the top k (with [1, 1, 1] every class is in the top 1), and
a row with a non-finite prediction, or a target outside [0, classes), is never in it.
"""

from __future__ import annotations

import numpy as np

from minigraph import dtypes
from minigraph.errors import InvalidArgumentError
from minigraph.graph import Operation, Tensor, get_default_graph, tensor_or_none
from minigraph.ops.array import constant, convert_to_tensor, zeros_like
from minigraph.ops.comparison import greater_equal
from minigraph.ops.indexing import one_hot, where
from minigraph.ops.math import UnaryOp, add, divide, exp, log1p, multiply, negative, sqrt, square, subtract
from minigraph.ops.nn import _log_softmax, ensure_named_arguments, softmax
from minigraph.ops.piecewise import maximum
from minigraph.ops.reduction import reduce_sum
from minigraph.ops.shaping import expand_dims, shape
from minigraph.shapes import format_shape, is_compatible

INTEGER_LABELS = (np.dtype(np.int32), np.dtype(np.int64))


def graph_of_values(*values):
    """The graph of the first tensor among `values` (the default graph if none is)."""
    for value in values:
        if tensor_or_none(value) is not None:
            return tensor_or_none(value).graph
    return get_default_graph()


# --- l2_loss and l2_normalize ------------------------------------------------------


class L2Loss(UnaryOp):
    """y = sum(x^2) / 2 (a scalar); dy/dx = x."""

    type_name = "L2Loss"
    input_names = ("t",)

    def infer(self, x):
        _, dtype = super().infer(x)  # a float tensor
        return (), dtype

    def forward(self, x):
        return np.asarray(np.sum(np.square(x)) / 2, dtype=x.dtype)

    def gradient(self, grad_output):
        return [multiply(self.inputs[0], grad_output)]


def l2_loss(t, name: str | None = None) -> Tensor:
    """Half the sum of squares of every element of `t`: a weight-decay term."""
    return L2Loss(convert_to_tensor(t), name=name).output


def l2_normalize(x, axis=None, epsilon: float = 1e-12, name: str | None = None, dim=None) -> Tensor:
    """x / sqrt(max(sum(x^2, axis), epsilon)): unit length along `axis` (all axes when
    None), and no division by zero for a zero vector. `dim` is axis's old name."""
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'")
    axis = dim if axis is None else axis
    graph = graph_of_values(x)
    with graph.as_default(), graph.name_scope(name or "l2_normalize") as scope:
        x = convert_to_tensor(x, name="x")
        square_sum = reduce_sum(square(x), axis, keepdims=True)
        norm = sqrt(maximum(square_sum, constant(epsilon, dtype=x.dtype)))
        return divide(x, norm, name=scope)


# --- sigmoid cross-entropy -----------------------------------------------------------


def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name: str | None = None) -> Tensor:
    """Per-element logistic loss of `labels` (in [0, 1]) against sigmoid(logits), as
    max(x, 0) - x z + log1p(exp(-|x|)); keyword arguments only, as in TF 1.x."""
    ensure_named_arguments("sigmoid_cross_entropy_with_logits", _sentinel, labels, logits)
    graph = graph_of_values(logits, labels)
    with graph.as_default(), graph.name_scope(name or "logistic_loss") as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, dtype=logits.dtype, name="labels")
        if not is_compatible(logits.shape, labels.shape):
            raise ValueError(f"logits and labels must have the same shape ({format_shape(logits.shape)} vs "
                             f"{format_shape(labels.shape)}): logits {logits!r}, labels {labels!r}")
        zeros = zeros_like(logits)
        positive = greater_equal(logits, zeros)
        relu_logits = where(positive, logits, zeros)
        neg_abs_logits = where(positive, negative(logits), logits)
        return add(subtract(relu_logits, logits * labels), log1p(exp(neg_abs_logits)), name=scope)


# --- sparse softmax cross-entropy ----------------------------------------------------


class SparseSoftmaxCrossEntropyWithLogits(Operation):
    """loss = -log softmax(logits)[label] over the last axis, one integer label per row."""

    type_name = "SparseSoftmaxCrossEntropyWithLogits"
    input_names = ("features", "labels")

    def infer(self, logits, labels):
        if not dtypes.is_floating(logits.dtype):
            raise self.error(f"logits must be a float tensor, got {logits!r}", TypeError)
        if labels.dtype not in INTEGER_LABELS:
            raise self.error(f"labels must be int32 or int64 class indices, got {labels!r}", TypeError)
        if logits.shape is not None and len(logits.shape) == 0:
            raise self.error(f"logits need a class axis, got {logits!r}")
        if logits.shape is not None and labels.shape is not None and (
                len(labels.shape) != len(logits.shape) - 1 or not is_compatible(labels.shape, logits.shape[:-1])):
            raise self.error(f"labels must have the shape of logits without its last axis: logits "
                             f"{format_shape(logits.shape)}, labels {format_shape(labels.shape)}")
        return (labels.shape if logits.shape is None else logits.shape[:-1]), logits.dtype

    def forward(self, logits, labels):
        if logits.ndim == 0 or labels.shape != logits.shape[:-1]:
            raise self.error(f"labels of shape {labels.shape} must have the shape of logits {logits.shape} "
                             "without its last axis", InvalidArgumentError)
        classes = logits.shape[-1]
        outside = (labels < 0) | (labels >= classes)
        if np.any(outside):
            raise self.error(f"Received a label value of {labels[outside].flat[0]} which is outside the valid "
                             f"range of [0, {classes}). Label values: {labels.ravel().tolist()}",
                             InvalidArgumentError)
        log_probabilities = _log_softmax(logits)
        return -np.take_along_axis(log_probabilities, labels[..., None], axis=-1)[..., 0]

    def gradient(self, grad_output):
        logits, labels = self.inputs
        classes = logits.shape[-1] if logits.shape is not None and logits.shape[-1] is not None \
            else shape(logits)[-1]
        target = one_hot(labels, classes, dtype=logits.dtype)
        return [expand_dims(grad_output, -1) * (softmax(logits) - target), None]


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None,
                                             name: str | None = None) -> Tensor:
    """Per-example cross-entropy of integer class `labels` against softmax(logits);
    keyword arguments only, as in TF 1.x. No gradient flows into the labels."""
    ensure_named_arguments("sparse_softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    graph = graph_of_values(logits, labels)
    with graph.as_default(), graph.name_scope(name or "SparseSoftmaxCrossEntropyWithLogits"):
        logits, labels = convert_to_tensor(logits), convert_to_tensor(labels)
        return SparseSoftmaxCrossEntropyWithLogits(logits, labels).output


# --- in_top_k ------------------------------------------------------------------------


class InTopKV2(Operation):
    """y_i = fewer than k of predictions_i are larger than predictions_i[targets_i]."""

    type_name = "InTopKV2"
    input_names = ("predictions", "targets", "k")

    def infer(self, predictions, targets, k):
        if predictions.dtype != dtypes.float32:
            raise self.error(f"predictions must be float32 (as in TF), got {predictions!r}", TypeError)
        if targets.dtype not in INTEGER_LABELS or k.dtype != targets.dtype:
            raise self.error(f"targets and k must share one integer dtype (int32 or int64), got targets "
                             f"{targets!r} and k {k!r}", TypeError)
        if predictions.shape is not None and len(predictions.shape) != 2:
            raise self.error(f"predictions must be a matrix (batch, classes), got {predictions!r}")
        if targets.shape is not None and len(targets.shape) != 1:
            raise self.error(f"targets must be a vector (batch,), got {targets!r}")
        if k.shape not in (None, ()):
            raise self.error(f"k must be a scalar, got {k!r}")
        batch = None if predictions.shape is None else predictions.shape[0]
        if targets.shape is not None and not is_compatible((batch,), targets.shape):
            raise self.error(f"predictions {predictions!r} and targets {targets!r} must have one batch size")
        return (batch if batch is not None or targets.shape is None else targets.shape[0],), dtypes.bool

    def forward(self, predictions, targets, k):
        if predictions.ndim != 2 or targets.shape != predictions.shape[:1]:
            raise self.error(f"predictions of shape {predictions.shape} must be (batch, classes) and targets of "
                             f"shape {targets.shape} (batch,)", InvalidArgumentError)
        classes = predictions.shape[1]
        inside = (targets >= 0) & (targets < classes)
        rows = np.arange(len(targets))
        target_value = predictions[rows, np.where(inside, targets, 0)]
        larger = np.sum(predictions > target_value[:, None], axis=1)
        finite = np.all(np.isfinite(predictions), axis=1)
        return inside & finite & (larger < k)

    def gradient(self, grad_output):
        return [None, None, None]


def in_top_k(predictions, targets, k, name: str | None = None) -> Tensor:
    """Whether each target class is among its row's k largest predictions (bool, per row)."""
    graph = graph_of_values(predictions, targets)
    with graph.as_default(), graph.name_scope(name or "in_top_k"):
        predictions, targets = convert_to_tensor(predictions), convert_to_tensor(targets)
        k = convert_to_tensor(k, dtype=targets.dtype if tensor_or_none(k) is None else None, name="k")
        return InTopKV2(predictions, targets, k).output

