"""Fused update ops: one node per variable that applies one optimizer step to it.

An update could be written with assign ops (``m = b1*m + (1-b1)*g`` and so on), but
one Adam step would then be a dozen nodes per variable. TensorFlow has one fused
kernel per rule (``ApplyGradientDescent``, ``ApplyAdam``), and so does minigraph:
the rule is in ``forward``, in numpy, in the variable's dtype.

The variable and the optimizer's state for it (its *slots*: Adam's m and v) are ref
inputs: edges to their storage nodes. Each update writes new arrays through its
VariableRefs and never changes an array in place, so a value fetched in the same run
is never altered.
"""

from __future__ import annotations

import numpy as np

from minigraph.errors import InvalidArgumentError
from minigraph.graph import Operation
from minigraph.ops.state import Variable
from minigraph.shapes import format_shape, is_compatible


class ApplyUpdate(Operation):
    """Shared by the updates: the first input is the variable, the last its gradient.

    The variable and the optimizer's slots are ref inputs, so ``forward`` gets each as
    a VariableRef (``read()``, ``write(value)``); every other input as an array.
    """

    writes_variables = True
    stateful = True

    def infer(self, variable, *rest):
        gradient = rest[-1]
        if not isinstance(variable, Variable):
            raise self.error(f"{self.type_name} updates a Variable, got {variable!r}", TypeError)
        if not is_compatible(gradient.shape, variable.shape) or gradient.dtype != variable.dtype:
            raise self.error(
                f"gradient {gradient!r} does not fit variable {variable.op.name} "
                f"of shape {format_shape(variable.shape)} and dtype {variable.dtype.name}"
            )
        return variable.shape, variable.dtype

    def check_gradient(self, variable, gradient: np.ndarray) -> None:
        """At run time too: a gradient of another shape would silently reshape the variable
        (its static shape may have had None dims). Checked before anything is written."""
        if gradient.shape != tuple(self.inputs[0].shape):
            raise self.error(
                f"gradient of shape {gradient.shape} does not fit variable {variable.name} "
                f"of shape {format_shape(self.inputs[0].shape)}",
                InvalidArgumentError,
            )

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "use_locking": False}


class ApplyGradientDescent(ApplyUpdate):
    """w := w - learning_rate * g."""

    type_name = "ApplyGradientDescent"
    input_names = ("var", "delta")
    ref_inputs = (0,)

    def forward(self, var, delta):
        self.check_gradient(var, delta)
        new = var.read() - self.attrs["learning_rate"] * delta
        var.write(new)
        return new


class ApplyMomentum(ApplyUpdate):
    """Keras SGD with momentum: m := momentum * m - learning_rate * g;  w := w + m
    (nesterov: w := w + momentum * m - learning_rate * g)."""

    type_name = "ApplyMomentum"
    input_names = ("var", "accum", "grad")
    ref_inputs = (0, 1)

    def forward(self, var, accum, grad):
        self.check_gradient(var, grad)
        lr, momentum = self.attrs["learning_rate"], self.attrs["momentum"]
        m = momentum * accum.read() - lr * grad
        if self.attrs["nesterov"]:  # the step in brackets is rounded first, as in Keras
            new = var.read() + (momentum * m - lr * grad)
        else:
            new = var.read() + m
        accum.write(m)
        var.write(new)
        return new


def adam_step(var, m, v, grad, beta1_power, beta2_power, one_minus_beta1, one_minus_beta2,
              learning_rate, epsilon):
    """One Adam step on VariableRefs var, m, v, every number in the gradient's dtype."""
    cast = grad.dtype.type
    lr, epsilon = cast(learning_rate), cast(epsilon)
    old_m, old_v = m.read(), v.read()
    new_m = old_m + (grad - old_m) * one_minus_beta1
    new_v = old_v + (np.square(grad) - old_v) * one_minus_beta2
    alpha = lr * np.sqrt(cast(1) - beta2_power) / (cast(1) - beta1_power)
    new = var.read() - (new_m * alpha) / (np.sqrt(new_v) + epsilon)
    m.write(new_m)
    v.write(new_v)
    var.write(new)
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
    input_names = ("var", "m", "v", "beta1_power", "beta2_power", "grad")
    ref_inputs = (0, 1, 2)

    def forward(self, var, m, v, beta1_power, beta2_power, grad):
        self.check_gradient(var, grad)
        cast = grad.dtype.type  # every number in the variable's dtype
        a = self.attrs
        return adam_step(var, m, v, grad, cast(beta1_power), cast(beta2_power),
                         cast(1) - cast(a["beta1"]), cast(1) - cast(a["beta2"]), a["learning_rate"], a["epsilon"])


class ApplyKerasAdam(ApplyUpdate):
    """Adam as Keras 3 computes it: the same update, with beta^t = pow(beta, t) from the
    step count (t = iterations + 1) and 1 - beta rounded from Python floats."""

    type_name = "ApplyKerasAdam"
    input_names = ("var", "m", "v", "iterations", "grad")
    ref_inputs = (0, 1, 2)

    def forward(self, var, m, v, iterations, grad):
        self.check_gradient(var, grad)
        cast = grad.dtype.type
        a = self.attrs
        t = cast(iterations + 1)
        return adam_step(var, m, v, grad, np.power(cast(a["beta1"]), t), np.power(cast(a["beta2"]), t),
                         cast(1 - a["beta1"]), cast(1 - a["beta2"]), a["learning_rate"], a["epsilon"])


class ApplyRMSProp(ApplyUpdate):
    """RMSprop, as Keras 3 computes it (no momentum, not centred):

        v := rho v + (1 - rho) g^2          w := w - lr g / sqrt(v + epsilon)
    """

    type_name = "ApplyRMSProp"
    input_names = ("var", "ms", "grad")
    ref_inputs = (0, 1)

    def forward(self, var, ms, grad):
        self.check_gradient(var, grad)
        cast = grad.dtype.type
        rho = self.attrs["rho"]
        lr, epsilon = cast(self.attrs["learning_rate"]), cast(self.attrs["epsilon"])
        velocity = cast(rho) * ms.read() + cast(1 - rho) * np.square(grad)
        new = var.read() - (lr * grad) / np.sqrt(velocity + epsilon)
        ms.write(velocity)
        var.write(new)
        return new
