"""RMSprop, Adagrad and Adadelta: a step size for each weight, from its own gradients.

Each divides the gradient by a root of the squared gradients the weight has seen:

- **Adagrad** by their sum, accum := accum + g^2, so every weight's steps only shrink
  (accum starts at initial_accumulator_value, 0.1);
- **RMSprop** by a running mean, v := rho v + (1 - rho) g^2, which forgets, so the
  steps can grow again (Keras's default optimizer in ``compile``); optionally with
  momentum, or centred (divided by the running variance of g instead);
- **Adadelta** by a running mean too, and it multiplies by the root of a running mean
  of its own past steps, so the step has the weight's units and needs no learning
  rate: the paper's rule is lr = 1.0, the default of Keras 2 (standalone, the Keras of
  TF1), which Keras 2's mnist_cnn.py relies on (``Adadelta()``, 99% in 12 epochs).
  tf_keras and Keras 3 changed the default to 0.001; pass learning_rate=0.001 for theirs.

Each rule is a fused op, written as Keras 3 computes it: ``ApplyKerasRMSProp`` in
minigraph/train/updates.py, the other two in minigraph/train/keras_updates.py.
"""

from __future__ import annotations

from minigraph.keras.optimizers.base import KerasOptimizer, check_epsilon, check_fraction
from minigraph.train.keras_updates import (
    ApplyKerasAdadelta,
    ApplyKerasAdagrad,
    ApplyKerasCenteredRMSProp,
    ApplyKerasRMSPropMomentum,
)
from minigraph.train.updates import ApplyKerasRMSProp


class RMSprop(KerasOptimizer):
    """RMSprop with Keras 3's rule and defaults; with momentum, the divided steps are
    accumulated like SGD's velocity; centered=True divides by the running variance."""

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float | None = 1e-07, centered: bool = False, name: str = "rmsprop", **kwargs):
        super().__init__(learning_rate, name, **kwargs)
        self.rho, self.epsilon = check_fraction("RMSprop", "rho", rho), check_epsilon("RMSprop", epsilon)
        self.momentum, self.centered = check_fraction("RMSprop", "momentum", momentum), bool(centered)

    def _slot_names(self):
        with_momentum = ("momentum",) if self.momentum or self.centered else ()
        return ("velocity",) + (("average_gradient",) if self.centered else ()) + with_momentum

    def _apply(self, gradient, variable):
        velocity, rate = self.slot(variable, "velocity"), self._learning_rate_for(variable)
        hyper = dict(rho=self.rho, epsilon=self.epsilon)
        if self.centered:
            return ApplyKerasCenteredRMSProp(variable, velocity, self.slot(variable, "average_gradient"),
                                             self.slot(variable, "momentum"), rate, gradient,
                                             momentum=self.momentum, **hyper)
        if self.momentum:
            return ApplyKerasRMSPropMomentum(variable, velocity, self.slot(variable, "momentum"), rate, gradient,
                                             momentum=self.momentum, **hyper)
        return ApplyKerasRMSProp(variable, velocity, rate, gradient, **hyper)

    def _hyper_config(self) -> dict:
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered}


class Adagrad(KerasOptimizer):
    """Adagrad with Keras 3's rule and defaults."""

    def __init__(self, learning_rate: float = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float | None = 1e-07, name: str = "adagrad", **kwargs):
        super().__init__(learning_rate, name, **kwargs)
        if not initial_accumulator_value >= 0:
            raise ValueError(f"Adagrad's initial_accumulator_value must be >= 0, got {initial_accumulator_value!r}")
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = check_epsilon("Adagrad", epsilon)

    def _slot_names(self):
        return ("accumulator",)

    def _slot_initial_value(self, slot_name):
        return self.initial_accumulator_value

    def _apply(self, gradient, variable):
        return ApplyKerasAdagrad(variable, self.slot(variable, "accumulator"), self._learning_rate_for(variable),
                                 gradient, epsilon=self.epsilon)

    def _hyper_config(self) -> dict:
        return {"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon}


class Adadelta(KerasOptimizer):
    """Adadelta with Keras 3's rule, and Keras 2's default learning rate, 1.0 (see above)."""

    def __init__(self, learning_rate: float = 1.0, rho: float = 0.95, epsilon: float | None = 1e-07,
                 name: str = "adadelta", **kwargs):
        super().__init__(learning_rate, name, **kwargs)
        self.rho, self.epsilon = check_fraction("Adadelta", "rho", rho), check_epsilon("Adadelta", epsilon)

    def _slot_names(self):
        return ("accumulated_grad", "accumulated_delta")

    def _apply(self, gradient, variable):
        return ApplyKerasAdadelta(variable, self.slot(variable, "accumulated_grad"),
                                  self.slot(variable, "accumulated_delta"), self._learning_rate_for(variable),
                                  gradient, rho=self.rho, epsilon=self.epsilon)

    def _hyper_config(self) -> dict:
        return {"rho": self.rho, "epsilon": self.epsilon}
