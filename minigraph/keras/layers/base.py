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
from minigraph.keras import backend as K
from minigraph.keras import initializers
from minigraph.shapes import normalize_shape


def unique_layer_name(prefix: str) -> str:
    """'dense', then 'dense_1', 'dense_2'... (per process, as Keras 3 names layers)."""
    uid = K.get_uid(prefix)
    return prefix if uid == 1 else f"{prefix}_{uid - 1}"


def snake_case(name: str) -> str:
    """'Dense' -> 'dense', 'InputLayer' -> 'input_layer', 'MaxPooling2D' -> 'max_pooling2d':
    how Keras turns classes into names (a capital after a digit starts no new word)."""
    words = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", words).lower()


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
