"""The core layers: Dense, Activation, Flatten, Reshape.

Dense and Activation are the worksheet's two layers; Flatten and Reshape turn
images into feature rows and back (a CNN needs them between its Conv2D and Dense
layers).
"""

from __future__ import annotations

import numpy as np

import minigraph as mg
from minigraph.keras import activations
from minigraph.keras.layers.base import Layer
from minigraph.keras.layers.convolutional import check_data_format
from minigraph.shapes import format_shape


class Dense(Layer):
    """outputs = activation(inputs @ kernel + bias)."""

    def __init__(self, units: int, activation=None, use_bias: bool = True, input_shape=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", name: str | None = None, **kwargs):
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        if "input_dim" in kwargs:
            input_shape = (kwargs.pop("input_dim"),)
        super().__init__(name=name, input_shape=input_shape, **kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape):
        if input_shape is None or len(input_shape) != 2:
            raise ValueError(
                f"Dense layer {self.name} needs inputs of shape (batch, features), got {format_shape(input_shape)}"
            )
        if input_shape[-1] is None:  # the kernel's shape depends on it, as in Keras
            raise ValueError(
                f"Dense layer {self.name} needs a known number of input features to shape its kernel, "
                f"got inputs of shape {format_shape(input_shape)}"
            )
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer)
        self.bias = self.add_weight("bias", (self.units,), self.bias_initializer) if self.use_bias else None

    def call(self, inputs):
        outputs = mg.matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = mg.add(outputs, self.bias, name="BiasAdd")
        return self.activation(outputs)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.name_of(self.activation), "use_bias": self.use_bias}


class Activation(Layer):
    """outputs = activation(inputs), with no weights: Activation('relu')."""

    def __init__(self, activation, name: str | None = None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": activations.name_of(self.activation)}


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...): images become feature rows for Dense."""

    def __init__(self, name: str | None = None, **kwargs):
        check_data_format(kwargs, "Flatten")
        super().__init__(name=name, **kwargs)

    def build(self, input_shape):
        if input_shape is None or any(d is None for d in input_shape[1:]):
            raise ValueError(f"Flatten layer {self.name} needs every dimension but the batch known, "
                             f"got inputs of shape {format_shape(input_shape)}")

    def call(self, inputs):
        return mg.reshape(inputs, (-1, int(np.prod(inputs.shape[1:], dtype=np.int64))))


class Reshape(Layer):
    """(batch, ...) -> (batch,) + target_shape; one -1 in target_shape takes what is left."""

    def __init__(self, target_shape, name: str | None = None, **kwargs):
        super().__init__(name=name, **kwargs)
        target = tuple(target_shape) if not isinstance(target_shape, (int, np.integer)) else (target_shape,)
        if not all(isinstance(d, (int, np.integer)) and (d >= 1 or d == -1) for d in target) \
                or list(target).count(-1) > 1:
            raise ValueError(f"Reshape: target_shape must be positive ints and at most one -1, got {target_shape!r}")
        self.target_shape = tuple(int(d) for d in target)

    def build(self, input_shape):
        size = None if input_shape is None or None in input_shape[1:] else int(np.prod(input_shape[1:]))
        known = int(np.prod([d for d in self.target_shape if d != -1]))
        if size is None:
            raise ValueError(f"Reshape layer {self.name} needs every dimension but the batch known, "
                             f"got inputs of shape {format_shape(input_shape)}")
        if (size % known if -1 in self.target_shape else size != known):
            raise ValueError(f"Reshape layer {self.name} cannot reshape inputs of shape {format_shape(input_shape)} "
                             f"({size} values a row) to target_shape {self.target_shape}")
        # the -1 is worked out here, so the batch can stay the one unknown of the reshape
        self.resolved_shape = tuple(size // known if d == -1 else d for d in self.target_shape)

    def call(self, inputs):
        return mg.reshape(inputs, (-1,) + self.resolved_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}
