"""Optimizers are graph builders.

``train_op = optimizer.minimize(loss)`` runs no arithmetic. It adds to the graph,
once: the gradient of the loss for each trainable variable (``mg.gradients``), the
optimizer's own state as variables (the step count ``iterations``; Adam's moments
``m`` and ``v``, and in TF1 its beta1^t and beta2^t), one fused update op per
variable, and an op that counts the step after every update has run. Training is
then a loop of ``sess.run(train_op, feed_dict=batch)``, and the graph does not grow
while it runs.

The state an optimizer keeps for each variable is called a *slot*, as in TF
(``optimizer.slot(w, "m")``); "slot" means nothing else in minigraph.
"""

from __future__ import annotations

import numpy as np

from minigraph import dtypes
from minigraph.gradients import gradients
from minigraph.graph import UPDATE, Operation, tensor_or_none
from minigraph.ops.array import NoOp, constant
from minigraph.ops.math import multiply
from minigraph.ops.state import Assign, AssignAdd, Variable, trainable_variables
from minigraph.train.updates import ApplyAdam, ApplyGradientDescent, ApplyMomentum


class Optimizer:
    """Base class: turns (gradient, variable) pairs into one training op."""

    def __init__(self, name: str):
        self.name = name
        self.iterations: Variable | None = None
        self._slots: dict[tuple[Variable, str], Variable] = {}
        self._non_slot_variables: list[Variable] = []  # state shared by every variable

    # --- what a subclass defines ----------------------------------------------------
    def _slot_names(self) -> tuple[str, ...]:
        """The per-variable state this rule keeps (e.g. ('m', 'v'))."""
        return ()

    def _create_slots(self, variables: list[Variable]) -> None:
        """Creates the optimizer's state before any update is built (once per variable)."""
        for variable in variables:
            for slot in self._slot_names():
                self.slot(variable, slot)

    def _apply(self, gradient, variable: Variable) -> Operation:
        raise NotImplementedError

    def _finish(self, updates: list[Operation]) -> list[Operation]:
        """The ops the step count waits for: the updates, and what must follow them."""
        return updates

    # --- the TF1 API --------------------------------------------------------------
    def compute_gradients(self, loss, var_list=None) -> list[tuple]:
        """[(gradient, variable)] for each trainable variable (gradient None if unused)."""
        loss_tensor = tensor_or_none(loss)
        if loss_tensor is None:
            raise TypeError(f"minimize() needs a loss tensor, got {loss!r}")
        if not dtypes.is_floating(loss_tensor.dtype):
            raise TypeError(f"The loss {loss_tensor!r} must be a float tensor")
        variables = list(var_list) if var_list is not None else trainable_variables(loss_tensor.graph)
        if not variables:
            raise ValueError("No variables to optimize: create mg.Variable(...)s or pass var_list")
        return list(zip(gradients(loss_tensor, variables), variables))

    def apply_gradients(self, grads_and_vars, name: str | None = None) -> Operation:
        """One op that applies every update, then adds 1 to `iterations`."""
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            names = [v.op.name for _, v in grads_and_vars]
            raise ValueError(f"No gradients provided for any variable: {names}; is the loss connected to them?")
        graph = pairs[0][1].graph
        with graph.as_default(), graph.building(UPDATE):
            if self.iterations is None:
                self.iterations = Variable(np.int64(0), name=f"{self.name}/iterations", trainable=False)
            self._create_slots([variable for _, variable in pairs])
            with graph.name_scope(name or self.name) as scope:
                updates = []
                for gradient, variable in pairs:
                    with graph.name_scope(f"update_{variable.op.name}"):
                        updates.append(self._apply(gradient, variable))
                one = constant(np.int64(1))
                count = AssignAdd(self.iterations, one, control_inputs=self._finish(updates), name="count")
            return NoOp(name=scope, control_inputs=[count])  # named exactly the scope

    def minimize(self, loss, var_list=None, name: str | None = None) -> Operation:
        """Adds gradients and updates for `loss` once; returns the op to run each step."""
        return self.apply_gradients(self.compute_gradients(loss, var_list), name=name)

    # --- optimizer state ------------------------------------------------------------
    def slot(self, variable: Variable, slot_name: str) -> Variable:
        """The optimizer's `slot_name` state for `variable` (zeros at first)."""
        key = (variable, slot_name)
        if key not in self._slots:
            zeros = np.zeros(variable.shape, dtype=variable.dtype)
            self._slots[key] = Variable(zeros, name=f"{variable.op.name}/{self.name}_{slot_name}", trainable=False)
        return self._slots[key]

    def variables(self) -> list[Variable]:
        """The optimizer's own variables: the step count, its shared state and every slot."""
        head = [self.iterations] if self.iterations is not None else []
        return head + self._non_slot_variables + list(self._slots.values())


class GradientDescentOptimizer(Optimizer):
    """w := w - learning_rate * dL/dw."""

    def __init__(self, learning_rate: float, name: str = "GradientDescent"):
        super().__init__(name)
        self.learning_rate = float(learning_rate)

    def _apply(self, gradient, variable):
        return ApplyGradientDescent(variable, gradient, learning_rate=self.learning_rate)


class MomentumOptimizer(Optimizer):
    """Keras-style momentum: m := momentum m - lr g;  w := w + m."""

    def __init__(self, learning_rate: float, momentum: float, use_nesterov: bool = False, name: str = "Momentum"):
        super().__init__(name)
        self.learning_rate, self.momentum, self.nesterov = float(learning_rate), float(momentum), use_nesterov

    def _slot_names(self):
        return ("momentum",)

    def _apply(self, gradient, variable):
        return ApplyMomentum(
            variable, self.slot(variable, "momentum"), gradient,
            learning_rate=self.learning_rate, momentum=self.momentum, nesterov=self.nesterov,
        )


class AdamOptimizer(Optimizer):
    """Adam (Kingma & Ba) with TF1's defaults (epsilon 1e-8) and rounding: TF1 keeps
    beta1^t and beta2^t in two float32 variables, multiplied by beta after every step.
    (Keras's Adam, in minigraph/keras/optimizers.py, computes beta^t from the step count.)"""

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-08, name: str = "Adam"):
        super().__init__(name)
        for label, value in (("learning_rate", learning_rate), ("epsilon", epsilon)):
            if not value > 0:
                raise ValueError(f"Adam's {label} must be > 0, got {value!r}")
        for label, value in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= value < 1:
                raise ValueError(f"Adam's {label} must be in [0, 1), got {value!r}")
        self.learning_rate, self.beta1, self.beta2, self.epsilon = learning_rate, beta1, beta2, epsilon
        self.beta1_power: Variable | None = None
        self.beta2_power: Variable | None = None

    def _slot_names(self):
        return ("m", "v")

    def _create_slots(self, variables):
        super()._create_slots(variables)
        self._create_beta_powers()

    def _create_beta_powers(self) -> None:
        """TF1's beta1^t and beta2^t variables (once per optimizer)."""
        if self.beta1_power is None:
            self.beta1_power = Variable(np.float32(self.beta1), name="beta1_power", trainable=False)
            self.beta2_power = Variable(np.float32(self.beta2), name="beta2_power", trainable=False)
            self._non_slot_variables += [self.beta1_power, self.beta2_power]

    def _apply(self, gradient, variable):
        m, v = self.slot(variable, "m"), self.slot(variable, "v")
        return ApplyAdam(variable, m, v, self.beta1_power, self.beta2_power, gradient, **self._hyper())

    def _hyper(self) -> dict:
        return dict(learning_rate=self.learning_rate, beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon)

    def _finish(self, updates):
        return [  # beta^t := beta^t * beta, once every variable has had its step
            Assign(power, multiply(power, np.float32(beta)), control_inputs=updates, name=f"update_{power.op.name}")
            for power, beta in ((self.beta1_power, self.beta1), (self.beta2_power, self.beta2))
        ]
