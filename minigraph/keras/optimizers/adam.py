"""Adam and its two relatives in Keras: Adamax and Nadam, with Keras 3's rules.

All three keep a running mean of the gradient (m) and correct it for starting at 0
by dividing by 1 - beta_1^t. They differ in what divides the step:

- **Adam** divides by the root of a running mean of g^2 (v), bias-corrected too;
  ``amsgrad=True`` divides by the largest v seen so far instead;
- **Adamax** divides by a running infinity norm, u := max(beta_2 u, |g|);
- **Nadam** is Adam with Nesterov momentum: the step looks ahead along m, with a
  momentum factor that warms up over the first few hundred steps.

Keras's Adam differs from TF1's (minigraph/train/optimizer.py) in its defaults and
rounding, not in kind: epsilon is 1e-7 and beta^t = pow(beta, t) is computed from the
step count ``iterations``, where TF1 keeps beta^t in variables. The rules, in numpy,
are the fused ops of minigraph/train/updates.py and minigraph/train/keras_updates.py.
"""

from __future__ import annotations

import numpy as np

import minigraph as mg
from minigraph.keras.optimizers.base import KerasOptimizer, check_epsilon, check_fraction
from minigraph.ops.state import Assign, Variable
from minigraph.train.keras_updates import ApplyKerasAdamax, ApplyKerasAMSGrad, ApplyKerasNadam
from minigraph.train.updates import ApplyKerasAdam


class _AdamFamily(KerasOptimizer):
    """The hyper-parameters the three share: beta_1, beta_2 and epsilon."""

    def __init__(self, learning_rate, beta_1, beta_2, epsilon, name, **kwargs):
        super().__init__(learning_rate, name, **kwargs)
        kind = type(self).__name__
        self.beta_1, self.beta_2 = check_fraction(kind, "beta_1", beta_1), check_fraction(kind, "beta_2", beta_2)
        self.epsilon = check_epsilon(kind, epsilon)

    def _hyper_config(self) -> dict:
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Adam(_AdamFamily):
    """Adam with Keras 3's rule and defaults: beta^t = pow(beta, t) from the step count
    `iterations`, so no beta-power variables and nothing to update after the step."""

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float | None = 1e-07, amsgrad: bool = False, name: str = "adam", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, **kwargs)
        self.amsgrad = bool(amsgrad)

    def _slot_names(self):
        return ("m", "v", "v_max") if self.amsgrad else ("m", "v")

    def _apply(self, gradient, variable):
        m, v = self.slot(variable, "m"), self.slot(variable, "v")
        rate = self._learning_rate_for(variable)
        if self.amsgrad:
            return ApplyKerasAMSGrad(variable, m, v, self.slot(variable, "v_max"), self.iterations, rate, gradient,
                                     **self._hyper())
        return ApplyKerasAdam(variable, m, v, self.iterations, rate, gradient, **self._hyper())

    def _hyper(self) -> dict:
        """The fused ops' attributes (TF's ApplyAdam names them beta1, beta2)."""
        return dict(beta1=self.beta_1, beta2=self.beta_2, epsilon=self.epsilon)

    def _hyper_config(self) -> dict:
        return {**super()._hyper_config(), "amsgrad": self.amsgrad}


class Adamax(_AdamFamily):
    """Adamax with Keras 3's rule and defaults: the step divided by a running max of |g|."""

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float | None = 1e-07, name: str = "adamax", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, **kwargs)

    def _slot_names(self):
        return ("m", "u")

    def _apply(self, gradient, variable):
        return ApplyKerasAdamax(variable, self.slot(variable, "m"), self.slot(variable, "u"), self.iterations,
                                self._learning_rate_for(variable), gradient,
                                beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)


class Nadam(_AdamFamily):
    """Nadam with Keras 3's rule and defaults. Besides m and v it keeps one number for
    all variables, the product of the momentum factors so far (``u_product``): each step
    multiplies it by beta_1 (1 - 0.5 * 0.96^t) before the updates read it."""

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float | None = 1e-07, name: str = "nadam", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, **kwargs)
        self.u_product: Variable | None = None
        self._next_u_product = None  # this step's product, a tensor made by _prepare

    def _slot_names(self):
        return ("m", "v")

    def _create_slots(self, variables):
        super()._create_slots(variables)
        if self.u_product is None:
            self.u_product = Variable(np.float32(1.0), name=f"{self.name}/u_product", trainable=False)
            self._non_slot_variables.append(self.u_product)

    def _prepare(self):
        super()._prepare()
        t = mg.cast(self.iterations + 1, mg.float32)
        warm_up = 1.0 - 0.5 * mg.pow(mg.constant(0.96, mg.float32), t)
        self._next_u_product = mg.multiply(self.u_product * self.beta_1, warm_up, name="u_product_t")

    def _apply(self, gradient, variable):
        return ApplyKerasNadam(variable, self.slot(variable, "m"), self.slot(variable, "v"), self.iterations,
                               self._next_u_product, self._learning_rate_for(variable), gradient,
                               beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)

    def _finish(self, updates):
        # the product is stored once every variable has read this step's value
        return [Assign(self.u_product, self._next_u_product, control_inputs=updates, name="update_u_product")]
