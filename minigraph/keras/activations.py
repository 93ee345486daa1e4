"""Activation functions by name, as ``Activation('relu')`` and ``Dense(activation=...)`` take them.

Every name Keras 2 accepts is here, each computed as Keras 3 computes it on TensorFlow
and built from minigraph ops, so its gradient comes for free. Two habits keep the
gradients finite: a branch that ``where`` does not pick still gets a zero gradient,
and zero times an overflowed ``exp`` is NaN, so each branch only ever sees the inputs
it is meant for (``expm1(minimum(x, 0))``, never ``expm1(x)`` of a large x).
"""

from __future__ import annotations

from typing import Callable

import minigraph as mg
from minigraph.keras import backend as K
from minigraph.keras.lookup import by_name
from minigraph.ops import nn

# SELU's constants (Klambauer et al. 2017): they make mean 0, variance 1 a fixed point
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# Keras 2 programs also pass the functions themselves: Dense(10, activation=activations.softmax)
sigmoid, tanh, softmax = nn.sigmoid, nn.tanh, nn.softmax


def relu(x, alpha: float = 0.0, max_value=None, threshold: float = 0.0):
    """y = max(x, 0) (one Relu op); Keras 2's options: alpha * (x - threshold) below
    `threshold`, and no more than `max_value` (the backend's relu: one rule for both)."""
    return K.relu(x, alpha=alpha, max_value=max_value, threshold=threshold)


def linear(x):
    """y = x."""
    return x


def _negative_part_expm1(x):
    """exp(x) - 1 for x <= 0, and 0 elsewhere (the exp never sees a large x)."""
    return mg.expm1(mg.minimum(x, mg.zeros_like(x)))


def elu(x, alpha: float = 1.0):
    """y = x for x > 0, alpha * (exp(x) - 1) otherwise."""
    negative = _negative_part_expm1(x)
    if alpha != 1:
        negative = mg.multiply(negative, mg.constant(alpha, dtype=x.dtype))
    return mg.where(mg.greater(x, mg.zeros_like(x)), x, negative)


def selu(x):
    """y = scale * x for x > 0, scale * alpha * (exp(x) - 1) otherwise."""
    negative = mg.multiply(_negative_part_expm1(x), SELU_ALPHA)
    return mg.multiply(mg.where(mg.greater_equal(x, mg.zeros_like(x)), x, negative), SELU_SCALE)


def softplus(x):
    """y = log(1 + exp(x)), computed without overflow: x + log(1 + exp(-x)) for x > 0."""
    zeros = mg.zeros_like(x)
    positive = mg.maximum(x, zeros)
    negative = mg.minimum(x, zeros)  # at x = 0 the gradient goes here: 1/2, as it should
    return mg.where(mg.greater(x, zeros),
                    mg.add(positive, mg.log1p(mg.exp(mg.negative(positive)))),
                    mg.log1p(mg.exp(negative)))


def softsign(x):
    """y = x / (1 + |x|)."""
    return mg.divide(x, mg.add(mg.abs(x), mg.ones_like(x)))


def relu6(x):
    """y = min(max(x, 0), 6), flat at both ends as TF's: at 6 the tie goes to the constant."""
    return mg.minimum(mg.constant(6.0, dtype=x.dtype), nn.relu(x))


def hard_sigmoid(x):
    """y = relu6(x + 3) / 6 = clip(x / 6 + 1/2, 0, 1): Keras 3's formula (Keras 2 used 0.2 x + 0.5)."""
    return mg.divide(relu6(mg.add(x, 3.0)), 6.0)


def exponential(x):
    """y = exp(x)."""
    return mg.exp(x)


def swish(x):
    """y = x * sigmoid(x) (Keras 3 calls it silu)."""
    return mg.multiply(x, nn.sigmoid(x))


def mish(x):
    """y = x * tanh(softplus(x))."""
    return mg.multiply(x, nn.tanh(softplus(x)))


# Abramowitz & Stegun 7.1.26: erfc(z) ~ t (a1 + t (a2 + ...)) exp(-z^2), t = 1 / (1 + p z), z >= 0,
# within 1.5e-7 of the true value. minigraph has no Erf op; built from ops, its gradient comes free.
ERFC_P = 0.3275911
ERFC_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _erfc_of_nonnegative(z):
    """erfc(z) for z >= 0 (A&S 7.1.26, Horner's rule)."""
    t = mg.reciprocal(mg.add(mg.multiply(z, ERFC_P), 1.0))
    polynomial = mg.constant(ERFC_A[-1], dtype=z.dtype)
    for a in reversed(ERFC_A[:-1]):
        polynomial = mg.add(mg.multiply(polynomial, t), a)
    return mg.multiply(mg.multiply(polynomial, t), mg.exp(mg.negative(mg.square(z))))


def gelu(x):
    """y = x * Phi(x), Phi the standard normal's CDF = erfc(-x / sqrt(2)) / 2: Keras's exact gelu,
    within 2.2e-7 of it (and the gradient within 6e-7) through the erfc approximation above."""
    tail = mg.multiply(_erfc_of_nonnegative(mg.multiply(mg.abs(x), 0.7071067811865476)), 0.5)  # Phi(-|x|)
    phi = mg.where(mg.greater_equal(x, mg.zeros_like(x)), mg.subtract(1.0, tail), tail)
    return mg.multiply(x, phi)


def leaky_relu(x, negative_slope: float = 0.2):
    """y = x for x > 0, negative_slope * x otherwise (Keras 3's default slope 0.2)."""
    return mg.where(mg.greater(x, mg.zeros_like(x)), x, mg.multiply(x, mg.constant(negative_slope, dtype=x.dtype)))


_BY_NAME: dict[str, Callable] = {
    "relu": relu,
    "softmax": softmax,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "elu": elu,
    "selu": selu,
    "softplus": softplus,
    "softsign": softsign,
    "hard_sigmoid": hard_sigmoid,
    "exponential": exponential,
    "linear": linear,
    "swish": swish,
    "gelu": gelu,
    "silu": swish,
    "mish": mish,
    "relu6": relu6,
    "leaky_relu": leaky_relu,
}


def get(identifier) -> Callable:
    """The activation function named `identifier` (None means linear)."""
    if identifier is None:
        return linear
    return by_name(_BY_NAME, identifier, "activation")


def name_of(function: Callable) -> str:
    for name, known in _BY_NAME.items():
        if known is function:
            return name
    return getattr(function, "__name__", repr(function))
