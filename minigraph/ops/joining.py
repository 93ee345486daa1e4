"""Joining tensors into one and taking one apart: concat and stack, split and unstack.

    concat([a, b], axis=0)      (2, 3) and (4, 3) -> (6, 3)     ConcatV2: along an axis they have
    stack([a, b], axis=0)       (2, 3) and (2, 3) -> (2, 2, 3)  Pack: along a new axis
    split(x, 3, axis=1)         (2, 6) -> three (2, 2)          Split (SplitV for sizes [1, 5])
    unstack(x, axis=0)          (2, 3) -> two (3,)              Unpack

The gradients mirror each other: the gradient of a concatenation is the upstream
gradient cut back into the inputs' pieces (a ``Slice`` of it for each input, starting
at that input's offset: ``ConcatOffset``), and the gradient of a stack is the
upstream gradient unstacked. The pieces of split and unstack are pieces in the sense
of ops/slicing.py: their gradient writes dy into zeros of the input's shape.

**One node per output.** TF's Split and Unpack are one op with several outputs
(``split:0``, ``split:1``). A minigraph op has one output (the session and
``gradients()`` count on it), so ``split`` and ``unstack`` build one node per piece,
each of TF's op type, each saying which output it is (its ``index`` attribute):
``split``, ``split_1``, ...
"""

from __future__ import annotations

import numpy as np

from minigraph import dtypes
from minigraph.errors import InvalidArgumentError
from minigraph.graph import Operation, Tensor, get_default_graph, tensor_or_none
from minigraph.ops.array import constant, convert_to_tensor, identity
from minigraph.ops.shaping import normalize_axis, python_int, shape
from minigraph.ops.slicing import Piece
from minigraph.ops.slicing import slice as slice_
from minigraph.shapes import format_shape, is_compatible, merge


def _check_one_dtype(op: Operation, inputs) -> None:
    for i, t in enumerate(inputs):
        if t.dtype != inputs[0].dtype:
            raise op.error(f"values must share one dtype, but values[0] {inputs[0]!r} is {inputs[0].dtype.name} "
                           f"and values[{i}] {t!r} is {t.dtype.name}", TypeError)


def tensors_of(values, what: str) -> list[Tensor]:
    """A list of tensors; plain values next to a tensor take its dtype (TF converts them so)."""
    if tensor_or_none(values) is not None or not isinstance(values, (list, tuple)):
        raise TypeError(f"{what} takes a list of tensors, got {values!r}")
    if not values:
        raise ValueError(f"{what} needs a list of at least one tensor, got an empty list")
    like = next((t for t in map(tensor_or_none, values) if t is not None), None)
    return [convert_to_tensor(v, dtype=None if like is None or tensor_or_none(v) is not None else like.dtype)
            for v in values]


# --- concat -------------------------------------------------------------------------


class Concat(Operation):
    """y = the inputs one after the other along `axis`; the other dimensions agree."""

    type_name = "ConcatV2"
    default_name = "concat"
    input_names = ("values",)

    def input_name(self, position: int) -> str:
        return f"values[{position}]"

    def infer(self, *values):
        _check_one_dtype(self, values)
        known = [(i, t) for i, t in enumerate(values) if t.shape is not None]
        if not known:
            return None, values[0].dtype
        first_index, first = known[0]
        rank = len(first.shape)
        if rank == 0:
            raise self.error(f"Can't concatenate scalars (use tf.stack instead): values[{first_index}] is {first!r}")
        axis = normalize_axis(self, self.attrs["axis"], rank, first.shape)
        others = None  # the dimensions other than `axis`, which all inputs share
        for i, t in known:
            if len(t.shape) != rank:
                raise self.error(f"values must have one rank: values[{first_index}] {first!r} has rank {rank} "
                                 f"and values[{i}] {t!r} rank {len(t.shape)}")
            these = t.shape[:axis] + t.shape[axis + 1:]
            if not is_compatible(others, these):
                raise self.error(f"Dimensions must agree except along axis {axis}: values[{first_index}] is "
                                 f"{format_shape(first.shape)} and values[{i}] {format_shape(t.shape)}")
            others = merge(others, these)
        lengths = [t.shape[axis] for _, t in known]
        along = None if None in lengths or len(known) < len(values) else sum(lengths)
        return others[:axis] + (along,) + others[axis:], first.dtype

    def forward(self, *values):
        axis = normalize_axis(self, self.attrs["axis"], values[0].ndim, values[0].shape, kind=InvalidArgumentError)
        try:
            return np.concatenate(values, axis=axis)
        except ValueError as error:
            shapes = ", ".join(str(v.shape) for v in values)
            raise self.error(f"ConcatV2 of shapes {shapes} along axis {self.attrs['axis']}: {error}",
                             InvalidArgumentError) from None

    def gradient(self, grad_output):
        shapes = [shape(x) for x in self.inputs]
        grads = []
        for i, x in enumerate(self.inputs):
            offset = ConcatOffset(*shapes[: i + 1], axis=self.attrs["axis"]).output
            grads.append(slice_(grad_output, offset, shapes[i]))
        return grads

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "N": len(self.inputs), "Tidx": dtypes.int32, "axis": self.attrs["axis"]}


class ConcatOffset(Operation):
    """y = where the last of `shapes` starts in their concatenation: zeros except along `axis`,
    the sum of the earlier shapes' lengths there (where concat's gradient slices)."""

    type_name = "ConcatOffset"
    input_names = ("shape",)

    def infer(self, *shapes):
        return shapes[-1].shape, shapes[-1].dtype

    def forward(self, *shapes):
        offset = np.zeros_like(shapes[-1])
        axis = normalize_axis(self, self.attrs["axis"], len(offset), shapes[-1], kind=InvalidArgumentError)
        offset[axis] = sum(s[axis] for s in shapes[:-1])
        return offset

    def graph_def_attrs(self):
        return {"N": len(self.inputs), "axis": self.attrs["axis"]}


def concat(values, axis, name: str = "concat") -> Tensor:
    """The tensors of `values` one after the other along `axis` (TF1's argument order)."""
    if isinstance(values, (int, np.integer)) and isinstance(axis, (list, tuple)):
        raise TypeError(f"concat(values, axis) takes the tensors first, got concat({values!r}, [...]): TF before "
                        "1.0 wrote concat(concat_dim, values); TF 1.x swapped them. Write concat([...], axis)")
    tensors = tensors_of(values, "concat")
    axis = python_int(axis, "concat's axis")
    if len(tensors) == 1:  # nothing to join: TF returns an identity
        return identity(tensors[0], name=name)
    return Concat(*tensors, name=name, axis=axis).output


# --- stack and unstack ------------------------------------------------------------------


class Pack(Operation):
    """y = the inputs (all of one shape) stacked along a new axis `axis`."""

    type_name = "Pack"
    default_name = "stack"
    input_names = ("values",)

    def input_name(self, position: int) -> str:
        return f"values[{position}]"

    def infer(self, *values):
        _check_one_dtype(self, values)
        common = None
        for i, t in enumerate(values):
            if not is_compatible(common, t.shape):
                raise self.error(f"Shapes of all inputs must match: values[0] {values[0]!r} and values[{i}] {t!r}")
            common = merge(common, t.shape)
        if common is None:
            return None, values[0].dtype
        axis = self._axis(len(common), common, ValueError)
        return common[:axis] + (len(values),) + common[axis:], values[0].dtype

    def _axis(self, rank: int, shape, kind: type) -> int:
        axis = self.attrs["axis"]
        if not -rank - 1 <= axis <= rank:
            raise self.error(f"axis {axis} is out of range for stacking tensors of shape {format_shape(tuple(shape))}: "
                             f"expected {-rank - 1} <= axis <= {rank}", kind)
        return axis % (rank + 1)

    def forward(self, *values):
        if any(v.shape != values[0].shape for v in values):
            shapes = ", ".join(str(v.shape) for v in values)
            raise self.error(f"Shapes of all inputs must match, got {shapes}", InvalidArgumentError)
        return np.stack(values, axis=self._axis(values[0].ndim, values[0].shape, InvalidArgumentError))

    def gradient(self, grad_output):
        count, axis = len(self.inputs), self.attrs["axis"]
        return [Unpack(grad_output, num=count, axis=axis, index=i, name="unstack").output for i in range(count)]

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "N": len(self.inputs), "axis": self.attrs["axis"]}


def stack(values, axis: int = 0, name: str = "stack") -> Tensor:
    """The tensors of `values` (one shape) along a new axis: n tensors (2, 3) -> (n, 2, 3).
    A list of plain values stacked along axis 0 is a constant, as in TF."""
    axis = python_int(axis, "stack's axis")
    if axis == 0 and isinstance(values, (list, tuple)) and values and all(tensor_or_none(v) is None for v in values):
        with get_default_graph().name_scope(name) as scope:
            return constant(values, name=scope)
    return Pack(*tensors_of(values, "stack"), name=name, axis=axis).output


class Unpack(Piece):
    """y = x[..., index, ...] along `axis`: one of the `num` tensors unstack gives."""

    type_name = "Unpack"
    default_name = "unstack"
    input_names = ("value",)

    def infer(self, x):
        if x.shape is None:
            return None, x.dtype
        axis = normalize_axis(self, self.attrs["axis"], len(x.shape), x.shape)
        if x.shape[axis] not in (None, self.attrs["num"]):
            raise self.error(f"num {self.attrs['num']} does not match the size {x.shape[axis]} of axis {axis} "
                             f"of {x!r}")
        return x.shape[:axis] + x.shape[axis + 1:], x.dtype

    def place(self, shape):
        axis = normalize_axis(None, self.attrs["axis"], len(shape), shape)
        if shape[axis] != self.attrs["num"]:
            raise ValueError(f"Input shape axis {axis} must equal {self.attrs['num']}, got shape {tuple(shape)}")
        return (slice(None),) * axis + (self.attrs["index"],)

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "num": self.attrs["num"], "axis": self.attrs["axis"]}


def unstack(value, num: int | None = None, axis: int = 0, name: str = "unstack") -> list[Tensor]:
    """The `num` tensors along `axis` of `value` (num is read from the static shape if not given)."""
    x = convert_to_tensor(value)
    axis = python_int(axis, "unstack's axis")
    if num is None:
        along = None if x.shape is None else x.shape[normalize_axis(None, axis, len(x.shape), x.shape)]
        if along is None:
            raise ValueError(f"Cannot infer num from shape {format_shape(x.shape)} of {x!r}: pass num=")
        num = along
    return [Unpack(x, num=int(num), axis=axis, index=i, name=name).output for i in range(int(num))]


# --- split --------------------------------------------------------------------------


class Split(Piece):
    """y = the `index`-th of `num_split` equal pieces of x along `axis`."""

    type_name = "Split"
    default_name = "split"
    input_names = ("value",)

    def sizes(self, length: int | None) -> list[int | None]:
        """The length of every piece along the axis, from the axis's length (None: unknown)."""
        count = self.attrs["num_split"]
        if length is None:
            return [None] * count
        if length % count:
            raise ValueError(f"Number of ways to split should evenly divide the split dimension, but got "
                             f"{count} ways for a dimension of size {length}")
        return [length // count] * count

    def infer(self, x):
        if x.shape is None:
            return None, x.dtype
        axis = normalize_axis(self, self.attrs["axis"], len(x.shape), x.shape)
        try:
            piece = self.sizes(x.shape[axis])[self.attrs["index"]]
        except ValueError as error:
            raise self.error(f"{error} (input {x!r}, axis {axis})") from None
        return x.shape[:axis] + (piece,) + x.shape[axis + 1:], x.dtype

    def place(self, shape):
        axis = normalize_axis(None, self.attrs["axis"], len(shape), shape)
        sizes = self.sizes(shape[axis])
        start = sum(sizes[: self.attrs["index"]])
        return (slice(None),) * axis + (slice(start, start + sizes[self.attrs["index"]]),)

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "num_split": self.attrs["num_split"], "axis": self.attrs["axis"],
                "index": self.attrs["index"]}


class SplitV(Split):
    """y = the `index`-th piece of x along `axis`, pieces of lengths `size_splits` (one may be -1)."""

    type_name = "SplitV"

    def sizes(self, length: int | None) -> list[int | None]:
        sizes = list(self.attrs["size_splits"])
        if -1 in sizes:
            rest = length - (sum(sizes) + 1) if length is not None else None
            if rest is not None and rest < 0:
                raise ValueError(f"size_splits {sizes} add up to more than the split dimension's size {length}")
            return [rest if s == -1 else s for s in sizes]
        if length is not None and sum(sizes) != length:
            raise ValueError(f"size_splits {sizes} must add up to the split dimension's size {length}")
        return sizes

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "Tlen": dtypes.int32, "num_split": len(self.attrs["size_splits"]),
                "size_splits": list(self.attrs["size_splits"]), "axis": self.attrs["axis"],
                "index": self.attrs["index"]}


def split(value, num_or_size_splits, axis: int = 0, num: int | None = None, name: str = "split") -> list[Tensor]:
    """`value` cut along `axis` into `num_or_size_splits` equal pieces, or pieces of the
    lengths in the list `num_or_size_splits` (one may be -1: what is left)."""
    x = convert_to_tensor(value)
    axis = python_int(axis, "split's axis")
    if tensor_or_none(num_or_size_splits) is not None:
        raise TypeError(f"split: minigraph takes num_or_size_splits as an int or a list of ints, got the tensor "
                        f"{num_or_size_splits!r}")
    if isinstance(num_or_size_splits, (int, np.integer)):
        count = int(num_or_size_splits)
        if count < 1:
            raise ValueError(f"split: num_or_size_splits must be at least 1, got {count}")
        return [Split(x, name=name, axis=axis, num_split=count, index=i).output for i in range(count)]
    sizes = tuple(int(s) for s in num_or_size_splits)
    if num is not None and num != len(sizes):
        raise ValueError(f"split: num={num} but size_splits {list(sizes)} has {len(sizes)} entries")
    if sizes.count(-1) > 1 or any(s < -1 for s in sizes):
        raise ValueError(f"split: size_splits {list(sizes)} may hold one -1 (what is left) and no other negative size")
    return [SplitV(x, name=name, axis=axis, size_splits=sizes, index=i).output for i in range(len(sizes))]
