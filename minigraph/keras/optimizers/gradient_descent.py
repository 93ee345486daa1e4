"""SGD: gradient descent, with momentum and Nesterov momentum, as Keras writes it.

Plain:     w := w - lr g
Momentum:  m := momentum m - lr g;   w := w + m           (m, the velocity, starts at 0)
Nesterov:  m as above;               w := w + momentum m - lr g

Keras's momentum is the negative of TF1's accumulator (TF1 keeps a := momentum a + g
and steps w := w - lr a); the two give the same weights in exact arithmetic, and
Keras's form is what Keras 3 rounds, so it is the one here (``ApplyMomentum``).
"""

from __future__ import annotations

from minigraph.keras.optimizers.base import KerasOptimizer
from minigraph.train.updates import ApplyGradientDescent, ApplyMomentum


class SGD(KerasOptimizer):
    """Gradient descent (Keras's defaults: learning_rate 0.01, no momentum)."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 name: str = "SGD", **kwargs):
        super().__init__(learning_rate, name, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError(f"SGD's momentum must be in [0, 1], got {momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def _slot_names(self):
        return ("momentum",) if self.momentum != 0 else ()  # Keras 3: no velocity without momentum

    def _apply(self, gradient, variable):
        rate = self._learning_rate_for(variable)
        if self.momentum == 0:
            return ApplyGradientDescent(variable, rate, gradient)
        return ApplyMomentum(variable, self.slot(variable, "momentum"), rate, gradient,
                             momentum=self.momentum, nesterov=self.nesterov)

    def _hyper_config(self) -> dict:
        return {"momentum": self.momentum, "nesterov": self.nesterov}
