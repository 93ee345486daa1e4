"""The core layers: Dense, Activation, Flatten, Reshape, Lambda.

Dense and Activation are the worksheet's two layers; Flatten and Reshape turn
images into feature rows and back (a CNN needs them between its Conv2D and Dense
layers); Lambda wraps any function of tensors as a layer.

Dense works on the last axis: inputs of shape (batch, features) give (batch, units),
and inputs of shape (batch, steps, features) give (batch, steps, units), the same
kernel applied at every step (one batched matrix product, as Keras 3 on TensorFlow).
"""

from __future__ import annotations

import importlib
from typing import Callable

import numpy as np

import minigraph as mg
from minigraph.keras import activations
from minigraph.keras.layers.base import Layer
from minigraph.keras.layers.convolutional import check_data_format
from minigraph.keras.layers.kernels import KernelLayer
from minigraph.shapes import format_shape


class Dense(KernelLayer):
    """outputs = activation(inputs @ kernel + bias), on the last axis of the inputs."""

    def __init__(self, units: int, activation=None, use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", input_shape=None, name: str | None = None, **kwargs):
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        if "input_dim" in kwargs:
            input_shape = (kwargs.pop("input_dim"),)
        super().__init__(activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, name=name, input_shape=input_shape, **kwargs)
        self.units = int(units)

    def build(self, input_shape):
        if input_shape is None or len(input_shape) < 2:
            raise ValueError(f"Dense layer {self.name} needs inputs of shape (batch, ..., features), "
                             f"got {format_shape(input_shape)}")
        if input_shape[-1] is None:  # the kernel's shape depends on it, as in Keras
            raise ValueError(
                f"Dense layer {self.name} needs a known number of input features to shape its kernel, "
                f"got inputs of shape {format_shape(input_shape)}"
            )
        self.build_weights((input_shape[-1], self.units), self.units)

    def call(self, inputs):
        outputs = mg.matmul(inputs, self.kernel)  # a stack of rows (rank 3+) is a batched product
        if self.use_bias:
            outputs = mg.add(outputs, self.bias, name="BiasAdd")
        return self.activate(outputs)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


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


class Lambda(Layer):
    """outputs = function(inputs, **arguments): any function of tensors, as a layer.

    ``Lambda(lambda x: x ** 2)`` or ``Lambda(K.l2_normalize, arguments={'axis': 1})``.
    The output's shape is whatever the function builds; ``output_shape`` (without the
    batch dimension, or a function of the input shape giving the whole shape) states it
    where the function's ops cannot know it, and is checked against what they know.

    A saved model stores the function by its module and name, so only a function
    defined at the top of a module can be saved; a ``lambda`` cannot (Keras saves its
    bytecode, which only loads in the same Python version and runs arbitrary code)."""

    def __init__(self, function: Callable, output_shape=None, arguments: dict | None = None,
                 name: str | None = None, **kwargs):
        if isinstance(function, dict):  # as get_config wrote it
            function = import_function(function)
        if not callable(function):
            raise ValueError(f"Lambda: function must be callable, got {function!r}")
        super().__init__(name=name, **kwargs)
        self.function = function
        self.output_shape_given = tuple(output_shape) if isinstance(output_shape, list) else output_shape
        self.arguments = dict(arguments or {})

    def call(self, inputs):
        outputs = self.function(inputs, **self.arguments)
        if self.output_shape_given is not None:
            outputs = mg.identity(outputs)  # set_shape on a copy: the function may return its input
            outputs.set_shape(self._stated_shape(inputs))
        return outputs

    def _stated_shape(self, inputs) -> tuple:
        if callable(self.output_shape_given):
            shapes = [x.shape for x in inputs] if isinstance(inputs, (list, tuple)) else inputs.shape
            return tuple(self.output_shape_given(shapes))
        return (None,) + tuple(self.output_shape_given)

    def get_config(self):
        if callable(self.output_shape_given):
            raise ValueError(f"Lambda layer {self.name}: an output_shape function cannot be saved; "
                             "give output_shape as a tuple")
        return {**super().get_config(), "function": function_reference(self.function, self.name),
                "output_shape": self.output_shape_given, "arguments": self.arguments}


def function_reference(function: Callable, layer: str) -> dict:
    """{'module': 'numpy', 'function_name': 'tanh'}: how a saved Lambda finds its function again."""
    module, qualified_name = getattr(function, "__module__", None), getattr(function, "__qualname__", "")
    if module is None or "<" in qualified_name or module == "__main__":
        raise ValueError(f"Lambda layer {layer}: its function {function!r} cannot be saved, since only a "
                         "function defined at the top level of an importable module can be found again; "
                         "define it with def in a module")
    return {"module": module, "function_name": qualified_name}


def import_function(reference: dict) -> Callable:
    """The function a function_reference names."""
    found = importlib.import_module(reference["module"])
    for part in reference["function_name"].split("."):
        found = getattr(found, part)
    return found
