"""Ops about a tensor's shape: ask for it (shape, size, rank), and change it without
moving values around (squeeze, expand_dims) or by copying them (tile, reverse).

**A shape known while building, or only while running.** ``mg.shape(x)`` is a tensor
of ints. When x's static shape is fully known, its value is known before the graph
runs, and TF1 stores it as a constant (a node named ``Shape`` of type ``Const``);
when a dimension is ``None`` (the batch size), it is a ``Shape`` op whose value the
session computes each run. ``size`` and ``rank`` do the same. ``constant_value``
answers "is this tensor's value known while building?" for the shape rules of the
ops that take a shape or an axis list as a tensor (tile, pad, slice): they give exact
static shapes when it is, and ``None`` dimensions when it isn't.

**Axes are counted from the end when negative**, as in numpy: for a rank-3 tensor
axis -1 is axis 2. ``normalize_axis`` does that and refuses an axis out of range by
naming the node, the axis and the shape. An axis is a Python int here, kept as an
attribute of the op; TF also takes an int tensor (it is an input of ConcatV2 or
ExpandDims), which minigraph refuses in words. What programs do compute while running
(a tile's multiples, a slice's begin: ``[mg.shape(x)[0], 1]``) is a tensor input, as in
TF, and ``index_vector`` packs such a list into one.

The gradients here are small. squeeze and expand_dims only relabel the shape, so their
gradient reshapes back (``reshape_like``). reverse is its own inverse. tile copies x
m times along an axis, so every copy sends its gradient back to x: ``TileGrad`` sums
the copies, and the gradient of that sum is tile again.
"""

from __future__ import annotations

import numpy as np

from minigraph import dtypes
from minigraph.errors import InvalidArgumentError
from minigraph.graph import Operation, Tensor, get_default_graph, tensor_or_none
from minigraph.ops.array import constant, convert_to_tensor, reshape_like
from minigraph.shapes import format_shape

INDEX_DTYPES = (dtypes.int32, dtypes.int64)  # what a shape, an axis list or an index may be


def constant_value(tensor: Tensor) -> np.ndarray | None:
    """The value of `tensor` when it is known while building, else None: a Const, a Cast
    or Identity of one, or a stack of them (TF's ``tensor_util.constant_value``, in small)."""
    op = tensor.op
    if op.type_name == "Const":
        return op.attrs["value"]
    if op.type_name in ("Cast", "Identity"):
        value = constant_value(op.inputs[0])
        return None if value is None else value.astype(tensor.dtype)
    if op.type_name == "Pack":
        values = [constant_value(t) for t in op.inputs]
        return None if any(v is None for v in values) else np.stack(values, axis=op.attrs["axis"])
    return None


def known_entries(vector: Tensor) -> list | None:
    """The entries of an int vector known while building, None for the others: [None, 1]
    for ``stack([mg.shape(x)[0], 1])``. None when not even its length is known."""
    value = constant_value(vector)
    if value is not None:
        return [int(v) for v in value]
    if vector.op.type_name == "Pack" and all(t.shape == () for t in vector.op.inputs):
        entries = [constant_value(t) for t in vector.op.inputs]
        return [None if v is None else int(v) for v in entries]
    return None


def shape_described(shape_tensor: Tensor, otherwise):
    """The static shape a shape tensor (``mg.shape(x)``) describes when its value is known
    while building, else `otherwise` (what a gradient op knows of x's shape anyway)."""
    known = constant_value(shape_tensor)
    return otherwise if known is None else tuple(int(d) for d in known)


def normalize_axis(op: Operation | None, axis: int, rank: int | None, shape=None, what: str = "axis",
                   kind: type = ValueError) -> int:
    """`axis` counted from 0 (-1 is the last axis); out of [-rank, rank) is refused, naming
    `op` (a kernel passes None: its caller names the node). With an unknown rank the axis
    stays as given, for the kernel to check."""
    if rank is None:
        return axis
    if not -rank <= axis < rank:
        shape_text = format_shape(tuple(shape)) if shape is not None else f"rank {rank}"
        message = (f"{what} {axis} is out of range for a tensor of shape {shape_text}: "
                   f"expected {-rank} <= {what} < {rank}")
        raise ValueError(message) if op is None else op.error(message, kind)
    return axis % rank


def check_index_dtype(op: Operation, tensor: Tensor, what: str) -> None:
    if tensor.dtype not in INDEX_DTYPES:
        raise op.error(f"{what} must be int32 or int64, got {tensor!r}", TypeError)


def index_vector(value, name: str) -> Tensor:
    """A shape, a multiples or a begin argument as an int tensor: a tensor stays itself, a
    list of numbers becomes an int32 Const, and a list that mixes numbers and scalar tensors
    (``[mg.shape(x)[0], 1]``) is stacked into one, as TF packs it."""
    if tensor_or_none(value) is not None:
        return convert_to_tensor(value)
    if isinstance(value, (list, tuple)) and any(tensor_or_none(v) is not None for v in value):
        from minigraph.ops.joining import stack  # joining builds on this module: imported when used

        return stack(list(value), name=name)
    return constant(value, dtype=dtypes.int32, name=name)


def python_int(value, what: str) -> int:
    """An axis (or a count) as a Python int; a tensor or anything else is refused in words."""
    if tensor_or_none(value) is not None:
        raise TypeError(f"{what} must be a Python int in minigraph, got the tensor {value!r}")
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must be an int, got {value!r}")
    return int(value)


def _axis_list(axis) -> list[int]:
    """An int or a list of ints as a list of Python ints."""
    if isinstance(axis, (int, np.integer)):
        return [int(axis)]
    return [int(a) for a in axis]


def _refuse_tensor(value, what: str) -> None:
    """minigraph takes axes as Python ints (TF also takes int tensors); say so in words."""
    if isinstance(value, Tensor) or hasattr(value, "_as_graph_tensor"):
        raise TypeError(f"{what} must be a Python int (or a list of them) in minigraph, got the tensor {value!r}")


# --- shape, size, rank ------------------------------------------------------------


class Shape(Operation):
    """y = the shape of x, as a vector of ints computed when the graph runs."""

    type_name = "Shape"
    input_names = ("input",)

    def infer(self, x):
        return (None if x.shape is None else len(x.shape),), self.attrs["out_type"]

    def forward(self, x):
        return np.array(x.shape, dtype=self.attrs["out_type"])

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "out_type": self.attrs["out_type"]}


class Size(Shape):
    """y = the number of elements of x (a scalar)."""

    type_name = "Size"

    def infer(self, x):
        return (), self.attrs["out_type"]

    def forward(self, x):
        return np.array(x.size, dtype=self.attrs["out_type"])


class Rank(Shape):
    """y = the number of axes of x (a scalar int32)."""

    type_name = "Rank"

    def infer(self, x):
        return (), dtypes.int32

    def forward(self, x):
        return np.array(x.ndim, dtype=dtypes.int32)

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype}


def _shape_query(op_class, input, known, out_type, name: str, default_name: str) -> Tensor:
    """A constant when the answer is known while building (as TF1 folds it), else the op."""
    with get_default_graph().name_scope(name or default_name) as scope:
        x = convert_to_tensor(input)
        if known(x.shape) is not None:
            return constant(known(x.shape), dtype=out_type, name=scope)
        return op_class(x, name=scope, out_type=out_type).output


def shape(input, name: str | None = None, out_type=dtypes.int32) -> Tensor:
    """The shape of `input` as an int32 (or `out_type`) vector: `mg.zeros(mg.shape(x))`."""
    out_type = dtypes.as_dtype(out_type)
    fully_known = lambda s: None if s is None or None in s else list(s)  # noqa: E731
    return _shape_query(Shape, input, fully_known, out_type, name, "Shape")


def size(input, name: str | None = None, out_type=dtypes.int32) -> Tensor:
    """The number of elements of `input`, a scalar int32 (or `out_type`)."""
    out_type = dtypes.as_dtype(out_type)

    def known(s):
        if s is not None and None not in s:
            return int(np.prod(s, dtype=np.int64))
        return 0 if s is not None and 0 in s else None  # a zero dimension: no elements, whatever the rest

    return _shape_query(Size, input, known, out_type, name, "Size")


def rank(input, name: str | None = None) -> Tensor:
    """The number of axes of `input`, a scalar int32."""
    return _shape_query(Rank, input, lambda s: None if s is None else len(s), dtypes.int32, name, "Rank")


# --- squeeze and expand_dims: the same values, axes of size 1 removed or added ---------


class Squeeze(Operation):
    """y = x without its axes of size 1 (all of them, or those in `squeeze_dims`)."""

    type_name = "Squeeze"
    input_names = ("input",)

    def infer(self, x):
        if x.shape is None:
            return None, x.dtype
        axes = self._axes(x.shape, ValueError)
        if axes is None:
            return None, x.dtype  # which unknown dims are 1 is only known at run time (as TF)
        for axis in axes:
            if x.shape[axis] not in (1, None):
                raise self.error(f"Can not squeeze dim[{axis}], expected a dimension of 1, got "
                                 f"{x.shape[axis]} (input shape {format_shape(x.shape)})")
        return tuple(d for i, d in enumerate(x.shape) if i not in axes), x.dtype

    def _axes(self, shape, kind: type) -> list[int] | None:
        """The axes to remove, counted from 0; None when an unknown dim leaves it open."""
        dims = self.attrs["squeeze_dims"]
        if dims:
            return sorted({normalize_axis(self, a, len(shape), shape, "squeeze axis", kind) for a in dims})
        if None in shape:
            return None
        return [i for i, d in enumerate(shape) if d == 1]

    def forward(self, x):
        axes = self._axes(x.shape, InvalidArgumentError)
        for axis in axes:
            if x.shape[axis] != 1:
                raise self.error(f"Can not squeeze dim[{axis}], expected a dimension of 1, got "
                                 f"{x.shape[axis]} (input shape {x.shape})", InvalidArgumentError)
        return x.reshape([d for i, d in enumerate(x.shape) if i not in axes])

    def gradient(self, grad_output):
        return [reshape_like(grad_output, self.inputs[0])]

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "squeeze_dims": list(self.attrs["squeeze_dims"])}


def squeeze(input, axis=None, name: str | None = None, squeeze_dims=None) -> Tensor:
    """Removes axes of size 1: all of them, or only those in `axis` (TF1's old name:
    `squeeze_dims`). Naming an axis whose size is not 1 is an error."""
    if squeeze_dims is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'squeeze_dims' and 'axis'")
        axis = squeeze_dims
    _refuse_tensor(axis, "squeeze's axis")
    dims = [] if axis is None else _axis_list(axis)
    return Squeeze(convert_to_tensor(input), name=name, squeeze_dims=tuple(dims)).output


class ExpandDims(Operation):
    """y = x with a new axis of size 1 inserted at `dim` (-1: a new last axis)."""

    type_name = "ExpandDims"
    input_names = ("input",)

    def infer(self, x):
        if x.shape is None:
            return None, x.dtype
        axis = self._axis(x.shape, ValueError)
        return x.shape[:axis] + (1,) + x.shape[axis:], x.dtype

    def _axis(self, shape: tuple, kind: type) -> int:
        dim, rank = self.attrs["dim"], len(shape)
        if not -rank - 1 <= dim <= rank:
            raise self.error(f"Tried to expand dim index {dim} for tensor with {rank} dimensions "
                             f"(shape {format_shape(tuple(shape))}): expected {-rank - 1} <= axis <= {rank}", kind)
        return dim % (rank + 1)

    def forward(self, x):
        return np.expand_dims(x, self._axis(x.shape, InvalidArgumentError))

    def gradient(self, grad_output):
        return [reshape_like(grad_output, self.inputs[0])]

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "Tdim": dtypes.int32, "dim": self.attrs["dim"]}


def expand_dims(input, axis=None, name: str | None = None, dim=None) -> Tensor:
    """Inserts an axis of size 1 at `axis` (TF1's old name: `dim`): (3,) -> (1, 3) at 0."""
    if dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'dim'")
        axis = dim
    if axis is None:
        raise ValueError("Must specify an axis argument to tf.expand_dims()")
    _refuse_tensor(axis, "expand_dims's axis")
    return ExpandDims(convert_to_tensor(input), name=name, dim=int(axis)).output


# --- reverse and tile: values copied into a new order or a bigger tensor ---------------


class Reverse(Operation):
    """y = x with the order of its elements reversed along each of `axis`."""

    type_name = "ReverseV2"
    input_names = ("tensor",)

    def _axes(self, shape, kind: type) -> tuple:
        axes = [normalize_axis(self, a, len(shape), shape, kind=kind) for a in self.attrs["axis"]]
        if len(set(axes)) < len(axes):
            raise self.error(f"axis {list(self.attrs['axis'])} names one axis twice (shape "
                             f"{format_shape(tuple(shape))})", kind)
        return tuple(axes)

    def infer(self, x):
        if x.shape is not None:
            self._axes(x.shape, ValueError)
        return x.shape, x.dtype

    def forward(self, x):
        return np.flip(x, self._axes(x.shape, InvalidArgumentError))

    def gradient(self, grad_output):
        return [reverse(grad_output, self.attrs["axis"])]

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "Tidx": dtypes.int32, "axis": list(self.attrs["axis"])}


def reverse(tensor, axis, name: str | None = None) -> Tensor:
    """Reverses the order along each axis in `axis` (a list of ints): TF1's tf.reverse."""
    _refuse_tensor(axis, "reverse's axis")
    return Reverse(convert_to_tensor(tensor), name=name, axis=tuple(_axis_list(axis))).output


reverse_v2 = reverse  # TF 1.x's other name for it (the old tf.reverse took a list of bools)


def _check_multiples(op: Operation, x: Tensor, multiples: Tensor) -> list | None:
    """Tile's multiples: an int vector, one entry per axis of x. Returns its known entries."""
    check_index_dtype(op, multiples, "multiples")
    if multiples.shape is not None and len(multiples.shape) != 1:
        raise op.error(f"multiples must be a vector (one count per axis), got {multiples!r}")
    counts = known_entries(multiples)
    length = multiples.shape[0] if multiples.shape else None
    if x.shape is not None and length is not None and length != len(x.shape):
        raise op.error(f"Expected multiples argument to be a vector of length {len(x.shape)} but got "
                       f"length {length}: one count per axis of {x!r}")
    if counts is not None and any(m is not None and m < 0 for m in counts):
        raise op.error(f"Expected multiples to be non-negative, got {counts}")
    return counts


class Tile(Operation):
    """y = x repeated multiples[i] times along each axis i: (2, 3) tiled by [2, 1] is (4, 3)."""

    type_name = "Tile"
    input_names = ("input", "multiples")

    def infer(self, x, multiples):
        counts = _check_multiples(self, x, multiples)
        rank = len(x.shape) if x.shape is not None else (multiples.shape[0] if multiples.shape else None)
        if rank is None:
            return None, x.dtype
        dims = x.shape or (None,) * rank
        counts = counts or [None] * rank
        return tuple(0 if 0 in (d, m) else None if None in (d, m) else d * m for d, m in zip(dims, counts)), x.dtype

    def forward(self, x, multiples):
        if multiples.shape != (x.ndim,) or np.any(multiples < 0):
            raise self.error(f"multiples {multiples.tolist()} must hold one non-negative count per axis of "
                             f"an input of shape {x.shape}", InvalidArgumentError)
        return np.tile(x, multiples)

    def gradient(self, grad_output):
        x, multiples = self.inputs
        return [TileGrad(grad_output, multiples, shape(x), name="TileGrad").output, None]

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "Tmultiples": self.inputs[1].dtype}


def tile(input, multiples, name: str | None = None) -> Tensor:
    """Repeats `input` multiples[i] times along axis i; `multiples` may be a tensor."""
    return Tile(convert_to_tensor(input), index_vector(multiples, "multiples"), name=name).output


class TileGrad(Operation):
    """dx = the sum of the multiples[i] copies along each axis i of dy (tile's gradient)."""

    type_name = "TileGrad"
    input_names = ("input", "multiples", "input_shape")

    def infer(self, dy, multiples, input_shape):
        return shape_described(input_shape, None if dy.shape is None else (None,) * len(dy.shape)), dy.dtype

    def forward(self, dy, multiples, input_shape):
        if 0 in multiples:  # no copies: nothing reached the output
            return np.zeros(input_shape, dy.dtype)
        # (m0 d0, m1 d1) -> (m0, d0, m1, d1): the copies get their own axes, summed away
        split = dy.reshape([n for pair in zip(multiples, input_shape) for n in pair])
        return split.sum(axis=tuple(range(0, 2 * dy.ndim, 2)))

    def gradient(self, grad_output):
        return [Tile(grad_output, self.inputs[1]).output, None, None]
