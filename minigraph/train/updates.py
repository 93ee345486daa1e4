"""Fused update ops: one node per variable that applies one optimizer step to it.

An update could be written with assign ops (``m = b1*m + (1-b1)*g`` and so on), but
one Adam step would then be a dozen nodes per variable. TensorFlow has one fused
kernel per rule (``ApplyGradientDescent``, ``ApplyAdam``), and so does minigraph:
the rule is in ``forward``, in numpy, in the variable's dtype.

The variable and the optimizer's state for it (its *slots*: Adam's m and v) are ref
inputs: edges to their storage nodes. Each update writes new arrays through its
VariableRefs and never changes an array in place, so a value fetched in the same run
is never altered.

The learning rate is a value input (``lr``), as in TF: a scalar of the variable's
dtype, computed by the graph in the same run. So it can be a constant, a variable a
callback changes, or ``mg.train.exponential_decay(...)`` of the global step. The other
hyper-parameters (beta1, rho, ...) stay fixed attributes. TF1's optimizers turn each
Python number into a float32 tensor and cast it to the variable's dtype, so a float64
variable sees float32-rounded hyper-parameters (0.1 becomes 0.10000000149...);
``tf1_number`` below does the same.
"""

from __future__ import annotations

import numpy as np

from minigraph.errors import InvalidArgumentError
from minigraph.graph import Operation
from minigraph.ops.state import Variable
from minigraph.shapes import format_shape, is_compatible


def tf1_number(value: float, dtype: np.dtype):
    """A Python hyper-parameter as TF1's optimizers give it to a kernel: a float32
    tensor cast to the variable's dtype."""
    return dtype.type(np.float32(value))


class ApplyUpdate(Operation):
    """Shared by the updates: the first input is the variable, the last its gradient,
    and the input named ``lr`` (``alpha`` for gradient descent) the learning rate.

    The variable and the optimizer's slots are ref inputs, so ``forward`` gets each as
    a VariableRef (``read()``, ``write(value)``); every other input as an array.
    """

    writes_variables = True
    stateful = True
    learning_rate_input = "lr"

    def infer(self, variable, *rest):
        gradient = rest[-1]
        if not isinstance(variable, Variable):
            raise self.error(f"{self.type_name} updates a Variable, got {variable!r}", TypeError)
        if not is_compatible(gradient.shape, variable.shape) or gradient.dtype != variable.dtype:
            raise self.error(
                f"gradient {gradient!r} does not fit variable {variable.op.name} "
                f"of shape {format_shape(variable.shape)} and dtype {variable.dtype.name}"
            )
        learning_rate = self.inputs[self.input_names.index(self.learning_rate_input)]
        if learning_rate.dtype != variable.dtype or learning_rate.shape not in (None, ()):
            raise self.error(
                f"learning rate {learning_rate!r} must be a scalar of variable {variable.op.name}'s "
                f"dtype {variable.dtype.name}: cast it (the optimizers do)"
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
    """w := w - alpha * g   (alpha: the learning rate)."""

    type_name = "ApplyGradientDescent"
    input_names = ("var", "alpha", "delta")
    ref_inputs = (0,)
    learning_rate_input = "alpha"

    def forward(self, var, alpha, delta):
        self.check_gradient(var, delta)
        new = var.read() - delta * alpha
        var.write(new)
        return new


class ApplyMomentum(ApplyUpdate):
    """Keras SGD with momentum: m := momentum * m - learning_rate * g;  w := w + m
    (nesterov: w := w + momentum * m - learning_rate * g)."""

    type_name = "ApplyMomentum"
    input_names = ("var", "accum", "lr", "grad")
    ref_inputs = (0, 1)

    def forward(self, var, accum, lr, grad):
        self.check_gradient(var, grad)
        momentum = self.attrs["momentum"]
        m = momentum * accum.read() - lr * grad
        if self.attrs["nesterov"]:  # the step in brackets is rounded first, as in Keras
            new = var.read() + (momentum * m - lr * grad)
        else:
            new = var.read() + m
        accum.write(m)
        var.write(new)
        return new


def adam_step(var, m, v, grad, beta1_power, beta2_power, one_minus_beta1, one_minus_beta2, lr, epsilon):
    """One Adam step on VariableRefs var, m, v, every number in the gradient's dtype."""
    cast = grad.dtype.type
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
    input_names = ("var", "m", "v", "beta1_power", "beta2_power", "lr", "grad")
    ref_inputs = (0, 1, 2)

    def forward(self, var, m, v, beta1_power, beta2_power, lr, grad):
        self.check_gradient(var, grad)
        dtype = grad.dtype  # every number in the variable's dtype
        beta1, beta2, epsilon = (tf1_number(self.attrs[key], dtype) for key in ("beta1", "beta2", "epsilon"))
        one = dtype.type(1)
        return adam_step(var, m, v, grad, dtype.type(beta1_power), dtype.type(beta2_power),
                         one - beta1, one - beta2, lr, epsilon)


class ApplyKerasAdam(ApplyUpdate):
    """Adam as Keras 3 computes it: the same update, with beta^t = pow(beta, t) from the
    step count (t = iterations + 1) and 1 - beta rounded from Python floats."""

    type_name = "ApplyKerasAdam"
    input_names = ("var", "m", "v", "iterations", "lr", "grad")
    ref_inputs = (0, 1, 2)

    def forward(self, var, m, v, iterations, lr, grad):
        self.check_gradient(var, grad)
        cast = grad.dtype.type
        a = self.attrs
        t = cast(iterations + 1)
        return adam_step(var, m, v, grad, np.power(cast(a["beta1"]), t), np.power(cast(a["beta2"]), t),
                         cast(1 - a["beta1"]), cast(1 - a["beta2"]), lr, cast(a["epsilon"]))


class ApplyAdagrad(ApplyUpdate):
    """Adagrad, as TF's ApplyAdagrad kernel computes it:

        accum := accum + g^2          w := w - lr g / sqrt(accum)

    (TF1's AdagradOptimizer starts accum at initial_accumulator_value, 0.1, not 0.)
    """

    type_name = "ApplyAdagrad"
    input_names = ("var", "accum", "lr", "grad")
    ref_inputs = (0, 1)

    def forward(self, var, accum, lr, grad):
        self.check_gradient(var, grad)
        new_accum = accum.read() + np.square(grad)
        new = var.read() - grad * lr / np.sqrt(new_accum)
        accum.write(new_accum)
        var.write(new)
        return new


def rms_prop_step(var, ms, mom, lr, grad, average, epsilon, momentum, mg=None):
    """One RMSProp step on VariableRefs, TF1's and Keras's alike: `average(old, new)`
    is the moving average of ms (and mg, the mean gradient, when centred), the one
    place where they round differently.

        ms := average(ms, g^2)     [mg := average(mg, g)]
        mom := momentum mom + lr g / sqrt(ms [- mg^2] + epsilon)     w := w - mom
    """
    new_ms = average(ms.read(), np.square(grad))
    denominator = new_ms + epsilon
    if mg is not None:  # centred: divide by the variance estimate E[g^2] - E[g]^2 instead
        new_mg = average(mg.read(), grad)
        denominator = (new_ms - np.square(new_mg)) + epsilon
        mg.write(new_mg)
    new_mom = mom.read() * momentum + (grad * lr) / np.sqrt(denominator)
    new = var.read() - new_mom
    ms.write(new_ms)
    mom.write(new_mom)
    var.write(new)
    return new


def tf1_rms_prop_step(var, ms, mom, lr, grad, attrs, mg=None):
    """TF1's kernels: ms + (g^2 - ms)(1 - rho), every number a float of the gradient's dtype."""
    rho, momentum, epsilon = (tf1_number(attrs[key], grad.dtype) for key in ("rho", "momentum", "epsilon"))
    one_minus_rho = grad.dtype.type(1) - rho
    return rms_prop_step(var, ms, mom, lr, grad, lambda old, new: old + (new - old) * one_minus_rho,
                         epsilon, momentum, mg)


class ApplyRMSProp(ApplyUpdate):
    """RMSProp, as TF's ApplyRMSProp kernel computes it (TF1's RMSPropOptimizer):

        ms := ms + (g^2 - ms)(1 - rho)
        mom := momentum mom + lr g / sqrt(ms + epsilon)          w := w - mom

    TF1 starts ms at 1 (not 0) and mom at 0; with momentum 0, mom is just the step.
    """

    type_name = "ApplyRMSProp"
    input_names = ("var", "ms", "mom", "lr", "grad")
    ref_inputs = (0, 1, 2)

    def forward(self, var, ms, mom, lr, grad):
        self.check_gradient(var, grad)
        return tf1_rms_prop_step(var, ms, mom, lr, grad, self.attrs)


class ApplyCenteredRMSProp(ApplyUpdate):
    """Centred RMSProp, as TF's ApplyCenteredRMSProp kernel computes it:

        ms := ms + (g^2 - ms)(1 - rho)          mg := mg + (g - mg)(1 - rho)
        mom := momentum mom + lr g / sqrt(ms - mg^2 + epsilon)          w := w - mom
    """

    type_name = "ApplyCenteredRMSProp"
    input_names = ("var", "mg", "ms", "mom", "lr", "grad")
    ref_inputs = (0, 1, 2, 3)

    def forward(self, var, mg, ms, mom, lr, grad):
        self.check_gradient(var, grad)
        return tf1_rms_prop_step(var, ms, mom, lr, grad, self.attrs, mg=mg)


class ApplyKerasRMSProp(ApplyUpdate):
    """RMSprop, as Keras 3 computes it (no momentum, not centred):

        v := rho v + (1 - rho) g^2          w := w - lr g / sqrt(v + epsilon)
    """

    type_name = "ApplyKerasRMSProp"
    input_names = ("var", "ms", "lr", "grad")
    ref_inputs = (0, 1)

    def forward(self, var, ms, lr, grad):
        self.check_gradient(var, grad)
        cast = grad.dtype.type
        rho = self.attrs["rho"]
        epsilon = cast(self.attrs["epsilon"])
        velocity = cast(rho) * ms.read() + cast(1 - rho) * np.square(grad)
        new = var.read() - (lr * grad) / np.sqrt(velocity + epsilon)
        ms.write(velocity)
        var.write(new)
        return new
