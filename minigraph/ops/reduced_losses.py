"""TF 1.x's ``tf.losses`` (``mg.losses``): a loss per example turned into one number.

``tf.nn``'s losses give one value per example (a vector for a batch). ``tf.losses``
weighs them and reduces them to the scalar an optimizer minimizes:

    weighted = losses * weights                  weights: a number, or a tensor that
                                                 broadcasts to the losses' shape
    SUM_BY_NONZERO_WEIGHTS (TF1's default)   sum(weighted) / (number of non-zero weights)
    MEAN                                     sum(weighted) / sum(weights)
    SUM_OVER_BATCH_SIZE                      sum(weighted) / (number of losses)
    SUM                                      sum(weighted)
    NONE                                     weighted, unreduced

With the default ``weights=1.0`` every weight is non-zero, so the default is the plain
mean over the batch: ``tf.losses.sparse_softmax_cross_entropy(labels, logits)`` is
``reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(...))``. Where nothing
counts (every weight 0), the result is 0, not 0/0 (TF's DivNoNan).

As in TF1, the weighting is done in float32 and the result cast back to the losses'
dtype, so a float64 loss is only float32-accurate. ``softmax_cross_entropy`` stops
gradients into its labels; ``label_smoothing`` s mixes them with the uniform
distribution over the k classes: labels (1 - s) + s / k.

minigraph keeps no graph collections: ``loss_collection`` is accepted and ignored.
"""

from __future__ import annotations

from minigraph import dtypes
from minigraph.graph import Tensor, tensor_or_none
from minigraph.ops.array import cast, constant, convert_to_tensor, ones_like, stop_gradient, zeros_like
from minigraph.ops.comparison import not_equal
from minigraph.ops.indexing import where
from minigraph.ops.losses import graph_of_values, sparse_softmax_cross_entropy_with_logits
from minigraph.ops.math import divide, greater, multiply, square, subtract
from minigraph.ops.nn import softmax_cross_entropy_with_logits_v2_helper
from minigraph.ops.reduction import reduce_sum
from minigraph.ops.shaping import shape
from minigraph.shapes import format_shape, is_compatible

LOSSES = "losses"  # TF's GraphKeys.LOSSES, accepted as loss_collection


class Reduction:
    """How compute_weighted_loss reduces the weighted losses (TF1's names and values)."""

    NONE = "none"
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    MEAN = "weighted_mean"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls) -> tuple[str, ...]:
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE, cls.SUM_OVER_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key: str) -> None:
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key!r}: one of {cls.all()}")


def compute_weighted_loss(losses, weights=1.0, scope: str | None = None, loss_collection=LOSSES,
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """`losses` times `weights`, reduced as `reduction` says (see the module docstring)."""
    Reduction.validate(reduction)
    graph = graph_of_values(losses, weights)
    with graph.as_default(), graph.name_scope(scope or "weighted_loss"):
        return _weighted(convert_to_tensor(losses), weights, reduction)


def _weighted(losses: Tensor, weights, reduction: str) -> Tensor:
    """The reduction itself, in float32 as TF1 does it, cast back to the losses' dtype."""
    input_dtype = losses.dtype
    losses = _as_float32(losses)
    weights = _as_float32(convert_to_tensor(weights, dtype=dtypes.float32 if tensor_or_none(weights) is None else None))
    weighted = multiply(losses, weights)
    if reduction == Reduction.NONE:
        loss = weighted
    else:
        loss = reduce_sum(weighted)
        if reduction == Reduction.MEAN:
            loss = _safe_divide(loss, reduce_sum(multiply(ones_like(losses), weights)))
        elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
            loss = _safe_divide(loss, cast(reduce_sum(ones_like(losses)), dtypes.float32))
        elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
            loss = _safe_divide(loss, _num_present(losses, weights))
    return cast(loss, input_dtype) if input_dtype != dtypes.float32 else loss


def _as_float32(x: Tensor) -> Tensor:
    return x if x.dtype == dtypes.float32 else cast(x, dtypes.float32)


def _num_present(losses: Tensor, weights: Tensor) -> Tensor:
    """How many losses have a non-zero weight (each weight broadcast over the losses)."""
    nonzero = cast(not_equal(weights, constant(0.0, dtype=dtypes.float32)), dtypes.float32)
    return reduce_sum(multiply(ones_like(losses), nonzero), name="num_present")


def _safe_divide(total: Tensor, count: Tensor) -> Tensor:
    """total / count, and 0 where count is 0 (TF's DivNoNan, with no NaN in its gradient)."""
    positive = greater(count, 0.0)
    safe_count = where(positive, count, ones_like(count))
    return where(positive, divide(total, safe_count), zeros_like(total), name="value")


def softmax_cross_entropy(onehot_labels, logits, weights=1.0, label_smoothing=0, scope: str | None = None,
                          loss_collection=LOSSES, reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """The weighted mean (by default) of softmax_cross_entropy_with_logits over the batch;
    `onehot_labels` take the logits' dtype and get no gradient."""
    if onehot_labels is None or logits is None:
        raise ValueError("onehot_labels and logits must both be given")
    Reduction.validate(reduction)
    graph = graph_of_values(logits, onehot_labels)
    with graph.as_default(), graph.name_scope(scope or "softmax_cross_entropy_loss"):
        logits = convert_to_tensor(logits)
        onehot_labels = convert_to_tensor(onehot_labels)
        if onehot_labels.dtype != logits.dtype:
            onehot_labels = cast(onehot_labels, logits.dtype)
        if label_smoothing > 0:
            classes = cast(shape(onehot_labels)[-1], logits.dtype)
            onehot_labels = onehot_labels * (1 - label_smoothing) + label_smoothing / classes
        onehot_labels = stop_gradient(onehot_labels, name="labels_stop_gradient")
        losses = softmax_cross_entropy_with_logits_v2_helper(onehot_labels, logits, -1, "xentropy")
        return _weighted(losses, weights, reduction)


def sparse_softmax_cross_entropy(labels, logits, weights=1.0, scope: str | None = None, loss_collection=LOSSES,
                                 reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """The weighted mean (by default) of sparse_softmax_cross_entropy_with_logits: one
    integer class per example."""
    if labels is None or logits is None:
        raise ValueError("labels and logits must both be given")
    Reduction.validate(reduction)
    graph = graph_of_values(logits, labels)
    with graph.as_default(), graph.name_scope(scope or "sparse_softmax_cross_entropy_loss"):
        losses = sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits, name="xentropy")
        return _weighted(losses, weights, reduction)


def mean_squared_error(labels, predictions, weights=1.0, scope: str | None = None, loss_collection=LOSSES,
                       reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """The weighted mean (by default) of (predictions - labels)^2 over every element;
    both are cast to float32 first, as TF1 does."""
    if labels is None or predictions is None:
        raise ValueError("labels and predictions must both be given")
    Reduction.validate(reduction)
    graph = graph_of_values(predictions, labels)
    with graph.as_default(), graph.name_scope(scope or "mean_squared_error"):
        predictions, labels = (_as_float32(convert_to_tensor(value)) for value in (predictions, labels))
        if not is_compatible(predictions.shape, labels.shape):
            raise ValueError(f"Shapes {format_shape(predictions.shape)} and {format_shape(labels.shape)} are "
                             f"incompatible: predictions {predictions!r}, labels {labels!r}")
        return _weighted(square(subtract(predictions, labels)), weights, reduction)

