"""What ``fit``, ``evaluate`` and ``predict`` accept as x and y, and the one error for
everything else.

Each check runs before any step, so a mistake is refused with the argument, its shape
and the offending row named, instead of surfacing as a NaN, a number computed from no
samples, or an error from deep inside numpy:

- x and y become numpy arrays of numbers (a ragged list names its first odd row);
- x's shape *fits* the model's input (``shapes.fits``: a None dim, such as the batch
  or the features of ``Input(shape=(None,))``, takes any size), and so does y's the
  output's, one row of y per row of x;
- labels are finite (NaN slips through every comparison, so it is looked for
  first), and one-hot rows for categorical_crossentropy;
- ``validation_data`` is a pair ``(x_val, y_val)``.
"""

from __future__ import annotations

import numpy as np

from minigraph.keras import losses
from minigraph.shapes import fits, format_shape


def check_x(model, x, where: str) -> np.ndarray:
    """x as an array, refused unless its shape fits the input's (None dims match any size)."""
    array = as_array(x, "x", where)
    expected = model.input_shape
    if not fits(array.shape, expected):
        per_row = f" ({expected[-1]} features per row)" if expected[-1] is not None else ""
        raise ValueError(
            f"{where}: model {model.name} expects x of shape {format_shape(expected)}{per_row}, "
            f"got x of shape {array.shape}"
        )
    return array


def check_xy(model, x, y, where: str) -> tuple[np.ndarray, np.ndarray]:
    """x and y as arrays of the model's dtype, refused unless y holds finite labels of
    the output's shape, one per row of x (one-hot rows for categorical_crossentropy)."""
    x = check_x(model, x, where)
    y = as_array(y, "y", where)
    if y.ndim and len(x) != len(y):
        raise ValueError(f"{where}: x and y have different lengths: x has {len(x)} samples, y has {len(y)}")
    expected = model.output_shape
    if not fits(y.shape, expected):
        classes = expected[-1]
        one_hot = model.loss is losses.categorical_crossentropy
        class_indices = one_hot and classes is not None and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1))
        hint = f"; convert class indices with to_categorical(y, {classes})" if class_indices else ""
        raise ValueError(
            f"{where}: {losses.name_of(model.loss)} expects y of shape {format_shape(expected)}"
            f"{' (one-hot labels)' if one_hot else ''}, got y of shape {y.shape}{hint}"
        )
    rows = y.reshape(len(y), int(np.prod(y.shape[1:])))
    # a NaN passes every comparison below as False, so it is looked for first
    bad_row = np.flatnonzero(~np.isfinite(rows).all(axis=1))
    if bad_row.size:
        i = bad_row[0]
        raise ValueError(f"{where}: y must hold finite numbers, but y[{i}] = {y[i].tolist()}")
    if model.loss is losses.categorical_crossentropy and len(y):
        bad_row = np.flatnonzero((rows.min(axis=1) < 0) | (np.abs(rows.sum(axis=1) - 1) > 1e-3))
        if bad_row.size:
            i = bad_row[0]
            raise ValueError(
                f"{where}: categorical_crossentropy expects one-hot labels (each row sums to 1), "
                f"but y[{i}] = {y[i].tolist()}"
            )
    return x.astype(model.inputs.dtype, copy=False), y.astype(model.outputs.dtype, copy=False)


def as_array(value, name: str, where: str) -> np.ndarray:
    """`value` (x or y) as a numpy array of numbers; anything else is refused, naming it."""
    if value is None:
        raise ValueError(f"{where}: {name} is missing (got None)")
    try:
        array = np.asarray(value)
    except ValueError:  # numpy's text ("inhomogeneous shape") names neither x nor the row
        raise ValueError(f"{where}: {name} must be an array of numbers, but its rows differ in shape"
                         f"{first_ragged_row(value, name)}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: {name} must hold numbers, got an array of dtype {array.dtype}")
    return array


def first_ragged_row(rows, name: str) -> str:
    """' (x[0] has shape (3,), x[2] has shape (2,))': the first row unlike row 0."""
    try:
        shapes = [np.shape(row) for row in rows]
    except (TypeError, ValueError):
        return ""
    for i, shape in enumerate(shapes):
        if shape != shapes[0]:
            return f" ({name}[0] has shape {shapes[0]}, {name}[{i}] has shape {shape})"
    return ""


def validation_pair(validation_data) -> tuple:
    """(x_val, y_val) from fit()'s validation_data, refused unless it is such a pair."""
    if isinstance(validation_data, (tuple, list)):
        if len(validation_data) == 2:
            return tuple(validation_data)
        if len(validation_data) == 3:
            raise NotImplementedError("fit(): validation_data with sample weights (x_val, y_val, sample_weight) "
                                      "is not implemented in minigraph; pass (x_val, y_val)")
        count = len(validation_data)
        got = f"a {type(validation_data).__name__} of {count} item{'' if count == 1 else 's'}"
    elif hasattr(validation_data, "shape"):
        got = f"an array of shape {np.shape(validation_data)}"
    else:
        got = repr(validation_data)
    raise ValueError(f"fit(): validation_data must be a pair (x_val, y_val), got {got}")
