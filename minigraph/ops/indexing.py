"""Choosing elements: ``x[...]``, gather, one_hot and where.

**``x[1:, None, ..., 0]``** is Python's subscript, and TF1 turns it into one
StridedSlice (ops/slicing.py) by walking the entries: a slice ``a:b:c`` gives
begin a, end b, stride c (a missing a or b sets a bit of begin_mask or end_mask), an
int ``i`` gives begin i, end i + 1 and a bit of shrink_axis_mask (the axis goes away),
``...`` a bit of ellipsis_mask and ``None`` a bit of new_axis_mask. The begins, ends and
strides are stacked into three vectors, constants when every entry is a number and a
``Pack`` when one is a scalar int tensor (``x[i]``). Only these are TF1's indices: an int
vector or a bool mask is refused, naming what was given. A list is read as a tuple, as
TF1 reads it: ``x[[1, 2]]`` is ``x[1, 2]``, not numpy's rows 1 and 2.

**gather** picks whole rows (or slices along ``axis``): ``gather(params, [2, 0, 2])``
is rows 2, 0 and 2. A row picked twice sends its gradient back twice, so the gradient
*adds* dy into zeros at the picked rows (``GatherGrad``; TF gets the same numbers from
UnsortedSegmentSum). Its own gradient is a gather again.

**one_hot** turns class numbers into rows with a single ``on_value``: 2 of depth 4 is
[0, 0, 1, 0]. An index outside [0, depth) gives a row of ``off_value``, as in TF.

**where** is two ops in TF1. ``where(condition)`` gives the coordinates of the true
elements (``Where``, int64, one row per element). ``where(condition, x, y)`` picks x
where condition holds, else y (``Select``); TF1's Select does not broadcast: condition
has x's shape, or is a vector choosing whole rows of x. ``where_v2`` broadcasts all three
(math.py's ``SelectV2``).
"""

from __future__ import annotations

import numpy as np

from minigraph import dtypes
from minigraph.errors import InvalidArgumentError
from minigraph.graph import Operation, Tensor, get_default_graph, tensor_or_none
from minigraph.ops import math as math_ops
from minigraph.ops.array import cast, constant, convert_to_tensor, zeros_like
from minigraph.ops.joining import stack, tensors_of
from minigraph.ops.shaping import (
    INDEX_DTYPES,
    check_index_dtype,
    constant_value,
    normalize_axis,
    python_int,
    shape,
    shape_described,
)
from minigraph.ops.slicing import StridedSlice
from minigraph.shapes import format_shape, is_compatible, merge

# --- x[...] -----------------------------------------------------------------------------

newaxis = None  # tf.newaxis: x[:, tf.newaxis] adds an axis of size 1, as numpy's None does

_INDEX_ERROR = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar tf.int32/tf.int64 "
                "tensors are valid indices")


def _check_index(value) -> None:
    """An int, or a scalar int32/int64 tensor (TF1's _check_index)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return
    tensor = tensor_or_none(value)
    if tensor is None or tensor.dtype not in INDEX_DTYPES or (tensor.shape is not None and len(tensor.shape) != 0):
        raise TypeError(f"{_INDEX_ERROR}, got {value!r}")


def getitem(tensor, index) -> Tensor:
    """`tensor[index]` as TF1 builds it: one StridedSlice (see the module docstring)."""
    x = tensor_or_none(tensor)
    if isinstance(index, (bool, np.bool_)) or getattr(index, "dtype", None) == dtypes.bool:
        raise TypeError(f"{_INDEX_ERROR}, got {index!r}: a bool mask is tf.boolean_mask in TF, which minigraph "
                        "does not have")
    # a list is read as a tuple, as TF1 reads it: x[[1, 2]] is x[1, 2] (numpy would pick rows 1 and 2)
    entries = tuple(index) if isinstance(index, (list, tuple)) else (index,)
    begin, end, strides = [], [], []
    masks = dict.fromkeys(("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"), 0)
    for i, entry in enumerate(entries):
        if isinstance(entry, slice):
            for bound, values, mask in ((entry.start, begin, "begin_mask"), (entry.stop, end, "end_mask")):
                if bound is None:
                    values.append(0)
                    masks[mask] |= 1 << i
                else:
                    _check_index(bound)
                    values.append(bound)
            if entry.step is not None:
                _check_index(entry.step)
            strides.append(1 if entry.step is None else entry.step)
        elif entry is Ellipsis or entry is None:
            begin.append(0)
            end.append(0)
            strides.append(1)
            masks["ellipsis_mask" if entry is Ellipsis else "new_axis_mask"] |= 1 << i
        else:
            _check_index(entry)
            begin.append(entry)
            end.append(entry + 1)
            strides.append(1)
            masks["shrink_axis_mask"] |= 1 << i
    with x.graph.as_default(), get_default_graph().name_scope("strided_slice") as scope:
        vectors = [stack(values) if values else constant([], dtype=dtypes.int32) for values in (begin, end, strides)]
        if any(v.dtype == dtypes.int64 for v in vectors):  # one int64 index makes them all int64, as in TF
            vectors = [cast(v, dtypes.int64) if v.dtype != dtypes.int64 else v for v in vectors]
        return StridedSlice(x, *vectors, name=scope, **masks).output


# --- gather ----------------------------------------------------------------------------


class Gather(Operation):
    """y = params[..., indices, ...]: the slices of params along `axis` that indices name."""

    type_name = "GatherV2"
    input_names = ("params", "indices")

    def infer(self, params, indices):
        check_index_dtype(self, indices, "indices")
        if params.shape is None:
            return None, params.dtype
        if len(params.shape) == 0:
            raise self.error(f"params must be at least a vector, got {params!r}")
        axis = normalize_axis(self, self.attrs["axis"], len(params.shape), params.shape)
        if indices.shape is None:
            return None, params.dtype
        return params.shape[:axis] + indices.shape + params.shape[axis + 1:], params.dtype

    def _where(self, shape: tuple, indices: np.ndarray) -> tuple:
        axis = normalize_axis(self, self.attrs["axis"], len(shape), shape, kind=InvalidArgumentError)
        bad = (indices < 0) | (indices >= shape[axis])
        if np.any(bad):
            position = tuple(int(i) for i in np.argwhere(bad)[0])
            raise self.error(f"indices{list(position)} = {indices[position]} is not in [0, {shape[axis]}): "
                             f"axis {axis} of params has {shape[axis]} entries", InvalidArgumentError)
        return (slice(None),) * axis + (indices,)

    def forward(self, params, indices):
        return params[self._where(params.shape, indices)]

    def gradient(self, grad_output):
        params, indices = self.inputs
        return [GatherGrad(shape(params), indices, grad_output, gather=self).output, None]

    def graph_def_attrs(self):
        return {"Tparams": self.inputs[0].dtype, "Tindices": self.inputs[1].dtype, "Taxis": dtypes.int32,
                "batch_dims": 0, "axis": self.attrs["axis"]}


class GatherGrad(Operation):
    """dparams = zeros of params' shape, with each slice of dy *added* at the index it came from."""

    type_name = "GatherGrad"
    input_names = ("params_shape", "indices", "dy")

    def infer(self, params_shape, indices, dy):
        return shape_described(params_shape, self.attrs["gather"].inputs[0].shape), dy.dtype

    def forward(self, params_shape, indices, dy):
        grad = np.zeros(tuple(params_shape), dtype=dy.dtype)
        np.add.at(grad, self.attrs["gather"]._where(grad.shape, indices), dy)  # a repeated index adds up
        return grad

    def gradient(self, grad_output):
        gather = self.attrs["gather"]
        return [None, None, Gather(grad_output, self.inputs[1], axis=gather.attrs["axis"]).output]

    def graph_def_attrs(self):
        return {"T": self.inputs[2].dtype, "Tindices": self.inputs[1].dtype, "axis": self.attrs["gather"].attrs["axis"]}


def gather(params, indices, validate_indices=None, name: str | None = None, axis=None, batch_dims: int = 0) -> Tensor:
    """The slices of `params` along `axis` (default 0) at `indices`: gather(x, [2, 0]) is rows 2 and 0."""
    if batch_dims != 0:
        raise NotImplementedError(f"gather: batch_dims={batch_dims} is not implemented in minigraph (only 0)")
    axis = 0 if axis is None else python_int(axis, "gather's axis")
    params = convert_to_tensor(params)
    indices = convert_to_tensor(indices, dtype=None if tensor_or_none(indices) is not None else dtypes.int32)
    return Gather(params, indices, name=name, axis=axis).output


# --- one_hot ------------------------------------------------------------------------------


class OneHot(Operation):
    """y[..., j, ...] = on_value where j == indices[...], else off_value (j along `axis`)."""

    type_name = "OneHot"
    input_names = ("indices", "depth", "on_value", "off_value")

    def infer(self, indices, depth, on_value, off_value):
        if indices.dtype not in (dtypes.uint8, dtypes.int32, dtypes.int64):
            raise self.error(f"indices must be uint8, int32 or int64, got {indices!r}", TypeError)
        if depth.dtype != dtypes.int32 or depth.shape not in ((), None):
            raise self.error(f"depth must be a scalar int32, got {depth!r}", TypeError)
        for value in (on_value, off_value):
            if value.shape not in ((), None):
                raise self.error(f"on_value and off_value must be scalars, got {value!r}")
        depth_value = constant_value(depth)
        if depth_value is not None and depth_value < 0:
            raise self.error(f"depth must be non-negative, got {int(depth_value)}")
        if indices.shape is None:
            return None, on_value.dtype
        axis = self._axis(len(indices.shape), ValueError)
        new = None if depth_value is None else int(depth_value)
        return indices.shape[:axis] + (new,) + indices.shape[axis:], on_value.dtype

    def _axis(self, rank: int, kind: type) -> int:
        axis = self.attrs["axis"]
        if not -1 <= axis <= rank:
            raise self.error(f"Expected axis to be -1 or between [0, {rank + 1}), but got {axis}", kind)
        return rank if axis == -1 else axis

    def forward(self, indices, depth, on_value, off_value):
        if depth < 0:
            raise self.error(f"depth must be non-negative, got {int(depth)}", InvalidArgumentError)
        axis = self._axis(indices.ndim, InvalidArgumentError)
        classes = np.arange(int(depth)).reshape((-1,) + (1,) * (indices.ndim - axis))
        return np.where(np.expand_dims(indices, axis) == classes, on_value, off_value).astype(on_value.dtype)

    def graph_def_attrs(self):
        return {"T": self.inputs[2].dtype, "TI": self.inputs[0].dtype, "axis": self.attrs["axis"]}


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name: str | None = None) -> Tensor:
    """Rows with `on_value` (1) at each index and `off_value` (0) elsewhere: float32 unless
    `dtype` or the on/off values say otherwise (TF1's rules)."""
    with get_default_graph().name_scope(name or "one_hot") as scope:
        dtype = None if dtype is None else dtypes.as_dtype(dtype)
        given = {what: _preferring(value, dtype) for what, value in (("on_value", on_value), ("off_value", off_value))
                 if value is not None}
        for what, value in given.items():
            if dtype is not None and value.dtype != dtype:
                raise TypeError(f"dtype {value.dtype.name} of {what} does not match dtype parameter {dtype.name}")
        if dtype is None:
            dtype = next(iter(given.values())).dtype if given else dtypes.float32
        on_value = given["on_value"] if "on_value" in given else convert_to_tensor(1, dtype, name="on_value")
        off_value = given["off_value"] if "off_value" in given else convert_to_tensor(0, dtype, name="off_value")
        if on_value.dtype != off_value.dtype:
            raise TypeError(f"dtype {on_value.dtype.name} of on_value does not match dtype {off_value.dtype.name} of "
                            "off_value")
        indices = convert_to_tensor(indices)
        depth = convert_to_tensor(depth, dtype=None if tensor_or_none(depth) is not None else dtypes.int32)
        return OneHot(indices, depth, on_value, off_value, name=scope, axis=-1 if axis is None else int(axis)).output


def _preferring(value, dtype) -> Tensor:
    """`value` as a tensor, in `dtype` when it converts to it (1 to float64), else in its own
    (TF's dtype_hint: 1.5 stays float32 next to dtype=int32, and the dtype check then refuses it)."""
    if dtype is not None and tensor_or_none(value) is None:
        try:
            return convert_to_tensor(value, dtype)
        except TypeError:
            pass
    return convert_to_tensor(value)


# --- where -----------------------------------------------------------------------------------


class Where(Operation):
    """y = the coordinates of the true (non-zero) elements of x, one row each, in row-major order."""

    type_name = "Where"
    input_names = ("input",)

    def infer(self, condition):
        return (None, None if condition.shape is None else len(condition.shape)), dtypes.int64

    def forward(self, condition):
        return np.argwhere(condition).astype(np.int64)


class Select(Operation):
    """z = x where condition, else y; x and y of one shape, condition x's shape or a vector of rows."""

    type_name = "Select"
    input_names = ("condition", "t", "e")

    def infer(self, condition, x, y):
        if condition.dtype != dtypes.bool:
            raise self.error(f"condition must be a bool tensor, got {condition!r}", TypeError)
        if x.dtype != y.dtype:
            raise self.error(f"x {x!r} and y {y!r} must share one dtype", TypeError)
        if not is_compatible(x.shape, y.shape):
            raise self.error(f"x {x!r} and y {y!r} must have one shape: TF1's where does not broadcast "
                             "(where_v2 does)")
        result = merge(x.shape, y.shape)
        c = condition.shape
        fits = (c is None or result is None or c == () or is_compatible(c, result)
                or (len(c) == 1 and len(result) >= 1 and is_compatible(c, result[:1])))
        if not fits:
            raise self.error(f"condition {condition!r} must be a scalar, have the shape {format_shape(result)} of x "
                             "and y, or be a vector as long as their first dimension")
        return result, x.dtype

    def forward(self, condition, x, y):
        if x.shape != y.shape:
            raise self.error(f"x and y must have one shape, got {x.shape} and {y.shape}", InvalidArgumentError)
        if condition.ndim == 1 and x.ndim > 1 and condition.shape[0] == x.shape[0]:
            condition = condition.reshape((-1,) + (1,) * (x.ndim - 1))  # a vector chooses whole rows
        elif condition.shape not in ((), x.shape):
            raise self.error(f"condition of shape {condition.shape} must be a scalar, have the shape {x.shape} of "
                             "x and y, or be a vector as long as their first dimension", InvalidArgumentError)
        return np.where(condition, x, y)

    def gradient(self, grad_output):
        condition, x, y = self.inputs
        zeros = zeros_like(grad_output)
        return [None, Select(condition, grad_output, zeros).output, Select(condition, zeros, grad_output).output]


def where(condition, x=None, y=None, name: str | None = None) -> Tensor:
    """TF1's where: the coordinates of the true elements of `condition` (int64, one row
    each), or, given x and y, x where condition holds and y elsewhere (no broadcasting)."""
    if x is None and y is None:
        with get_default_graph().name_scope(name or "Where") as scope:
            return Where(convert_to_tensor(condition), name=scope).output
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    x, y = tensors_of([x, y], "where")
    return Select(convert_to_tensor(condition), x, y, name=name).output


def where_v2(condition, x=None, y=None, name: str | None = None) -> Tensor:
    """where, with condition, x and y broadcast together (TF's SelectV2)."""
    if x is None and y is None:
        return where(condition, name=name)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    x, y = tensors_of([x, y], "where_v2")  # a Python number takes the tensor's dtype, as TF converts it
    return math_ops.where(condition, x, y, name=name)
