"""Variables: the graph's memory between runs.

A placeholder's value lasts one ``Session.run``; a variable's value lasts as long as
the session. The value is not stored on the node (nodes only describe): each
Session keeps its own ``VariableStore`` (``minigraph/variable_store.py``), so two
sessions on one graph train two independent models.

A ``Variable`` builds the four nodes TF1 builds, which is what a GraphDef shows::

    Variable/initial_value   Const        the starting value
    Variable                 VariableV2   the storage node
    Variable/Assign          Assign       writes the starting value (the initializer)
    Variable/read            Identity     what other ops read

Ops that read or write a variable (``Variable/read``, ``Assign``, the optimizers'
updates) name it as a *ref input*: an edge to the storage node itself, not to a
value computed from it. Their kernels get a ``VariableRef`` for that input and call
its ``read()`` and ``write()``. A variable must be initialised
(``sess.run(mg.global_variables_initializer())``) before anything reads it.
"""

from __future__ import annotations

import numpy as np

from minigraph import dtypes
from minigraph.graph import Operation, Tensor, get_default_graph, get_default_session, tensor_or_none
from minigraph.graph_def import ShapeAttr
from minigraph.ops.array import NoOp, constant
from minigraph.shapes import format_shape, is_compatible


class VariableOp(Operation):
    """The storage node of a variable. It computes nothing itself: ops that read or
    write the variable name it as a ref input and reach the session's store."""

    type_name = "VariableV2"
    stateful = True

    def infer(self):
        return self.attrs["shape"], self.attrs["dtype"]

    def forward(self):
        return None  # its value is in the session's VariableStore, not in a run

    def graph_def_attrs(self):
        attrs = self.attrs
        return {"container": "", "dtype": attrs["dtype"], "shape": ShapeAttr(attrs["shape"]), "shared_name": ""}


class Variable(Tensor):
    """A tensor whose value persists in the session and can be assigned."""

    def __init__(self, initial_value, name: str | None = None, trainable: bool = True, dtype=None):
        graph = get_default_graph()
        initial_tensor = tensor_or_none(initial_value)
        if initial_tensor is not None:
            graph = initial_tensor.graph
        # a variable's initializer never waits for an enclosing control_dependencies (as TF)
        with graph.as_default(), graph.control_dependencies(None), graph.name_scope(name or "Variable") as scope:
            if initial_tensor is None:
                initial_tensor = constant(initial_value, dtype=dtype, name="initial_value")
            elif dtype is not None and dtypes.as_dtype(dtype) != initial_tensor.dtype:
                raise TypeError(f"Variable {scope[:-1]}: initial value {initial_tensor!r} is not of dtype {dtype}")
            shape = initial_tensor.shape
            if shape is None or None in shape:
                raise ValueError(
                    f"Variable {scope[:-1]}: the initial value's shape must be fully known, "
                    f"got {format_shape(shape)}"
                )
            storage = VariableOp(name=scope, shape=shape, dtype=initial_tensor.dtype)  # named exactly the scope
            super().__init__(storage, shape, initial_tensor.dtype)
            storage.outputs = (self,)
            self.initial_value = initial_tensor
            self.initializer = Assign(self, initial_tensor, name="Assign")
            self.read = Read(self, name="read").output
        self.trainable = trainable
        graph.variables.append(self)

    def _as_graph_tensor(self) -> Tensor:
        """The tensor an op gets when given this variable: the shared `read`, or, inside
        `control_dependencies`, a new read that waits for them (so it sees their writes,
        as in TF1, where such ops read the variable itself)."""
        if self.graph.in_control_dependencies:
            return self.read_value()
        return self.read

    def value(self) -> Tensor:
        """The tensor other ops use: the variable's `read` (as in TF1)."""
        return self.read

    def read_value(self) -> Tensor:
        """A new read of the variable. Built inside `mg.control_dependencies([op])`, it
        runs after `op`, so it sees what `op` wrote; the shared `read` may run before."""
        with self.graph.as_default():
            return Read(self, name=f"{self.op.name}/read_value").output

    def assign(self, value, name: str | None = None) -> Tensor:
        return assign(self, value, name=name)

    def assign_add(self, delta, name: str | None = None) -> Tensor:
        return assign_add(self, delta, name=name)

    def assign_sub(self, delta, name: str | None = None) -> Tensor:
        return assign_sub(self, delta, name=name)

    def load(self, value, session=None) -> None:
        """Writes `value` into this variable in `session` (no graph node is added)."""
        (session or get_default_session()).set_variable_value(self, value)

    def __repr__(self) -> str:
        return f"<mg.Variable '{self.name}' shape={format_shape(self.shape)} dtype={self.dtype.name}>"


def _check_variable(op: Operation, ref) -> None:
    if not isinstance(ref, Variable):
        raise op.error(f"{op.type_name} needs a Variable as its input '{op.input_name(0)}', got {ref!r}", TypeError)


def _variable_attrs(op: Operation) -> dict:
    """TF's GraphDef marks a node that works on a variable with the variable's name."""
    return {"T": op.inputs[0].dtype, "_class": [f"loc:@{op.inputs[0].op.name}"]}


class Read(Operation):
    """y = the variable's current value (TF shows it as an Identity of the variable)."""

    type_name = "Identity"
    input_names = ("ref",)
    ref_inputs = (0,)
    stateful = True

    def infer(self, ref):
        _check_variable(self, ref)
        return ref.shape, ref.dtype

    def forward(self, ref):
        return ref.read()

    def graph_def_attrs(self):
        return _variable_attrs(self)


class Assign(Operation):
    """variable := value; the output is the new value."""

    type_name = "Assign"
    input_names = ("ref", "value")
    ref_inputs = (0,)
    writes_variables = True
    stateful = True

    def infer(self, ref, value):
        _check_variable(self, ref)
        if value.dtype != ref.dtype:
            raise self.error(f"Cannot assign {value!r} to {ref!r}: dtypes differ", TypeError)
        if not is_compatible(value.shape, ref.shape):
            raise self.error(
                f"Shapes must be equal: cannot assign a value of shape {format_shape(value.shape)} "
                f"to variable {ref.op.name} of shape {format_shape(ref.shape)}"
            )
        return ref.shape, ref.dtype

    def forward(self, ref, value):
        variable = self.inputs[0]
        if value.shape != variable.shape:
            raise self.error(
                f"Cannot assign a value of shape {value.shape} to variable {variable.op.name} "
                f"of shape {format_shape(variable.shape)}"
            )
        new = self.update(ref, value)
        ref.write(new)
        return new

    def update(self, ref, value):
        """The variable's new value (a new array: a fetched old value must not change)."""
        return np.array(value, dtype=self.inputs[0].dtype, copy=True)

    def graph_def_attrs(self):
        return {**_variable_attrs(self), "use_locking": True, "validate_shape": True}


class AssignAdd(Assign):
    """variable := variable + delta."""

    type_name = "AssignAdd"
    input_names = ("ref", "delta")

    def update(self, ref, delta):
        if type(delta) is np.ndarray and delta.ndim == 0:
            # a step counter's 1 as a numpy scalar: the same sum, without the ufunc's
            # array set-up (1 µs of the 1.2 a training step's count took)
            delta = delta[()]
        return ref.read() + delta

    def graph_def_attrs(self):
        return {**_variable_attrs(self), "use_locking": False}


class AssignSub(AssignAdd):
    """variable := variable - delta."""

    type_name = "AssignSub"

    def update(self, ref, delta):
        return ref.read() - delta


def _assign(op_class, ref, value, name):
    if not isinstance(ref, Variable):
        raise TypeError(f"{op_class.type_name} writes to a Variable, got {ref!r}")
    with ref.graph.as_default():
        if tensor_or_none(value) is None:
            value = constant(value, dtype=ref.dtype)
        return op_class(ref, value, name=name).output


def assign(ref: Variable, value, name: str | None = None) -> Tensor:
    return _assign(Assign, ref, value, name)


def assign_add(ref: Variable, delta, name: str | None = None) -> Tensor:
    return _assign(AssignAdd, ref, delta, name)


def assign_sub(ref: Variable, delta, name: str | None = None) -> Tensor:
    return _assign(AssignSub, ref, delta, name)


def global_variables(graph=None) -> list[Variable]:
    return list((graph or get_default_graph()).variables)


def trainable_variables(graph=None) -> list[Variable]:
    return [v for v in global_variables(graph) if v.trainable]


def variables_initializer(variables, name: str = "init") -> Operation:
    """One op that runs the initializer of each of `variables`."""
    graph = variables[0].graph if variables else get_default_graph()
    with graph.as_default():
        return NoOp(name=name, control_inputs=[v.initializer for v in variables])


def global_variables_initializer() -> Operation:
    """The op that gives every variable of the default graph its initial value."""
    return variables_initializer(global_variables(), name="init")
