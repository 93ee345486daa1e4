"""Losses, computed the way Keras 3 on the TensorFlow backend computes them.

``categorical_crossentropy(y_true, y_pred)`` on probabilities normalises each row,
clips it to [1e-7, 1 - 1e-7] and takes -sum(y_true * log(y_pred)). A softmax that has
rounded a class's probability to 0 then gives log(1e-7) instead of -inf, but the
gradient through the clip is 0 there, and learning stalls.

So, like Keras's TensorFlow backend, when ``y_pred`` is the output of a Softmax node
the loss looks *through* it: it takes the softmax's input (the logits) and uses the
fused, stable ``softmax_cross_entropy_with_logits_v2``. The worksheet feeds unscaled PCA
features, its logits reach the hundreds, and this is what keeps its loss finite.

Each loss returns one value per example; the model averages them over the batch.
"""

from __future__ import annotations

from typing import Callable

import minigraph as mg
from minigraph.graph import Tensor
from minigraph.keras import backend as K
from minigraph.keras.lookup import by_name
from minigraph.ops.nn import Softmax
from minigraph.shapes import format_shape, is_compatible


def _check_same_shape(y_true: Tensor, y_pred: Tensor, loss: str) -> None:
    a, b = y_true.shape, y_pred.shape
    if not is_compatible(a, b):
        raise ValueError(
            f"{loss}: y_true and y_pred must have the same shape, got {format_shape(a)} and {format_shape(b)}"
        )


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False) -> Tensor:
    """-sum(y_true * log(y_pred)) per example; through the logits when y_pred is a softmax."""
    y_pred = mg.convert_to_tensor(y_pred)
    y_true = mg.convert_to_tensor(y_true, dtype=y_pred.dtype)
    _check_same_shape(y_true, y_pred, "categorical_crossentropy")
    if not from_logits and isinstance(y_pred.op, Softmax):
        y_pred, from_logits = y_pred.op.inputs[0], True
    if from_logits:
        # the _v2 name, as Keras's TF backend calls it: no stop_gradient on the labels
        return mg.nn.softmax_cross_entropy_with_logits_v2(labels=y_true, logits=y_pred)
    probabilities = y_pred / mg.reduce_sum(y_pred, axis=-1, keepdims=True)
    probabilities = mg.clip_by_value(probabilities, K.epsilon(), 1.0 - K.epsilon())
    return -mg.reduce_sum(y_true * mg.log(probabilities), axis=-1)


def mean_squared_error(y_true, y_pred) -> Tensor:
    """mean((y_true - y_pred)^2) over the last axis, per example."""
    y_pred = mg.convert_to_tensor(y_pred)
    y_true = mg.convert_to_tensor(y_true, dtype=y_pred.dtype)
    _check_same_shape(y_true, y_pred, "mean_squared_error")
    return mg.reduce_mean(mg.square(y_true - y_pred), axis=-1)


_BY_NAME: dict[str, Callable] = {
    "categorical_crossentropy": categorical_crossentropy,
    "mean_squared_error": mean_squared_error,
    "mse": mean_squared_error,
}


def get(identifier) -> Callable:
    """A loss function from its name or a callable(y_true, y_pred)."""
    return by_name(_BY_NAME, identifier, "loss")


def name_of(loss: Callable) -> str:
    return getattr(loss, "__name__", "loss")
