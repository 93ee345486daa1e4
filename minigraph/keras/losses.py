"""Losses, by every name Keras 2 gives them, computed as Keras 3 on TensorFlow computes them.

A loss here is a function ``loss(y_true, y_pred)`` that returns **one value per
example** (shape ``(batch,)``): it reduces over the last axis, and the model averages
the examples (with sample weights, when given). ``get('mse')`` finds one by name.

**Cross-entropies look through the activation.** ``categorical_crossentropy`` on
probabilities normalises each row, clips it to [1e-7, 1 - 1e-7] and takes
-sum(y_true * log(y_pred)). A softmax that has rounded a class's probability to 0 then
gives log(1e-7) instead of -inf, but the gradient through the clip is 0 there, and
learning stalls. So, like Keras's TensorFlow backend, when ``y_pred`` is the output of
a Softmax node the loss takes the softmax's input (the logits) and uses the fused,
stable ``softmax_cross_entropy_with_logits_v2``. The worksheet feeds unscaled PCA
features, its logits reach the hundreds, and this is what keeps its loss finite.
``sparse_categorical_crossentropy`` does the same through a Softmax, and
``binary_crossentropy`` through a Sigmoid (with ``sigmoid_cross_entropy_with_logits``).
``from_logits=True`` says that y_pred already is the logits.

**Hinge labels.** ``hinge`` and ``squared_hinge`` want labels -1 or 1; when every
label in the batch is 0 or 1, they are turned into -1 or 1 first (as Keras does).

Loss objects (``losses.CategoricalCrossentropy(from_logits=True)``) hold a loss and
its arguments; called, they give the batch mean, and ``get`` turns one into the
per-example function the model wants.
"""

from __future__ import annotations

import functools
import math
from typing import Callable

import minigraph as mg
from minigraph.graph import Tensor
from minigraph.keras import backend as K
from minigraph.keras.activations import softplus
from minigraph.keras.lookup import by_name
from minigraph.ops.nn import Sigmoid, Softmax
from minigraph.shapes import format_shape, is_compatible

# --- what every loss does first ----------------------------------------------------------


def _as_tensors(y_true, y_pred) -> tuple[Tensor, Tensor]:
    """y_pred as a tensor, y_true as one of y_pred's dtype."""
    y_pred = mg.convert_to_tensor(y_pred)
    y_true = mg.cast(mg.convert_to_tensor(y_true), y_pred.dtype)
    return y_true, y_pred


def _check_same_shape(y_true: Tensor, y_pred: Tensor, loss: str) -> None:
    a, b = y_true.shape, y_pred.shape
    if not is_compatible(a, b):
        raise ValueError(
            f"{loss}: y_true and y_pred must have the same shape, got {format_shape(a)} and {format_shape(b)}"
        )


def _same_rank(y_true: Tensor, y_pred: Tensor, loss: str) -> tuple[Tensor, Tensor]:
    """Labels of shape (batch,) against outputs (batch, 1), or the other way round, are
    brought to one rank (Keras's squeeze_or_expand_to_same_rank); then shapes must agree."""
    true_rank, pred_rank = len(y_true.shape or ()), len(y_pred.shape or ())
    if y_true.shape is not None and y_pred.shape is not None:
        if true_rank == pred_rank - 1 and y_pred.shape[-1] == 1:
            y_true = mg.expand_dims(y_true, -1)
        elif true_rank == pred_rank + 1 and y_true.shape[-1] == 1:
            y_true = mg.squeeze(y_true, [-1])
    _check_same_shape(y_true, y_pred, loss)
    return y_true, y_pred


def aligned(y_true, y_pred, loss: str) -> tuple[Tensor, Tensor]:
    """y_true and y_pred as tensors of one dtype and one shape (`loss` names them in errors)."""
    return _same_rank(*_as_tensors(y_true, y_pred), loss)


def _logits_of(y_pred: Tensor, from_logits: bool, activation: type) -> tuple[Tensor, bool]:
    """The logits behind y_pred when it is the output of `activation` (Softmax or Sigmoid)."""
    if not from_logits and isinstance(y_pred.op, activation):
        return y_pred.op.inputs[0], True
    return y_pred, from_logits


# --- regression ------------------------------------------------------------------------------


def mean_squared_error(y_true, y_pred) -> Tensor:
    """mean((y_true - y_pred)^2) over the last axis."""
    y_true, y_pred = aligned(y_true, y_pred, "mean_squared_error")
    return mg.reduce_mean(mg.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred) -> Tensor:
    """mean(|y_true - y_pred|) over the last axis."""
    y_true, y_pred = aligned(y_true, y_pred, "mean_absolute_error")
    return mg.reduce_mean(mg.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred) -> Tensor:
    """100 * mean(|(y_true - y_pred) / max(|y_true|, epsilon)|) over the last axis."""
    y_true, y_pred = aligned(y_true, y_pred, "mean_absolute_percentage_error")
    ratio = mg.abs((y_true - y_pred) / mg.maximum(mg.abs(y_true), K.epsilon()))
    return 100.0 * mg.reduce_mean(ratio, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred) -> Tensor:
    """mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2) over the last axis."""
    y_true, y_pred = aligned(y_true, y_pred, "mean_squared_logarithmic_error")
    first = mg.log(mg.maximum(y_pred, K.epsilon()) + 1.0)
    second = mg.log(mg.maximum(y_true, K.epsilon()) + 1.0)
    return mg.reduce_mean(mg.square(first - second), axis=-1)


def log_cosh(y_true, y_pred) -> Tensor:
    """mean(log(cosh(y_pred - y_true))), as x + softplus(-2x) - log 2 (cosh overflows)."""
    y_true, y_pred = aligned(y_true, y_pred, "log_cosh")
    error = y_pred - y_true
    return mg.reduce_mean(error + softplus(error * -2.0) - math.log(2.0), axis=-1)


def huber(y_true, y_pred, delta: float = 1.0) -> Tensor:
    """mean of e^2 / 2 where |e| <= delta, delta |e| - delta^2 / 2 elsewhere (e = y_pred - y_true)."""
    y_true, y_pred = aligned(y_true, y_pred, "huber")
    error = y_pred - y_true
    size = mg.abs(error)
    quadratic = 0.5 * mg.square(error)
    linear = delta * size - 0.5 * delta ** 2
    return mg.reduce_mean(mg.where_v2(mg.less_equal(size, delta), quadratic, linear), axis=-1)


def poisson(y_true, y_pred) -> Tensor:
    """mean(y_pred - y_true * log(y_pred + epsilon)) over the last axis."""
    y_true, y_pred = aligned(y_true, y_pred, "poisson")
    return mg.reduce_mean(y_pred - y_true * mg.log(y_pred + K.epsilon()), axis=-1)


def cosine_similarity(y_true, y_pred, axis: int = -1) -> Tensor:
    """-sum(normalize(y_true) * normalize(y_pred)): -1 when they point the same way."""
    y_true, y_pred = aligned(y_true, y_pred, "cosine_similarity")
    return -mg.reduce_sum(_normalize(y_true, axis) * _normalize(y_pred, axis), axis=axis)


def _normalize(x: Tensor, axis: int) -> Tensor:
    """x / |x|, as Keras 3: x * min(1 / sqrt(sum(x^2)), 1 / epsilon)."""
    inverse_norm = mg.reciprocal(mg.sqrt(mg.reduce_sum(mg.square(x), axis=axis, keepdims=True)))
    return x * mg.minimum(inverse_norm, 1.0 / K.epsilon())


# --- probability distributions --------------------------------------------------------------------


def kl_divergence(y_true, y_pred) -> Tensor:
    """sum(y_true * log(y_true / y_pred)), both clipped to [epsilon, 1]."""
    y_true, y_pred = aligned(y_true, y_pred, "kl_divergence")
    y_true = mg.clip_by_value(y_true, K.epsilon(), 1.0)
    y_pred = mg.clip_by_value(y_pred, K.epsilon(), 1.0)
    return mg.reduce_sum(y_true * mg.log(y_true / y_pred), axis=-1)


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0) -> Tensor:
    """-sum(y_true * log(y_pred)) per example; through the logits when y_pred is a softmax."""
    y_true, y_pred = _as_tensors(y_true, y_pred)
    _check_same_shape(y_true, y_pred, "categorical_crossentropy")
    if label_smoothing:  # y := y (1 - s) + s / classes
        classes = y_true.shape[-1] if y_true.shape and y_true.shape[-1] is not None else None
        if classes is None:  # known only when the graph runs
            classes = mg.cast(mg.gather(mg.shape(y_true), -1), y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    y_pred, from_logits = _logits_of(y_pred, from_logits, Softmax)
    if from_logits:
        # the _v2 name, as Keras's TF backend calls it: no stop_gradient on the labels
        return mg.nn.softmax_cross_entropy_with_logits_v2(labels=y_true, logits=y_pred)
    probabilities = y_pred / mg.reduce_sum(y_pred, axis=-1, keepdims=True)
    probabilities = mg.clip_by_value(probabilities, K.epsilon(), 1.0 - K.epsilon())
    return -mg.reduce_sum(y_true * mg.log(probabilities), axis=-1)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False) -> Tensor:
    """-log(y_pred[label]) per example, the label an integer class of shape (batch,) or (batch, 1)."""
    y_pred = mg.convert_to_tensor(y_pred)
    labels = mg.convert_to_tensor(y_true)
    if labels.shape is not None and y_pred.shape is not None:
        if len(labels.shape) == len(y_pred.shape) and labels.shape[-1] == 1:
            labels = mg.squeeze(labels, [-1])
        if not is_compatible(labels.shape, y_pred.shape[:-1]):
            raise ValueError(f"sparse_categorical_crossentropy: y_true must hold one class per example, of shape "
                             f"{format_shape(y_pred.shape[:-1])} (or with a last dim of 1), got "
                             f"{format_shape(labels.shape)} against y_pred of shape {format_shape(y_pred.shape)}")
    labels = mg.cast(labels, mg.int64)  # labels fed as floats (a float placeholder) are classes too
    y_pred, from_logits = _logits_of(y_pred, from_logits, Softmax)
    if not from_logits:  # Keras takes log(clipped p) as logits, so the row is renormalised
        y_pred = mg.log(mg.clip_by_value(y_pred, K.epsilon(), 1.0 - K.epsilon()))
    return mg.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=y_pred)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0) -> Tensor:
    """mean(-y log p - (1 - y) log(1 - p)) over the last axis; through the logits when p is a sigmoid."""
    y_true, y_pred = aligned(y_true, y_pred, "binary_crossentropy")
    if label_smoothing:  # y := y (1 - s) + s / 2
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    y_pred, from_logits = _logits_of(y_pred, from_logits, Sigmoid)
    if from_logits:
        return mg.reduce_mean(mg.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred), axis=-1)
    p = mg.clip_by_value(y_pred, K.epsilon(), 1.0 - K.epsilon())
    log_likelihood = y_true * mg.log(p) + (1.0 - y_true) * mg.log(1.0 - p)
    return mg.reduce_mean(-log_likelihood, axis=-1)


# --- margins ------------------------------------------------------------------------------------------


def _hinge_labels(y_true: Tensor) -> Tensor:
    """2 y - 1 when every label is 0 or 1; the labels as they are otherwise."""
    binary = mg.reduce_all(mg.logical_or(mg.equal(y_true, 0.0), mg.equal(y_true, 1.0)))
    return mg.where_v2(binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred) -> Tensor:
    """mean(max(1 - y_true * y_pred, 0)), labels -1 or 1."""
    y_true, y_pred = aligned(y_true, y_pred, "hinge")
    return mg.reduce_mean(mg.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred) -> Tensor:
    """mean(max(1 - y_true * y_pred, 0)^2), labels -1 or 1."""
    y_true, y_pred = aligned(y_true, y_pred, "squared_hinge")
    return mg.reduce_mean(mg.square(mg.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred) -> Tensor:
    """max(max_wrong - right + 1, 0): right = sum(y_true * y_pred), max_wrong = max((1 - y_true) * y_pred)."""
    y_true, y_pred = aligned(y_true, y_pred, "categorical_hinge")
    right = mg.reduce_sum(y_true * y_pred, axis=-1)
    max_wrong = mg.reduce_max((1.0 - y_true) * y_pred, axis=-1)
    return mg.maximum(max_wrong - right + 1.0, 0.0)


# --- names --------------------------------------------------------------------------------------------


# Keras 2's other names for the same functions
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
cosine_proximity = cosine_similarity

_BY_NAME: dict[str, Callable] = {
    "mean_squared_error": mean_squared_error, "mse": mse, "MSE": MSE,
    "mean_absolute_error": mean_absolute_error, "mae": mae, "MAE": MAE,
    "mean_absolute_percentage_error": mean_absolute_percentage_error, "mape": mape, "MAPE": MAPE,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error, "msle": msle, "MSLE": MSLE,
    "kullback_leibler_divergence": kl_divergence, "kl_divergence": kl_divergence, "kld": kld, "KLD": KLD,
    "logcosh": log_cosh, "log_cosh": log_cosh, "huber": huber, "huber_loss": huber, "poisson": poisson,
    "cosine_proximity": cosine_similarity, "cosine_similarity": cosine_similarity,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "binary_crossentropy": binary_crossentropy,
    "hinge": hinge, "squared_hinge": squared_hinge, "categorical_hinge": categorical_hinge,
}


def get(identifier) -> Callable:
    """A per-example loss function from its name, a loss object, or a callable(y_true, y_pred)."""
    if isinstance(identifier, Loss):
        return identifier.per_example
    return by_name(_BY_NAME, identifier, "loss")


def name_of(loss: Callable) -> str:
    return getattr(loss, "__name__", "loss")


# --- loss objects ---------------------------------------------------------------------------------------


class Loss:
    """A loss function with its arguments: ``loss(y_true, y_pred)`` is the batch mean
    (Keras's default reduction, 'sum_over_batch_size'); ``per_example`` the function
    the model averages itself."""

    function: Callable = staticmethod(mean_squared_error)

    def __init__(self, name: str | None = None, **kwargs):
        self.name = name or self.function.__name__
        self._kwargs = kwargs
        self.per_example = functools.update_wrapper(functools.partial(self.function, **kwargs), self.function)

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        values = self.per_example(y_true, y_pred)
        if sample_weight is None:
            return mg.reduce_mean(values)
        weights = mg.cast(mg.convert_to_tensor(sample_weight), values.dtype)
        return mg.reduce_sum(values * weights) / mg.cast(mg.size(values), values.dtype)

    def get_config(self) -> dict:
        return {"name": self.name, **self._kwargs}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


def _loss_class(name: str, function: Callable, **defaults) -> type:
    """A Loss subclass whose constructor takes `function`'s keyword arguments."""

    def __init__(self, name: str | None = None, **kwargs):
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword arguments {sorted(unknown)}; "
                            f"it takes {sorted(defaults) or 'none besides name'}")
        Loss.__init__(self, name=name, **{**defaults, **kwargs})

    return type(name, (Loss,), {"function": staticmethod(function), "__init__": __init__,
                                "__doc__": f"The loss object of {function.__name__}."})


MeanSquaredError = _loss_class("MeanSquaredError", mean_squared_error)
MeanAbsoluteError = _loss_class("MeanAbsoluteError", mean_absolute_error)
MeanAbsolutePercentageError = _loss_class("MeanAbsolutePercentageError", mean_absolute_percentage_error)
MeanSquaredLogarithmicError = _loss_class("MeanSquaredLogarithmicError", mean_squared_logarithmic_error)
KLDivergence = _loss_class("KLDivergence", kl_divergence)
LogCosh = _loss_class("LogCosh", log_cosh)
Huber = _loss_class("Huber", huber, delta=1.0)
Poisson = _loss_class("Poisson", poisson)
CosineSimilarity = _loss_class("CosineSimilarity", cosine_similarity, axis=-1)
CategoricalCrossentropy = _loss_class("CategoricalCrossentropy", categorical_crossentropy,
                                      from_logits=False, label_smoothing=0.0)
SparseCategoricalCrossentropy = _loss_class("SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
                                            from_logits=False)
BinaryCrossentropy = _loss_class("BinaryCrossentropy", binary_crossentropy, from_logits=False, label_smoothing=0.0)
Hinge = _loss_class("Hinge", hinge)
SquaredHinge = _loss_class("SquaredHinge", squared_hinge)
CategoricalHinge = _loss_class("CategoricalHinge", categorical_hinge)
