"""Reductions: sum, mean, max, min, product, any and all over some axes (or all of
them), and argmax / argmin.

``reduce_sum(x, axis=1)`` turns a (3, 4) tensor into a (3,) one; with
``keepdims=True`` into (3, 1). The gradient of a reduction copies the upstream
gradient back along the reduced axes (``broadcast_like``): every element of x
contributed to the sum once. A mean divides by the count; a max (or min) sends the
gradient to the elements that were the max (shared equally between ties, as TF does).
A product sends each element the product of all the *other* elements: computed as
such (not as the product divided by the element), it stays right where an element is 0.

Over an empty axis each reduction gives what TF gives, its identity: a sum is 0, a
product 1, a max the lowest value of the dtype (-inf for floats), a min the highest,
any False and all True; a mean of floats is NaN (0 / 0) and a mean of integers 0.

The builders take TF 1.x's old keyword names too: ``reduction_indices`` for ``axis``
and ``keep_dims`` for ``keepdims`` (see old_names.py).

The kernels a training step runs (Sum, a float Mean, Max, Min) call the ufuncs' own
reductions (``np.add.reduce``, ``np.maximum.reduce``) rather than ``np.sum`` and
``np.max``: those helpers only sort out their arguments and then call the same
reduction, which gives the same bits, but the sorting out costs a microsecond or two a
call, more than the arithmetic on a batch of 32.
"""

from __future__ import annotations

import math

import numpy as np

from minigraph import dtypes
from minigraph.errors import InvalidArgumentError
from minigraph.graph import Operation, Tensor
from minigraph.ops.array import broadcast_like, cast, convert_to_tensor
from minigraph.ops.math import check_numeric, equal
from minigraph.ops.old_names import either
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

    def check_dtype(self, x: Tensor) -> None:
        check_numeric(self, x)  # any and all override: they take bools only

    def infer(self, x):
        self.check_dtype(x)
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
        return np.add.reduce(x, axis=self.axes_for(x), dtype=x.dtype, keepdims=self.attrs["keepdims"])

    def gradient(self, grad_output):
        return [broadcast_like(grad_output, self.inputs[0], self.expanded_axes())]


def reduce_sum(input_tensor, axis=None, keepdims=None, name: str | None = None, reduction_indices=None,
               keep_dims=None) -> Tensor:
    return reduction(Sum, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


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
        total = np.add.reduce(x, axis=axis, dtype=x.dtype, keepdims=keepdims)
        if count == 0:
            with np.errstate(invalid="ignore"):  # a float mean of nothing is NaN (0 / 0), as in TF
                return (total / count).astype(x.dtype)
        mean = total / count  # a float divided by a Python int keeps the float's dtype
        return mean if mean.dtype == x.dtype else mean.astype(x.dtype)

    def gradient(self, grad_output):
        x = self.inputs[0]
        count = ReducedSize(x, axis=self.attrs["axis"]).output
        return [broadcast_like(grad_output, x, self.expanded_axes()) / count]


def reduce_mean(input_tensor, axis=None, keepdims=None, name: str | None = None, reduction_indices=None,
               keep_dims=None) -> Tensor:
    return reduction(Mean, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


class Max(Reduction):
    """y = max of x over the axes; the gradient goes to the arg-max elements."""

    type_name = "Max"

    def forward(self, x):
        # `initial` is max's identity: what a max over an empty axis gives, as in TF
        lowest = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        return np.maximum.reduce(x, axis=self.axes_for(x), keepdims=self.attrs["keepdims"], initial=lowest)

    def gradient(self, grad_output):
        x, y = self.inputs[0], self.output
        axes = self.expanded_axes()
        is_max = cast(equal(x, broadcast_like(y, x, axes)), x.dtype)
        ties = reduce_sum(is_max, axis=self.attrs["axis"], keepdims=True)
        return [broadcast_like(grad_output, x, axes) * is_max / ties]


def reduce_max(input_tensor, axis=None, keepdims=None, name: str | None = None, reduction_indices=None,
               keep_dims=None) -> Tensor:
    return reduction(Max, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduction(op_class: type, x, axis, keepdims, name: str | None, reduction_indices=None,
              keep_dims=None) -> Tensor:
    """Builds a reduction with its axes made canonical for x's rank; TF1's old names
    `reduction_indices` and `keep_dims` stand for `axis` and `keepdims`."""
    axis = either("axis", axis, "reduction_indices", reduction_indices)
    keepdims = either("keepdims", keepdims, "keep_dims", keep_dims)
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
    # math.prod, not np.prod: numpy would first make an array of a few ints (2 µs)
    return math.prod(shape if axes is None else [shape[a] for a in axes])


class ArgMax(Operation):
    """i = index of the largest element along an axis (int64 or int32, no gradient)."""

    type_name = "ArgMax"
    input_names = ("input",)
    numpy_method = staticmethod(np.ndarray.argmax)  # the method: np.argmax's wrapper costs a µs
    nan_as = -np.inf  # TF passes over NaN: a NaN is never the largest, nor the smallest

    def infer(self, x):  # bools too, as in TF (True is the larger)
        axis = self.attrs["axis"]
        check_axes(self, (axis,), x.shape)
        if x.shape is None:
            return None, self.attrs["output_type"]
        return tuple(d for i, d in enumerate(x.shape) if i != axis), self.attrs["output_type"]

    def forward(self, x):
        axis = self.attrs["axis"]
        if not -x.ndim <= axis < x.ndim:  # the rank was unknown when the node was built
            raise self.error(f"Expected an axis in the range [{-x.ndim}, {x.ndim}) for a value of shape "
                             f"{x.shape}, but got {axis}", InvalidArgumentError)
        if x.dtype.kind == "f" and has_nan(x):
            x = np.where(np.isnan(x), self.nan_as, x)
        return self.numpy_method(x, axis).astype(self.attrs["output_type"], copy=False)

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "output_type": self.attrs["output_type"]}


def has_nan(x: np.ndarray) -> bool:
    """Whether x holds a NaN. np.isnan and np.count_nonzero are both plain C calls, where
    `.any()` goes through a Python wrapper first: half the time at batch 32. NaN is rare,
    so only then does argmax pay for np.where."""
    return np.count_nonzero(np.isnan(x)) > 0


def argmax(input, axis=None, name: str | None = None, dimension=None, output_type=dtypes.int64) -> Tensor:  # noqa: A002
    """Index of the max along `axis` (TF1's old name: `dimension`; by default axis 0)."""
    return _arg_reduction(ArgMax, input, axis, name, dimension, output_type)


def _arg_reduction(op_class: type, x, axis, name: str | None, dimension, output_type) -> Tensor:
    axis = either("axis", axis, "dimension", dimension)
    output_type = dtypes.as_dtype(output_type)
    if output_type not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"{op_class.type_name}'s output_type must be int32 or int64, got {output_type.name}")
    x = convert_to_tensor(x)
    (axis,) = canonical_axes(0 if axis is None else int(axis), x.shape)
    return op_class(x, name=name, axis=axis, output_type=output_type).output


class ArgMin(ArgMax):
    """i = index of the smallest element along an axis (int64 or int32, no gradient)."""

    type_name = "ArgMin"
    numpy_method = staticmethod(np.ndarray.argmin)
    nan_as = np.inf


def argmin(input, axis=None, name: str | None = None, dimension=None, output_type=dtypes.int64) -> Tensor:  # noqa: A002
    """Index of the min along `axis` (TF1's old name: `dimension`; by default axis 0)."""
    return _arg_reduction(ArgMin, input, axis, name, dimension, output_type)


# --- min, product, any, all ------------------------------------------------------------


class Min(Max):
    """y = min of x over the axes; the gradient goes to the arg-min elements (as max's)."""

    type_name = "Min"

    def forward(self, x):
        highest = np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).max  # min's identity
        return np.minimum.reduce(x, axis=self.axes_for(x), keepdims=self.attrs["keepdims"], initial=highest)


def reduce_min(input_tensor, axis=None, keepdims=None, name: str | None = None, reduction_indices=None,
               keep_dims=None) -> Tensor:
    return reduction(Min, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


class Prod(Reduction):
    """y = product of x over the axes; dy/dx_i = the product of the other elements."""

    type_name = "Prod"

    def forward(self, x):
        return np.prod(x, axis=self.axes_for(x), keepdims=self.attrs["keepdims"], dtype=x.dtype)

    def gradient(self, grad_output):
        x = self.inputs[0]
        others = ProductOfOthers(x, axis=self.attrs["axis"]).output
        return [broadcast_like(grad_output, x, self.expanded_axes()) * others]


def reduce_prod(input_tensor, axis=None, keepdims=None, name: str | None = None, reduction_indices=None,
                keep_dims=None) -> Tensor:
    return reduction(Prod, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


class ProductOfOthers(Operation):
    """p_i = product of x_k over k != i, along the reduced axes (the gradient of reduce_prod).

    Computed as (product of the elements before i) * (product of those after i), two
    running products, so no division: where one element is 0, the others' products are
    0 and its own is the product of the rest, as the calculus says (TF does the same).
    """

    type_name = "ProductOfOthers"
    input_names = ("input",)

    def infer(self, x):
        return x.shape, x.dtype

    def forward(self, x):
        flat, restore = _reduced_axes_first(x, self.attrs["axis"])
        before, after = _running_products(flat)
        return restore(before * after)

    def gradient(self, grad_output):
        return [ProductOfOthersGrad(self.inputs[0], grad_output, axis=self.attrs["axis"]).output]


class ProductOfOthersGrad(Operation):
    """r_j = sum over i != j of w_i * (product of x_k over k != i, j): the gradient of
    ProductOfOthers, so reduce_prod's second derivative.

    Again without division, so right where elements are 0: with a_j = the sum over i < j
    of w_i * (product of x_k, k < j, k != i), a_(j+1) = a_j x_j + w_j (product of x_k, k < j),
    and b_j the same from the right, r_j = a_j (product after j) + (product before j) b_j.
    (TF's second derivative of a product divides by x, and is wrong where x has zeros.)
    """

    type_name = "ProductOfOthersGrad"
    input_names = ("input", "weights")

    def infer(self, x, weights):
        return x.shape, x.dtype

    def forward(self, x, weights):
        flat, restore = _reduced_axes_first(x, self.attrs["axis"])
        flat_weights, _ = _reduced_axes_first(weights, self.attrs["axis"])
        before, after = _running_products(flat)
        from_left, from_right = np.zeros_like(flat), np.zeros_like(flat)
        for j in range(1, len(flat)):  # a loop along the reduced elements, vectorised across the rest
            from_left[j] = from_left[j - 1] * flat[j - 1] + flat_weights[j - 1] * before[j - 1]
        for j in range(len(flat) - 2, -1, -1):
            from_right[j] = from_right[j + 1] * flat[j + 1] + flat_weights[j + 1] * after[j + 1]
        return restore(from_left * after + before * from_right)

    def gradient(self, grad_output):
        # r is linear in w, and symmetric: d/dw = ProductOfOthersGrad(x, grad_output). The third
        # derivative (d/dx) divides by x: (U - u_m r_m - w_m ProductOfOthersGrad(x, u)_m) / x_m with
        # U = the sum of u r over the reduced axes (inf or NaN at x_m = 0, as TF's second derivative)
        x, weights = self.inputs
        axis = self.attrs["axis"]
        by_weights = ProductOfOthersGrad(x, grad_output, axis=axis).output
        weighted = grad_output * self.output
        total = reduction(Sum, weighted, axis, True, None)
        return [(total - weighted - weights * by_weights) / x, by_weights]


def _reduced_axes_first(x: np.ndarray, axis):
    """x with the reduced axes moved first and flattened into one, and the function that
    puts a result of that layout back in x's shape."""
    axes = canonical_axes(axis, x.shape)  # the Prod before it checked them
    axes = tuple(range(x.ndim)) if axes is None else axes
    order = axes + tuple(a for a in range(x.ndim) if a not in axes)
    moved = np.transpose(x, order)
    # the reduced size spelt out: -1 can't be solved when another axis has size 0
    flat = moved.reshape((int(np.prod(moved.shape[:len(axes)])),) + moved.shape[len(axes):])
    return flat, lambda result: np.transpose(result.reshape(moved.shape), np.argsort(order))


def _running_products(flat: np.ndarray):
    """The products of the elements before each one, and of those after it (along axis 0)."""
    before, after = np.ones_like(flat), np.ones_like(flat)
    before[1:] = np.cumprod(flat[:-1], axis=0)
    after[:-1] = np.cumprod(flat[:0:-1], axis=0)[::-1]
    return before, after


class LogicalReduction(Reduction):
    """A reduction of a bool tensor (any, all): a bool, and no gradient."""

    def check_dtype(self, x):
        if x.dtype != dtypes.bool:
            raise self.error(f"Input 'input' of '{self.type_name}' Op has type {x.dtype.name} that does not "
                             f"match expected type of bool: {x!r}", TypeError)

    def graph_def_attrs(self):
        return {"keep_dims": self.attrs["keepdims"]}


class Any(LogicalReduction):
    """y = x_1 or x_2 or ... over the axes (False over nothing)."""

    type_name = "Any"

    def forward(self, x):
        return np.any(x, axis=self.axes_for(x), keepdims=self.attrs["keepdims"])


def reduce_any(input_tensor, axis=None, keepdims=None, name: str | None = None, reduction_indices=None,
               keep_dims=None) -> Tensor:
    return reduction(Any, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


class All(LogicalReduction):
    """y = x_1 and x_2 and ... over the axes (True over nothing)."""

    type_name = "All"

    def forward(self, x):
        return np.all(x, axis=self.axes_for(x), keepdims=self.attrs["keepdims"])


def reduce_all(input_tensor, axis=None, keepdims=None, name: str | None = None, reduction_indices=None,
               keep_dims=None) -> Tensor:
    return reduction(All, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)
