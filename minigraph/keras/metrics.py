"""Metrics by name, as ``compile(metrics=[...])`` takes them, and the names fit logs them under.

A metric here is like a loss: a function ``metric(y_true, y_pred)`` giving **one value
per example**, which the model averages over the batch and the epoch. It is only
measured, never differentiated. ``get(identifier, loss)`` returns ``(log_name, fn)``.

**'accuracy' depends on the problem.** Keras 2 (tf_keras) picks the accuracy from the
shapes of the labels and the output:

- one output unit (``y_pred`` of shape (batch, 1)): ``binary_accuracy``, right when
  y_pred > 0.5 agrees with the 0/1 label;
- labels holding one class index each (rank one less than the output, or a last
  dimension of 1 against several output units): ``sparse_categorical_accuracy``;
- otherwise (one-hot labels): ``categorical_accuracy``, right when the largest output
  is the labelled class.

When the label shape is not given, the loss says it: ``sparse_categorical_crossentropy``
means class indices, and ``binary_crossentropy`` on an output of unknown width means
0/1 labels. 'crossentropy' (or 'ce') is resolved the same way to the binary,
sparse or categorical cross-entropy.

**Log names** are what tf_keras prints: the string given (``'acc'`` logs as ``acc``,
``'accuracy'`` as ``accuracy``, ``'mse'`` as ``mse``), or a function's ``__name__``.
"""

from __future__ import annotations

from typing import Callable

import minigraph as mg
from minigraph.graph import Tensor
from minigraph.keras import backend as K
from minigraph.keras import losses


def binary_accuracy(y_true, y_pred, threshold: float = 0.5) -> Tensor:
    """The share of a row's outputs on the right side of `threshold` (labels 0 or 1)."""
    y_true, y_pred = losses.aligned(y_true, y_pred, "binary_accuracy")
    predicted = mg.cast(mg.greater(y_pred, threshold), y_pred.dtype)
    return mg.reduce_mean(mg.cast(mg.equal(y_true, predicted), K.floatx()), axis=-1)


def categorical_accuracy(y_true, y_pred) -> Tensor:
    """1 where the largest output is the one-hot label's class, else 0."""
    return _class_matches(mg.argmax(y_true, axis=-1), y_pred)


def sparse_categorical_accuracy(y_true, y_pred) -> Tensor:
    """1 where the largest output is the labelled class (an index), else 0."""
    return _class_matches(y_true, y_pred)


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> Tensor:
    """1 where the one-hot label's class is among the k largest outputs, else 0."""
    return _in_top_k(mg.argmax(y_true, axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> Tensor:
    """1 where the labelled class (an index) is among the k largest outputs, else 0."""
    return _in_top_k(y_true, y_pred, k)


def cosine_similarity(y_true, y_pred, axis: int = -1) -> Tensor:
    """sum(normalize(y_true) * normalize(y_pred)): 1 when they point the same way (the loss is its negative)."""
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


def _class_indices(labels, y_pred: Tensor) -> Tensor:
    """Class indices of shape (batch,), from labels of shape (batch,) or (batch, 1)."""
    labels = mg.convert_to_tensor(labels)
    if labels.shape is not None and y_pred.shape is not None and len(labels.shape) == len(y_pred.shape) \
            and labels.shape[-1] == 1:
        labels = mg.squeeze(labels, [-1])
    return labels


def _class_matches(labels, y_pred) -> Tensor:
    y_pred = mg.convert_to_tensor(y_pred)
    labels = _class_indices(labels, y_pred)
    predicted = mg.argmax(y_pred, axis=-1)
    if labels.dtype != predicted.dtype:  # float labels compare as floats, as tf_keras does
        predicted = mg.cast(predicted, labels.dtype)
    return mg.cast(mg.equal(labels, predicted), K.floatx())


def _in_top_k(labels, y_pred, k: int) -> Tensor:
    y_pred = mg.convert_to_tensor(y_pred)
    labels = mg.cast(_class_indices(labels, y_pred), mg.int32)
    return mg.cast(mg.nn.in_top_k(y_pred, labels, k), K.floatx())


# Keras 2's other names
acc = accuracy = categorical_accuracy  # as a function, Keras 2's `accuracy` compares classes
cosine_proximity = cosine_similarity
top_k = top_k_categorical_accuracy

_METRICS: dict[str, Callable] = {
    "binary_accuracy": binary_accuracy, "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "top_k_categorical_accuracy": top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy": sparse_top_k_categorical_accuracy,
    "cosine_similarity": cosine_similarity, "cosine_proximity": cosine_similarity,
}
_FROM_LOSSES = ("mean_squared_error", "mse", "MSE", "mean_absolute_error", "mae", "MAE",
                "mean_absolute_percentage_error", "mape", "MAPE", "mean_squared_logarithmic_error", "msle", "MSLE",
                "kullback_leibler_divergence", "kl_divergence", "kld", "KLD", "logcosh", "log_cosh", "poisson",
                "hinge", "squared_hinge", "categorical_hinge", "binary_crossentropy", "categorical_crossentropy",
                "sparse_categorical_crossentropy")
_BY_NAME = {**{name: losses.get(name) for name in _FROM_LOSSES}, **_METRICS}

_ACCURACIES = {"binary": binary_accuracy, "sparse": sparse_categorical_accuracy, "categorical": categorical_accuracy}
_CROSSENTROPIES = {"binary": losses.binary_crossentropy, "sparse": losses.sparse_categorical_crossentropy,
                   "categorical": losses.categorical_crossentropy}


def get(identifier, loss=None, y_true_shape=None, y_pred_shape=None) -> tuple[str, Callable]:
    """(log_name, per-example function) of a metric name or function; 'accuracy' and
    'crossentropy' are resolved from the label and output shapes, or from `loss`
    (a loss name or function) where a shape is not known."""
    if callable(identifier):
        name = getattr(identifier, "__name__", None)
        if not name or name == "<lambda>":
            raise ValueError(f"A metric function needs a name to be logged under: {identifier!r} has none; "
                             "use a def")
        return name, identifier
    if not isinstance(identifier, str):
        raise ValueError(f"Unknown metric {identifier!r}: give a name such as 'accuracy' or a function")
    if identifier.lower() in ("accuracy", "acc", "crossentropy", "ce"):
        kind = problem_kind(loss, y_true_shape, y_pred_shape)
        table = _ACCURACIES if identifier.lower() in ("accuracy", "acc") else _CROSSENTROPIES
        return identifier, table[kind]
    if identifier not in _BY_NAME:
        raise ValueError(f"Unknown metric {identifier!r}; known: {sorted(_BY_NAME) + ['accuracy', 'acc']}")
    return identifier, _BY_NAME[identifier]


def problem_kind(loss=None, y_true_shape=None, y_pred_shape=None) -> str:
    """'binary', 'sparse' or 'categorical', as tf_keras decides which accuracy to use."""
    loss_name = loss if isinstance(loss, str) else getattr(loss, "__name__", None)
    output_width = y_pred_shape[-1] if y_pred_shape else None
    if output_width == 1:
        return "binary"
    if y_true_shape is not None and y_pred_shape is not None:
        if len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and (output_width or 2) > 1):
            return "sparse"
        return "categorical"
    if loss_name == "sparse_categorical_crossentropy":
        return "sparse"
    if loss_name == "binary_crossentropy" and output_width is None:
        return "binary"
    return "categorical"
