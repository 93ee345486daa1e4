"""Optimizers are graph builders.

``train_op = optimizer.minimize(loss)`` runs no arithmetic. It adds to the graph,
once: the gradient of the loss for each trainable variable (``mg.gradients``), the
optimizer's own state as variables (the step count ``iterations``; Adam's moments
``m`` and ``v``, and in TF1 its beta1^t and beta2^t), one fused update op per
variable, and an op that counts the step after every update has run. Training is
then a loop of ``sess.run(train_op, feed_dict=batch)``, and the graph does not grow
while it runs.

The learning rate is a tensor of the graph, as in TF1: a Python number becomes a
constant (``Adam/learning_rate``), and a tensor is used as it is, so
``mg.train.exponential_decay(0.1, global_step, ...)`` lowers it as training goes on.
Each update gets it cast to its variable's dtype. ``minimize(loss, global_step=step)``
adds 1 to ``step`` once every update of the step has run (TF1's counter, shared by
the learning-rate schedules and the Saver's file names).

The state an optimizer keeps for each variable is called a *slot*, as in TF
(``optimizer.slot(w, "m")``); "slot" means nothing else in minigraph.
"""

from __future__ import annotations

import numbers

import numpy as np

from minigraph import dtypes
from minigraph.gradients import gradients
from minigraph.graph import UPDATE, Operation, Tensor, tensor_or_none
from minigraph.ops.array import NoOp, cast, constant, convert_to_tensor
from minigraph.ops.math import multiply
from minigraph.ops.state import Assign, AssignAdd, Variable, trainable_variables
from minigraph.train.updates import (
    ApplyAdagrad,
    ApplyAdam,
    ApplyCenteredRMSProp,
    ApplyGradientDescent,
    ApplyMomentum,
    ApplyRMSProp,
)


def _is_number(value) -> bool:
    """A hyper-parameter given as a number (not a tensor, nor a function returning one)."""
    return isinstance(value, numbers.Real)


class Optimizer:
    """Base class: turns (gradient, variable) pairs into one training op."""

    def __init__(self, name: str):
        self.name = name
        self.learning_rate = None  # a number, a tensor, or a function returning one (set by subclasses)
        self.iterations: Variable | None = None
        self._slots: dict[tuple[Variable, str], Variable] = {}
        self._non_slot_variables: list[Variable] = []  # state shared by every variable
        self._learning_rate_tensor: Tensor | None = None  # made by apply_gradients

    # --- what a subclass defines ----------------------------------------------------
    def _slot_names(self) -> tuple[str, ...]:
        """The per-variable state this rule keeps (e.g. ('m', 'v'))."""
        return ()

    def _slot_initial_value(self, slot_name: str) -> float:
        """Where a slot starts (zeros, unless the rule says otherwise)."""
        return 0.0

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

    def apply_gradients(self, grads_and_vars, global_step=None, name: str | None = None) -> Operation:
        """One op that applies every update, then adds 1 to `iterations` (and to
        `global_step`, when given)."""
        grads_and_vars = list(grads_and_vars)
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            names = [v.op.name for _, v in grads_and_vars]
            raise ValueError(f"No gradients provided for any variable: {names}; is the loss connected to them?")
        if global_step is not None and not isinstance(global_step, Variable):
            raise TypeError(f"global_step must be the step Variable (mg.train.get_or_create_global_step()), "
                            f"got {global_step!r}")
        graph = pairs[0][1].graph
        with graph.as_default(), graph.building(UPDATE):
            if self.iterations is None:
                self.iterations = Variable(np.int64(0), name=f"{self.name}/iterations", trainable=False)
            self._create_slots([variable for _, variable in pairs])
            with graph.name_scope(name or self.name) as scope:
                self._prepare()
                updates = []
                for gradient, variable in pairs:
                    with graph.name_scope(f"update_{variable.op.name}"):
                        updates.append(self._apply(gradient, variable))
                after_updates = self._finish(updates)
                counters = [AssignAdd(self.iterations, constant(np.int64(1)), control_inputs=after_updates,
                                      name="count")]
                if global_step is not None:  # TF1: the step counts once the updates are done
                    one = constant(1, dtype=global_step.dtype)
                    counters.append(AssignAdd(global_step, one, control_inputs=after_updates,
                                              name="increment_global_step"))
            return NoOp(name=scope, control_inputs=counters)  # named exactly the scope

    def minimize(self, loss, global_step=None, var_list=None, name: str | None = None) -> Operation:
        """Adds gradients and updates for `loss` once; returns the op to run each step.
        With `global_step`, that op also adds 1 to it (TF1's signature and order)."""
        return self.apply_gradients(self.compute_gradients(loss, var_list), global_step=global_step, name=name)

    # --- the learning rate ----------------------------------------------------------
    def _prepare(self) -> None:
        """The learning rate as a tensor, made once per apply_gradients: a number becomes
        the constant `<name>/learning_rate` (float32, as TF1 makes it)."""
        rate = self.learning_rate() if callable(self.learning_rate) else self.learning_rate
        tensor = tensor_or_none(rate)
        if tensor is None:
            tensor = convert_to_tensor(rate, name="learning_rate")
        if tensor.dtype.kind not in "fiu" or tensor.shape not in (None, ()):  # real numbers, one of them
            raise ValueError(f"{self.name}'s learning rate must be a number or a scalar tensor, got {rate!r}")
        self._learning_rate_tensor = tensor

    def _learning_rate_for(self, variable: Variable) -> Tensor:
        """The learning rate in `variable`'s dtype: TF1 casts it for each variable (so a
        float64 variable gets the float32 constant's value, 0.10000000149011612 for 0.1)."""
        rate = self._learning_rate_tensor
        return rate if rate.dtype == variable.dtype else cast(rate, variable.dtype)

    # --- optimizer state ------------------------------------------------------------
    def slot(self, variable: Variable, slot_name: str) -> Variable:
        """The optimizer's `slot_name` state for `variable` (zeros at first)."""
        key = (variable, slot_name)
        if key not in self._slots:
            start = np.full(variable.shape, self._slot_initial_value(slot_name), dtype=variable.dtype)
            self._slots[key] = Variable(start, name=f"{variable.op.name}/{self.name}_{slot_name}", trainable=False)
        return self._slots[key]

    def get_slot(self, var: Variable, name: str) -> Variable | None:
        """TF1's lookup: the `name` slot of `var`, or None if this optimizer made none."""
        return self._slots.get((var, name))

    def get_slot_names(self) -> list[str]:
        """TF1's list of the names of the slots this optimizer has made so far, sorted."""
        return sorted({name for _, name in self._slots})

    def variables(self) -> list[Variable]:
        """The optimizer's own variables: the step count, its shared state and every slot."""
        head = [self.iterations] if self.iterations is not None else []
        return head + self._non_slot_variables + list(self._slots.values())


def _rate(learning_rate):
    """A number is kept as a float; a tensor or a function is kept as it is."""
    return float(learning_rate) if _is_number(learning_rate) else learning_rate


class GradientDescentOptimizer(Optimizer):
    """w := w - learning_rate * dL/dw."""

    def __init__(self, learning_rate, use_locking: bool = False, name: str = "GradientDescent"):
        super().__init__(name)
        self.learning_rate = _rate(learning_rate)

    def _apply(self, gradient, variable):
        return ApplyGradientDescent(variable, self._learning_rate_for(variable), gradient)


class MomentumOptimizer(Optimizer):
    """Keras-style momentum: m := momentum m - lr g;  w := w + m."""

    def __init__(self, learning_rate, momentum: float, use_locking: bool = False, name: str = "Momentum",
                 use_nesterov: bool = False):
        super().__init__(name)
        self.learning_rate, self.momentum, self.nesterov = _rate(learning_rate), float(momentum), use_nesterov

    def _slot_names(self):
        return ("momentum",)

    def _apply(self, gradient, variable):
        return ApplyMomentum(
            variable, self.slot(variable, "momentum"), self._learning_rate_for(variable), gradient,
            momentum=self.momentum, nesterov=self.nesterov,
        )


class AdamOptimizer(Optimizer):
    """Adam (Kingma & Ba) with TF1's defaults (epsilon 1e-8) and rounding: TF1 keeps
    beta1^t and beta2^t in two float32 variables, multiplied by beta after every step.
    (Keras's Adam, in minigraph/keras/optimizers.py, computes beta^t from the step count.)"""

    def __init__(self, learning_rate=0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-08, use_locking: bool = False, name: str = "Adam"):
        super().__init__(name)
        for label, value in (("learning_rate", learning_rate), ("epsilon", epsilon)):
            if _is_number(value) and not value > 0:  # a tensor's value is known only when it runs
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
        return ApplyAdam(variable, m, v, self.beta1_power, self.beta2_power, self._learning_rate_for(variable),
                         gradient, **self._hyper())

    def _hyper(self) -> dict:
        return dict(beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon)

    def _finish(self, updates):
        return [  # beta^t := beta^t * beta, once every variable has had its step
            Assign(power, multiply(power, np.float32(beta)), control_inputs=updates, name=f"update_{power.op.name}")
            for power, beta in ((self.beta1_power, self.beta1), (self.beta2_power, self.beta2))
        ]


class AdagradOptimizer(Optimizer):
    """Adagrad (Duchi et al.) as TF1 has it: each weight's step shrinks with the sum of
    its squared gradients, accum := accum + g^2;  w := w - lr g / sqrt(accum), with
    accum starting at initial_accumulator_value (0.1), so the first step is not lr*sign(g)."""

    def __init__(self, learning_rate, initial_accumulator_value: float = 0.1, use_locking: bool = False,
                 name: str = "Adagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive: {initial_accumulator_value}")
        super().__init__(name)
        self.learning_rate, self.initial_accumulator_value = _rate(learning_rate), initial_accumulator_value

    def _slot_names(self):
        return ("accumulator",)

    def _slot_initial_value(self, slot_name):
        return self.initial_accumulator_value

    def _apply(self, gradient, variable):
        return ApplyAdagrad(variable, self.slot(variable, "accumulator"), self._learning_rate_for(variable), gradient)


class RMSPropOptimizer(Optimizer):
    """RMSProp (Hinton) as TF1 has it: divide the step by a running root mean square of
    the gradient, ms := ms + (g^2 - ms)(1 - decay), with ms starting at 1 (not 0), and an
    optional momentum on the divided step; centered=True divides by the running variance
    (ms - mg^2) instead. TF1's defaults: decay 0.9, momentum 0, epsilon 1e-10."""

    def __init__(self, learning_rate, decay: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-10,
                 use_locking: bool = False, centered: bool = False, name: str = "RMSProp"):
        super().__init__(name)
        self.learning_rate, self.decay, self.momentum = _rate(learning_rate), float(decay), float(momentum)
        self.epsilon, self.centered = float(epsilon), centered

    def _slot_names(self):
        return ("rms", "mg", "momentum") if self.centered else ("rms", "momentum")

    def _slot_initial_value(self, slot_name):
        return 1.0 if slot_name == "rms" else 0.0

    def _apply(self, gradient, variable):
        rms, momentum = self.slot(variable, "rms"), self.slot(variable, "momentum")
        hyper = dict(rho=self.decay, momentum=self.momentum, epsilon=self.epsilon)
        rate = self._learning_rate_for(variable)
        if self.centered:
            return ApplyCenteredRMSProp(variable, self.slot(variable, "mg"), rms, momentum, rate, gradient, **hyper)
        return ApplyRMSProp(variable, rms, momentum, rate, gradient, **hyper)
