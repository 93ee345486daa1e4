"""Ops that make, reshape and move values: the leaves of a graph and its plumbing.

Leaves: ``placeholder`` (a value fed at run time) and ``constant`` (a value baked into
the graph). Plumbing: ``reshape``, ``transpose``, ``cast``, ``identity``.

Two ops here exist for gradients. Broadcasting in a forward op (``(3, 4) + (4,)``)
copies a value along new axes; its gradient must *sum* along those axes, back to the
input's shape. ``sum_like(grad, x)`` does that sum and ``broadcast_like(grad, x)``
does the copy. Each is the other's gradient, so gradients of gradients work. They
read ``x``'s shape when the graph runs, because a shape like ``(None, 784)`` is only
known then.
"""

from __future__ import annotations

import functools

import numpy as np

from minigraph import dtypes
from minigraph.graph import Graph, Operation, Tensor, as_operation, get_default_graph, tensor_or_none
from minigraph.graph_def import ShapeAttr, TensorAttr
from minigraph.shapes import format_shape, normalize_shape

# --- leaves ------------------------------------------------------------------------


class Placeholder(Operation):
    """A value fed to Session.run through feed_dict."""

    type_name = "Placeholder"

    def infer(self):
        return self.attrs["shape"], self.attrs["dtype"]

    def graph_def_attrs(self):
        return {"dtype": self.attrs["dtype"], "shape": ShapeAttr(self.attrs["shape"])}


def placeholder(dtype=dtypes.float32, shape=None, name: str | None = None) -> Tensor:
    """A graph input whose value is given at run time: `sess.run(y, {x: value})`."""
    shape = normalize_shape(shape, what=f"placeholder {name or 'Placeholder'} shape")
    return Placeholder(name=name, dtype=dtypes.as_dtype(dtype), shape=shape).output


class PlaceholderWithDefault(Operation):
    """y = the fed value if one is fed, else the default input (Keras's learning phase)."""

    type_name = "PlaceholderWithDefault"

    def infer(self, default):
        return self.attrs["shape"], default.dtype

    def forward(self, default):
        return default  # a fed value replaces the node's output before this runs

    def graph_def_attrs(self):
        return {"dtype": self.outputs[0].dtype, "shape": ShapeAttr(self.attrs["shape"])}


def placeholder_with_default(input, shape, name: str | None = None) -> Tensor:  # noqa: A002 (TF's name)
    """A placeholder that need not be fed: unfed, it is `input`."""
    default = convert_to_tensor(input)
    shape = normalize_shape(shape, what=f"placeholder_with_default {name or 'PlaceholderWithDefault'} shape")
    return PlaceholderWithDefault(default, name=name, shape=shape).output


class Const(Operation):
    """A value stored in the graph itself."""

    type_name = "Const"

    def infer(self):
        value = self.attrs["value"]
        return value.shape, value.dtype

    def forward(self):
        return self.attrs["value"]

    def graph_def_attrs(self):
        return {"dtype": self.attrs["value"].dtype, "value": TensorAttr(self.attrs["value"])}


def constant(value, dtype=None, shape=None, name: str | None = None) -> Tensor:
    """A tensor with a fixed value. Python floats become float32, as in TF."""
    array = _as_array(value, dtype, name or "Const")
    if shape is not None:
        shape = normalize_shape(shape)
        if array.size == 1:
            array = np.full(shape, array.reshape(()), dtype=array.dtype)
        else:
            array = array.reshape(shape)
    array = np.array(array, copy=True)
    array.flags.writeable = False  # a constant must never change under a kernel
    return Const(name=name, value=array).output


def _as_array(value, dtype, what: str) -> np.ndarray:
    """`value` as a numpy array of a supported dtype, with TF's defaults and checks."""
    raw = _numbers(value, what)
    if dtype is None:
        return raw.astype(_default_dtype(value, raw))
    dtype = dtypes.as_dtype(dtype)
    if not _kind_converts(raw, dtype):
        raise TypeError(f"Cannot convert {value!r} to a {what} of dtype {dtype.name}")
    _check_integer_range(value, raw, dtype, what)
    with np.errstate(over="ignore"):  # a float too large for float32 becomes inf, as in TF
        return raw.astype(dtype)


def _kind_converts(raw: np.ndarray, dtype: np.dtype) -> bool:
    """Bools become anything, integers any number, floats any float; a float becomes an
    integer only when it is whole (2.0, not 2.5). Never a number to a bool."""
    if raw.dtype.kind == "b":
        return True
    if raw.dtype.kind in "iu":
        return dtype.kind in "iuf"
    if raw.dtype.kind == "f":
        with np.errstate(invalid="ignore"):  # nan and inf are not whole
            return dtype.kind == "f" or (dtype.kind in "iu" and bool(np.all(np.mod(raw, 1) == 0)))
    return False


def _numbers(value, what: str) -> np.ndarray:
    """np.asarray(value), refusing a Python int too large for any integer dtype (2**70):
    numpy would keep it as a Python object."""
    raw = np.asarray(value)
    if raw.dtype == object:
        raise TypeError(
            f"Cannot convert {value!r} to a {what}: an integer must fit in int64 (or uint64), as in TF"
        )
    return raw


def _check_integer_range(value, raw: np.ndarray, dtype: np.dtype, what: str) -> None:
    """An integer dtype must hold every value exactly: numpy's cast would wrap 2**31 to
    -2**31 and turn 1e20 into INT_MIN, a silent wrong number."""
    if dtype.kind not in "iu" or raw.size == 0:
        return
    low, high = np.iinfo(dtype).min, np.iinfo(dtype).max
    if raw.dtype.kind == "f":
        # high + 1 is a power of two, so exact as a float: `< high + 1` is the true bound
        inside = np.all((raw >= float(low)) & (raw < float(high + 1)))
    else:
        inside = raw.min() >= low and raw.max() <= high
    if not inside:
        raise TypeError(
            f"Cannot convert {value!r} to a {what} of dtype {dtype.name}: out of its range [{low}, {high}]"
        )


def _default_dtype(value, raw: np.ndarray) -> np.dtype:
    """A numpy array or scalar keeps its dtype; Python floats become float32 and Python
    ints int32, as in TF; ints beyond int32 become int64 (beyond int64, uint64)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return dtypes.as_dtype(raw.dtype)
    if dtypes.is_floating(raw.dtype):
        return dtypes.float32
    if raw.dtype.kind in "iu":
        for dtype in (dtypes.int32, dtypes.int64, dtypes.uint64):
            if raw.size == 0 or (raw.min() >= np.iinfo(dtype).min and raw.max() <= np.iinfo(dtype).max):
                return dtype
    return dtypes.as_dtype(raw.dtype)


def constant_like(value, like: Tensor) -> Tensor:
    """A Python or numpy value next to a tensor takes the tensor's dtype, as in TF."""
    with like.graph.as_default():
        return constant(value, dtype=like.dtype)


def convert_to_tensor(value, dtype=None, graph: Graph | None = None, name: str | None = None) -> Tensor:
    """A tensor stays itself (dtype checked); anything else becomes a Const node.

    Builder functions call this on their arguments, so ``mg.add(x, 1.0)`` works while
    an op's constructor takes tensors only.
    """
    tensor = tensor_or_none(value)
    if tensor is not None:
        if dtype is not None and tensor.dtype != dtypes.as_dtype(dtype):
            raise TypeError(
                f"Tensor conversion requested dtype {dtypes.as_dtype(dtype).name} for {tensor!r}"
            )
        if graph is not None and tensor.graph is not graph:
            raise ValueError(f"{tensor!r} must be from the same graph as the op that uses it")
        return tensor
    with (graph or get_default_graph()).as_default():
        return constant(value, dtype=dtype, name=name)


# --- plumbing -------------------------------------------------------------------


class Identity(Operation):
    """y = x."""

    type_name = "Identity"
    input_names = ("input",)

    def infer(self, x):
        return x.shape, x.dtype

    def forward(self, x):
        return x

    def gradient(self, grad_output):
        return [grad_output]


def identity(x, name: str | None = None) -> Tensor:
    return Identity(convert_to_tensor(x), name=name).output


class StopGradient(Identity):
    """y = x, but no gradient flows back through it."""

    type_name = "StopGradient"

    def gradient(self, grad_output):
        return [None]


def stop_gradient(x, name: str | None = None) -> Tensor:
    return StopGradient(convert_to_tensor(x), name=name).output


class Reshape(Operation):
    """y = x with a new shape (one dimension may be -1: whatever is left)."""

    type_name = "Reshape"
    input_names = ("tensor",)

    def infer(self, x):
        target = self.attrs["shape"]
        unknown = [i for i, d in enumerate(target) if d is None]
        if len(unknown) > 1:
            raise self.error(f"Reshape to {format_shape(target)}: at most one dimension may be -1")
        known = int(np.prod([d for d in target if d is not None]))
        if x.shape is not None and None not in x.shape:
            size = int(np.prod(x.shape))
            if unknown and known and size % known == 0:
                target = tuple(size // known if d is None else d for d in target)
            elif (unknown and (known == 0 or size % known)) or (not unknown and size != known):
                raise self.error(
                    f"Cannot reshape a tensor with {size} elements (shape {format_shape(x.shape)}) "
                    f"to shape {format_shape(self.attrs['numpy_shape'])}"
                )
        return target, x.dtype

    def forward(self, x):
        return x.reshape(self.attrs["numpy_shape"])

    def gradient(self, grad_output):
        return [reshape_like(grad_output, self.inputs[0])]

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "shape": list(self.attrs["numpy_shape"])}


def reshape(x, shape, name: str | None = None) -> Tensor:
    """Same values in a new shape; -1 (or None) in `shape` takes what is left."""
    dims = normalize_shape(shape, what="reshape target")
    numpy_shape = tuple(-1 if d is None else d for d in dims)
    return Reshape(convert_to_tensor(x), name=name, shape=dims, numpy_shape=numpy_shape).output


class ReshapeLike(Operation):
    """y = x reshaped to the run-time shape of `like` (the gradient of reshape)."""

    type_name = "ReshapeLike"
    input_names = ("tensor", "like")

    def infer(self, x, like):
        return like.shape, x.dtype

    def forward(self, x, like):
        return x.reshape(like.shape)

    def gradient(self, grad_output):
        return [reshape_like(grad_output, self.inputs[0]), None]


def reshape_like(x, like, name: str | None = None) -> Tensor:
    return ReshapeLike(x, like, name=name or "Reshape").output


class Transpose(Operation):
    """y = x with its axes permuted: y[i, j] = x[j, i] by default."""

    type_name = "Transpose"
    default_name = "transpose"
    input_names = ("x",)

    def infer(self, x):
        perm = self.attrs["perm"]
        if x.shape is None:
            return None, x.dtype
        if sorted(perm) != list(range(len(x.shape))):
            raise self.error(f"perm {perm} is not a permutation of the axes of shape {format_shape(x.shape)}")
        return tuple(x.shape[p] for p in perm), x.dtype

    def forward(self, x):
        return np.transpose(x, self.attrs["perm"])  # perm None (unknown rank): reverse the axes

    def gradient(self, grad_output):
        perm = self.attrs["perm"]
        if perm is None:  # reversing the axes is its own inverse
            return [transpose(grad_output)]
        return [transpose(grad_output, tuple(int(i) for i in np.argsort(perm)))]

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "perm": list(self.attrs["perm"] or [])}


def transpose(x, perm=None, name: str | None = None) -> Tensor:
    """Permutes the axes; by default reverses them (a matrix transpose)."""
    x = convert_to_tensor(x)
    if perm is None and x.shape is not None:
        perm = reversed(range(len(x.shape)))
    return Transpose(x, name=name, perm=None if perm is None else tuple(int(p) for p in perm)).output


class Cast(Operation):
    """y = x converted to another dtype; between float dtypes the gradient is cast back
    (as TF), and through an integer or bool there is none."""

    type_name = "Cast"
    input_names = ("x",)

    def infer(self, x):
        return x.shape, self.attrs["dtype"]

    def forward(self, x):
        return x.astype(self.attrs["dtype"])

    def gradient(self, grad_output):
        source = self.inputs[0].dtype
        if dtypes.is_floating(source) and dtypes.is_floating(self.attrs["dtype"]):
            return [cast(grad_output, source)]
        return [None]

    def graph_def_attrs(self):
        return {"SrcT": self.inputs[0].dtype, "DstT": self.attrs["dtype"]}


def cast(x, dtype, name: str | None = None) -> Tensor:
    return Cast(convert_to_tensor(x), name=name, dtype=dtypes.as_dtype(dtype)).output


class OnesLike(Operation):
    """y = 1 with the run-time shape of x."""

    type_name = "OnesLike"
    input_names = ("x",)
    fill_value = 1

    def infer(self, x):
        return x.shape, x.dtype

    def forward(self, x):
        # what np.ones_like does (a new array laid out as x is, then filled), minus its
        # argument handling, which costs more than the filling at batch 32
        filled = np.empty_like(x)
        filled.fill(self.fill_value)
        return filled


def ones_like(x, name: str | None = None) -> Tensor:
    return OnesLike(convert_to_tensor(x), name=name).output


class ZerosLike(OnesLike):
    """y = 0 with the run-time shape of x."""

    type_name = "ZerosLike"
    fill_value = 0


def zeros_like(x, name: str | None = None) -> Tensor:
    return ZerosLike(convert_to_tensor(x), name=name).output


# --- the broadcasting pair that gradients use --------------------------------------


def _sum_to(value: np.ndarray, shape: tuple) -> np.ndarray:
    """Sums `value` over the axes that broadcasting added or stretched to reach it."""
    if value.shape == shape:
        return value
    lead = value.ndim - len(shape)
    if shape and value.shape[lead:] == shape:  # a bias's gradient: only leading axes were added
        return np.add.reduce(value, axis=tuple(range(lead)))
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and value.shape[lead + i] != 1
    )
    # the ufunc's reduction itself: what value.sum calls, without its Python wrapper
    return np.add.reduce(value, axis=axes, keepdims=True).reshape(shape)


@functools.lru_cache(maxsize=1024)  # a pure function of two small tuples, asked on every step
def _with_axes(shape: tuple, axes: tuple) -> tuple:
    """`shape` with a 1 inserted at each of `axes` (axes count in the longer shape)."""
    if not axes:
        return shape
    rank = len(shape) + len(axes)
    positions = sorted(a % rank for a in axes)
    result = list(shape)
    for p in positions:
        result.insert(p, 1)
    return tuple(result)


SMALL_BROADCAST = 1 << 14  # elements; a larger broadcast stays a view (no memory for the copies)


class BroadcastLike(Operation):
    """y = x copied to the run-time shape of `like` (after new axes at `axes`)."""

    type_name = "BroadcastLike"
    input_names = ("input", "like")

    def infer(self, x, like):
        return like.shape, x.dtype

    def forward(self, x, like):
        axes = self.attrs["axes"]
        if axes:
            x = x.reshape(_with_axes(x.shape, axes))
        shape = like.shape
        if like.size <= SMALL_BROADCAST and isinstance(x, (np.ndarray, np.generic)) and x.ndim <= len(shape):
            # a small result is copied out: np.broadcast_to spends 2 µs making its view, and the
            # ops after it read a view whose strides are 0 more slowly than a plain array
            copy = np.empty(shape, x.dtype)
            try:
                copy[...] = x
                return copy
            except ValueError:
                pass  # shapes that don't broadcast: np.broadcast_to raises numpy's own message
        return np.broadcast_to(x, shape)

    def gradient(self, grad_output):
        return [sum_like(grad_output, self.inputs[0], axes=self.attrs["axes"]), None]


def broadcast_like(x, like, axes: tuple = (), name: str | None = None) -> Tensor:
    """Copies x up to like's shape; `axes` are axes a reduction removed, put back first."""
    return BroadcastLike(x, like, name=name, axes=tuple(axes)).output


class SumLike(Operation):
    """y = x summed down to the run-time shape of `like` (then `axes` dropped)."""

    type_name = "SumLike"
    input_names = ("input", "like")

    def infer(self, x, like):
        return like.shape, x.dtype

    def forward(self, x, like):
        axes = self.attrs["axes"]
        if not axes:  # the usual case (a bias's gradient): like's shape is the one to sum to
            return _sum_to(x, like.shape)
        return _sum_to(x, _with_axes(like.shape, axes)).reshape(like.shape)

    def gradient(self, grad_output):
        return [broadcast_like(grad_output, self.inputs[0], axes=self.attrs["axes"]), None]


def sum_like(x, like, axes: tuple = (), name: str | None = None) -> Tensor:
    """The gradient helper for broadcasting: skips itself when the shapes already agree."""
    if not axes and x.shape == like.shape and x.shape is not None and None not in x.shape:
        return x
    return SumLike(x, like, name=name, axes=tuple(axes)).output


# --- grouping -------------------------------------------------------------------


class NoOp(Operation):
    """Does nothing; its control inputs make it 'run these first'."""

    type_name = "NoOp"
    has_output = False

    def forward(self):
        return None

    def graph_def_attrs(self):
        return {}


def no_op(name: str | None = None) -> Operation:
    return NoOp(name=name)


def group(*inputs, name: str | None = None) -> Operation:
    """One op that runs all of `inputs` (ops or tensors): a NoOp with control inputs."""
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        inputs = tuple(inputs[0])
    ops = []
    for item in inputs:
        try:
            ops.append(as_operation(item))
        except TypeError:
            raise TypeError(f"group() takes operations or tensors, got {item!r}") from None
    graph = ops[0].graph if ops else get_default_graph()
    with graph.as_default():  # an op of another graph is refused by the graph itself
        return NoOp(name=name, control_inputs=ops)
