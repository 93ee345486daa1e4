"""Reductions: sum, mean and max over some axes (or all of them), and argmax.

``reduce_sum(x, axis=1)`` turns a (3, 4) tensor into a (3,) one; with
``keepdims=True`` into (3, 1). The gradient of a reduction copies the upstream
gradient back along the reduced axes (``broadcast_like``): every element of x
contributed to the sum once. A mean divides by the count; a max sends the gradient
to the elements that were the max (shared equally between ties, as TF does).
"""

from __future__ import annotations

import numpy as np

from minigraph.graph import Operation, Tensor, format_shape
from minigraph.ops.array import broadcast_like, cast
from minigraph.ops.math import check_numeric, equal


def _normalize_axis(op: Operation, axis, shape) -> tuple | None:
    """axis as a sorted tuple of non-negative ints, or None for 'all axes'."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if shape is None:
        return tuple(int(a) for a in axes)
    rank = len(shape)
    for a in axes:
        if not -rank <= a < rank:
            raise op.error(f"Invalid reduction axis {axis!r} for a tensor of shape {format_shape(shape)}")
    return tuple(sorted({int(a) % rank for a in axes}))


class Reduction(Operation):
    """Shape rule shared by the reductions: drop (or keep as 1) the reduced axes."""

    def infer(self, x):
        check_numeric(self, x)
        axes = _normalize_axis(self, self.attrs["axis"], x.shape)
        self.attrs["axis"] = axes
        if x.shape is None:
            return None, x.dtype
        keep = self.attrs["keepdims"]
        shape = []
        for i, d in enumerate(x.shape):
            if axes is None or i in axes:
                if keep:
                    shape.append(1)
            else:
                shape.append(d)
        return tuple(shape), x.dtype

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
        return np.sum(x, axis=self.attrs["axis"], keepdims=self.attrs["keepdims"], dtype=x.dtype)

    def gradient(self, grad_output):
        return [broadcast_like(grad_output, self.inputs[0], self.expanded_axes())]


def reduce_sum(x, axis=None, keepdims: bool = False, name: str | None = None) -> Tensor:
    return Sum(x, name=name, axis=axis, keepdims=keepdims).output


class Mean(Reduction):
    """y = sum of x over the axes / number of elements summed."""

    type_name = "Mean"

    def forward(self, x):
        return np.mean(x, axis=self.attrs["axis"], keepdims=self.attrs["keepdims"], dtype=x.dtype)

    def gradient(self, grad_output):
        x = self.inputs[0]
        count = ReducedSize(x, axis=self.attrs["axis"]).output
        return [broadcast_like(grad_output, x, self.expanded_axes()) / count]


def reduce_mean(x, axis=None, keepdims: bool = False, name: str | None = None) -> Tensor:
    return Mean(x, name=name, axis=axis, keepdims=keepdims).output


class Max(Reduction):
    """y = max of x over the axes; the gradient goes to the arg-max elements."""

    type_name = "Max"

    def forward(self, x):
        return np.max(x, axis=self.attrs["axis"], keepdims=self.attrs["keepdims"])

    def gradient(self, grad_output):
        x, y = self.inputs[0], self.output
        axes = self.expanded_axes()
        is_max = cast(equal(x, broadcast_like(y, x, axes)), x.dtype)
        ties = reduce_sum(is_max, axis=self.attrs["axis"], keepdims=True)
        return [broadcast_like(grad_output, x, axes) * is_max / ties]


def reduce_max(x, axis=None, keepdims: bool = False, name: str | None = None) -> Tensor:
    return Max(x, name=name, axis=axis, keepdims=keepdims).output


class ReducedSize(Operation):
    """n = how many elements of x a reduction over the axes combines (no gradient)."""

    type_name = "ReducedSize"

    def infer(self, x):
        return (), x.dtype

    def forward(self, x):
        axes = self.attrs["axis"]
        count = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
        return np.asarray(count, dtype=x.dtype)


class ArgMax(Operation):
    """i = index of the largest element along an axis (int64, no gradient)."""

    type_name = "ArgMax"

    def infer(self, x):
        (axis,) = _normalize_axis(self, self.attrs["axis"], x.shape)
        self.attrs["axis"] = axis
        if x.shape is None:
            return None, np.dtype("int64")
        return tuple(d for i, d in enumerate(x.shape) if i != axis), np.dtype("int64")

    def forward(self, x):
        return np.argmax(x, axis=self.attrs["axis"])

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "output_type": np.dtype("int64")}


def argmax(x, axis: int = 0, name: str | None = None) -> Tensor:
    """Index of the max along `axis` (TF's default axis is 0)."""
    return ArgMax(x, name=name, axis=int(axis)).output
