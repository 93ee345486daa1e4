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
- ``validation_data`` is a pair ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight)``;
- a model with several inputs (outputs) takes a list of arrays, one per input in
  order, or a dict by the Input's (output layer's) name;
- ``sample_weight`` holds one weight per row.
"""

from __future__ import annotations

import numpy as np

from minigraph.keras import losses
from minigraph.shapes import fits, format_shape


def standardize(model, data, names: list[str], what: str, where: str) -> list:
    """x (or y) as one entry per model input (output): for a model with one, the data
    itself; with several, a list in order or a dict by layer name."""
    if len(names) == 1:
        if isinstance(data, dict):
            return [data[names[0]]] if names[0] in data else [data]
        if isinstance(data, (list, tuple)) and len(data) == 1 and hasattr(data[0], "shape"):
            return [data[0]]
        return [data]
    if isinstance(data, dict):
        missing = [name for name in names if name not in data]
        if missing:
            raise ValueError(f"{where}: {what} has no data for {missing}; model {model.name} takes "
                             f"{what} for {names}, got keys {sorted(data)}")
        return [data[name] for name in names]
    if not isinstance(data, (list, tuple)) or len(data) != len(names):
        got = f"{len(data)} arrays" if isinstance(data, (list, tuple)) else f"{type(data).__name__}"
        raise ValueError(f"{where}: model {model.name} has {len(names)} {'inputs' if what == 'x' else 'outputs'} "
                         f"{names}, so {what} must be a list of {len(names)} arrays (or a dict by name), got {got}")
    return list(data)


def label(what: str, names: list[str], i: int) -> str:
    """'x' for a model with one input; "x['input_2']" for one with several."""
    return what if len(names) == 1 else f"{what}[{names[i]!r}]"


def check_x(model, x, where: str) -> list[np.ndarray]:
    """x as arrays, one per input, refused unless each shape fits its input's (None dims
    match any size) and all have the same number of rows."""
    arrays = []
    names = model.input_names
    for i, (data, tensor) in enumerate(zip(standardize(model, x, names, "x", where), model.inputs)):
        name = label("x", names, i)
        array = as_array(data, name, where)
        expected = tensor.shape
        if not fits(array.shape, expected):
            per_row = f" ({expected[-1]} features per row)" if expected and expected[-1] is not None else ""
            raise ValueError(
                f"{where}: model {model.name} expects {name} of shape {format_shape(expected)}{per_row}, "
                f"got {name} of shape {array.shape}"
            )
        arrays.append(array)
    check_rows(arrays, [label("x", names, i) for i in range(len(names))], where)
    return arrays


def check_rows(arrays: list, names: list[str], where: str) -> None:
    lengths = {len(array) for array in arrays if array.ndim}
    if len(lengths) > 1:
        counts = ", ".join(f"{name} has {len(array)}" for name, array in zip(names, arrays))
        raise ValueError(f"{where}: the inputs have different numbers of samples: {counts}")


def check_xy(model, x, y, where: str) -> tuple[list, list]:
    """x and y as lists of arrays of the model's dtypes, refused unless each y holds finite
    labels of its output's shape, one per row of x (one-hot rows for categorical_crossentropy)."""
    xs = check_x(model, x, where)
    names = model.output_names
    ys = []
    for i, (data, head) in enumerate(zip(standardize(model, y, names, "y", where), model._label_specs())):
        ys.append(check_y(model, xs, data, head, label("y", names, i), where))
    return ([x.astype(t.dtype, copy=False) for x, t in zip(xs, model.inputs)],
            [y.astype(t.dtype, copy=False) for y, t in zip(ys, model.outputs)])


def check_y(model, xs: list, y, head, name: str, where: str) -> np.ndarray:
    """One output's labels, checked (see check_xy); a sparse loss's class indices get their
    trailing axis of 1."""
    output, loss_fn, expected = head
    y = as_array(y, name, where)
    if y.ndim and len(xs[0]) != len(y):
        raise ValueError(f"{where}: x and {name} have different lengths: x has {len(xs[0])} samples, "
                         f"{name} has {len(y)}")
    if y.ndim == len(expected) - 1 and expected[-1] == 1:  # class indices for a sparse loss
        y = y[..., None]
    loss_name = losses.name_of(loss_fn)
    one_hot = loss_name == "categorical_crossentropy"
    if not fits(y.shape, expected):
        classes = expected[-1]
        class_indices = one_hot and classes is not None and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1))
        hint = f"; convert class indices with to_categorical(y, {classes})" if class_indices else ""
        raise ValueError(
            f"{where}: {loss_name} expects {name} of shape {format_shape(expected)}"
            f"{' (one-hot labels)' if one_hot else ''}, got {name} of shape {y.shape}{hint}"
        )
    rows = y.reshape(len(y), int(np.prod(y.shape[1:])))
    # a NaN passes every comparison below as False, so it is looked for first
    bad_row = np.flatnonzero(~np.isfinite(rows).all(axis=1))
    if bad_row.size:
        i = bad_row[0]
        raise ValueError(f"{where}: {name} must hold finite numbers, but {name}[{i}] = {y[i].tolist()}")
    if one_hot and len(y):
        bad_row = np.flatnonzero((rows.min(axis=1) < 0) | (np.abs(rows.sum(axis=1) - 1) > 1e-3))
        if bad_row.size:
            i = bad_row[0]
            raise ValueError(
                f"{where}: categorical_crossentropy expects one-hot labels (each row sums to 1), "
                f"but {name}[{i}] = {y[i].tolist()}"
            )
    return y


def check_sample_weight(sample_weight, rows: int, outputs: list[str], where: str) -> list:
    """One weight per row for each output (an array for all outputs, or a list/dict of them), or Nones."""
    if sample_weight is None:
        return [None] * len(outputs)
    if isinstance(sample_weight, dict):
        given = [sample_weight.get(name) for name in outputs]
    elif isinstance(sample_weight, (list, tuple)) and len(outputs) > 1:
        given = list(sample_weight)
    else:
        given = [sample_weight] * len(outputs)
    weights = []
    for weight in given:
        if weight is None:
            weights.append(None)
            continue
        array = as_array(weight, "sample_weight", where).astype(np.float64)
        if array.shape != (rows,):
            raise ValueError(f"{where}: sample_weight must hold one weight per sample, shape ({rows},), "
                             f"got shape {array.shape}")
        weights.append(array)
    return weights


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


def validation_triple(validation_data) -> tuple:
    """(x_val, y_val, sample_weight or None) from fit()'s validation_data, refused unless
    it is such a pair or triple."""
    if isinstance(validation_data, (tuple, list)):
        if len(validation_data) == 2:
            return tuple(validation_data) + (None,)
        if len(validation_data) == 3:
            return tuple(validation_data)
        count = len(validation_data)
        got = f"a {type(validation_data).__name__} of {count} item{'' if count == 1 else 's'}"
    elif hasattr(validation_data, "shape"):
        got = f"an array of shape {np.shape(validation_data)}"
    else:
        got = repr(validation_data)
    raise ValueError(f"fit(): validation_data must be a pair (x_val, y_val) or a triple "
                     f"(x_val, y_val, sample_weight), got {got}")
