"""The graph: operations, the tensors they produce, and the Graph that holds them.

A program in minigraph is built first and run later, as in TensorFlow 1.x:

    x = mg.placeholder(mg.float32, shape=(2, 2))    # describes an input
    z = x + x                                       # describes a computation
    mg.Session().run(z, feed_dict={x: ...})         # computes it

Building creates *nodes*. An ``Operation`` is one node: its type (``"AddV2"``), its
inputs, and a few attributes. Its result is a ``Tensor``: a handle that knows which
operation makes it, its static shape (``(None, 784)``: ``None`` is a dimension known
only when the graph runs) and its dtype. Nodes are descriptions only. No value from a
run is ever stored on them: values live in a ``Session``.

Each op type is a subclass of ``Operation`` (see ``minigraph/ops``) that keeps three
things side by side: ``forward`` (the numpy kernel), ``infer`` (the static shape and
dtype rule, checked when the node is created) and ``gradient`` (written with other
ops, so gradients are graph nodes too).

A ``Graph`` gives every node a unique name (``add``, ``add_1``, ``gradients/add_grad/...``)
and keeps them in creation order, which is always a valid topological order: a node's
inputs exist before it does.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator, Sequence

import numpy as np

from minigraph import dtypes
from minigraph.shapes import Shape, format_shape, normalize_shape
from minigraph.shapes import fits as shape_fits  # noqa: F401  (kept for callers until they move)


class Tensor:
    """The output of an operation: static shape, dtype and the op that produces it."""

    # numpy must not turn `array + tensor` into an object array: returning
    # NotImplemented from ufuncs makes Python call Tensor.__radd__ instead.
    __array_ufunc__ = None

    def __init__(self, op: "Operation", shape: Shape | None, dtype: np.dtype):
        self.op = op
        self.shape = shape
        self.dtype = dtype

    @property
    def name(self) -> str:
        return f"{self.op.name}:0"

    @property
    def graph(self) -> "Graph":
        return self.op.graph

    def get_shape(self) -> Shape | None:
        return self.shape

    def __repr__(self) -> str:
        if self.shape is None:  # unknown rank: TF leaves the shape out
            return f'Tensor("{self.name}", dtype={self.dtype.name})'
        return f'Tensor("{self.name}", shape={format_shape(self.shape)}, dtype={self.dtype.name})'

    def __bool__(self):
        raise TypeError(
            f"Using a Tensor as a Python bool is not allowed ({self!r}): its value is "
            "known only when a Session runs it"
        )

    def __iter__(self):
        raise TypeError(f"{self!r} is not iterable: its value is known only inside a Session")

    def eval(self, feed_dict=None, session=None):
        """Runs this tensor in `session` (default: the session of the enclosing `with`)."""
        from minigraph.session import get_default_session

        return (session or get_default_session()).run(self, feed_dict)

    # Operators. Imported late: the ops modules import this one.
    def __add__(self, other):
        return _ops().add(self, other)

    def __radd__(self, other):
        return _ops().add(other, self)

    def __sub__(self, other):
        return _ops().subtract(self, other)

    def __rsub__(self, other):
        return _ops().subtract(other, self)

    def __mul__(self, other):
        return _ops().multiply(self, other)

    def __rmul__(self, other):
        return _ops().multiply(other, self)

    def __truediv__(self, other):
        return _ops().divide(self, other)

    def __rtruediv__(self, other):
        return _ops().divide(other, self)

    def __matmul__(self, other):
        return _ops().matmul(self, other)

    def __rmatmul__(self, other):
        return _ops().matmul(other, self)

    def __neg__(self):
        return _ops().negative(self)

    def __pow__(self, exponent):
        return _ops().pow(self, exponent)

    def __rpow__(self, base):
        return _ops().pow(base, self)

    def __gt__(self, other):
        return _ops().greater(self, other)

    def __lt__(self, other):
        return _ops().greater(other, self)

    __hash__ = object.__hash__


def _ops():
    import minigraph.ops as ops

    return ops


class Operation:
    """A node of the graph. Subclasses define one op type each.

    Class attributes a subclass sets:
      type_name     the TensorFlow op type, shown in GraphDefs and drawings ("AddV2")
      default_name  the node name when none is given ("add", as TF names it)
      stateful      True when forward reads or writes the session's variables
      has_output    False for ops that only have an effect (NoOp, group)

    Methods a subclass defines:
      infer(*inputs)            -> (shape, dtype) of the output; raises on bad inputs
      forward(*values)          -> numpy value (stateful ops get the variable store first)
      gradient(grad_output)     -> one tensor or None per input, built from ops
    """

    type_name = "Op"
    default_name = None
    input_names: tuple[str, ...] = ()  # TF's names for the inputs ("x", "y"), for drawings and errors
    stateful = False
    has_output = True

    ref_inputs: tuple[int, ...] = ()  # inputs that are variables' storage slots, not values
    writes_variables = False  # True for Assign and the optimizers' updates

    def __init__(self, *inputs, name: str | None = None, control_inputs=(), exact_name=False, **attrs):
        graph = _graph_of(inputs)
        tensors = tuple(
            x if i in self.ref_inputs else convert_to_tensor(x, graph=graph) for i, x in enumerate(inputs)
        )
        self.graph = graph
        self.inputs = tensors
        self.attrs = attrs
        # exact_name: the name was reserved already (a Variable's own name scope)
        self.name = name if exact_name else graph.unique_name(name or self.default_name or self.type_name)
        self.control_inputs = tuple(graph.control_inputs_for(control_inputs))
        self.is_gradient = graph.building_gradients
        if self.has_output:
            shape, dtype = self.infer(*tensors)
            self.outputs = (Tensor(self, shape, dtype),)
        else:
            self.outputs = ()
        graph.add_operation(self)

    # --- what subclasses override -------------------------------------------------
    def infer(self, *inputs: Tensor) -> tuple[Shape | None, np.dtype]:
        raise NotImplementedError

    def forward(self, *values):
        raise NotImplementedError

    def gradient(self, grad_output: Tensor) -> Sequence[Tensor | None]:
        """Default: no gradient flows through this op (argmax, equal, ...)."""
        return [None] * len(self.inputs)

    def graph_def_attrs(self) -> dict:
        """Attributes shown in the GraphDef; the input dtype ``T`` by default, as TF."""
        return {"T": self.inputs[0].dtype} if self.inputs else {}

    # --- conveniences ---------------------------------------------------------------
    @property
    def output(self) -> Tensor:
        return self.outputs[0]

    @property
    def value_inputs(self) -> tuple[Tensor, ...]:
        """The inputs whose values flow in (ref inputs name a variable's slot instead)."""
        return tuple(t for i, t in enumerate(self.inputs) if i not in self.ref_inputs)

    @property
    def type(self) -> str:
        return self.type_name

    def run(self, feed_dict=None, session=None):
        """Runs this op in `session` (default: the session of the enclosing `with`)."""
        from minigraph.session import get_default_session

        (session or get_default_session()).run(self, feed_dict)

    def __repr__(self) -> str:
        return f'<minigraph.Operation "{self.name}" type={self.type_name}>'

    def error(self, message: str, kind: type = ValueError) -> Exception:
        """An error that names this node, for shape rules to raise."""
        return kind(f"{message} (node '{self.name}', op {self.type_name})")


class Graph:
    """Holds operations in creation order and hands out unique names."""

    def __init__(self):
        self.operations: list[Operation] = []
        self._by_name: dict[str, Operation] = {}
        self._name_counts: dict[str, int] = {}
        self._scope: list[str] = []
        self._control_stack: list[list[Operation]] = []
        self._gradient_depth = 0
        self.variables: list = []  # minigraph.ops.state.Variable, in creation order

    # --- names ------------------------------------------------------------------
    def unique_name(self, name: str) -> str:
        """'add' -> 'add', then 'add_1', 'add_2'... inside the current name scope."""
        full = "/".join(self._scope + [name]) if self._scope else name
        count = self._name_counts.get(full, 0)
        self._name_counts[full] = count + 1
        if count == 0:
            return full
        candidate = f"{full}_{count}"
        while candidate in self._name_counts:
            count += 1
            candidate = f"{full}_{count}"
        self._name_counts[candidate] = 1
        self._name_counts[full] = count + 1
        return candidate

    @contextlib.contextmanager
    def name_scope(self, name: str) -> Iterator[str]:
        """Prefixes the names of the ops built inside: 'gradients/add_grad/Neg'."""
        scope = self.unique_name(name)
        saved = self._scope
        self._scope = scope.split("/")
        try:
            yield scope
        finally:
            self._scope = saved

    # --- the stacks that shape new nodes -------------------------------------------
    @contextlib.contextmanager
    def control_dependencies(self, ops) -> Iterator[None]:
        """Ops built inside run only after `ops` have run; `None` clears the outer ones."""
        saved = self._control_stack
        if ops is None:
            self._control_stack = []
        else:
            self._control_stack = saved + [[_as_operation(op) for op in ops]]
        try:
            yield
        finally:
            self._control_stack = saved

    def control_inputs_for(self, explicit) -> list[Operation]:
        result = [op for frame in self._control_stack for op in frame]
        result += [_as_operation(op) for op in explicit]
        return list(dict.fromkeys(result))

    @contextlib.contextmanager
    def gradient_construction(self) -> Iterator[None]:
        """Marks the ops built inside as part of the backward graph (for drawings)."""
        self._gradient_depth += 1
        try:
            yield
        finally:
            self._gradient_depth -= 1

    @property
    def building_gradients(self) -> bool:
        return self._gradient_depth > 0

    # --- the ops ------------------------------------------------------------------
    def add_operation(self, op: Operation) -> None:
        op.index = len(self.operations)  # creation order is a topological order
        self.operations.append(op)
        self._by_name[op.name] = op

    def get_operations(self) -> list[Operation]:
        return list(self.operations)

    def get_operation_by_name(self, name: str) -> Operation:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"The name '{name}' refers to an Operation not in the graph.") from None

    def get_tensor_by_name(self, name: str) -> Tensor:
        op_name, _, index = name.partition(":")
        if index != "0":
            raise ValueError(f"The name '{name}' is not a tensor name: expected '<op name>:0'")
        op = self.get_operation_by_name(op_name)
        if not op.outputs:
            raise ValueError(f"The name '{name}' refers to an Operation with no output")
        return op.outputs[0]

    def as_graph_def(self):
        from minigraph.graph_def import graph_def_of

        return graph_def_of(self)

    @contextlib.contextmanager
    def as_default(self) -> Iterator["Graph"]:
        _default_graphs.stack.append(self)
        try:
            yield self
        finally:
            _default_graphs.stack.pop()

    def __repr__(self) -> str:
        return f"<minigraph.Graph with {len(self.operations)} operations>"


# --- the default graph -----------------------------------------------------------


class _DefaultGraphs(threading.local):
    def __init__(self):
        self.stack: list[Graph] = []
        self.global_graph = Graph()


_default_graphs = _DefaultGraphs()


def get_default_graph() -> Graph:
    """The innermost `with graph.as_default():`, else the global graph."""
    stack = _default_graphs.stack
    return stack[-1] if stack else _default_graphs.global_graph


def reset_default_graph() -> None:
    """Replaces the global graph with an empty one (not allowed inside `as_default`)."""
    if _default_graphs.stack:
        raise AssertionError("Do not use reset_default_graph() inside a `with graph.as_default():` block")
    _default_graphs.global_graph = Graph()


# --- turning Python values into tensors -------------------------------------------


def _graph_of(inputs) -> Graph:
    """The graph the inputs live in; all tensors must share one."""
    graph = None
    first = None
    for x in inputs:
        t = x if isinstance(x, Tensor) else None
        if t is None:
            continue
        if graph is None:
            graph, first = t.graph, t
        elif t.graph is not graph:
            raise ValueError(f"{t!r} must be from the same graph as {first!r}")
    return graph if graph is not None else get_default_graph()


def tensor_or_none(x) -> Tensor | None:
    """The tensor `x` stands for (a Variable stands for its `read`), or None."""
    # A Variable is used through its `read` node, as in TF1; it says so here.
    to_tensor = getattr(x, "_as_graph_tensor", None)
    if to_tensor is not None:
        return to_tensor()
    return x if isinstance(x, Tensor) else None


def convert_to_tensor(value, dtype=None, graph: Graph | None = None, name: str | None = None) -> Tensor:
    """A tensor stays itself (dtype checked); anything else becomes a Const node."""
    tensor = tensor_or_none(value)
    if tensor is not None:
        if dtype is not None and tensor.dtype != dtypes.as_dtype(dtype):
            raise TypeError(
                f"Tensor conversion requested dtype {dtypes.as_dtype(dtype).name} for {tensor!r}"
            )
        if graph is not None and tensor.graph is not graph:
            raise ValueError(f"{tensor!r} must be from the same graph as the op that uses it")
        return tensor
    from minigraph.ops.array import constant

    if graph is None:
        return constant(value, dtype=dtype, name=name)
    with graph.as_default():
        return constant(value, dtype=dtype, name=name)


def _as_operation(x) -> Operation:
    if isinstance(x, Operation):
        return x
    tensor = tensor_or_none(x)
    if tensor is not None:
        return tensor.op
    raise TypeError(f"Expected an Operation or a Tensor, got {x!r}")


def control_dependencies(ops):
    """`with mg.control_dependencies([a, b]):` ops built inside run after a and b."""
    return get_default_graph().control_dependencies(ops)


def name_scope(name: str):
    """`with mg.name_scope("layer"):` prefixes the names of the ops built inside."""
    return get_default_graph().name_scope(name)
