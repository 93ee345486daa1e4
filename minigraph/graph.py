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
inputs exist before it does. ``walk`` follows edges backwards (or forwards) through
it; each caller says which edges count (values only, or control edges too).

This module imports no op: the layers point one way (graph, then ops, then gradients,
then session). The one exception is Tensor's operators: ``x + y`` must build an
``Add`` node, and ``Add`` is defined in ``minigraph.ops``, which imports this module.
The operators look ``minigraph.ops`` up when they are called (``_ops()``), so a
reader sees ``__add__ -> ops.add`` right here instead of operators patched onto
Tensor from afar.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np

from minigraph import dtypes
from minigraph.graph_def import GraphDef, graph_def_of
from minigraph.shapes import Shape, format_shape, merge, normalize_shape


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

    def set_shape(self, shape) -> None:
        """Narrows the static shape with what is known elsewhere: (None, 3) and (2, None)
        give (2, 3). A shape that can't be the same value's is refused (as TF)."""
        try:
            self.shape = merge(self.shape, normalize_shape(shape))
        except ValueError:
            raise ValueError(f"Shapes {format_shape(self.shape)} and {format_shape(shape)} are "
                             f"incompatible: cannot set the shape of {self!r}") from None

    def __repr__(self) -> str:
        if self.shape is None:  # unknown rank: TF leaves the shape out
            return f'Tensor("{self.name}", dtype={dtypes.name(self.dtype)})'
        return f'Tensor("{self.name}", shape={format_shape(self.shape)}, dtype={dtypes.name(self.dtype)})'

    def __bool__(self):
        raise TypeError(
            f"Using a Tensor as a Python bool is not allowed ({self!r}): its value is "
            "known only when a Session runs it"
        )

    def __iter__(self):
        raise TypeError(f"{self!r} is not iterable: its value is known only inside a Session")

    def eval(self, feed_dict=None, session=None):
        """Runs this tensor in `session` (default: the session of the enclosing `with`)."""
        return (session or get_default_session()).run(self, feed_dict)

    # Operators build op nodes; see the module docstring for why ops is looked up late.
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

    def __getitem__(self, index):  # x[1:, None, ..., 0]: one StridedSlice, built as TF1 builds it
        return _ops().indexing.getitem(self, index)

    # Comparisons build ops, as in TF (2 < x is x > 2, by Python's reflection). Not ==:
    # TF1 keeps Python's identity there, so tensors stay usable as dict keys (feed_dict).
    def __lt__(self, other):
        return _ops().less(self, other)

    def __le__(self, other):
        return _ops().less_equal(self, other)

    def __ge__(self, other):
        return _ops().greater_equal(self, other)

    def __mod__(self, other):
        return _ops().floormod(self, other, name="mod")

    def __rmod__(self, other):
        return _ops().floormod(other, self, name="mod")

    def __floordiv__(self, other):
        return _ops().floordiv(self, other)

    def __rfloordiv__(self, other):
        return _ops().floordiv(other, self)

    def __abs__(self):
        return _ops().abs(self)

    # On bool tensors, & | ^ ~ are TF1's logical ops (TF1 has no bitwise operators)
    def __and__(self, other):
        return _ops().logical_and(self, other, name="and")

    def __rand__(self, other):
        return _ops().logical_and(other, self, name="and")

    def __or__(self, other):
        return _ops().logical_or(self, other, name="or")

    def __ror__(self, other):
        return _ops().logical_or(other, self, name="or")

    def __xor__(self, other):
        return _ops().comparison.xor_operator(self, other)

    def __rxor__(self, other):
        return _ops().comparison.xor_operator(other, self)

    def __invert__(self):
        return _ops().logical_not(self)


def _ops():
    import minigraph.ops as ops  # the one import against the layers: see the module docstring

    return ops


# The roles a node can play; drawings put the last two in the "backward" box.
FORWARD = "forward"  # what the user built
GRADIENT = "gradient"  # built by gradients()
UPDATE = "update"  # built by an optimizer: its state, updates and step count


class Operation:
    """A node of the graph. Subclasses define one op type each.

    Class attributes a subclass sets:
      type_name     the TensorFlow op type, shown in GraphDefs and drawings ("AddV2")
      default_name  the node name when none is given ("add", as TF names it)
      input_names   TF's names for the inputs, in order ("x", "y"): drawings label
                    edges with them and errors quote them
      has_output    False for ops that only have an effect (NoOp, group)
      ref_inputs    positions of inputs that are *ref inputs*: edges to a variable's
                    storage node itself, not to a value (see variable_store.py)
      writes_variables  True when running the op changes a variable (Assign, updates)
      stateful      True when two runs may differ with the same inputs (it reads a
                    variable or draws random numbers): never computed ahead of time
      keeps_state   True when the op keeps state of its own in each session, from run
                    to run (a random op's generator): the session makes it once with
                    ``initial_state()`` and passes it to ``forward`` before the inputs

    Methods a subclass defines, each taking one argument per input, in order:
      infer(*inputs)        the static rule: the inputs as Tensors (a ref input as the
                            Variable) -> (shape, dtype) of the output. Pure: it only
                            checks and computes; it raises on inputs that can't work.
      forward(*values)      the kernel: each input's value as a numpy array (a ref
                            input as a VariableRef, with read() and write()) -> the
                            output's numpy value (None for ops without output).
      gradient(grad_output) one tensor or None per input, built from ops.

    Attributes (``self.attrs``) are normalised by the lowercase builder function
    (``transpose``, ``reduce_sum``) before the node exists, so every method reads them
    as they are. Builders also turn Python values into constants: the constructor
    takes tensors only.
    """

    type_name = "Op"
    default_name = None
    input_names: tuple[str, ...] = ()
    has_output = True
    ref_inputs: tuple[int, ...] = ()
    writes_variables = False
    stateful = False
    keeps_state = False

    def __init__(self, *inputs, name: str | None = None, control_inputs=(), **attrs):
        graph = _graph_of(inputs)
        base_name = name or self.default_name or self.type_name
        if graph.finalized:
            raise RuntimeError(
                f"Graph is finalized and cannot be modified: tried to add {self.type_name} '{base_name}'. "
                "Build every op before graph.finalize()."
            )
        self.graph = graph
        self.attrs = attrs
        # the name this node will get, shown in errors; only reserved once the node is valid
        self.name = graph.unique_name(base_name, reserve=False)
        self.inputs = tuple(
            x if i in self.ref_inputs else self._input_tensor(x, i) for i, x in enumerate(inputs)
        )
        self.control_inputs = tuple(graph.control_inputs_for(control_inputs))
        self.role = graph.role
        if self.has_output:
            shape, dtype = self.infer(*self.inputs)
            self.outputs: tuple[Tensor, ...] = (Tensor(self, shape, dtype),)
        else:
            self.outputs = ()
        self.name = graph.unique_name(base_name)
        graph.add_operation(self)

    def _input_tensor(self, x, position: int) -> Tensor:
        tensor = tensor_or_none(x)
        if tensor is None:
            raise self.error(
                f"input '{self.input_name(position)}' must be a Tensor, got {x!r}; the lowercase "
                "builder functions (mg.add, mg.matmul, ...) turn Python values into constants",
                TypeError,
            )
        return tensor

    # --- what subclasses override -------------------------------------------------
    def infer(self, *inputs: Tensor) -> tuple[Shape | None, np.dtype]:
        raise NotImplementedError

    def forward(self, *values):
        raise NotImplementedError

    def gradient(self, grad_output: Tensor) -> Sequence[Tensor | None]:
        """Default: no gradient flows through this op (argmax, equal, ...)."""
        return [None] * len(self.inputs)

    def initial_state(self):
        """For ops that keep state (``keeps_state``): the state a new session starts with."""
        raise NotImplementedError

    def graph_def_attrs(self) -> dict:
        """Attributes shown in the GraphDef; the input dtype ``T`` by default, as TF."""
        return {"T": self.inputs[0].dtype} if self.inputs else {}

    # --- conveniences ---------------------------------------------------------------
    @property
    def output(self) -> Tensor:
        return self.outputs[0]

    @property
    def value_inputs(self) -> tuple[Tensor, ...]:
        """The inputs whose values flow in (ref inputs name a variable's storage instead)."""
        return tuple(t for i, t in enumerate(self.inputs) if i not in self.ref_inputs)

    def input_name(self, position: int) -> str:
        """TF's name for one input ('a', 'b' for MatMul); 'inputs[2]' for a list input."""
        if position < len(self.input_names):
            return self.input_names[position]
        return f"inputs[{position}]"

    @property
    def type(self) -> str:
        return self.type_name

    def run(self, feed_dict=None, session=None) -> None:
        """Runs this op in `session` (default: the session of the enclosing `with`)."""
        (session or get_default_session()).run(self, feed_dict)

    def __repr__(self) -> str:
        return f'<minigraph.Operation "{self.name}" type={self.type_name}>'

    def error(self, message: str, kind: type = ValueError) -> Exception:
        """An error that names this node, for shape rules and kernels to raise."""
        return kind(f"{message} (node '{self.name}', op {self.type_name})")


class Graph:
    """Holds operations in creation order and hands out unique names."""

    def __init__(self):
        self.operations: list[Operation] = []
        self.variables: list = []  # the Variables built in this graph, in creation order
        self.role = FORWARD  # the role of the ops being built (see `building`)
        self._by_name: dict[str, Operation] = {}
        self._name_counts: dict[str, int] = {}
        self._scope: list[str] = []
        self._control_stack: list[list[Operation]] = []
        self.finalized = False
        self.seed: int | None = None  # the graph-level random seed (mg.set_random_seed; ops/random.py)

    def finalize(self) -> None:
        """Makes the graph read-only: adding an op afterwards raises. A training loop that
        accidentally builds nodes on every step fails at once instead of slowing down."""
        self.finalized = True

    # --- names ------------------------------------------------------------------
    def unique_name(self, name: str, reserve: bool = True) -> str:
        """'add' -> 'add', then 'add_1', 'add_2'... inside the current name scope.

        A name ending in '/' (what `name_scope` returns) is taken as it is, without the
        '/', as in TF. `reserve=False` only says which name would be next.
        """
        if name.endswith("/"):
            return name[:-1]
        full = "/".join(self._scope + [name]) if self._scope else name
        count = self._name_counts.get(full, 0)
        candidate = full if count == 0 else f"{full}_{count}"
        while count and candidate in self._name_counts:
            count += 1
            candidate = f"{full}_{count}"
        if reserve:
            self._name_counts[full] = count + 1
            if candidate != full:
                self._name_counts[candidate] = 1
        return candidate

    @contextlib.contextmanager
    def name_scope(self, name: str) -> Iterator[str]:
        """Prefixes the names of the ops built inside: 'gradients/add_grad/Neg'.

        Yields the scope's name with a trailing '/': an op given that name takes it
        exactly (a Variable's storage node is named 'Variable', its parts 'Variable/read').
        `None` goes back to the top level and yields '', as in TF (get_variable uses it).
        """
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name_scope() needs a string name, got {name!r}")
        scope = "" if name is None else self.unique_name(name)
        saved = self._scope
        self._scope = scope.split("/") if scope else []
        try:
            yield scope + "/" if scope else ""
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
            self._control_stack = saved + [self._own_operations(ops, "control_dependencies()")]
        try:
            yield
        finally:
            self._control_stack = saved

    @property
    def in_control_dependencies(self) -> bool:
        """True inside `with control_dependencies([...]):` (ops built now wait for others)."""
        return any(self._control_stack)

    def control_inputs_for(self, explicit) -> list[Operation]:
        """The control inputs of a new op: the enclosing control_dependencies, then `explicit`."""
        if not explicit and not self._control_stack:
            return []  # the common case, on every op built
        result = [op for frame in self._control_stack for op in frame]
        result += self._own_operations(explicit, "control_inputs")
        return list(dict.fromkeys(result))

    def _own_operations(self, items, what: str) -> list[Operation]:
        """Ops (or the ops of tensors) of this graph; anything else is refused by name."""
        if items is None or isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
            raise TypeError(f"{what} needs a list of operations or tensors, got {items!r}")
        ops = []
        for item in items:
            op = as_operation(item)
            if op.graph is not self:
                raise ValueError(f"{what}: {op!r} is from another graph than the ops it would control")
            ops.append(op)
        return ops

    @contextlib.contextmanager
    def building(self, role: str) -> Iterator[None]:
        """Marks the ops built inside as GRADIENT or UPDATE nodes (for drawings)."""
        saved = self.role
        self.role = role
        try:
            yield
        finally:
            self.role = saved

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

    def as_graph_element(self, obj, allow_tensor: bool = True, allow_operation: bool = True):
        """The tensor or op of this graph that `obj` names: a Tensor, a Variable (its
        read), an Operation, or a name ('add:0' for a tensor, 'add' for an op)."""
        if isinstance(obj, str):
            element = self.get_tensor_by_name(obj) if ":" in obj else self.get_operation_by_name(obj)
        elif isinstance(obj, Operation):
            element = obj
        else:
            element = tensor_or_none(obj)
        allowed = (Tensor,) * allow_tensor + (Operation,) * allow_operation
        if not isinstance(element, allowed):
            kinds = " or ".join(k for k, ok in (("a Tensor", allow_tensor), ("an Operation", allow_operation)) if ok)
            raise TypeError(f"{obj!r} of type {type(obj).__name__} cannot be used here: expected {kinds} "
                            "of this graph, or its name")
        if element.graph is not self:
            raise ValueError(f"{obj!r} is not an element of this graph.")
        return element

    def as_graph_def(self) -> GraphDef:
        return graph_def_of(self)

    @contextlib.contextmanager
    def as_default(self) -> Iterator["Graph"]:
        _defaults.graphs.append(self)
        try:
            yield self
        finally:
            _defaults.graphs.pop()

    def __repr__(self) -> str:
        return f"<minigraph.Graph with {len(self.operations)} operations>"


# --- walking the graph ------------------------------------------------------------


def walk(start: Iterable[Operation], edges: Callable[[Operation], Iterable[Operation]]) -> set[Operation]:
    """Every op reachable from `start` by following `edges(op)`, start included.

    An explicit stack, not recursion: a chain of 100,000 ops must not hit Python's
    recursion limit. The edge rule says which way and which edges: the functions
    below follow inputs backwards; gradients() also walks forwards to consumers.
    """
    seen: set[Operation] = set()
    stack = list(start)
    while stack:
        op = stack.pop()
        if op not in seen:
            seen.add(op)
            stack.extend(edges(op))
    return seen


def value_producers(op: Operation) -> list[Operation]:
    """The ops whose values flow into `op` (what a derivative can pass through)."""
    return [t.op for t in op.value_inputs]


def run_dependencies(op: Operation, fed: frozenset = frozenset()) -> list[Operation]:
    """What must run before `op`: its value inputs' producers, unless fed, and its
    control inputs. A ref input needs nothing to run: the variable's value is stored."""
    return [t.op for t in op.value_inputs if t not in fed] + list(op.control_inputs)


def every_producer(op: Operation) -> list[Operation]:
    """Every op `op` has an edge from: value inputs, ref inputs, control inputs (for drawings)."""
    return [t.op for t in op.inputs] + list(op.control_inputs)


# --- the default graph and the default session ------------------------------------


class _Defaults(threading.local):
    """Per thread, as in TF: the `with graph.as_default()` and `with sess:` stacks."""

    def __init__(self):
        self.graphs: list[Graph] = []
        self.global_graph = Graph()
        self.sessions: list = []


_defaults = _Defaults()


def get_default_graph() -> Graph:
    """The innermost `with graph.as_default():`, else the global graph."""
    return _defaults.graphs[-1] if _defaults.graphs else _defaults.global_graph


def reset_default_graph() -> None:
    """Replaces the global graph with an empty one (not allowed inside `as_default`)."""
    if _defaults.graphs:
        raise AssertionError("Do not use reset_default_graph() inside a `with graph.as_default():` block")
    _defaults.global_graph = Graph()


@contextlib.contextmanager
def default_session(session) -> Iterator:
    """Makes `session` the one `tensor.eval()` and `op.run()` use, inside the block.

    The only way onto the default-session stack: `with sess:`, `sess.as_default()`
    and InteractiveSession all go through it.
    """
    _defaults.sessions.append(session)
    try:
        yield session
    finally:
        # remove this session, wherever it is: an InteractiveSession may close late
        index = len(_defaults.sessions) - 1 - _defaults.sessions[::-1].index(session)
        del _defaults.sessions[index]


def get_default_session():
    """The session of the innermost `with sess:` (or `sess.as_default()`)."""
    if not _defaults.sessions:
        raise ValueError(
            "Cannot evaluate without a session: no default session is registered. Use "
            "`with mg.Session():` or pass session=sess."
        )
    return _defaults.sessions[-1]


# --- what a value stands for -----------------------------------------------------


def _graph_of(inputs) -> Graph:
    """The graph the inputs live in; all tensors must share one."""
    graph = None
    first = None
    for x in inputs:
        t = x if isinstance(x, Tensor) else tensor_or_none(x)  # a Variable is in its own graph
        if t is None:
            continue
        if graph is None:
            graph, first = t.graph, t
        elif t.graph is not graph:
            raise ValueError(f"{t!r} must be from the same graph as {first!r}")
    return graph if graph is not None else get_default_graph()


def tensor_or_none(x) -> Tensor | None:
    """The tensor `x` stands for (a Variable stands for its `read`), or None."""
    # A Variable is used through its `read` node, as in TF1; it says so itself.
    to_tensor = getattr(x, "_as_graph_tensor", None)
    if to_tensor is not None:
        return to_tensor()
    return x if isinstance(x, Tensor) else None


def as_operation(x) -> Operation:
    """An Operation stays itself; a Tensor (or Variable) stands for the op making it."""
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
