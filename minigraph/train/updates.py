"""Fused update ops: one node per variable that applies one optimizer step to it.

An update could be written with assign ops (``m = b1*m + (1-b1)*g`` and so on), but
one Adam step would then be a dozen nodes per variable. TensorFlow has one fused
kernel per rule (``ApplyGradientDescent``, ``ApplyAdam``), and so does minigraph:
the rule is in ``forward``, in numpy, in the variable's dtype.

The variable and its slots (Adam's m and v) are *ref inputs*: edges to the storage
slots themselves. Each update writes new arrays into the session's store and never
changes an array in place, so a value fetched in the same run is never altered.
"""

from __future__ import annotations

import numpy as np

from minigraph.graph import Operation, format_shape
from minigraph.ops.state import Variable


class ApplyUpdate(Operation):
    """Shared shape rule: the first input is the variable, the last its gradient."""

    stateful = True
    writes_variables = True

    def infer(self, variable, *rest):
        gradient = rest[-1]
        if not isinstance(variable, Variable):
            raise self.error(f"{self.type_name} updates a Variable, got {variable!r}", TypeError)
        if gradient.shape != variable.shape or gradient.dtype != variable.dtype:
            raise self.error(
                f"gradient {gradient!r} does not fit variable {variable.op.name} "
                f"of shape {format_shape(variable.shape)} and dtype {variable.dtype.name}"
            )
        return variable.shape, variable.dtype

    def read(self, store, index: int) -> np.ndarray:
        """The current value of the ref input at `index`."""
        return self.inputs[index].op.forward(store)

    def write(self, store, index: int, value: np.ndarray) -> None:
        store[self.inputs[index].op] = value

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "use_locking": False}


class ApplyGradientDescent(ApplyUpdate):
    """w := w - learning_rate * g."""

    type_name = "ApplyGradientDescent"
    ref_inputs = (0,)

    def forward(self, store, gradient):
        new = self.read(store, 0) - self.attrs["learning_rate"] * gradient
        self.write(store, 0, new)
        return new


class ApplyMomentum(ApplyUpdate):
    """Keras SGD with momentum: m := momentum * m - learning_rate * g;  w := w + m
    (nesterov: w := w + momentum * m - learning_rate * g)."""

    type_name = "ApplyMomentum"
    ref_inputs = (0, 1)

    def forward(self, store, gradient):
        lr, momentum = self.attrs["learning_rate"], self.attrs["momentum"]
        m = momentum * self.read(store, 1) - lr * gradient
        if self.attrs["nesterov"]:  # the step in brackets is rounded first, as in Keras
            new = self.read(store, 0) + (momentum * m - lr * gradient)
        else:
            new = self.read(store, 0) + m
        self.write(store, 1, m)
        self.write(store, 0, new)
        return new


class ApplyAdam(ApplyUpdate):
    """Adam, as TF's ApplyAdam kernel computes it, at step t:

        m := m + (g - m)(1 - beta1)          v := v + (g^2 - v)(1 - beta2)
        alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
        w := w - alpha * m / (sqrt(v) + epsilon)

    TF1 feeds beta1^t and beta2^t from two variables that it multiplies by beta after
    every step, and rounds 1 - beta in the variable's dtype.
    """

    type_name = "ApplyAdam"
    ref_inputs = (0, 1, 2)

    def infer(self, variable, m, v, beta1_power, beta2_power, gradient):
        return super().infer(variable, gradient)

    def forward(self, store, beta1_power, beta2_power, gradient):
        cast = gradient.dtype.type  # every number in the variable's dtype
        one = cast(1)
        return self.step(store, gradient, cast(beta1_power), cast(beta2_power),
                         one - cast(self.attrs["beta1"]), one - cast(self.attrs["beta2"]))

    def step(self, store, gradient, beta1_power, beta2_power, one_minus_beta1, one_minus_beta2):
        """The update itself, shared by both roundings."""
        cast = gradient.dtype.type
        lr, epsilon = cast(self.attrs["learning_rate"]), cast(self.attrs["epsilon"])
        m, v = self.read(store, 1), self.read(store, 2)
        m = m + (gradient - m) * one_minus_beta1
        v = v + (np.square(gradient) - v) * one_minus_beta2
        alpha = lr * np.sqrt(cast(1) - beta2_power) / (cast(1) - beta1_power)
        new = self.read(store, 0) - (m * alpha) / (np.sqrt(v) + epsilon)
        self.write(store, 1, m)
        self.write(store, 2, v)
        self.write(store, 0, new)
        return new


class ApplyKerasAdam(ApplyAdam):
    """Adam as Keras 3 computes it: the same update, with beta^t = pow(beta, t) from the
    step count (t = iterations + 1) and 1 - beta rounded from Python floats."""

    type_name = "ApplyKerasAdam"

    def infer(self, variable, m, v, iterations, gradient):
        return ApplyUpdate.infer(self, variable, gradient)

    def forward(self, store, iterations, gradient):
        cast = gradient.dtype.type
        a = self.attrs
        t = cast(iterations + 1)
        return self.step(store, gradient, np.power(cast(a["beta1"]), t), np.power(cast(a["beta2"]), t),
                         cast(1 - a["beta1"]), cast(1 - a["beta2"]))


class ApplyRMSProp(ApplyUpdate):
    """RMSprop, as Keras 3 computes it (no momentum, not centred):

        v := rho v + (1 - rho) g^2          w := w - lr g / sqrt(v + epsilon)
    """

    type_name = "ApplyRMSProp"
    ref_inputs = (0, 1)

    def forward(self, store, gradient):
        cast = gradient.dtype.type
        rho = self.attrs["rho"]
        lr, epsilon = cast(self.attrs["learning_rate"]), cast(self.attrs["epsilon"])
        velocity = cast(rho) * self.read(store, 1) + cast(1 - rho) * np.square(gradient)
        new = self.read(store, 0) - (lr * gradient) / np.sqrt(velocity + epsilon)
        self.write(store, 1, velocity)
        self.write(store, 0, new)
        return new
