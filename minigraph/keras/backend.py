"""``from minigraph.keras import backend as K``: Keras 2's backend API on minigraph.

In Keras 2 with TensorFlow 1.x, ``K`` was a thin layer of functions over TF's graph:
``K.placeholder`` made a ``tf.placeholder`` in float32 (Keras's ``floatx``),
``K.variable`` a ``tf.Variable``, ``K.dot`` a ``tf.matmul``, and ``K.get_session()``
the one session Keras kept for the default graph. This module is that layer over
minigraph, so the worksheet's first half runs with only its imports changed.

**One graph, one session.** As in Keras 2 on TF1, every model and layer builds its
nodes in ``K.get_graph()`` (minigraph's default graph) and runs them in
``K.get_session()`` (one session per graph, kept by the backend). So what ``fit``
trains is what ``K.get_value(model.layers[0].kernel)``, ``K.eval`` and ``K.function``
read. ``K.clear_session()`` starts a fresh default graph (and layer names at 'dense').

**The learning phase** is a graph input, ``K.learning_phase()``: a scalar bool that is
False unless fed (a ``placeholder_with_default``). ``fit`` feeds it True, so Dropout
drops and BatchNormalization uses the batch's statistics only while training;
``K.in_train_phase(x, alt)`` picks between the two. ``K.set_learning_phase(1)`` fixes
it instead, for every model built afterwards (the layers then choose once, when built).
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

import numpy as np

import minigraph as mg
from minigraph.graph import Graph, Tensor, tensor_or_none
from minigraph.ops.array import Placeholder

_FLOATX = "float32"
_EPSILON = 1e-7
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
    """The mean; of a bool tensor too (as floatx), as accuracies are written: K.mean(K.equal(a, b))."""
    x = mg.convert_to_tensor(x)
    if x.dtype == mg.bool:
        x = mg.cast(x, floatx())
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


def relu(x, alpha: float = 0.0, max_value=None, threshold: float = 0.0) -> Tensor:
    """max(x, 0); below `threshold`, alpha * (x - threshold); capped at `max_value`."""
    if alpha == 0 and max_value is None and threshold == 0:
        return mg.nn.relu(x)
    x = mg.convert_to_tensor(x)
    y = mg.where_v2(x > threshold, x, alpha * (x - threshold) if alpha else mg.zeros_like(x))
    return y if max_value is None else mg.minimum(y, mg.cast(max_value, y.dtype))


def softmax(x, axis: int = -1) -> Tensor:
    return mg.nn.softmax(x, axis=axis)


def sigmoid(x) -> Tensor:
    return mg.nn.sigmoid(x)


def tanh(x) -> Tensor:
    return mg.nn.tanh(x)


def stop_gradient(x) -> Tensor:
    return mg.stop_gradient(x)


def gradients(loss, variables) -> list:
    return mg.gradients(loss, variables)


# --- more math, under Keras's names --------------------------------------------------


def min(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return mg.reduce_min(x, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims: bool = False) -> Tensor:
    return mg.reduce_prod(x, axis=axis, keepdims=keepdims)


def abs(x) -> Tensor:  # noqa: A001
    return mg.abs(x)


def pow(x, a) -> Tensor:  # noqa: A001
    return mg.pow(x, a)


def maximum(x, y) -> Tensor:
    return mg.maximum(x, y)


def minimum(x, y) -> Tensor:
    return mg.minimum(x, y)


def concatenate(tensors, axis: int = -1) -> Tensor:
    """Joins tensors along `axis` (the last by default, where TF's concat has no default)."""
    tensors = list(tensors)
    if axis < 0:
        rank = ndim(tensors[0])
        axis = axis % rank if rank else 0
    return mg.concat(tensors, axis=axis)


def expand_dims(x, axis: int = -1) -> Tensor:
    return mg.expand_dims(x, axis)


def squeeze(x, axis: int) -> Tensor:
    return mg.squeeze(x, [axis])


def shape(x) -> Tensor:
    """The shape as a tensor, known when the graph runs (int_shape gives the static one)."""
    return mg.shape(x)


def l2_normalize(x, axis=None) -> Tensor:
    """x / sqrt(max(sum(x^2, axis), 1e-12))."""
    return mg.nn.l2_normalize(x, axis=axis)


def image_data_format() -> str:
    """'channels_last': images are (batch, rows, cols, channels), the only layout minigraph has."""
    return "channels_last"


def zeros_like(x, dtype=None) -> Tensor:
    return mg.zeros_like(x, dtype=dtype)


def ones_like(x, dtype=None) -> Tensor:
    return mg.ones_like(x, dtype=dtype)


# --- the graph and the session Keras keeps -------------------------------------------
# The session (and the learning phase) of a graph are kept on the graph itself, in one
# KerasState, so they live exactly as long as it: a model built inside `with
# graph.as_default():` keeps running in that graph's session after the block ends. (A
# WeakKeyDictionary keyed by graph would never let a graph go: its session, the value,
# refers to the graph, the key.)


@dataclass
class KerasState:
    """What Keras keeps for one graph."""

    session: mg.Session | None = None
    cleared: bool = False  # by clear_session(): the trained weights are gone
    learning_phase: Tensor | None = None  # made by the first learning_phase() call
    fixed_learning_phase: int | None = None  # set_learning_phase(0 or 1)


def state_of(graph: Graph) -> KerasState:
    """The KerasState kept on `graph`, made on first use."""
    state = getattr(graph, "_keras_state", None)
    if state is None:
        state = graph._keras_state = KerasState()
    return state


def get_graph() -> Graph:
    """The graph every layer and model builds in: minigraph's default graph."""
    return mg.get_default_graph()


def session_of(graph: Graph) -> mg.Session:
    """Keras's session for `graph`, made on first use; variables not yet initialised in
    it get their initial values first (as Keras 2 did), so ``K.eval(K.variable(...))``
    just works."""
    state = state_of(graph)
    if state.cleared:  # a fresh session would hold the initial weights
        raise RuntimeError("K.clear_session() closed Keras's session of this graph, and the weights trained "
                           "in it went with it; build the model again (as in Keras 2)")
    session = state.session
    if session is None or session.closed:
        session = state.session = mg.Session(graph)
    pending = [v.initializer for v in graph.variables if not session.is_initialized(v)]
    if pending:
        session.run(pending)
    return session


def get_session() -> mg.Session:
    """The session of the default graph (the one models train in)."""
    return session_of(get_graph())


def set_session(session: mg.Session) -> None:
    """Makes `session` the one Keras uses for its graph."""
    state_of(session.graph).session = session


def get_uid(prefix: str = "") -> int:
    """1, 2, 3... on successive calls with one prefix: layers count their names with it
    ('dense', 'dense_1', ...), and clear_session() starts them again."""
    _uids[prefix] += 1
    return _uids[prefix]


def reset_uids() -> None:
    _uids.clear()


def clear_session() -> None:
    """Closes the session, starts a fresh default graph and restarts layer names at 'dense'."""
    state = state_of(get_graph())
    if state.session is not None:
        state.session.close()
    state.cleared = True
    mg.reset_default_graph()
    reset_uids()


# --- the learning phase ------------------------------------------------------------


def learning_phase():
    """The graph's learning phase: a bool tensor, False unless fed (fit feeds True);
    or 0/1 if set_learning_phase fixed it."""
    graph = get_graph()
    state = state_of(graph)
    if state.fixed_learning_phase is not None:
        return state.fixed_learning_phase
    if state.learning_phase is None:
        with graph.as_default(), graph.name_scope(None):
            state.learning_phase = mg.placeholder_with_default(False, shape=(), name="keras_learning_phase")
    return state.learning_phase


def set_learning_phase(value: int) -> None:
    """Fixes the learning phase to 0 (test) or 1 (train) for what is built from now on."""
    if value not in (0, 1):
        raise ValueError(f"Expected learning phase to be 0 or 1, got {value!r}")
    state_of(get_graph()).fixed_learning_phase = int(value)


def learning_phase_placeholder(graph: Graph) -> Tensor | None:
    """The learning phase tensor fit feeds True, None if nothing in `graph` reads it."""
    return state_of(graph).learning_phase


def in_train_phase(x, alt, training=None):
    """`x` while training, `alt` otherwise; either may be a function that builds it.
    With a fixed phase (a Python bool or 0/1) only the chosen one is built."""
    if training is None:
        training = learning_phase()
    if not isinstance(training, Tensor):
        chosen = x if training else alt
        return chosen() if callable(chosen) else chosen
    x, alt = (x() if callable(x) else x), (alt() if callable(alt) else alt)
    return mg.where_v2(training, x, alt)


def in_test_phase(x, alt, training=None):
    return in_train_phase(alt, x, training=training)


# --- values --------------------------------------------------------------------------


def session_for(x) -> mg.Session:
    """Keras's session for the graph `x` lives in (the default graph for anything else)."""
    tensor = tensor_or_none(x)
    return session_of(tensor.graph if tensor is not None else get_graph())


def eval(x):  # noqa: A001
    """The value of a tensor or variable, computed in Keras's session."""
    return session_for(x).run(x)


def get_value(x) -> np.ndarray:
    return session_for(x).run(x)


def batch_get_value(xs) -> list:
    xs = list(xs)
    return session_for(xs[0]).run(xs) if xs else []


def set_value(x: mg.Variable, value) -> None:
    session_for(x).set_variable_value(x, np.asarray(value, dtype=x.dtype))


def batch_set_value(pairs) -> None:
    """Sets several variables at once: pairs of (variable, value)."""
    for x, value in pairs:
        set_value(x, value)


class Function:
    """``K.function(inputs, outputs, updates)``: a callable that feeds `inputs`, runs the
    `updates` and returns the values of `outputs`, in Keras's session. The run is
    planned once (make_callable), so calling it in a loop adds nothing to the graph."""

    def __init__(self, inputs, outputs, updates=None, name: str | None = None):
        self.inputs = list(inputs)
        self.outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        self.updates = list(updates or [])
        self.name = name
        self._callable = None

    def __call__(self, values):
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if len(values) != len(self.inputs):
            raise ValueError(f"This function takes {len(self.inputs)} inputs "
                             f"({[getattr(t, 'name', t) for t in self.inputs]}), got {len(values)} values")
        if self._callable is None:
            graph = (self.outputs + self.inputs)[0].graph
            self._callable = session_of(graph).make_callable(self.outputs + self.updates, self.inputs)
        # Keras 2 programs feed the learning phase as 0 or 1
        values = [np.asarray(value, dtype=bool) if getattr(tensor, "dtype", None) == mg.bool else value
                  for tensor, value in zip(self.inputs, values)]
        return self._callable(*values)[: len(self.outputs)]


def function(inputs, outputs, updates=None, name: str | None = None, **kwargs) -> Function:
    return Function(inputs, outputs, updates, name=name)
