"""Convolution and pooling over images: conv2d, max_pool, avg_pool, bias_add.

Images are NHWC, as TensorFlow's CPU kernels want them: (batch, height, width,
channels). A filter is (height, width, in_channels, out_channels).

**Windows.** Each op slides a kh x kw window over the image, sh rows and sw columns
at a time. How many windows fit along an axis of length n:

    VALID   out = (n - k) // s + 1     only windows that lie inside the image
    SAME    out = ceil(n / s)          zeros padded around the image, pad_total =
                                       max((out - 1) s + k - n, 0), the odd one at
                                       the bottom/right

**im2col: a convolution is one matrix product.** Cut every window out of the padded
image and lay it flat as a row. N images with oh x ow windows of kh x kw x c values
give a matrix ``cols`` of shape (N·oh·ow, kh·kw·c); the filter flattens to
(kh·kw·c, out_channels), and

    output = cols @ filter            (N·oh·ow, out_channels) -> (N, oh, ow, out_channels)

numpy cuts the windows without a loop: ``sliding_window_view`` is a strided *view*
of the image (each window's elements are found by striding through the same
memory), and only the reshape to ``cols`` copies. The product runs in BLAS, a few
images at a time so that their ``cols`` are still in the CPU's cache when it does.

The gradients follow from that product, as for matmul in linalg.py:

    d filter = cols^T @ grad                        Conv2DBackpropFilter
    d cols   = grad @ filter^T, then col2im         Conv2DBackpropInput

col2im adds each window's gradient back where the window was cut from (d cols is
made one kernel position at a time, grad @ filter[i, j]^T, and added at once). Windows
overlap when the stride is smaller than the kernel, so the adds accumulate; the loop
runs over the kh·kw positions *inside* the kernel (25 for 5x5), each one vectorised
over every image and window, never over pixels. Both backprop ops are bilinear, like
conv2d itself, so their own gradients are again a conv2d and a backprop (see their
``gradient``): second derivatives work as in TF.

**Pooling.** max_pool keeps each window's largest element. Only that element moved
the output, so MaxPoolGrad sends the whole gradient of a window to its argmax and
nothing to the others; overlapping windows add up. It finds the argmax by comparing
each position of the window with the max (orig_output), one position at a time; on a
tie the first max in reading order takes it all, as in TF's CPU kernel. MaxPoolGradGrad
is its transpose, a gather: each window reads the gradient at its argmax. avg_pool is
linear: each window's mean, dividing by the number of image elements in it (SAME's
padding is not counted); its gradient AvgPoolGrad spreads grad/count over the window.

**Shapes at run time.** The backprop ops take the shape of the input they
differentiate as an int32 tensor (``input_sizes``), as TF's do: ``Shape(x)`` when
the batch dimension is None, a constant when the shape is known while building.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from minigraph import dtypes
from minigraph.graph import Operation, Tensor, tensor_or_none
from minigraph.ops import shaping
from minigraph.ops.array import Const, broadcast_like, constant, constant_like, convert_to_tensor, zeros_like
from minigraph.ops.math import check_numeric
from minigraph.shapes import Shape as StaticShape
from minigraph.shapes import format_shape, is_compatible, merge

PADDINGS = ("SAME", "VALID")
# how many numbers of im2col rows to make at a time (4 MB of float32): few enough to be
# in the CPU's cache when BLAS reads them, enough for BLAS to share among its threads
CACHE_ELEMENTS = 2**20


# --- where the windows lie --------------------------------------------------------


@dataclass(frozen=True)
class Windows:
    """The windows of one op over an image: kernel (kh, kw), strides (sh, sw), padding."""

    kernel: tuple
    strides: tuple
    padding: str

    def output_size(self, op: Operation, size: int | None, axis: int) -> int | None:
        """How many windows fit along axis 0 (height) or 1 (width); None if size is.
        `op` is the node an error names (None once the shapes have been checked)."""
        if size is None:
            return None
        k, s = self.kernel[axis], self.strides[axis]
        if self.padding == "SAME":
            return -(-size // s)
        if size < k:
            raise op.error(
                f"{op.type_name} with padding VALID: the window ({k} {('rows', 'columns')[axis]}) "
                f"is larger than the image ({size})"
            )
        return (size - k) // s + 1

    def pads(self, size: int, axis: int) -> tuple[int, int]:
        """Zeros before and after the image along an axis (SAME's extra one goes after)."""
        if self.padding == "VALID":
            return 0, 0
        k, s = self.kernel[axis], self.strides[axis]
        total = max((-(-size // s) - 1) * s + k - size, 0)
        return total // 2, total - total // 2

    def pad(self, x: np.ndarray, value: float = 0.0) -> np.ndarray:
        (top, bottom), (left, right) = self.pads(x.shape[1], 0), self.pads(x.shape[2], 1)
        if top == bottom == left == right == 0:
            return x
        return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)

    def view(self, padded: np.ndarray) -> np.ndarray:
        """The windows of a padded NHWC image as an (N, oh, ow, kh, kw, C) view: no copy."""
        (kh, kw), (sh, sw) = self.kernel, self.strides
        windows = sliding_window_view(padded, (kh, kw), axis=(1, 2))  # (N, H', W', C, kh, kw)
        return windows[:, ::sh, ::sw].transpose(0, 1, 2, 4, 5, 3)

    def im2col(self, x: np.ndarray) -> np.ndarray:
        """Every window of x (zero padded) as a row: (N·oh·ow, kh·kw·C)."""
        windows = self.view(self.pad(x))
        n, oh, ow, kh, kw, c = windows.shape
        return windows.reshape(n * oh * ow, kh * kw * c)

    def batches(self, x: np.ndarray) -> list[slice]:
        """The images of x in groups whose im2col rows are about CACHE_ELEMENTS numbers:
        a group's cols are still in the CPU cache when BLAS reads them (on mnist_deep's
        second conv a fifth faster than one cols for the whole batch)."""
        n, h, w, c = x.shape
        oh, ow = self.output_size(None, h, 0), self.output_size(None, w, 1)
        per_image = oh * ow * self.kernel[0] * self.kernel[1] * c
        step = max(1, CACHE_ELEMENTS // per_image)
        return [slice(start, start + step) for start in range(0, n, step)]

    def positions(self) -> list[tuple[int, int]]:
        """The (i, j) positions inside a window, in reading order."""
        return [(i, j) for i in range(self.kernel[0]) for j in range(self.kernel[1])]

    def tap(self, padded: np.ndarray, i: int, j: int) -> np.ndarray:
        """Element (i, j) of every window of a padded image: an (N, oh, ow, C) view."""
        (kh, kw), (sh, sw) = self.kernel, self.strides
        oh, ow = (padded.shape[1] - kh) // sh + 1, (padded.shape[2] - kw) // sw + 1
        return padded[:, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw, :]

    def taps(self, padded: np.ndarray) -> list[np.ndarray]:
        """Every position of the window, as tap(padded, i, j) views in reading order."""
        return [self.tap(padded, i, j) for i, j in self.positions()]

    def first_max(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        """For each position (i, j) of the window, where it holds the window's max y:
        (N, oh, ow, C) masks, only the first max in reading order on a tie, as TF."""
        taken = np.zeros(y.shape, dtype=bool)
        masks = []
        for tap in self.taps(self.pad(x, np.nan)):  # NaN equals nothing: padding is never the max
            mask = (tap == y) & ~taken
            taken |= mask
            masks.append(mask)
        return masks

    def col2im(self, shape: tuple, dtype, pieces: Sequence[np.ndarray]) -> np.ndarray:
        """Sums what the windows send back into an image of `shape`: pieces[k] is the
        (N, oh, ow, C) array every window sends to its position k (in reading order)."""
        n, h, w, c = shape
        (top, bottom), (left, right) = self.pads(h, 0), self.pads(w, 1)
        image = np.zeros((n, h + top + bottom, w + left + right, c), dtype)
        for (i, j), piece in zip(self.positions(), pieces):  # positions in the kernel, not pixels
            self.tap(image, i, j)[...] += piece
        return image[:, top : top + h, left : left + w, :]

    def counts(self, height: int, width: int, dtype) -> np.ndarray:
        """How many image elements (not padding) each window holds: (1, oh, ow, 1)."""
        ones = np.ones((1, height, width, 1), dtype)
        return sum(self.taps(self.pad(ones)))


# --- shape rules shared by the ops (static shapes with None dims, and run time) ----


def _check_image(op: Operation, shape: StaticShape | None, what: str, layout: str) -> StaticShape:
    """A 4-D shape, or four unknown dims when the rank is unknown."""
    if shape is None:
        return (None,) * 4
    if len(shape) != 4:
        raise op.error(f"{op.type_name} needs a 4-D {what} {layout}, got shape {format_shape(shape)}")
    return tuple(shape)


def _check_floats(op: Operation, **inputs: Tensor) -> np.dtype:
    """One float dtype (float32 or float64) for all the named value inputs."""
    first = next(iter(inputs.values())).dtype
    if any(t.dtype.kind != "f" or t.dtype != first for t in inputs.values()):
        named = ", ".join(f"{name} {t!r}" for name, t in inputs.items())
        raise op.error(f"{op.type_name} needs float inputs of one dtype, got {named}", TypeError)
    return first


def _check_sizes(op: Operation, sizes: Tensor, what: str) -> None:
    """A sizes input (input_sizes, filter_sizes, orig_input_shape) is 4 integers."""
    if sizes.dtype not in (dtypes.int32, dtypes.int64) or not is_compatible(sizes.shape, (4,)):
        raise op.error(f"{op.type_name}: {what} must be a shape, 4 int32 or int64 values, got {sizes!r}", TypeError)


def _known_sizes(sizes: Tensor) -> StaticShape | None:
    """A sizes input's value when building already knows it: a constant's value, or
    the static shape of the tensor a Shape op reads."""
    if isinstance(sizes.op, Const):
        return tuple(int(d) for d in sizes.op.attrs["value"])
    if isinstance(sizes.op, shaping.Shape):
        return sizes.op.inputs[0].shape
    return None


def _merged(op: Operation, a: StaticShape, b: StaticShape, what: str) -> StaticShape:
    if not is_compatible(a, b):
        raise op.error(f"{what}: expected shape {format_shape(a)}, got {format_shape(b)}")
    return merge(a, b)


def _sized_shape(op: Operation, sizes: Tensor, what: str, partial: StaticShape) -> StaticShape:
    """A backprop op's output shape: its sizes input's value where building knows it,
    merged with `partial`, what the op's other inputs say."""
    _check_sizes(op, sizes, what)
    known = _known_sizes(sizes)
    return partial if known is None else _merged(op, partial, known, what)


# --- convolution ------------------------------------------------------------------

INPUT_LAYOUT = "(batch, height, width, channels)"
FILTER_LAYOUT = "(height, width, in_channels, out_channels)"


class Convolution(Operation):
    """What Conv2D and its two backprop ops share: attributes and the shape rule."""

    def windows(self, filter_shape: tuple) -> Windows:
        return Windows(tuple(filter_shape[:2]), self.attrs["strides"][1:3], self.attrs["padding"])

    def output_shape(self, input_shape, filter_shape) -> StaticShape:
        """conv2d's output shape for these input and filter shapes (None dims allowed)."""
        n, h, w, c = _check_image(self, input_shape, "input", INPUT_LAYOUT)
        kh, kw, filter_c, out_c = _check_image(self, filter_shape, "filter", FILTER_LAYOUT)
        if c is not None and filter_c is not None and c != filter_c:
            raise self.error(
                f"the input has {c} channels but the filter expects {filter_c} (input shape "
                f"{format_shape(input_shape)}, filter shape {format_shape(filter_shape)})"
            )
        if kh is None or kw is None:
            return (n, None, None, out_c)
        windows = self.windows((kh, kw))
        return (n, windows.output_size(self, h, 0), windows.output_size(self, w, 1), out_c)

    def check_backprop(self, input_shape, filter_shape, out_backprop_shape) -> None:
        """out_backprop must have the shape conv2d(input, filter) has."""
        expected = self.output_shape(input_shape, filter_shape)
        _merged(self, expected, _check_image(self, out_backprop_shape, "out_backprop", ""), "out_backprop")

    def graph_def_attrs(self):
        a = self.attrs
        return {
            "T": self.inputs[-1].dtype,
            "strides": list(a["strides"]), "padding": a["padding"], "data_format": a["data_format"],
            "use_cudnn_on_gpu": a["use_cudnn_on_gpu"], "dilations": list(a["dilations"]),
            "explicit_paddings": [],
        }  # fmt: skip


class Conv2D(Convolution):
    """y[n, i, j, o] = sum_{di, dj, c} x[n, i·sh + di, j·sw + dj, c] · w[di, dj, c, o] (x padded)."""

    type_name = "Conv2D"
    input_names = ("input", "filter")

    def infer(self, x, w):
        return self.output_shape(x.shape, w.shape), _check_floats(self, input=x, filter=w)

    def forward(self, x, w):
        shape = self.output_shape(x.shape, w.shape)  # run-time check: the static one may have had None
        windows, w_rows = self.windows(w.shape), w.reshape(-1, w.shape[3])
        y = np.empty(shape, x.dtype)
        for images in windows.batches(x):
            y[images] = (windows.im2col(x[images]) @ w_rows).reshape(y[images].shape)
        return y

    def gradient(self, grad_output):
        x, w = self.inputs
        return [
            Conv2DBackpropInput(shaping.shape(x), w, grad_output, **self.attrs).output,
            Conv2DBackpropFilter(x, shaping.shape(w), grad_output, **self.attrs).output,
        ]


class Conv2DBackpropInput(Convolution):
    """dx = col2im(grad @ w^T): the gradient of conv2d with respect to its input."""

    type_name = "Conv2DBackpropInput"
    input_names = ("input_sizes", "filter", "out_backprop")

    def infer(self, input_sizes, w, grad):
        dtype = _check_floats(self, filter=w, out_backprop=grad)
        w_shape = _check_image(self, w.shape, "filter", FILTER_LAYOUT)
        grad_shape = _check_image(self, grad.shape, "out_backprop", "")
        shape = _sized_shape(self, input_sizes, "input_sizes", (grad_shape[0], None, None, w_shape[2]))
        self.check_backprop(shape, w_shape, grad_shape)
        return shape, dtype

    def forward(self, input_sizes, w, grad):
        shape = tuple(int(d) for d in input_sizes)
        self.check_backprop(shape, w.shape, grad.shape)
        n, oh, ow, out_c = grad.shape
        grad_rows, windows = grad.reshape(-1, out_c), self.windows(w.shape)
        # d cols one kernel position at a time: grad @ w[i, j]^T is what every window
        # sends to its element (i, j), a contiguous block that col2im adds at once
        pieces = ((grad_rows @ w[i, j].T).reshape(n, oh, ow, -1) for i, j in windows.positions())
        return windows.col2im(shape, grad.dtype, pieces)

    def gradient(self, grad_output):
        # bilinear in (w, grad): <h, dx(w, g)> = <conv2d(h, w), g>
        _, w, grad = self.inputs
        return [
            None,
            Conv2DBackpropFilter(grad_output, shaping.shape(w), grad, **self.attrs).output,
            Conv2D(grad_output, w, **self.attrs).output,
        ]


class Conv2DBackpropFilter(Convolution):
    """dw = im2col(x)^T @ grad: the gradient of conv2d with respect to its filter."""

    type_name = "Conv2DBackpropFilter"
    input_names = ("input", "filter_sizes", "out_backprop")

    def infer(self, x, filter_sizes, grad):
        dtype = _check_floats(self, input=x, out_backprop=grad)
        x_shape = _check_image(self, x.shape, "input", INPUT_LAYOUT)
        grad_shape = _check_image(self, grad.shape, "out_backprop", "")
        shape = _sized_shape(self, filter_sizes, "filter_sizes", (None, None, x_shape[3], grad_shape[3]))
        self.check_backprop(x_shape, shape, grad_shape)
        return shape, dtype

    def forward(self, x, filter_sizes, grad):
        shape = tuple(int(d) for d in filter_sizes)
        self.check_backprop(x.shape, shape, grad.shape)
        windows, out_c = self.windows(shape), shape[3]
        batches = windows.batches(x)
        dw = sum(windows.im2col(x[images]).T @ grad[images].reshape(-1, out_c) for images in batches)
        return dw.reshape(shape)

    def gradient(self, grad_output):
        # bilinear in (x, grad): <h, dw(x, g)> = <conv2d(x, h), g>
        x, _, grad = self.inputs
        return [
            Conv2DBackpropInput(shaping.shape(x), grad_output, grad, **self.attrs).output,
            None,
            Conv2D(x, grad_output, **self.attrs).output,
        ]


# --- pooling ----------------------------------------------------------------------


class Pooling(Operation):
    """What the pooling ops share: the window from ksize, and the shape rule."""

    input_names = ("input",)

    @property
    def windows(self) -> Windows:
        a = self.attrs
        return Windows(a["ksize"][1:3], a["strides"][1:3], a["padding"])

    def output_shape(self, input_shape) -> StaticShape:
        n, h, w, c = _check_image(self, input_shape, "input", INPUT_LAYOUT)
        return (n, self.windows.output_size(self, h, 0), self.windows.output_size(self, w, 1), c)

    def check_pooled(self, input_shape, pooled_shape, what: str) -> StaticShape:
        """A tensor the shape of the pooled output (orig_output, grad) fits the input's."""
        expected = self.output_shape(input_shape)
        return _merged(self, expected, _check_image(self, pooled_shape, what, ""), what)

    def graph_def_attrs(self):
        a = self.attrs
        attrs = {"T": self.inputs[-1].dtype, "ksize": list(a["ksize"]), "strides": list(a["strides"]),
                 "padding": a["padding"], "data_format": a["data_format"]}  # fmt: skip
        if self.type_name in ("MaxPool", "MaxPoolGrad"):
            attrs["explicit_paddings"] = []
        return attrs


class MaxPool(Pooling):
    """y[n, i, j, c] = max of x[n, :, :, c] over the window at (i, j)."""

    type_name = "MaxPool"

    def infer(self, x):
        return self.output_shape(x.shape), _check_floats(self, **{self.input_names[0]: x})

    def forward(self, x):
        self.output_shape(x.shape)
        return functools.reduce(np.maximum, self.windows.taps(self.windows.pad(x, -np.inf)))

    def gradient(self, grad_output):
        return [MaxPoolGrad(self.inputs[0], self.output, grad_output, **self.attrs).output]


class MaxPoolGrad(Pooling):
    """dx = grad sent to each window's argmax in x (summed where windows overlap)."""

    type_name = "MaxPoolGrad"
    input_names = ("orig_input", "orig_output", "grad")

    def infer(self, x, y, grad):
        dtype = _check_floats(self, orig_input=x, orig_output=y, grad=grad)
        self.check_pooled(x.shape, y.shape, "orig_output")
        self.check_pooled(x.shape, grad.shape, "grad")
        return _check_image(self, x.shape, "orig_input", INPUT_LAYOUT), dtype

    def forward(self, x, y, grad):
        self.check_pooled(x.shape, y.shape, "orig_output")
        self.check_pooled(x.shape, grad.shape, "grad")
        masks = self.windows.first_max(x, y)
        return self.windows.col2im(x.shape, x.dtype, [grad * mask for mask in masks])

    def gradient(self, grad_output):
        # linear in grad; the argmax does not move under a small change of x (zeros, as TF)
        x, y, _ = self.inputs
        return [zeros_like(x), zeros_like(y), MaxPoolGradGrad(x, y, grad_output, **self.attrs).output]


class MaxPoolGradGrad(Pooling):
    """y[n, i, j, c] = grad at the argmax of x's window (i, j): MaxPoolGrad's transpose."""

    type_name = "MaxPoolGradGrad"
    input_names = ("orig_input", "orig_output", "grad")

    def infer(self, x, y, grad):
        dtype = _check_floats(self, orig_input=x, orig_output=y, grad=grad)
        _merged(self, _check_image(self, x.shape, "orig_input", INPUT_LAYOUT), grad.shape, "grad")
        return self.check_pooled(x.shape, y.shape, "orig_output"), dtype

    def forward(self, x, y, grad):
        self.check_pooled(x.shape, y.shape, "orig_output")
        _merged(self, x.shape, grad.shape, "grad")
        taps, masks = self.windows.taps(self.windows.pad(grad)), self.windows.first_max(x, y)
        return sum(tap * mask for tap, mask in zip(taps, masks))

    def gradient(self, grad_output):
        x, y, _ = self.inputs
        return [zeros_like(x), zeros_like(y), MaxPoolGrad(x, y, grad_output, **self.attrs).output]


class AvgPool(Pooling):
    """y[n, i, j, c] = mean of x[n, :, :, c] over the image elements of window (i, j)."""

    type_name = "AvgPool"
    input_names = ("value",)

    def infer(self, x):
        return self.output_shape(x.shape), _check_floats(self, **{self.input_names[0]: x})

    def forward(self, x):
        self.output_shape(x.shape)
        sums = functools.reduce(np.add, self.windows.taps(self.windows.pad(x)))
        return sums / self.windows.counts(x.shape[1], x.shape[2], x.dtype)

    def gradient(self, grad_output):
        x = self.inputs[0]
        return [AvgPoolGrad(shaping.shape(x), grad_output, **self.attrs).output]


class AvgPoolGrad(Pooling):
    """dx = grad / count spread evenly over each window (summed where windows overlap)."""

    type_name = "AvgPoolGrad"
    input_names = ("orig_input_shape", "grad")

    def infer(self, orig_input_shape, grad):
        dtype = _check_floats(self, grad=grad)
        n, _, _, c = _check_image(self, grad.shape, "grad", "")
        shape = _sized_shape(self, orig_input_shape, "orig_input_shape", (n, None, None, c))
        self.check_pooled(shape, grad.shape, "grad")
        return shape, dtype

    def forward(self, orig_input_shape, grad):
        shape = tuple(int(d) for d in orig_input_shape)
        self.check_pooled(shape, grad.shape, "grad")
        share = grad / self.windows.counts(shape[1], shape[2], grad.dtype)
        return self.windows.col2im(shape, grad.dtype, [share] * len(self.windows.positions()))

    def gradient(self, grad_output):
        return [None, AvgPool(grad_output, **self.attrs).output]


# --- bias_add ---------------------------------------------------------------------


class BiasAdd(Operation):
    """y = value + bias, the bias (C,) added along the last axis (the channels)."""

    type_name = "BiasAdd"
    input_names = ("value", "bias")

    def infer(self, value, bias):
        if value.dtype != bias.dtype:
            raise self.error(f"BiasAdd of value {value!r} and bias {bias!r}: the dtypes differ", TypeError)
        check_numeric(self, value)
        return self.output_shape(value.shape, bias.shape), value.dtype

    def output_shape(self, value_shape, bias_shape) -> StaticShape | None:
        if value_shape is not None and len(value_shape) < 2:
            raise self.error(f"BiasAdd needs a value of rank 2 or more, got shape {format_shape(value_shape)}")
        if bias_shape is not None and len(bias_shape) != 1:
            raise self.error(f"BiasAdd needs a 1-D bias, got shape {format_shape(bias_shape)}")
        if value_shape is None or bias_shape is None:
            return value_shape
        channels, size = value_shape[-1], bias_shape[0]
        if channels is not None and size is not None and channels != size:
            raise self.error(
                f"the bias has {size} values but the value's last axis has {channels} "
                f"(value shape {format_shape(value_shape)}, bias shape {format_shape(bias_shape)})"
            )
        return value_shape[:-1] + (channels if channels is not None else size,)

    def forward(self, value, bias):
        self.output_shape(value.shape, bias.shape)
        return value + bias

    def gradient(self, grad_output):
        return [grad_output, BiasAddGrad(grad_output, data_format=self.attrs["data_format"]).output]

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "data_format": self.attrs["data_format"]}


class BiasAddGrad(Operation):
    """db = out_backprop summed over every axis but the last."""

    type_name = "BiasAddGrad"
    input_names = ("out_backprop",)

    def infer(self, grad):
        if grad.shape is not None and len(grad.shape) < 2:
            raise self.error(f"BiasAddGrad needs rank 2 or more, got shape {format_shape(grad.shape)}")
        return (None if grad.shape is None else grad.shape[-1:]), grad.dtype

    def forward(self, grad):
        return grad.sum(axis=tuple(range(grad.ndim - 1)))

    def gradient(self, grad_output):
        return [broadcast_like(grad_output, self.inputs[0])]

    graph_def_attrs = BiasAdd.graph_def_attrs


# --- the builders: TF1's signatures, attributes checked and normalised here ----------


def _four(value, what: str, function: str) -> tuple:
    """strides or ksize as TF1 takes them (an int, or 1, 2 or 4 ints) -> (1, h, w, 1)."""
    values = [value] if isinstance(value, (int, np.integer)) else list(value)
    if len(values) == 4:
        if values[0] != 1 or values[3] != 1:
            raise ValueError(
                f"{function}: {what}={values} moves along the batch or channel axis; only "
                f"[1, height, width, 1] is supported (as in TensorFlow)"
            )
        values = values[1:3]
    if len(values) == 1:
        values = values * 2
    if len(values) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in values):
        raise ValueError(f"{function}: {what} must be positive ints, 1, 2 or 4 of them, got {value!r}")
    return (1, int(values[0]), int(values[1]), 1)


def _check_padding(padding, function: str) -> str:
    if not isinstance(padding, str):
        raise NotImplementedError(
            f"{function}: explicit padding {padding!r} is not implemented; use padding='SAME' or 'VALID'"
        )
    if padding not in PADDINGS:
        raise ValueError(f"{function}: padding must be 'SAME' or 'VALID' (upper case, as TF), got {padding!r}")
    return padding


def _check_data_format(data_format, function: str) -> str:
    if data_format in (None, "NHWC", "N...C"):
        return "NHWC"
    if data_format in ("NCHW", "NC..."):
        raise NotImplementedError(
            f"{function}: data_format={data_format!r} is not implemented (TF's CPU kernels refuse it "
            f"too); give images as NHWC, (batch, height, width, channels): transpose with perm (0, 2, 3, 1)"
        )
    raise ValueError(f"{function}: data_format must be 'NHWC', got {data_format!r}")


def _conv_attrs(function, strides, padding, use_cudnn_on_gpu, data_format, dilations) -> dict:
    if strides is None or padding is None:
        raise ValueError(f"{function} needs strides= and padding=")
    if _four(1 if dilations is None else dilations, "dilations", function) != (1, 1, 1, 1):
        raise NotImplementedError(f"{function}: dilations={dilations!r} are not implemented; only 1")
    return dict(
        strides=_four(strides, "strides", function),
        padding=_check_padding(padding, function),
        data_format=_check_data_format(data_format, function),
        use_cudnn_on_gpu=bool(use_cudnn_on_gpu),
        dilations=(1, 1, 1, 1),
    )


def _one_filter(filter, filters, function: str):
    if (filter is None) == (filters is None):
        raise ValueError(f"{function}: give the filter once, as filter= (TF1) or filters= (TF2)")
    return filters if filter is None else filter


def conv2d(
    input, filter=None, strides=None, padding=None, use_cudnn_on_gpu: bool = True,
    data_format: str = "NHWC", dilations: Sequence[int] = (1, 1, 1, 1), name: str | None = None, filters=None,
) -> Tensor:  # fmt: skip
    """2-D convolution of NHWC images with a (height, width, in, out) filter, as tf.nn.conv2d."""
    attrs = _conv_attrs("conv2d", strides, padding, use_cudnn_on_gpu, data_format, dilations)
    w = _one_filter(filter, filters, "conv2d")
    return Conv2D(*_tensors(input, w), name=name, **attrs).output


def conv2d_backprop_input(
    input_sizes, filter=None, out_backprop=None, strides=None, padding=None, use_cudnn_on_gpu: bool = True,
    data_format: str = "NHWC", dilations: Sequence[int] = (1, 1, 1, 1), name: str | None = None, filters=None,
) -> Tensor:  # fmt: skip
    """The gradient of conv2d with respect to its input, whose shape is input_sizes."""
    attrs = _conv_attrs("conv2d_backprop_input", strides, padding, use_cudnn_on_gpu, data_format, dilations)
    w = _one_filter(filter, filters, "conv2d_backprop_input")
    return Conv2DBackpropInput(_int32(input_sizes), *_tensors(w, out_backprop), name=name, **attrs).output


def conv2d_backprop_filter(
    input, filter_sizes, out_backprop, strides, padding, use_cudnn_on_gpu: bool = True,
    data_format: str = "NHWC", dilations: Sequence[int] = (1, 1, 1, 1), name: str | None = None,
) -> Tensor:  # fmt: skip
    """The gradient of conv2d with respect to its filter, whose shape is filter_sizes."""
    attrs = _conv_attrs("conv2d_backprop_filter", strides, padding, use_cudnn_on_gpu, data_format, dilations)
    x, grad = _tensors(input, out_backprop)
    return Conv2DBackpropFilter(x, _int32(filter_sizes), grad, name=name, **attrs).output


def _tensors(*values) -> list[Tensor]:
    """The builder's value inputs as tensors. A Python or numpy value takes the dtype of
    a tensor beside it, as TF converts it: conv2d(images, np.zeros(...)) for float32 images."""
    like = next((t for t in map(tensor_or_none, values) if t is not None), None)
    return [
        constant_like(v, like) if like is not None and tensor_or_none(v) is None else convert_to_tensor(v)
        for v in values
    ]


def _int32(sizes):
    """A list of ints becomes an int32 constant; a tensor stays itself."""
    tensor = tensor_or_none(sizes)
    return tensor if tensor is not None else constant(np.asarray(sizes, dtype=np.int32))


def _pool_attrs(function, ksize, strides, padding, data_format) -> dict:
    if ksize is None or strides is None or padding is None:
        raise ValueError(f"{function} needs ksize=, strides= and padding=")
    return dict(
        ksize=_four(ksize, "ksize", function),
        strides=_four(strides, "strides", function),
        padding=_check_padding(padding, function),
        data_format=_check_data_format(data_format, function),
    )


def _pool_input(value, input, function: str):
    if (value is None) == (input is None):
        raise ValueError(f"{function}: give the images once, as value= (TF1) or input= (TF2)")
    return input if value is None else value


def max_pool(value=None, ksize=None, strides=None, padding=None, data_format: str = "NHWC",
             name: str | None = None, input=None) -> Tensor:  # fmt: skip
    """Each window's max, as tf.nn.max_pool: ksize/strides [1, h, w, 1], padding SAME/VALID."""
    attrs = _pool_attrs("max_pool", ksize, strides, padding, data_format)
    return MaxPool(convert_to_tensor(_pool_input(value, input, "max_pool")), name=name, **attrs).output


def avg_pool(value=None, ksize=None, strides=None, padding=None, data_format: str = "NHWC",
             name: str | None = None, input=None) -> Tensor:  # fmt: skip
    """Each window's mean over the image elements in it, as tf.nn.avg_pool."""
    attrs = _pool_attrs("avg_pool", ksize, strides, padding, data_format)
    return AvgPool(convert_to_tensor(_pool_input(value, input, "avg_pool")), name=name, **attrs).output


def bias_add(value, bias, data_format: str | None = None, name: str | None = None) -> Tensor:
    """value + bias along the last axis (the channels), as tf.nn.bias_add."""
    data_format = _check_data_format(data_format, "bias_add")
    return BiasAdd(*_tensors(value, bias), name=name, data_format=data_format).output
