"""Optimizers are graph builders.

``train_op = optimizer.minimize(loss)`` runs no arithmetic. It adds to the graph,
once: the gradient of the loss for each trainable variable (``mg.gradients``), the
optimizer's own state as variables (Adam's moments ``m`` and ``v``, the step count
``iterations``), one fused update op per variable, and an op that counts the step
after every update has run. Training is then a loop of
``sess.run(train_op, feed_dict=batch)``, and the graph does not grow while it runs.
"""

from __future__ import annotations

import numpy as np

from minigraph.gradients import gradients
from minigraph.graph import Operation, tensor_or_none
from minigraph.ops.array import NoOp
from minigraph.ops.state import AssignAdd, Variable, trainable_variables
from minigraph.train.updates import ApplyAdam, ApplyGradientDescent, ApplyMomentum


class Optimizer:
    """Base class: turns (gradient, variable) pairs into one training op."""

    def __init__(self, name: str):
        self.name = name
        self.iterations: Variable | None = None
        self._slots: dict[tuple[Variable, str], Variable] = {}

    # --- what a subclass defines ----------------------------------------------------
    def _slot_names(self) -> tuple[str, ...]:
        """The per-variable state this rule keeps (e.g. ('m', 'v'))."""
        return ()

    def _apply(self, gradient, variable: Variable) -> Operation:
        raise NotImplementedError

    # --- the TF1 API --------------------------------------------------------------
    def compute_gradients(self, loss, var_list=None) -> list[tuple]:
        """[(gradient, variable)] for each trainable variable (gradient None if unused)."""
        loss_tensor = tensor_or_none(loss)
        if loss_tensor is None:
            raise TypeError(f"minimize() needs a loss tensor, got {loss!r}")
        if loss_tensor.dtype.kind != "f":
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
        with graph.as_default(), graph.gradient_construction():
            if self.iterations is None:
                self.iterations = Variable(np.int64(0), name=f"{self.name}/iterations", trainable=False)
            for _, variable in pairs:
                for slot in self._slot_names():
                    self.slot(variable, slot)
            with graph.name_scope(name or self.name) as scope:
                updates = []
                for gradient, variable in pairs:
                    with graph.name_scope(f"update_{variable.op.name}"):
                        updates.append(self._apply(gradient, variable))
                count = AssignAdd(self.iterations, np.int64(1), control_inputs=updates, name="count")
            return NoOp(name=scope, exact_name=True, control_inputs=[count])

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
        """The optimizer's own variables: the step count and every slot."""
        head = [self.iterations] if self.iterations is not None else []
        return head + list(self._slots.values())


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
    """Adam (Kingma & Ba) with TF1's defaults: epsilon 1e-8 and TF1's rounding."""

    rule = "tf1"

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

    def _slot_names(self):
        return ("m", "v")

    def _apply(self, gradient, variable):
        return ApplyAdam(
            variable, self.slot(variable, "m"), self.slot(variable, "v"), self.iterations.read, gradient,
            learning_rate=self.learning_rate, beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon,
            rule=self.rule,
        )
