"""Slices: ops whose output is a piece of their input, and pad, which puts a piece back.

``x[1:3, ::-1]`` in numpy takes a *piece* of x: some rows, all columns in reverse.
TF1 has two ops for it, and ``Tensor.__getitem__`` (ops/indexing.py) builds the second:

    slice(x, begin, size)                    Slice: a box, size[i] = -1 for "to the end"
    strided_slice(x, begin, end, strides,    StridedSlice: numpy's basic indexing, with
                  begin_mask, end_mask, ...)  bit masks saying which entries are `:`,
                                             `...`, `None` (a new axis) or a plain index

``begin``, ``end``, ``strides`` and ``size`` are int tensors, as in TF: usually
constants, so the static shape is exact, but ``x[i]`` with a tensor ``i`` works too.

**One gradient for every piece.** A piece's output element is one element of the
input, copied. So its gradient is the upstream gradient written into a tensor of
zeros shaped like the input, at the same place the piece was taken from. Each piece
op says *where* with one method, ``place(shape, *params)``: a numpy index tuple. Its
forward reads ``x[place]``; ``PieceGrad`` writes ``zeros[place] = dy`` (TF's
``StridedSliceGrad`` for a strided slice). Writing into zeros is linear in dy and its
gradient reads the same place back: the piece again. So second derivatives work.
The pieces of ops/joining.py (split's outputs, unstack's rows) use the same pair.

``pad`` is the inverse of a slice: it puts x into a bigger tensor of zeros (or of
``constant_values``). Its gradient is therefore a slice of the upstream gradient.
"""

from __future__ import annotations

import builtins

import numpy as np

from minigraph.errors import InvalidArgumentError
from minigraph.graph import Operation, Tensor
from minigraph.ops.array import convert_to_tensor, ones_like
from minigraph.ops.shaping import (
    check_index_dtype,
    constant_value,
    index_vector,
    known_entries,
    shape,
    shape_described,
)
from minigraph.shapes import format_shape, is_compatible

# --- the pair every piece shares ---------------------------------------------------


class Piece(Operation):
    """y = x[place]: a piece of the first input, at the place `place()` names."""

    def place(self, shape: tuple, *params) -> tuple:
        """The numpy index of the piece in an input of `shape` (params: the other inputs' values)."""
        raise NotImplementedError

    def forward(self, x, *params):
        try:
            where = self.place(x.shape, *params)
        except (IndexError, ValueError) as error:  # a rule the static shapes could not check
            raise self.error(str(error), InvalidArgumentError) from None
        return np.array(x[where])  # a copy: a view would tie the result to the input's memory

    def gradient(self, grad_output):
        x, *params = self.inputs
        grad = PieceGrad(shape(x), *params, grad_output, piece=self, name=f"{self.type_name}Grad")
        return [grad.output] + [None] * len(params)

    def again(self, x: Tensor) -> Tensor:
        """The same piece (same place, same parameters) of another tensor of x's shape."""
        return type(self)(x, *self.inputs[1:], **self.attrs).output


class PieceGrad(Operation):
    """dx = zeros of x's shape, with dy written where the piece came from: zeros[place] = dy."""

    def __init__(self, input_shape, *params_and_dy, piece: Piece, name: str):
        # named after the piece: StridedSliceGrad, SliceGrad, SplitGrad, UnpackGrad
        self.type_name = piece.type_name + "Grad"
        self.input_names = ("shape",) + piece.input_names[1:] + ("dy",)
        super().__init__(input_shape, *params_and_dy, name=name, piece=piece)

    def infer(self, input_shape, *params_and_dy):
        return shape_described(input_shape, self.attrs["piece"].inputs[0].shape), params_and_dy[-1].dtype

    def forward(self, input_shape, *params_and_dy):
        *params, dy = params_and_dy
        grad = np.zeros(tuple(input_shape), dtype=dy.dtype)
        grad[self.attrs["piece"].place(tuple(input_shape), *params)] = dy
        return grad

    def gradient(self, grad_output):
        return [None] * (len(self.inputs) - 1) + [self.attrs["piece"].again(grad_output)]

    def graph_def_attrs(self):
        return {"T": self.inputs[-1].dtype, **self.attrs["piece"].graph_def_attrs()}


def _check_index_vector(op: Operation, tensor: Tensor, what: str, rank: int | None = None) -> np.ndarray | None:
    """`tensor` must be an int vector (of length `rank` when given); its value when known."""
    check_index_dtype(op, tensor, what)
    if tensor.shape is not None and len(tensor.shape) != 1:
        raise op.error(f"{what} must be a vector, got {tensor!r}")
    length = tensor.shape[0] if tensor.shape is not None else None
    if rank is not None and length is not None and length != rank:
        raise op.error(f"{what} must hold one entry per axis of the input ({rank}), got {tensor!r}")
    return constant_value(tensor)


# --- slice: a box ---------------------------------------------------------------------


class Slice(Piece):
    """y = x[begin[0] : begin[0] + size[0], ...]; size[i] = -1 takes the rest of axis i."""

    type_name = "Slice"
    input_names = ("input", "begin", "size")

    def infer(self, x, begin, size):
        rank = None if x.shape is None else len(x.shape)
        begin_value = _check_index_vector(self, begin, "begin", rank)
        size_value = _check_index_vector(self, size, "size", rank)
        if begin.dtype != size.dtype:
            raise self.error(f"begin {begin!r} and size {size!r} must share one dtype", TypeError)
        if rank is None:
            rank = next((t.shape[0] for t in (begin, size) if t.shape is not None), None)
            if rank is None:
                return None, x.dtype
        dims = x.shape or (None,) * rank
        if begin_value is not None and size_value is not None and None not in dims:
            try:
                self.place(dims, begin_value, size_value)
            except ValueError as error:  # a box that does not fit
                raise self.error(str(error)) from None
        # each dimension the known entries decide: a size, or (size -1) what is left after begin
        begins, sizes = known_entries(begin) or [None] * rank, known_entries(size) or [None] * rank
        return tuple(
            (d - b if None not in (d, b) else None) if s == -1 else s for d, b, s in zip(dims, begins, sizes)
        ), x.dtype

    def place(self, shape, begin, size):
        if not len(begin) == len(size) == len(shape):
            raise ValueError(f"begin {np.asarray(begin).tolist()} and size {np.asarray(size).tolist()} must hold "
                             f"one entry per axis of an input of shape {tuple(shape)}")
        box = []
        for axis, (d, b, s) in enumerate(zip(shape, begin, size)):
            end = d if s == -1 else b + s
            if not (0 <= b <= d and b <= end <= d):
                raise ValueError(f"Expected begin[{axis}] in [0, {d}] and size[{axis}] in [0, {d - b}] "
                                 f"for an input of shape {format_shape(tuple(shape))}, but got begin "
                                 f"{np.asarray(begin).tolist()} and size {np.asarray(size).tolist()}")
            box.append(builtins.slice(int(b), int(end)))
        return tuple(box)


def slice(input_, begin, size, name: str | None = None) -> Tensor:  # noqa: A001  (tf.slice)
    """The box of `input_` starting at `begin` with `size` (-1: to the end of the axis)."""
    x = convert_to_tensor(input_)
    begin, size = index_vector(begin, "Slice/begin"), index_vector(size, "Slice/size")
    return Slice(x, begin, size, name=name).output


# --- strided_slice: numpy's basic indexing ----------------------------------------------

_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def _bit(mask: int, i: int) -> bool:
    return bool(mask >> i & 1)


class StridedSlice(Piece):
    """y = x[begin[0]:end[0]:strides[0], ...], each entry possibly `:`, `...`, None or an index.

    Bit i of a mask describes entry i: begin_mask/end_mask ignore begin[i]/end[i]
    (`:3`, `2:`), ellipsis_mask makes it `...`, new_axis_mask `None`, and
    shrink_axis_mask a plain index (`x[2]`: the axis disappears)."""

    type_name = "StridedSlice"
    input_names = ("input", "begin", "end", "strides")

    def infer(self, x, begin, end, strides):
        values = [_check_index_vector(self, t, what) for t, what in ((begin, "begin"), (end, "end"),
                                                                     (strides, "strides"))]
        lengths = {t.shape[0] for t in (begin, end, strides) if t.shape is not None and t.shape[0] is not None}
        if len(lengths) > 1:
            raise self.error(f"begin, end and strides must have one length, got {begin!r}, {end!r}, {strides!r}")
        if not begin.dtype == end.dtype == strides.dtype:
            raise self.error(f"begin, end and strides must share one dtype, got {begin!r}, {end!r}, {strides!r}",
                             TypeError)
        if x.shape is None or not lengths:
            return None, x.dtype
        known = None if any(v is None for v in values) else values
        return self._static_shape(x.shape, lengths.pop(), known), x.dtype

    def _entries(self, count: int, rank: int) -> list[tuple[str, int]]:
        """Each entry's kind ('...', 'new', 'index', 'slice') and the input axis it reads."""
        attrs = self.attrs
        if bin(attrs["ellipsis_mask"]).count("1") > 1:
            raise ValueError("Multiple ellipses in slice spec not allowed")
        kinds = []
        for i in range(count):
            if _bit(attrs["ellipsis_mask"], i):
                kinds.append("...")
            elif _bit(attrs["new_axis_mask"], i):
                kinds.append("new")
            else:
                kinds.append("index" if _bit(attrs["shrink_axis_mask"], i) else "slice")
        reading = sum(kind in ("index", "slice") for kind in kinds)
        if reading > rank:
            raise ValueError(f"Index out of range: the slice spec reads {reading} axes, but the input has "
                             f"only {rank}")
        entries, axis = [], 0
        for kind in kinds:
            entries.append((kind, axis))
            axis += (rank - reading) if kind == "..." else (kind in ("index", "slice"))
        return entries

    def _static_shape(self, dims: tuple, count: int, known) -> tuple:
        """The output shape: None wherever a dimension or a bound is unknown."""
        try:
            entries = self._entries(count, len(dims))
        except ValueError as error:
            raise self.error(str(error)) from None
        out, last = [], 0
        for i, (kind, axis) in enumerate(entries):
            if kind == "...":
                last = axis + len(dims) - sum(k in ("index", "slice") for k, _ in entries)
                out.extend(dims[axis:last])
                continue
            if kind == "new":
                out.append(1)
                continue
            last = axis + 1
            d = dims[axis]
            if kind == "index":
                if known is not None and d is not None and not -d <= known[0][i] < d:
                    raise self.error(f"slice index {known[0][i]} of dimension {axis} out of bounds: the "
                                     f"input's shape is {format_shape(dims)}")
                continue
            if known is None or d is None:
                out.append(None)
                continue
            try:
                out.append(len(range(*self._slice(i, *known).indices(d))))
            except ValueError as error:  # a zero stride
                raise self.error(str(error)) from None
        if not any(k == "..." for k, _ in entries):
            out.extend(dims[last:])  # the axes after the spec are taken whole, as numpy does
        return tuple(out)

    def _slice(self, i: int, begin, end, strides):
        if strides[i] == 0:
            raise ValueError(f"strides[{i}] must be non-zero")
        start = None if _bit(self.attrs["begin_mask"], i) else int(begin[i])
        stop = None if _bit(self.attrs["end_mask"], i) else int(end[i])
        return builtins.slice(start, stop, int(strides[i]))  # (`slice` here is tf.slice)

    def place(self, shape, begin, end, strides):
        if not len(begin) == len(end) == len(strides):
            raise ValueError(f"begin {np.asarray(begin).tolist()}, end {np.asarray(end).tolist()} and strides "
                             f"{np.asarray(strides).tolist()} must have one length")
        result = []
        for i, (kind, axis) in enumerate(self._entries(len(begin), len(shape))):
            if kind == "...":
                result.append(Ellipsis)
            elif kind == "new":
                result.append(None)
            elif kind == "index":
                if not -shape[axis] <= begin[i] < shape[axis]:
                    raise ValueError(f"slice index {begin[i]} of dimension {axis} out of bounds: the input's "
                                     f"shape is {tuple(shape)}")
                result.append(int(begin[i]))
            else:
                result.append(self._slice(i, begin, end, strides))
        return tuple(result)

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "Index": self.inputs[1].dtype, **{m: self.attrs[m] for m in _MASKS}}


def strided_slice(input_, begin, end, strides=None, begin_mask: int = 0, end_mask: int = 0, ellipsis_mask: int = 0,
                  new_axis_mask: int = 0, shrink_axis_mask: int = 0, var=None, name: str | None = None) -> Tensor:
    """numpy's x[begin:end:strides] along each axis; see StridedSlice for the masks."""
    x = convert_to_tensor(input_)
    begin, end = index_vector(begin, "begin"), index_vector(end, "end")
    if strides is None:  # TF builds ones_like(begin)
        strides = ones_like(begin)
    strides = index_vector(strides, "strides")
    masks = dict(begin_mask=begin_mask, end_mask=end_mask, ellipsis_mask=ellipsis_mask,
                 new_axis_mask=new_axis_mask, shrink_axis_mask=shrink_axis_mask)
    return StridedSlice(x, begin, end, strides, name=name or "strided_slice",
                        **{k: int(v) for k, v in masks.items()}).output


# --- pad: x inside a bigger tensor ------------------------------------------------------


class Pad(Operation):
    """y = x with paddings[i] = (before, after) zeros (or constant_values) around axis i."""

    type_name = "Pad"
    input_names = ("input", "paddings")

    def infer(self, x, paddings, *constant_values):
        check_index_dtype(self, paddings, "paddings")
        rank = None if x.shape is None else len(x.shape)
        if paddings.shape is not None and not is_compatible(paddings.shape, (rank, 2)):
            raise self.error(f"paddings must be a matrix of shape ({rank if rank is not None else 'rank'}, 2): one "
                             f"(before, after) pair per axis of {x!r}, got {paddings!r}")
        if constant_values and (constant_values[0].dtype != x.dtype or constant_values[0].shape not in ((), None)):
            raise self.error(f"constant_values must be a scalar of the input's dtype {x.dtype.name}, got "
                             f"{constant_values[0]!r}", TypeError)
        value = constant_value(paddings)
        if rank is None:
            rank = paddings.shape[0] if paddings.shape is not None else None
            if rank is None:
                return None, x.dtype
        if value is not None and np.any(value < 0):
            raise self.error(f"paddings must be non-negative, got {value.tolist()}")
        dims = x.shape or (None,) * rank
        if value is None:
            return (None,) * rank, x.dtype
        return tuple(None if d is None else d + int(a) + int(b) for d, (a, b) in zip(dims, value)), x.dtype

    def forward(self, x, paddings, constant_values=0):
        if paddings.shape != (x.ndim, 2) or np.any(paddings < 0):
            raise self.error(f"paddings {paddings.tolist()} must hold one non-negative (before, after) pair per "
                             f"axis of an input of shape {x.shape}", InvalidArgumentError)
        return np.pad(x, paddings, constant_values=constant_values)

    def gradient(self, grad_output):
        x, paddings = self.inputs[:2]
        before = strided_slice(paddings, [0, 0], [0, 1], [1, 1], begin_mask=1, end_mask=1, shrink_axis_mask=2)
        return [slice(grad_output, before, shape(x)), None] + [None] * (len(self.inputs) - 2)

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "Tpaddings": self.inputs[1].dtype}


class PadV2(Pad):
    """Pad with a value other than zero around the input."""

    type_name = "PadV2"
    input_names = ("input", "paddings", "constant_values")


def pad(tensor, paddings, mode: str = "CONSTANT", name: str | None = None, constant_values=0) -> Tensor:
    """`tensor` with paddings[i] = [before, after] values of `constant_values` around axis i."""
    if str(mode).upper() != "CONSTANT":
        raise NotImplementedError(f"pad mode {mode!r}: minigraph pads with a constant only (TF's REFLECT and "
                                  "SYMMETRIC are a MirrorPad op minigraph does not have)")
    x = convert_to_tensor(tensor)
    paddings = index_vector(paddings, "Pad/paddings")
    if isinstance(constant_values, (int, float)) and constant_values == 0:
        return Pad(x, paddings, name=name).output
    fill = convert_to_tensor(constant_values, dtype=None if isinstance(constant_values, Tensor) else x.dtype)
    return PadV2(x, paddings, fill, name=name).output
