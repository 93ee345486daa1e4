"""Variable scopes and ``get_variable``: sharing variables by name, as TF 1.x does.

``mg.Variable(...)`` makes a new variable every time it runs. A function that builds
a layer and is called twice (once for the training input, once for the test input)
would then build two sets of weights. TF1's answer is to name variables and look them
up by name::

    def dense(x, units):
        w = mg.get_variable("w", shape=(x.shape[1], units))      # glorot_uniform by default
        b = mg.get_variable("b", shape=(units,), initializer=mg.zeros_initializer())
        return mg.matmul(x, w) + b

    with mg.variable_scope("layer1"):
        train_out = dense(train_x, 10)                  # creates layer1/w and layer1/b
    with mg.variable_scope("layer1", reuse=True):
        test_out = dense(test_x, 10)                    # returns the same two variables

The rules, all TF1's:

- A variable's full name is its variable scopes joined by '/', then its name
  (``layer1/w``). Name scopes (``mg.name_scope``) do not count: they name ops only.
  ``variable_scope`` opens a name scope too (``layer1/MatMul``), made unique as name
  scopes are (the second ``with variable_scope("layer1")`` names ops ``layer1_1/...``,
  while its variables stay ``layer1/...``).
- ``reuse`` decides what ``get_variable`` does with a name: by default it creates
  the variable and refuses a name that exists; with ``reuse=True`` it returns the
  existing one and refuses a name that does not; with ``mg.AUTO_REUSE`` it does
  whichever fits. Reuse is inherited by the scopes inside (``reuse=False`` inside a
  reusing scope changes nothing), and ``scope.reuse_variables()`` turns it on for the
  rest of a scope.
- A scope remembers an ``initializer`` and a ``dtype`` for the ``get_variable`` calls
  inside that give none; without one, floats get ``glorot_uniform_initializer`` and
  integers and bools zeros (see ``initializers.py``).
- ``variable_scope(None, default_name="layer")`` makes a new scope each time:
  ``layer``, ``layer_1``, ...

Each graph has its own scopes and its own table of the variables ``get_variable``
made, ``{full name: Variable}`` (TF keeps them in the graph's collections). The
variables themselves are ordinary Variables in ``graph.variables``, so
``global_variables()`` and the optimizers see them. The table holds only what
``get_variable`` made, as in TF: a plain ``mg.Variable(name="w")`` is not found by
``get_variable("w", reuse=True)``, and ``get_variable("w")`` then makes ``w_1``.

The end of the module has the rest of TF1's variable vocabulary that courses use:
``initialize_all_variables`` and the (empty) local variables.
"""

from __future__ import annotations

import contextlib
import enum
import inspect
import weakref
from typing import Iterator

import numpy as np

from minigraph import dtypes, initializers
from minigraph.graph import Graph, get_default_graph, tensor_or_none
from minigraph.ops.array import constant
from minigraph.ops.state import Variable, global_variables_initializer
from minigraph.shapes import format_shape, is_compatible, normalize_shape


class _ReuseMode(enum.Enum):
    """TF's type for AUTO_REUSE (it is truthy, so `reuse or parent.reuse` keeps it)."""

    AUTO_REUSE = 1


AUTO_REUSE = _ReuseMode.AUTO_REUSE


class VariableScope:
    """What a `with variable_scope(...)` block gives get_variable: the names' prefix,
    whether to reuse, and the default initializer and dtype."""

    def __init__(self, reuse, name: str = "", initializer=None, dtype=dtypes.float32, name_scope: str = ""):
        self.name = name
        self.reuse = reuse  # False, True or AUTO_REUSE
        self.initializer = initializer
        self.dtype = dtypes.as_dtype(dtype)
        self.original_name_scope = name_scope  # the name scope the block opened first ('layer1/')

    def reuse_variables(self) -> None:
        """From now on, get_variable in this scope returns existing variables."""
        self.reuse = True

    def set_initializer(self, initializer) -> None:
        self.initializer = initializer

    def set_dtype(self, dtype) -> None:
        self.dtype = dtypes.as_dtype(dtype)

    def __repr__(self) -> str:
        return f"<mg.VariableScope '{self.name}' reuse={self.reuse}>"


class _GraphScopes:
    """One graph's variable scopes: the current one, how many times each scope name was
    opened (for default names), and get_variable's {full name: Variable}."""

    def __init__(self):
        self.current = VariableScope(False)
        self.opened: dict[str, int] = {}
        self.variables: dict[str, Variable] = {}

    def unique_scope_name(self, prefix: str) -> str:
        """default_name 'layer' -> 'layer', then 'layer_1', ... among the current scope's subscopes."""
        parent = self.current.name
        full = f"{parent}/{prefix}" if parent else prefix
        if not self.opened.get(full):
            return prefix
        index = 1
        while self.opened.get(f"{full}_{index}"):
            index += 1
        return f"{prefix}_{index}"

    def close_subscopes(self, name: str) -> None:
        """Leaving scope `name` forgets which of its subscopes were opened (as TF)."""
        for key in self.opened:
            if key.startswith(name + "/"):
                self.opened[key] = 0


_scopes_of: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # graph -> _GraphScopes


def _scopes(graph: Graph) -> _GraphScopes:
    if graph not in _scopes_of:
        _scopes_of[graph] = _GraphScopes()
    return _scopes_of[graph]


def get_variable_scope() -> VariableScope:
    """The variable scope of the innermost `with variable_scope(...)` (the root scope, name '', outside)."""
    return _scopes(get_default_graph()).current


def _not_implemented(function: str, **arguments) -> None:
    for argument, value in arguments.items():
        if value is not None:
            raise NotImplementedError(
                f"{function}({argument}=...) is not implemented: minigraph implements a subset of "
                f"TensorFlow 1.x (it keeps no graph collections), got {argument}={value!r}"
            )


@contextlib.contextmanager
def variable_scope(name_or_scope, default_name: str | None = None, values=None, *, initializer=None,
                   reuse=None, dtype=None, regularizer=None, partitioner=None, custom_getter=None,
                   constraint=None) -> Iterator[VariableScope]:
    """`with mg.variable_scope("layer1"):` prefixes the names of the variables get_variable
    makes inside (and opens a name scope for ops). `name_or_scope` is a name, or a scope
    from an earlier `with ... as scope` to enter again; None takes `default_name`, made
    unique. `values` are tensors the block uses: their graph is the one entered."""
    _not_implemented("variable_scope", regularizer=regularizer, partitioner=partitioner,
                     custom_getter=custom_getter, constraint=constraint)
    if name_or_scope is None and default_name is None:
        raise TypeError("If default_name is None then name_or_scope is required")
    if name_or_scope is None and reuse:
        raise ValueError("reuse=True cannot be used without a name_or_scope")
    if name_or_scope is not None and not isinstance(name_or_scope, (str, VariableScope)):
        raise TypeError(f"VariableScope: name_or_scope must be a string or VariableScope, got {name_or_scope!r}")
    graph = next((t.graph for t in map(tensor_or_none, values or ()) if t is not None), get_default_graph())
    reentered = isinstance(name_or_scope, VariableScope)
    with graph.as_default():
        scopes = _scopes(graph)
        parent = scopes.current
        # the name scope for ops: the scope's last part, made unique as any name scope
        name_scope = name_or_scope.name.split("/")[-1] if reentered else (name_or_scope or default_name)
        with graph.name_scope(name_scope) as opened:
            if reentered:  # the same variables' names; reuse and defaults from that scope, not the parent
                scope = VariableScope(reuse or name_or_scope.reuse, name_or_scope.name, name_or_scope.initializer,
                                      name_or_scope.dtype, name_or_scope.original_name_scope)
            else:
                relative = name_or_scope if name_or_scope is not None else scopes.unique_scope_name(default_name)
                full_name = f"{parent.name}/{relative}" if parent.name else relative
                # reuse is inherited: reuse=False (or None) inside a reusing scope still reuses
                scope = VariableScope(reuse or parent.reuse, full_name, parent.initializer, parent.dtype, opened)
            if initializer is not None:
                scope.initializer = initializer
            if dtype is not None:
                scope.dtype = dtypes.as_dtype(dtype)
            opened_before = dict(scopes.opened)
            scopes.opened[scope.name] = scopes.opened.get(scope.name, 0) + 1
            scopes.current = scope
            try:
                yield scope
            finally:
                scopes.current = parent
                if reentered:
                    scopes.opened = opened_before
                else:
                    scopes.close_subscopes(scope.name)


def get_variable(name: str, shape=None, dtype=None, initializer=None, regularizer=None, trainable: bool | None = None,
                 collections=None, caching_device=None, partitioner=None, validate_shape: bool = True,
                 use_resource=None, custom_getter=None, constraint=None) -> Variable:
    """The variable `<current variable scope>/<name>`: made (by `initializer`, or the scope's,
    or glorot_uniform for floats and zeros otherwise) or, in a reusing scope, the one made
    before. `initializer` may also be a value or a tensor; then `shape` is its shape.
    (`caching_device` and `use_resource` are accepted and change nothing: minigraph has one
    kind of variable, on one device.)"""
    _not_implemented("get_variable", regularizer=regularizer, collections=collections, partitioner=partitioner,
                     custom_getter=custom_getter, constraint=constraint)
    if not validate_shape:
        raise NotImplementedError("get_variable(validate_shape=False) is not implemented: a minigraph "
                                  "variable keeps the shape it was made with")
    graph = get_default_graph()
    scopes = _scopes(graph)
    scope = scopes.current
    full_name = f"{scope.name}/{name}" if scope.name else name
    from_value = initializer is not None and not callable(initializer)
    if from_value and dtype is not None:
        value_dtype = _dtype_of_value(initializer)
        if value_dtype != dtypes.as_dtype(dtype):
            raise ValueError(f"Initializer type '{value_dtype.name}' and explicit dtype "
                             f"'{dtypes.as_dtype(dtype).name}' don't match.")
    if from_value and shape is not None:
        raise ValueError("If initializer is a constant, do not specify shape.")
    dtype = dtypes.as_dtype(scope.dtype if dtype is None else dtype)
    shape = normalize_shape(shape)

    existing = scopes.variables.get(full_name)
    if existing is not None:
        if not scope.reuse:
            raise ValueError(f"Variable {full_name} already exists, disallowed. Did you mean to set reuse=True "
                             "or reuse=tf.AUTO_REUSE in VarScope?")
        if not is_compatible(shape, existing.shape):
            raise ValueError(f"Trying to share variable {full_name}, but specified shape {format_shape(shape)} "
                             f"and found shape {format_shape(existing.shape)}.")
        if not from_value and dtype != existing.dtype:
            raise ValueError(f"Trying to share variable {full_name}, but specified dtype {dtype.name} "
                             f"and found dtype {existing.dtype.name}.")
        return existing
    if scope.reuse is True:
        raise ValueError(f"Variable {full_name} does not exist, or was not created with tf.get_variable(). "
                         "Did you mean to set reuse=tf.AUTO_REUSE in VarScope?")

    if initializer is None:
        initializer = scope.initializer or _default_initializer(full_name, dtype, shape)
    if inspect.isclass(initializer):
        initializer = initializer()  # initializer=mg.zeros_initializer, without the call, works in TF too
    # built outside every name scope and control_dependencies block: the variable's name is
    # its variable scope's, and its initializer must run without waiting for anything
    with graph.control_dependencies(None), graph.name_scope(None), graph.name_scope(full_name) as variable_name:
        if from_value:
            initial_value = initializer  # a tensor is used as it is; a value becomes 'w/initial_value'
        else:
            with graph.name_scope("Initializer"):
                initial_value = _call_initializer(initializer, full_name, shape, dtype)
        variable = Variable(initial_value, name=variable_name, trainable=True if trainable is None else trainable,
                            dtype=None if from_value else dtype)  # an initializer's numpy array takes `dtype`
    scopes.variables[full_name] = variable
    return variable


def _dtype_of_value(value) -> np.dtype:
    """The dtype a value would get as a constant (1.0 -> float32), without adding a node."""
    tensor = tensor_or_none(value)
    if tensor is not None:
        return tensor.dtype
    with Graph().as_default():  # a scratch graph: the real one gets no stray Const
        return constant(value).dtype


def _default_initializer(name: str, dtype: np.dtype, shape):
    """TF1's choice when neither get_variable nor the scope names an initializer."""
    if shape is None:
        raise ValueError(f"Variable {name} did not get an initializer, so its `shape` argument must be specified.")
    if dtypes.is_floating(dtype):
        return initializers.GlorotUniform()
    if dtype.kind in "iub":
        return initializers.Zeros()
    raise ValueError(f"An initializer for variable {name} of {dtype.name} is required")


def _call_initializer(initializer, name: str, shape, dtype):
    """initializer(shape, dtype=dtype); a function of no arguments is called as it is (TF)."""
    if shape is None or None in shape:
        if not inspect.signature(initializer).parameters:
            return initializer()
        raise ValueError(f"Variable {name}: the initializer needs a fully known shape, got "
                         f"{format_shape(shape)}; give get_variable a shape, or an initial value as initializer")
    return initializer(shape, dtype=dtype)


def initialize_all_variables():
    """TF1's old name (deprecated in TF 1.x itself) for global_variables_initializer()."""
    return global_variables_initializer()


local_variables_initializer = initializers.local_variables  # tf.local_variables_initializer()


def local_variables(scope=None) -> list:
    """TF1's local variables (tf.metrics' counters, in a collection of their own): minigraph
    keeps no collections, and every variable is global, so there are none."""
    return []
