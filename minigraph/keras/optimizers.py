"""Keras 3's optimizers, as graph builders over ``mg.train``.

They differ from TF1's in their defaults and rounding, not in kind: Keras's Adam
uses epsilon 1e-7 and computes beta^t = pow(beta, t) from the step count, where TF1
keeps beta^t in variables (see ``minigraph/train/updates.py``).
``compile(optimizer='adam')`` takes a name too.
"""

from __future__ import annotations

from minigraph.train.optimizer import AdamOptimizer, GradientDescentOptimizer, MomentumOptimizer, Optimizer


class Adam(AdamOptimizer):
    """Adam with Keras 3's rule and defaults."""

    rule = "keras"

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-07, name: str = "adam"):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name=name)

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


_BY_NAME = {"adam": Adam, "sgd": SGD}


def get(identifier) -> Optimizer:
    """An optimizer instance from a name ('adam', 'sgd') or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(f"Unknown optimizer {identifier!r}; use one of {sorted(_BY_NAME)} or an optimizer instance")
