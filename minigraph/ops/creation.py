"""Ops that create a tensor from a description: zeros, ones, fill, eye, range, linspace.

``mg.zeros((2, 3))`` does not need an op of its own: its value is known while the
graph is built, so it can be a constant. TF1 does exactly that while the value is
small (fewer than 1000 elements) and switches to a ``Fill`` node beyond that, so a
large zero matrix is not stored in the graph itself: ``Fill`` keeps only the shape
and the one value, and makes the array when the graph runs. minigraph follows the
same rule, so a GraphDef shows the nodes TF's would.

``Fill`` is also what makes a shape known only at run time work:
``mg.zeros(mg.shape(x))`` feeds a shape *tensor* into ``Fill``, and a shape that mixes
numbers and tensors (``[batch_size, 10]``) is first packed into one tensor (a ``Pack``
node, as TF builds it). Its static shape keeps what is known: ``(None, 10)``.

``range`` and ``linspace`` are ops too (``Range``, ``LinSpace``), because their
inputs may be tensors. Their dtype rules are TF1's: ``range(5)`` is int32,
``range(0, 1, 0.25)`` is float32 (the widest of its inputs in int32 < int64 <
float32 < float64), and ``linspace`` takes floats only.

``eye`` is a constant. TF builds it from a diagonal op on a vector of ones; the
values are identical and minigraph has no diagonal op to spend on it.
"""

from __future__ import annotations

import math

import numpy as np

from minigraph import dtypes
from minigraph.graph import Operation, Tensor, get_default_graph, tensor_or_none
from minigraph.ops.array import cast, constant
from minigraph.ops.joining import Pack
from minigraph.ops.reduction import reduce_sum

# TF1 stores a zeros/ones value as a Const below this many elements, else builds a Fill
_LARGEST_CONSTANT = 1000


def _constant_value(tensor: Tensor):
    """The value of `tensor` when it is known while building (a Const, or a Cast of one)."""
    if tensor.op.type_name == "Cast":
        value = _constant_value(tensor.op.inputs[0])
        return None if value is None else value.astype(tensor.dtype)
    return tensor.op.attrs["value"] if tensor.op.type_name == "Const" else None


def _tensor_or_constant(value, name: str, dtype=None) -> Tensor:
    """`value` itself when it is a tensor, else a Const named `name` holding it."""
    tensor = tensor_or_none(value)
    return tensor if tensor is not None else constant(value, dtype=dtype, name=name)


def _check_scalars(op: Operation, positions=None) -> None:
    """The inputs at `positions` (default: all) must be scalars."""
    for position, tensor in enumerate(op.inputs):  # (`range` in this module is tf.range)
        if positions is not None and position not in positions:
            continue
        if tensor.shape is not None and len(tensor.shape) != 0:
            raise op.error(f"{op.input_names[position]} must be a scalar, got {tensor!r}")


# --- Fill, and zeros/ones on top of it ------------------------------------------------


class Fill(Operation):
    """y = an array of shape `dims` with every element equal to `value`."""

    type_name = "Fill"
    input_names = ("dims", "value")

    def infer(self, dims, value):
        if dims.dtype not in (dtypes.int32, dtypes.int64):
            raise self.error(f"dims must be int32 or int64, got {dims!r}", TypeError)
        if dims.shape is not None and len(dims.shape) != 1:
            raise self.error(f"dims must be a vector (a shape), got {dims!r}")
        _check_scalars(self, [1])
        known = _constant_value(dims)
        if known is not None:
            if np.any(known < 0):
                raise self.error(f"Fill dimensions must be >= 0, got dims {known.tolist()}")
            return tuple(int(d) for d in known), value.dtype
        if dims.op.type_name == "Shape":  # zeros(shape(x)): x's static shape, (None, 3) say, as TF infers
            return dims.op.inputs[0].shape, value.dtype
        if dims.op.type_name == "Pack":  # zeros([batch_size, 10]): the numbers are known, (None, 10)
            parts = [_constant_value(part) for part in dims.op.inputs]
            return tuple(None if part is None else int(part) for part in parts), value.dtype
        if dims.shape is None or dims.shape[0] is None:
            return None, value.dtype
        return (None,) * dims.shape[0], value.dtype

    def forward(self, dims, value):
        if np.any(dims < 0):
            raise self.error(f"Fill dimensions must be >= 0, got dims {dims.tolist()}")
        return np.full(tuple(dims), value, dtype=value.dtype)

    def gradient(self, grad_output):
        # every output element is a copy of `value`: its gradient is the sum of them all
        return [None, reduce_sum(grad_output)]

    def graph_def_attrs(self):
        return {"T": self.inputs[1].dtype, "index_type": self.inputs[0].dtype}


def fill(dims, value, name: str | None = None) -> Tensor:
    """An array of shape `dims` filled with `value`; the dtype is `value`'s (5 -> int32)."""
    with get_default_graph().name_scope(name or "Fill") as scope:
        dims = _packed(dims, "dims") if _holds_a_tensor(dims) else _tensor_or_constant(dims, "dims", dtypes.int32)
        value = _tensor_or_constant(value, "value")
        return Fill(dims, value, name=scope).output


def _filled(shape, fill_value: int, dtype, name: str) -> Tensor:
    """zeros and ones: a Const while small, a Fill node beyond that, as TF1 builds them."""
    dtype = dtypes.as_dtype(dtype)
    fill_value = np.array(fill_value, dtype=dtype)  # 0 and 1 are False and True for bool
    shape_tensor = tensor_or_none(shape)
    with get_default_graph().name_scope(name) as scope:
        if shape_tensor is None and _holds_a_tensor(shape):
            shape_tensor = _packed(shape, "packed")
        if shape_tensor is None:
            dims = _static_dims(shape, name)
            # TF's small-constant shortcut takes a list or tuple; a bare int (zeros(4)) gets a Fill
            if not isinstance(shape, (int, np.integer)) and math.prod(dims) < _LARGEST_CONSTANT:
                return constant(fill_value, dtype=dtype, shape=dims, name=scope)
            shape_tensor = constant(dims, dtype=dtypes.int32, name="shape_as_tensor")
        return Fill(shape_tensor, constant(fill_value, dtype=dtype), name=scope).output


def _holds_a_tensor(shape) -> bool:
    return isinstance(shape, (list, tuple)) and any(tensor_or_none(d) is not None for d in shape)


def _packed(shape, name: str) -> Tensor:
    """[batch_size, 10] as one int32 vector: a Pack node `name`, its numbers `name`/1, as TF."""
    with get_default_graph().name_scope(name) as scope:
        parts = [_tensor_or_constant(d, str(i), dtypes.int32) for i, d in enumerate(shape)]
        return Pack(*parts, name=scope, axis=0).output


def _static_dims(shape, what: str) -> tuple:
    """`shape` as a tuple of non-negative ints; a None dim is refused."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    dims = tuple(shape)
    if not all(isinstance(d, (int, np.integer)) and d >= 0 for d in dims):
        raise ValueError(f"{what} needs a fully known shape of non-negative ints, got {shape!r}")
    return tuple(int(d) for d in dims)


def zeros(shape, dtype=dtypes.float32, name: str | None = None) -> Tensor:
    """A tensor of zeros (False for bool); `shape` is a tuple of ints or an int32 tensor."""
    return _filled(shape, 0, dtype, name or "zeros")


def ones(shape, dtype=dtypes.float32, name: str | None = None) -> Tensor:
    """A tensor of ones (True for bool); `shape` is a tuple of ints or an int32 tensor."""
    return _filled(shape, 1, dtype, name or "ones")


def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.float32, name: str | None = None) -> Tensor:
    """The identity matrix (ones on the main diagonal), optionally repeated over `batch_shape`."""
    sizes = [num_rows, num_columns, *(batch_shape or ())]
    if any(tensor_or_none(size) is not None for size in sizes):
        raise TypeError("eye: minigraph needs num_rows, num_columns and batch_shape as Python ints, not tensors")
    num_columns = num_rows if num_columns is None else num_columns
    matrix = np.eye(num_rows, num_columns, dtype=dtypes.as_dtype(dtype))
    batch = tuple(batch_shape or ())
    return constant(np.broadcast_to(matrix, batch + matrix.shape), name=name or "eye")


# --- Range ----------------------------------------------------------------------------


def _range_size(start, limit, delta, op: Operation) -> int:
    """How many values range(start, limit, delta) has, computed in its dtype as TF does."""
    if delta == 0:
        raise op.error("Requires delta != 0")
    if delta > 0 and start > limit:
        raise op.error(f"Requires start <= limit when delta > 0: {start}/{limit}")
    if delta < 0 and start < limit:
        raise op.error(f"Requires start >= limit when delta < 0: {start}/{limit}")
    if start.dtype.kind in "iu":
        return int((abs(int(limit) - int(start)) + abs(int(delta)) - 1) // abs(int(delta)))
    return int(np.ceil(np.abs((limit - start) / delta)))


class Range(Operation):
    """y = [start, start + delta, start + 2 delta, ...], stopping before `limit`."""

    type_name = "Range"
    input_names = ("start", "limit", "delta")

    def infer(self, start, limit, delta):
        _check_scalars(self)
        if not start.dtype == limit.dtype == delta.dtype:
            raise self.error(f"start, limit and delta must share one dtype, got {start!r}, {limit!r}, {delta!r}",
                             TypeError)
        if start.dtype not in (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64):
            raise self.error(f"range needs int32, int64, float32 or float64 values, got {start!r}", TypeError)
        values = [_constant_value(t) for t in self.inputs]
        if any(v is None for v in values):
            return (None,), start.dtype
        return (_range_size(*values, self),), start.dtype

    def forward(self, start, limit, delta):
        size = _range_size(start, limit, delta, self)
        # start + i * delta in the output dtype, not an accumulated sum: no drift over long ranges
        return (start + np.arange(size, dtype=start.dtype) * delta).astype(start.dtype)

    def graph_def_attrs(self):
        return {"Tidx": self.inputs[0].dtype}


# TF's order for picking range's dtype from its inputs: the widest one wins
_RANGE_DTYPES = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64)


def range(start, limit=None, delta=1, dtype=None, name: str = "range") -> Tensor:  # noqa: A001  (tf.range)
    """The numbers from `start` up to (not including) `limit` in steps of `delta`;
    ``range(n)`` counts from 0. Without `dtype`, the widest input dtype is used."""
    if limit is None:
        start, limit = 0, start
    with get_default_graph().name_scope(name) as scope:
        inputs = [
            _tensor_or_constant(value, what, dtype)
            for value, what in ((start, "start"), (limit, "limit"), (delta, "delta"))
        ]
        if dtype is None:
            unknown = [t for t in inputs if t.dtype not in _RANGE_DTYPES]
            if unknown:
                raise TypeError(f"range needs int32, int64, float32 or float64 values, got {unknown[0]!r}")
            dtype = max((t.dtype for t in inputs), key=_RANGE_DTYPES.index)
        dtype = dtypes.as_dtype(dtype)
        inputs = [t if t.dtype == dtype else cast(t, dtype) for t in inputs]
        return Range(*inputs, name=scope).output


# --- LinSpace -------------------------------------------------------------------------


class LinSpace(Operation):
    """y_i = start + i (stop - start) / (num - 1) for i < num - 1, and y_{num-1} = stop."""

    type_name = "LinSpace"
    input_names = ("start", "stop", "num")

    def infer(self, start, stop, num):
        _check_scalars(self)
        if start.dtype not in (dtypes.float32, dtypes.float64) or stop.dtype != start.dtype:
            raise self.error(
                f"start and stop must both be float32 or both float64 (write 0.0, not 0), got {start!r} and {stop!r}",
                TypeError,
            )
        if num.dtype not in (dtypes.int32, dtypes.int64):
            raise self.error(f"num must be int32 or int64, got {num!r}", TypeError)
        known = _constant_value(num)
        if known is None:
            return (None,), start.dtype
        self._check_num(known)
        return (int(known),), start.dtype

    def _check_num(self, num) -> None:
        if num <= 0:
            raise self.error(f"Requires num > 0: {num}")

    def forward(self, start, stop, num):
        self._check_num(num)
        if num == 1:
            return np.array([start])
        # the step and every product in the output dtype; the end lands exactly on `stop`
        step = (stop - start) / start.dtype.type(num - 1)
        values = start + np.arange(num, dtype=start.dtype) * step
        values[-1] = stop
        return values

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "Tidx": self.inputs[2].dtype}


def linspace(start, stop, num, name: str | None = None, axis: int = 0) -> Tensor:
    """`num` evenly spaced floats from `start` to `stop`, both ends included."""
    if axis != 0:
        raise NotImplementedError(f"linspace: minigraph supports axis=0 only (scalar start and stop), got {axis!r}")
    # as TF's op builder does: stop takes start's dtype (np.float64(0.1) makes both float64),
    # and a Python number for start takes the dtype of a tensor given as stop
    stop_tensor = tensor_or_none(stop)
    with get_default_graph().name_scope(name or "LinSpace") as scope:
        start = _tensor_or_constant(start, "start", None if stop_tensor is None else stop_tensor.dtype)
        stop = _tensor_or_constant(stop, "stop", start.dtype)
        num = _tensor_or_constant(num, "num")
        return LinSpace(start, stop, num, name=scope).output


lin_space = linspace  # TF1's other name for it
