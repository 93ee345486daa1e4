"""Layers: reusable pieces of graph that own their weights.

A layer is split in two, as in Keras:

- ``build(input_shape)`` creates the weights once the input's shape is known
  (a Dense layer needs the number of input features to shape its kernel);
- ``call(inputs)`` adds the layer's ops to the graph and returns its output tensor.

``layer(x)`` does both: it builds on first use, then calls, inside a name scope, so a
Dense layer's nodes are named ``dense/MatMul``, ``dense/kernel``...
"""

from __future__ import annotations

import re

import numpy as np

import minigraph as mg
from minigraph.graph import Tensor
from minigraph.keras import activations, initializers
from minigraph.keras import backend as K
from minigraph.shapes import format_shape, normalize_shape


def unique_layer_name(prefix: str) -> str:
    """'dense', then 'dense_1', 'dense_2'... (per process, as Keras 3 names layers)."""
    uid = K.get_uid(prefix)
    return prefix if uid == 1 else f"{prefix}_{uid - 1}"


def snake_case(name: str) -> str:
    """'Dense' -> 'dense', 'InputLayer' -> 'input_layer': how Keras turns classes into names."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Layer:
    """Base class: weights, a name, a dtype, and the build/call split."""

    def __init__(self, name: str | None = None, input_shape=None, trainable: bool = True, dtype=None):
        self.name = name or unique_layer_name(snake_case(type(self).__name__))
        self.trainable = trainable
        self.dtype = mg.as_dtype(dtype or K.floatx())  # floatx when the layer is made, as in Keras
        self.declared_input_shape = None if input_shape is None else normalize_shape(input_shape, "input_shape")
        self.weights: list[mg.Variable] = []
        self.built = False
        self.input_shape: tuple | None = None  # with the batch dimension, e.g. (None, 60)
        self.output_shape: tuple | None = None

    # --- what subclasses define --------------------------------------------------
    def build(self, input_shape: tuple) -> None:
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable}

    # --- the machinery ------------------------------------------------------------
    def __call__(self, inputs: Tensor) -> Tensor:
        if not isinstance(inputs, Tensor):
            raise TypeError(f"Layer {self.name} must be called on a tensor, got {inputs!r}")
        graph = inputs.graph
        first_call = not self.built
        if not first_call and self.weights and self.weights[0].graph is not graph:
            raise ValueError(f"Layer {self.name} was built in another graph (another model); make a new layer")
        try:
            with graph.as_default(), graph.name_scope(self.name):
                if first_call:
                    self.build(inputs.shape)
                    self.built = True
                outputs = self.call(inputs)
        except Exception:
            if first_call:  # a half-built layer would keep weights the next build duplicates
                self.reset()
            raise
        self.input_shape, self.output_shape = inputs.shape, outputs.shape
        return outputs

    def reset(self) -> None:
        """Forgets the build: no weights, not built (after a failed build, or for a new model)."""
        self.weights = []
        self.built = False
        self.input_shape = self.output_shape = None

    def add_weight(self, name: str, shape: tuple, initializer="glorot_uniform", trainable: bool = True) -> mg.Variable:
        value = initializers.get(initializer)(tuple(shape), self.dtype)
        variable = mg.Variable(value, name=name, trainable=trainable and self.trainable, dtype=self.dtype)
        self.weights.append(variable)
        return variable

    @property
    def trainable_weights(self) -> list[mg.Variable]:
        return [w for w in self.weights if w.trainable]

    def count_params(self) -> int:
        return sum(int(np.prod(w.shape)) for w in self.weights)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


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


class InputLayer(Layer):
    """Declares a model's input shape (without the batch dimension)."""

    def __init__(self, shape=None, name: str | None = None, input_shape=None, **kwargs):
        shape = shape if shape is not None else input_shape
        if shape is None:
            raise ValueError("InputLayer needs shape=, e.g. Input(shape=(784,))")
        super().__init__(name=name, input_shape=shape, **kwargs)

    def call(self, inputs):
        return inputs


def Input(shape=None, name: str | None = None, **kwargs) -> InputLayer:
    """``Input(shape=(60,))`` as the first entry of a Sequential model."""
    return InputLayer(shape=shape, name=name, **kwargs)
