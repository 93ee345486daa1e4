"""One-hot encoding of class labels: ``to_categorical``, as in Keras.

A classifier that ends in a softmax over k classes outputs a probability
vector, and categorical cross-entropy compares it with a target of the same
shape. So each integer label becomes a row with a single 1 in its column:

    to_categorical([0, 2, 1]) = [[1, 0, 0],
                                 [0, 0, 1],
                                 [0, 1, 0]]

The module keeps Keras 2's name (``keras.utils.np_utils``), the one the
worksheet imports from; ``minigraph.keras.utils.to_categorical`` is the same
function.

Unlike Keras, bad labels are errors rather than silently wrong rows: Keras
turns 1.5 into 1 and -1 into the last class, and here both raise.
"""

import numbers

import numpy as np


def to_categorical(y, num_classes: int | None = None) -> np.ndarray:
    """Turn integer labels into one-hot float32 rows.

    ``y`` is a list or array of labels 0 .. num_classes - 1, of shape (n,) or
    (n, 1) (any shape works: a trailing axis of size 1 is dropped, as in Keras).
    Without ``num_classes`` it is max(y) + 1. Returns shape (n, num_classes).
    """
    labels = np.asarray(y)
    if labels.dtype.kind not in "biuf":
        raise TypeError(f"labels must be integers, got an array of dtype {labels.dtype}")
    if labels.dtype.kind == "f":
        not_whole = ~np.isfinite(labels) | (labels != np.round(labels))
        if not_whole.any():
            raise ValueError(f"labels must be whole numbers, got {_first(labels, not_whole)}")
    if (labels < 0).any():
        raise ValueError(f"labels must be >= 0, got {_first(labels, labels < 0)}")

    if num_classes is None:
        if labels.size == 0:
            raise ValueError("cannot infer num_classes from an empty array of labels; pass num_classes")
        num_classes = int(labels.max()) + 1
    elif isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    elif (labels >= num_classes).any():
        raise ValueError(
            f"labels must be < num_classes={num_classes}, got {_first(labels, labels >= num_classes)}"
        )

    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1).astype(np.int64)
    one_hot = np.zeros((flat.size, num_classes), dtype=np.float32)
    one_hot[np.arange(flat.size), flat] = 1
    return one_hot.reshape(shape + (int(num_classes),))


def _first(labels: np.ndarray, bad: np.ndarray) -> str:
    """Describe the first bad label and where it is, e.g. 'y[3] = -1'."""
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    where = f"y[{', '.join(map(str, index))}]" if index else "y"
    return f"{where} = {labels[index].item()!r}"
