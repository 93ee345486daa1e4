"""``from minigraph.keras import backend as K``: Keras 2's backend API on minigraph.

In Keras 2 with TensorFlow 1.x, ``K`` was a thin layer of functions over TF's graph:
``K.placeholder`` made a ``tf.placeholder`` in float32 (Keras's ``floatx``),
``K.variable`` a ``tf.Variable``, ``K.dot`` a ``tf.matmul``, and ``K.get_session()``
the one session Keras kept for the default graph. This module is that layer over
minigraph, so the worksheet's first half runs with only its imports changed.
"""

from __future__ import annotations

import collections

import numpy as np

import minigraph as mg
from minigraph.graph import Tensor, tensor_or_none
from minigraph.ops.array import Placeholder

_FLOATX = "float32"
_EPSILON = 1e-7
_session: mg.Session | None = None
_uids: collections.Counter = collections.Counter()  # prefix -> names handed out


def floatx() -> str:
    """The default float dtype's name: 'float32'."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Makes `value` the dtype of new placeholders, variables, layers and models."""
    global _FLOATX
    if value not in ("float32", "float64"):
        raise ValueError(f"Unknown floatx type: {value!r}; expected 'float32' or 'float64'")
    _FLOATX = value


def epsilon() -> float:
    """The fuzz factor Keras adds to avoid dividing by zero: 1e-7."""
    return _EPSILON


# --- building nodes ---------------------------------------------------------------


def placeholder(shape=None, ndim: int | None = None, dtype=None, name: str | None = None) -> Tensor:
    """A graph input; `ndim` alone gives a shape of that many unknown dims."""
    if shape is None and ndim is not None:
        shape = (None,) * ndim
    return mg.placeholder(dtype or floatx(), shape=shape, name=name)


def variable(value, dtype=None, name: str | None = None) -> mg.Variable:
    """A variable holding `value` as floatx (or `dtype`)."""
    return mg.Variable(np.asarray(value), dtype=dtype or floatx(), name=name)


def constant(value, dtype=None, shape=None, name: str | None = None) -> Tensor:
    return mg.constant(value, dtype=dtype or floatx(), shape=shape, name=name)


def zeros(shape, dtype=None, name: str | None = None) -> mg.Variable:
    return variable(np.zeros(shape), dtype=dtype, name=name)


def ones(shape, dtype=None, name: str | None = None) -> mg.Variable:
    return variable(np.ones(shape), dtype=dtype, name=name)


def is_placeholder(x) -> bool:
    return isinstance(x, Tensor) and isinstance(x.op, Placeholder)


def int_shape(x) -> tuple | None:
    """The static shape as a tuple, None for unknown dims: (None, 784)."""
    tensor = tensor_or_none(x)
    if tensor is None:
        return tuple(np.shape(x))
    return tensor.shape


def ndim(x) -> int | None:
    shape = int_shape(x)
    return None if shape is None else len(shape)


def dtype(x) -> str:
    return tensor_or_none(x).dtype.name


# --- math, under Keras's names --------------------------------------------------


def dot(x, y) -> Tensor:
    """Matrix product (both operands rank 2)."""
    return mg.matmul(x, y)


def transpose(x) -> Tensor:
    return mg.transpose(x)


def reshape(x, shape) -> Tensor:
    return mg.reshape(x, shape)


def sum(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return mg.reduce_sum(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims: bool = False) -> Tensor:
    return mg.reduce_mean(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return mg.reduce_max(x, axis=axis, keepdims=keepdims)


def argmax(x, axis: int = -1) -> Tensor:
    return mg.argmax(x, axis=axis)


def equal(x, y) -> Tensor:
    return mg.equal(x, y)


def cast(x, dtype) -> Tensor:
    return mg.cast(x, dtype)


def exp(x) -> Tensor:
    return mg.exp(x)


def log(x) -> Tensor:
    return mg.log(x)


def square(x) -> Tensor:
    return mg.square(x)


def sqrt(x) -> Tensor:
    return mg.sqrt(x)


def clip(x, min_value: float, max_value: float) -> Tensor:
    return mg.clip_by_value(x, min_value, max_value)


def relu(x) -> Tensor:
    return mg.nn.relu(x)


def softmax(x) -> Tensor:
    return mg.nn.softmax(x)


def sigmoid(x) -> Tensor:
    return mg.nn.sigmoid(x)


def tanh(x) -> Tensor:
    return mg.nn.tanh(x)


def stop_gradient(x) -> Tensor:
    return mg.stop_gradient(x)


def gradients(loss, variables) -> list:
    return mg.gradients(loss, variables)


# --- the session Keras keeps -------------------------------------------------------


def get_session() -> mg.Session:
    """The session of the default graph; variables not yet initialised in it get their
    initial values (as Keras 2 did), so ``K.eval(K.variable(...))`` just works."""
    global _session
    graph = mg.get_default_graph()
    if _session is None or _session.graph is not graph or _session.closed:
        _session = mg.Session(graph)
    pending = [v.initializer for v in graph.variables if not _session.is_initialized(v)]
    if pending:
        _session.run(pending)
    return _session


def set_session(session: mg.Session) -> None:
    """Makes `session` the one Keras uses (while its graph is the default graph)."""
    global _session
    _session = session


def get_uid(prefix: str = "") -> int:
    """1, 2, 3... on successive calls with one prefix: layers count their names with it
    ('dense', 'dense_1', ...), and clear_session() starts them again."""
    _uids[prefix] += 1
    return _uids[prefix]


def reset_uids() -> None:
    _uids.clear()


def clear_session() -> None:
    """Forgets the session, starts a fresh default graph and restarts layer names at 'dense'."""
    global _session
    if _session is not None:
        _session.close()
    _session = None
    mg.reset_default_graph()
    reset_uids()


def eval(x):  # noqa: A001
    """The value of a tensor or variable, computed in Keras's session."""
    return get_session().run(x)


def get_value(x) -> np.ndarray:
    return get_session().run(x)


def batch_get_value(xs) -> list:
    return get_session().run(list(xs))


def set_value(x: mg.Variable, value) -> None:
    get_session().set_variable_value(x, np.asarray(value))


def batch_set_value(pairs) -> None:
    """Sets several variables at once: pairs of (variable, value)."""
    for x, value in pairs:
        set_value(x, value)


class Function:
    """``K.function(inputs, outputs)``: a callable that feeds `inputs` and returns `outputs`."""

    def __init__(self, inputs, outputs, updates=None):
        self.inputs = list(inputs)
        self.outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        self.updates = list(updates or [])

    def __call__(self, values):
        if len(values) != len(self.inputs):
            raise ValueError(f"This function takes {len(self.inputs)} inputs, got {len(values)} values")
        results = get_session().run(self.outputs + self.updates, dict(zip(self.inputs, values)))
        return results[: len(self.outputs)]


def function(inputs, outputs, updates=None) -> Function:
    return Function(inputs, outputs, updates)

