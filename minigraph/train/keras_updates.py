"""Keras 3's update rules as fused ops: Adagrad, Adadelta, Adamax, Nadam and AMSGrad.

Each class below is one optimizer step for one variable, written in numpy the way
Keras 3 writes it with ``keras.ops`` on TensorFlow, so that twenty steps land on
Keras's weights to the last bit or two. Two habits of Keras decide the rounding:

- a hyper-parameter is a Python float, and Python arithmetic on it happens before it
  meets a tensor: ``(1 - rho) * g^2`` rounds ``1 - rho`` in float64, then to float32;
- a number cast to the variable's dtype first (``beta_1 = ops.cast(beta_1, dtype)``)
  rounds every later step in float32.

So each forward says which it is, with ``cast(1 - rho)`` or ``one - beta_1``.

The learning rate comes in as a value input (``lr``), already decayed and cast to the
variable's dtype by the optimizer (minigraph/keras/optimizers/base.py); the step count
``iterations`` (int64, the steps done before this one) as another, where a rule needs
``t``. The shared machinery (ref inputs, the gradient's shape check) is
``ApplyUpdate``'s, in minigraph/train/updates.py, where Keras's Adam and RMSprop are.
"""

from __future__ import annotations

import numpy as np

from minigraph.train.updates import ApplyUpdate, rms_prop_step


class ApplyKerasAdagrad(ApplyUpdate):
    """Adagrad, as Keras 3 computes it (accum starts at initial_accumulator_value, 0.1):

        accum := accum + g^2          w := w - lr g / sqrt(accum + epsilon)
    """

    type_name = "ApplyKerasAdagrad"
    input_names = ("var", "accum", "lr", "grad")
    ref_inputs = (0, 1)

    def forward(self, var, accum, lr, grad):
        self.check_gradient(var, grad)
        epsilon = grad.dtype.type(self.attrs["epsilon"])
        new_accum = accum.read() + np.square(grad)
        new = var.read() - (lr * grad) / np.sqrt(new_accum + epsilon)
        accum.write(new_accum)
        var.write(new)
        return new


class ApplyKerasAdadelta(ApplyUpdate):
    """Adadelta (Zeiler 2012), as Keras 3 computes it: the step is scaled by the ratio of
    two running root mean squares, of past steps and of past gradients:

        Eg := rho Eg + (1 - rho) g^2
        delta = -sqrt(Edelta + epsilon) g / sqrt(Eg + epsilon)
        Edelta := rho Edelta + (1 - rho) delta^2          w := w + lr delta
    """

    type_name = "ApplyKerasAdadelta"
    input_names = ("var", "accum_grad", "accum_delta", "lr", "grad")
    ref_inputs = (0, 1, 2)

    def forward(self, var, accum_grad, accum_delta, lr, grad):
        self.check_gradient(var, grad)
        cast = grad.dtype.type
        rho, epsilon = self.attrs["rho"], cast(self.attrs["epsilon"])
        new_accum_grad = cast(rho) * accum_grad.read() + cast(1 - rho) * np.square(grad)
        delta = -((np.sqrt(accum_delta.read() + epsilon) * grad) / np.sqrt(new_accum_grad + epsilon))
        new_accum_delta = cast(rho) * accum_delta.read() + cast(1 - rho) * np.square(delta)
        new = var.read() + lr * delta
        accum_grad.write(new_accum_grad)
        accum_delta.write(new_accum_delta)
        var.write(new)
        return new


class ApplyKerasAdamax(ApplyUpdate):
    """Adamax (Kingma & Ba, section 7): Adam with the infinity norm in place of v, at step t:

        m := m + (g - m)(1 - beta_1)          u := max(beta_2 u, |g|)
        w := w - lr m / ((1 - beta_1^t)(u + epsilon))
    """

    type_name = "ApplyKerasAdamax"
    input_names = ("var", "m", "u", "iterations", "lr", "grad")
    ref_inputs = (0, 1, 2)

    def forward(self, var, m, u, iterations, lr, grad):
        self.check_gradient(var, grad)
        cast = grad.dtype.type
        beta_1, beta_2, epsilon = self.attrs["beta_1"], self.attrs["beta_2"], cast(self.attrs["epsilon"])
        beta_1_power = np.power(cast(beta_1), cast(iterations + 1))
        new_m = m.read() + (grad - m.read()) * cast(1 - beta_1)
        new_u = np.maximum(cast(beta_2) * u.read(), np.abs(grad))
        new = var.read() - (lr * new_m) / ((cast(1) - beta_1_power) * (new_u + epsilon))
        m.write(new_m)
        u.write(new_u)
        var.write(new)
        return new


class ApplyKerasNadam(ApplyUpdate):
    """Nadam (Dozat 2016): Adam with Nesterov momentum, as Keras 3 computes it at step t.
    The momentum factor warms up, mu_t = beta_1 (1 - 0.5 * 0.96^t), and the optimizer
    keeps the product P_t = mu_1 ... mu_t (``u_product``, given here already updated):

        m := m + (g - m)(1 - beta_1)          v := v + (g^2 - v)(1 - beta_2)
        m_hat = mu_{t+1} m / (1 - P_t mu_{t+1}) + (1 - mu_t) g / (1 - P_t)
        v_hat = v / (1 - beta_2^t)            w := w - lr m_hat / (sqrt(v_hat) + epsilon)
    """

    type_name = "ApplyKerasNadam"
    input_names = ("var", "m", "v", "iterations", "u_product", "lr", "grad")
    ref_inputs = (0, 1, 2)

    def forward(self, var, m, v, iterations, u_product, lr, grad):
        self.check_gradient(var, grad)
        cast = grad.dtype.type
        one, half, decay = cast(1), cast(0.5), cast(0.96)
        # Keras casts the betas to the variable's dtype first: 1 - beta is rounded there
        beta_1, beta_2, epsilon = (cast(self.attrs[key]) for key in ("beta_1", "beta_2", "epsilon"))
        t = cast(iterations + 1)
        mu_t = beta_1 * (one - half * np.power(decay, t))
        mu_next = beta_1 * (one - half * np.power(decay, t + one))
        u_product = cast(u_product)
        new_m = m.read() + (grad - m.read()) * (one - beta_1)
        new_v = v.read() + (np.square(grad) - v.read()) * (one - beta_2)
        m_hat = (mu_next * new_m) / (one - u_product * mu_next) + ((one - mu_t) * grad) / (one - u_product)
        v_hat = new_v / (one - np.power(beta_2, t))
        new = var.read() - (m_hat * lr) / (np.sqrt(v_hat) + epsilon)
        m.write(new_m)
        v.write(new_v)
        var.write(new)
        return new


class ApplyKerasAMSGrad(ApplyUpdate):
    """Adam with AMSGrad (Reddi et al. 2018), as Keras 3's Adam(amsgrad=True): Adam's
    step divided by the largest v seen so far, so the step size never grows back:

        m, v as in Adam          v_max := max(v_max, v)
        w := w - alpha m / (sqrt(v_max) + epsilon),  alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)
    """

    type_name = "ApplyKerasAMSGrad"
    input_names = ("var", "m", "v", "v_max", "iterations", "lr", "grad")
    ref_inputs = (0, 1, 2, 3)

    def forward(self, var, m, v, v_max, iterations, lr, grad):
        self.check_gradient(var, grad)
        cast = grad.dtype.type
        beta_1, beta_2, epsilon = self.attrs["beta1"], self.attrs["beta2"], cast(self.attrs["epsilon"])
        t = cast(iterations + 1)
        alpha = lr * np.sqrt(cast(1) - np.power(cast(beta_2), t)) / (cast(1) - np.power(cast(beta_1), t))
        new_m = m.read() + (grad - m.read()) * cast(1 - beta_1)
        new_v = v.read() + (np.square(grad) - v.read()) * cast(1 - beta_2)
        new_v_max = np.maximum(v_max.read(), new_v)
        new = var.read() - (new_m * alpha) / (np.sqrt(new_v_max) + epsilon)
        m.write(new_m)
        v.write(new_v)
        v_max.write(new_v_max)
        var.write(new)
        return new


def keras_rms_prop_step(var, ms, mom, lr, grad, attrs, mg=None):
    """Keras 3's RMSprop with momentum (centred when `mg` is given): TF1's step, with
    Keras's moving average rho old + (1 - rho) new."""
    cast = grad.dtype.type
    rho, one_minus_rho = cast(attrs["rho"]), cast(1 - attrs["rho"])
    return rms_prop_step(var, ms, mom, lr, grad, lambda old, new: rho * old + one_minus_rho * new,
                         cast(attrs["epsilon"]), cast(attrs["momentum"]), mg)


class ApplyKerasRMSPropMomentum(ApplyUpdate):
    """RMSprop with momentum, as Keras 3 computes it:

        v := rho v + (1 - rho) g^2
        mom := momentum mom + lr g / sqrt(v + epsilon)          w := w - mom
    """

    type_name = "ApplyKerasRMSPropMomentum"
    input_names = ("var", "ms", "mom", "lr", "grad")
    ref_inputs = (0, 1, 2)

    def forward(self, var, ms, mom, lr, grad):
        self.check_gradient(var, grad)
        return keras_rms_prop_step(var, ms, mom, lr, grad, self.attrs)


class ApplyKerasCenteredRMSProp(ApplyUpdate):
    """Centred RMSprop, as Keras 3 computes it (momentum may be 0):

        v := rho v + (1 - rho) g^2          mg := rho mg + (1 - rho) g
        mom := momentum mom + lr g / sqrt(v - mg^2 + epsilon)          w := w - mom
    """

    type_name = "ApplyKerasCenteredRMSProp"
    input_names = ("var", "ms", "mg", "mom", "lr", "grad")
    ref_inputs = (0, 1, 2, 3)

    def forward(self, var, ms, mg, mom, lr, grad):
        self.check_gradient(var, grad)
        return keras_rms_prop_step(var, ms, mom, lr, grad, self.attrs, mg=mg)
