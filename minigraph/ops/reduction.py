"""Reductions: sum, mean and max over some axes (or all of them), and argmax.

``reduce_sum(x, axis=1)`` turns a (3, 4) tensor into a (3,) one; with
``keepdims=True`` into (3, 1). The gradient of a reduction copies the upstream
gradient back along the reduced axes (``broadcast_like``): every element of x
contributed to the sum once. A mean divides by the count; a max sends the gradient
to the elements that were the max (shared equally between ties, as TF does).

Over an empty axis each reduction gives what TF gives: a sum is 0, a max is the
lowest value of the dtype (-inf for floats: the identity of max), a mean of floats is
NaN (0 / 0) and a mean of integers 0.
"""

from __future__ import annotations

import numpy as np

from minigraph.errors import InvalidArgumentError
from minigraph.graph import Operation, Tensor
from minigraph.ops.array import broadcast_like, cast, convert_to_tensor
from minigraph.ops.math import check_numeric, equal
from minigraph.shapes import format_shape


def canonical_axes(axis, shape) -> tuple | None:
    """`axis` (an int, a list, or None for 'all axes') as a sorted tuple of axes counted
    from 0 when the rank is known. An axis out of range, or named twice, is left as it
    is, for the shape rule to refuse by name."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(int(a) for a in axes)
    if shape is None:
        return axes
    rank = len(shape)
    return tuple(sorted(a % rank if -rank <= a < rank else a for a in axes))


def check_axes(op: Operation, axes, shape) -> None:
    if axes is None or shape is None:
        return
    for axis in axes:
        if not 0 <= axis < len(shape):  # canonical_axes left it as the user gave it
            raise op.error(f"Invalid reduction axis {axis} for a tensor of shape {format_shape(shape)}")
    if len(set(axes)) < len(axes):  # TF refuses (0, -2) of a matrix: both name axis 0
        raise op.error(f"Invalid reduction axes {list(axes)}: they name one axis twice, for a tensor of "
                       f"shape {format_shape(shape)}")


class Reduction(Operation):
    """Shape rule shared by the reductions: drop (or keep as 1) the reduced axes."""

    input_names = ("input",)

    def infer(self, x):
        check_numeric(self, x)
        axes = self.attrs["axis"]
        check_axes(self, axes, x.shape)
        keep = self.attrs["keepdims"]
        if x.shape is None:  # of unknown rank: only a reduction of every axis has a known rank
            return ((), x.dtype) if axes is None and not keep else (None, x.dtype)
        shape = []
        for i, d in enumerate(x.shape):
            if axes is None or i in axes:
                if keep:
                    shape.append(1)
            else:
                shape.append(d)
        return tuple(shape), x.dtype

    def axes_for(self, x: np.ndarray) -> tuple | None:
        """The axes to reduce this value over, checked again if the rank was unknown when
        the node was built (then an axis may be out of range, or negative, or named twice)."""
        axes = self.attrs["axis"]
        if axes is None or self.inputs[0].shape is not None:
            return axes
        for axis in axes:
            if not -x.ndim <= axis < x.ndim:
                raise self.error(f"Invalid reduction axis {axis} for a value of shape {x.shape}",
                                 InvalidArgumentError)
        canonical = canonical_axes(axes, x.shape)
        if len(set(canonical)) < len(canonical):
            raise self.error(f"Invalid reduction axes {list(axes)}: they name one axis twice, for a value "
                             f"of shape {x.shape}", InvalidArgumentError)
        return canonical

    def expanded_axes(self) -> tuple:
        """The axes a gradient must put back before broadcasting (none with keepdims)."""
        axes = self.attrs["axis"]
        if self.attrs["keepdims"] or axes is None:
            return ()  # keepdims shapes, and scalars, broadcast as they are
        return axes

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "keep_dims": self.attrs["keepdims"]}


class Sum(Reduction):
    """y = sum of x over the axes."""

    type_name = "Sum"

    def forward(self, x):
        # dtype: numpy would sum int32 in int64 and average ints in float64
        return np.sum(x, axis=self.axes_for(x), keepdims=self.attrs["keepdims"], dtype=x.dtype)

    def gradient(self, grad_output):
        return [broadcast_like(grad_output, self.inputs[0], self.expanded_axes())]


def reduce_sum(x, axis=None, keepdims: bool = False, name: str | None = None) -> Tensor:
    return reduction(Sum, x, axis, keepdims, name)


class Mean(Reduction):
    """y = sum of x over the axes / number of elements summed."""

    type_name = "Mean"

    def forward(self, x):
        axis, keepdims = self.axes_for(x), self.attrs["keepdims"]
        count = reduced_count(x.shape, axis)
        if x.dtype.kind in "iu":
            # TF sums narrower integers in int64, so an int32 mean is exact where an int32
            # sum would wrap; int64 sums wrap in int64, in TF as here
            wide = np.int64 if x.dtype.itemsize < 8 else x.dtype
            total = np.asarray(np.sum(x, axis=axis, keepdims=keepdims, dtype=wide))
            if count == 0:  # numpy would give INT_MIN (NaN cast to int); TF gives 0
                return np.zeros(total.shape, x.dtype)
            # divided as C divides integers (toward 0); // rounds down, so add 1 back below 0
            quotient = total // count + ((total % count != 0) & (total < 0))
            return quotient.astype(x.dtype)
        total = np.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)
        with np.errstate(invalid="ignore"):  # a float mean of nothing is NaN (0 / 0), as in TF
            return (total / count).astype(x.dtype)

    def gradient(self, grad_output):
        x = self.inputs[0]
        count = ReducedSize(x, axis=self.attrs["axis"]).output
        return [broadcast_like(grad_output, x, self.expanded_axes()) / count]


def reduce_mean(x, axis=None, keepdims: bool = False, name: str | None = None) -> Tensor:
    return reduction(Mean, x, axis, keepdims, name)


class Max(Reduction):
    """y = max of x over the axes; the gradient goes to the arg-max elements."""

    type_name = "Max"

    def forward(self, x):
        # `initial` is max's identity: what a max over an empty axis gives, as in TF
        lowest = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        return np.max(x, axis=self.axes_for(x), keepdims=self.attrs["keepdims"], initial=lowest)

    def gradient(self, grad_output):
        x, y = self.inputs[0], self.output
        axes = self.expanded_axes()
        is_max = cast(equal(x, broadcast_like(y, x, axes)), x.dtype)
        ties = reduce_sum(is_max, axis=self.attrs["axis"], keepdims=True)
        return [broadcast_like(grad_output, x, axes) * is_max / ties]


def reduce_max(x, axis=None, keepdims: bool = False, name: str | None = None) -> Tensor:
    return reduction(Max, x, axis, keepdims, name)


def reduction(op_class: type, x, axis, keepdims: bool, name: str | None) -> Tensor:
    """Builds a reduction with its axes made canonical for x's rank."""
    x = convert_to_tensor(x)
    return op_class(x, name=name, axis=canonical_axes(axis, x.shape), keepdims=bool(keepdims)).output


class ReducedSize(Operation):
    """n = how many elements of x a reduction over the axes combines (no gradient)."""

    type_name = "ReducedSize"
    input_names = ("input",)

    def infer(self, x):
        return (), x.dtype

    def forward(self, x):
        return np.asarray(reduced_count(x.shape, self.attrs["axis"]), dtype=x.dtype)


def reduced_count(shape: tuple, axes) -> int:
    """How many elements a reduction of a value of `shape` over `axes` combines."""
    return int(np.prod(shape if axes is None else [shape[a] for a in axes]))


class ArgMax(Operation):
    """i = index of the largest element along an axis (int64, no gradient)."""

    type_name = "ArgMax"
    input_names = ("input",)

    def infer(self, x):
        axis = self.attrs["axis"]
        check_axes(self, (axis,), x.shape)
        if x.shape is None:
            return None, np.dtype("int64")
        return tuple(d for i, d in enumerate(x.shape) if i != axis), np.dtype("int64")

    def forward(self, x):
        axis = self.attrs["axis"]
        if not -x.ndim <= axis < x.ndim:  # the rank was unknown when the node was built
            raise self.error(f"Expected an axis in the range [{-x.ndim}, {x.ndim}) for a value of shape "
                             f"{x.shape}, but got {axis}", InvalidArgumentError)
        if x.dtype.kind == "f":  # TF's argmax passes over NaN (a NaN is never 'greater')
            x = np.where(np.isnan(x), -np.inf, x)
        return np.argmax(x, axis=self.attrs["axis"])

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "output_type": np.dtype("int64")}


def argmax(x, axis: int = 0, name: str | None = None) -> Tensor:
    """Index of the max along `axis` (TF's default axis is 0)."""
    x = convert_to_tensor(x)
    (axis,) = canonical_axes(int(axis), x.shape)
    return ArgMax(x, name=name, axis=axis).output
