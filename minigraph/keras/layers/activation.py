"""Activations with a setting, as layers: ReLU, LeakyReLU, ELU, Softmax.

``Activation('relu')`` covers the plain functions. These layers carry a number the
name cannot: a slope for negative inputs, a cap, an axis. Keras 2 names the slope
``alpha`` (``LeakyReLU(alpha=0.1)``); Keras 3 ``negative_slope``; both are taken.
"""

from __future__ import annotations

import minigraph as mg
from minigraph.keras import activations
from minigraph.keras import backend as K
from minigraph.keras.layers.base import Layer


def _number(value, what: str, layer: str, least: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < least:
        raise ValueError(f"{layer}: {what} must be a number >= {least}, got {value!r}")
    return float(value)


class ReLU(Layer):
    """y = min(x, max_value) for x >= threshold, negative_slope * (x - threshold) below it."""

    def __init__(self, max_value=None, negative_slope: float = 0.0, threshold: float = 0.0,
                 name: str | None = None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.max_value = None if max_value is None else _number(max_value, "max_value", "ReLU")
        self.negative_slope = _number(negative_slope, "negative_slope", "ReLU")
        self.threshold = float(threshold)

    def call(self, inputs):
        return K.relu(inputs, alpha=self.negative_slope, max_value=self.max_value, threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(Layer):
    """y = x for x > 0, negative_slope * x otherwise (0.3 by default, as Keras 2 and 3)."""

    def __init__(self, negative_slope: float = 0.3, name: str | None = None, alpha: float | None = None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.negative_slope = _number(negative_slope if alpha is None else alpha, "negative_slope", "LeakyReLU")

    def call(self, inputs):
        return activations.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(Layer):
    """y = x for x > 0, alpha * (exp(x) - 1) otherwise."""

    def __init__(self, alpha: float = 1.0, name: str | None = None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.alpha = _number(alpha, "alpha", "ELU")

    def call(self, inputs):
        return activations.elu(inputs, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(Layer):
    """y = exp(x) / sum(exp(x)) along `axis`."""

    def __init__(self, axis: int = -1, name: str | None = None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.axis = axis

    def call(self, inputs):
        return mg.nn.softmax(inputs, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
