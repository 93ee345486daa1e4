"""Variables: the graph's memory between runs.

A placeholder's value lasts one ``Session.run``; a variable's value lasts as long as
the session. The value is not stored on the node (nodes only describe): each
Session keeps its own ``{variable op: numpy array}`` store, so two sessions on one
graph train two independent models.

A ``Variable`` builds the four nodes TF1 builds, which is what a GraphDef shows::

    Variable/initial_value   Const        the starting value
    Variable                 VariableV2   the storage slot
    Variable/Assign          Assign       writes the starting value (the initializer)
    Variable/read            Identity     what other ops read

Ops that write a variable (``Assign``, ``AssignAdd``, the optimizers' updates) name
it as a *ref input*: an edge to the slot itself, not to a value computed from it.
A variable must be initialised (``sess.run(mg.global_variables_initializer())``)
before anything reads it.
"""

from __future__ import annotations

import numpy as np

from minigraph import dtypes
from minigraph.graph import Operation, Tensor, format_shape, get_default_graph, tensor_or_none
from minigraph.ops.array import Identity, NoOp, constant


class FailedPreconditionError(RuntimeError):
    """A variable was read before it was given a value (TF's error of that name)."""


class VariableOp(Operation):
    """The storage slot of a variable; running it reads the session's value."""

    type_name = "VariableV2"
    stateful = True

    def infer(self):
        return self.attrs["shape"], self.attrs["dtype"]

    def forward(self, store):
        try:
            return store[self]
        except KeyError:
            raise FailedPreconditionError(
                f"Attempting to use uninitialized value {self.name}: run "
                f"mg.global_variables_initializer() (or {self.name}.initializer) first"
            ) from None

    def graph_def_attrs(self):
        from minigraph.graph_def import ShapeAttr

        return {"container": "", "dtype": self.attrs["dtype"], "shape": ShapeAttr(self.attrs["shape"]), "shared_name": ""}


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
                raise TypeError(f"Variable {scope}: initial value {initial_tensor!r} is not of dtype {dtype}")
            shape = initial_tensor.shape
            if shape is None or None in shape:
                raise ValueError(
                    f"Variable {scope}: the initial value's shape must be fully known, got {format_shape(shape)}"
                )
            slot = VariableOp(name=scope, exact_name=True, shape=shape, dtype=initial_tensor.dtype)
            super().__init__(slot, shape, initial_tensor.dtype)
            slot.outputs = (self,)
            self.initial_value = initial_tensor
            self.initializer = Assign(self, initial_tensor, name="Assign")
            self.read = Read(self, name="read").output
        self.trainable = trainable
        graph.variables.append(self)

    def _as_graph_tensor(self) -> Tensor:
        return self.read

    def value(self) -> Tensor:
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
        from minigraph.session import get_default_session

        (session or get_default_session()).set_variable_value(self, value)

    def __repr__(self) -> str:
        return f"<mg.Variable '{self.name}' shape={format_shape(self.shape)} dtype={self.dtype.name}>"


class Read(Identity):
    """y = the variable's current value."""

    stateful = True
    ref_inputs = (0,)  # an edge to the slot itself

    def forward(self, store):
        return self.inputs[0].op.forward(store)

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "_class": [f"loc:@{self.inputs[0].op.name}"]}


def _check_variable(op: Operation, ref) -> None:
    if not isinstance(ref, Variable):
        raise op.error(f"{op.type_name} writes to a Variable, got {ref!r}", TypeError)


class Assign(Operation):
    """variable := value; the output is the new value."""

    type_name = "Assign"
    stateful = True
    writes_variables = True
    ref_inputs = (0,)

    def infer(self, ref, value):
        _check_variable(self, ref)
        if value.dtype != ref.dtype:
            raise self.error(f"Cannot assign {value!r} to {ref!r}: dtypes differ", TypeError)
        if value.shape is not None and (len(value.shape) != len(ref.shape) or any(
            v is not None and v != r for v, r in zip(value.shape, ref.shape)
        )):
            raise self.error(
                f"Shapes must be equal: cannot assign a value of shape {format_shape(value.shape)} "
                f"to variable {ref.op.name} of shape {format_shape(ref.shape)}"
            )
        return ref.shape, ref.dtype

    def forward(self, store, value):
        variable = self.inputs[0]
        if value.shape != variable.shape:
            raise ValueError(
                f"Cannot assign a value of shape {value.shape} to variable {variable.op.name} "
                f"of shape {format_shape(variable.shape)}"
            )
        new = self.update(store.get(variable.op), value)
        store[variable.op] = new
        return new

    def update(self, old, value):
        return np.array(value, dtype=self.inputs[0].dtype, copy=True)

    def graph_def_attrs(self):
        return {
            "T": self.inputs[0].dtype,
            "_class": [f"loc:@{self.inputs[0].op.name}"],
            "use_locking": True,
            "validate_shape": True,
        }


class AssignAdd(Assign):
    """variable := variable + delta."""

    type_name = "AssignAdd"

    def update(self, old, delta):
        if old is None:
            self.inputs[0].op.forward({})  # raises the uninitialized-value error
        return old + delta

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "_class": [f"loc:@{self.inputs[0].op.name}"], "use_locking": False}


class AssignSub(AssignAdd):
    """variable := variable - delta."""

    type_name = "AssignSub"

    def update(self, old, delta):
        return super().update(old, -delta)


def _assign(op_class, ref, value, name):
    if not isinstance(ref, Variable):
        raise TypeError(f"{op_class.type_name} writes to a Variable, got {ref!r}")
    if tensor_or_none(value) is None:
        with ref.graph.as_default():
            value = constant(value, dtype=ref.dtype)
    with ref.graph.as_default():
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
