"""Keras 3's optimizers, as graph builders over ``mg.train``.

They differ from TF1's in their defaults and rounding, not in kind: Keras's Adam
uses epsilon 1e-7 and computes beta^t = pow(beta, t) from the step count, where TF1
keeps beta^t in variables (see ``minigraph/train/updates.py``).
``compile(optimizer='adam')`` takes a name too.
"""

from __future__ import annotations

from minigraph.train.optimizer import AdamOptimizer, GradientDescentOptimizer, MomentumOptimizer, Optimizer
from minigraph.train.updates import ApplyKerasAdam, ApplyKerasRMSProp


class Adam(AdamOptimizer):
    """Adam with Keras 3's rule and defaults: beta^t = pow(beta, t) from the step count
    `iterations`, so no beta-power variables and nothing to update after the step."""

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-07, name: str = "adam"):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name=name)

    def _create_beta_powers(self) -> None:
        pass  # Keras computes beta^t from `iterations`

    def _apply(self, gradient, variable):
        m, v = self.slot(variable, "m"), self.slot(variable, "v")
        return ApplyKerasAdam(variable, m, v, self.iterations, self._learning_rate_for(variable), gradient,
                              **self._hyper())

    def _finish(self, updates):
        return updates

    def get_config(self) -> dict:
        return {"name": self.name, "learning_rate": self.learning_rate, "beta_1": self.beta1,
                "beta_2": self.beta2, "epsilon": self.epsilon}


def SGD(learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False, name: str = "SGD") -> Optimizer:
    """Plain gradient descent, or with momentum (Keras's rule) when momentum > 0."""
    if not 0 <= momentum <= 1:
        raise ValueError(f"SGD's momentum must be in [0, 1], got {momentum!r}")
    if momentum == 0 and not nesterov:
        return GradientDescentOptimizer(learning_rate, name=name)
    return MomentumOptimizer(learning_rate, momentum, use_nesterov=nesterov, name=name)


class RMSprop(Optimizer):
    """RMSprop with Keras 3's rule and defaults (Keras's default optimizer in compile)."""

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, epsilon: float = 1e-07, name: str = "rmsprop"):
        super().__init__(name)
        if not 0 <= rho < 1:
            raise ValueError(f"RMSprop's rho must be in [0, 1), got {rho!r}")
        self.learning_rate, self.rho, self.epsilon = float(learning_rate), float(rho), float(epsilon)

    def _slot_names(self):
        return ("velocity",)

    def _apply(self, gradient, variable):
        return ApplyKerasRMSProp(variable, self.slot(variable, "velocity"), self._learning_rate_for(variable),
                                 gradient, rho=self.rho, epsilon=self.epsilon)


_BY_NAME = {"adam": Adam, "sgd": SGD, "rmsprop": RMSprop}


def get(identifier) -> Optimizer:
    """An optimizer instance from a name ('adam', 'sgd', 'rmsprop') or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(f"Unknown optimizer {identifier!r}; use one of {sorted(_BY_NAME)} or an optimizer instance")
