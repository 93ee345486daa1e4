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


def pair(value, what: str, layer: str) -> tuple[int, int]:
    """kernel_size=3 or (3, 3) -> (3, 3), as Keras takes sizes and strides of 2-D layers."""
    values = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in values):
        raise ValueError(f"{layer}: {what} must be a positive int or a pair of them, got {value!r}")
    return int(values[0]), int(values[1])


def check_padding(padding, layer: str) -> str:
    """'valid' or 'same' (any case, as Keras) -> 'VALID' or 'SAME', as the ops take it."""
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"{layer}: padding must be 'valid' or 'same', got {padding!r}")
    return padding.upper()


def check_data_format(kwargs: dict, layer: str) -> None:
    """Takes data_format out of a 2-D layer's arguments: channels_last is the one layout here."""
    data_format = kwargs.pop("data_format", None)
    if data_format not in (None, "channels_last"):
        raise NotImplementedError(f"{layer}: data_format={data_format!r} is not implemented; "
                                  "only channels_last, images as (batch, height, width, channels)")


def check_images(layer: Layer, input_shape) -> None:
    """2-D layers take channels_last images: (batch, height, width, channels)."""
    if input_shape is None or len(input_shape) != 4:
        raise ValueError(
            f"{type(layer).__name__} layer {layer.name} needs images of shape (batch, height, width, channels), "
            f"got inputs of shape {format_shape(input_shape)}"
        )


class Conv2D(Layer):
    """outputs = activation(conv2d(inputs, kernel) + bias), on channels_last images.

    The kernel is (kernel_height, kernel_width, input_channels, filters): each filter
    looks at a window of every input channel and makes one output channel. Its glorot
    fans count the window too (fan_in = kh * kw * in, fan_out = kh * kw * filters)."""

    def __init__(self, filters: int, kernel_size, strides=(1, 1), padding: str = "valid", activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 input_shape=None, name: str | None = None, **kwargs):
        if not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ValueError(f"Conv2D: filters must be a positive integer, got {filters!r}")
        check_data_format(kwargs, "Conv2D")
        super().__init__(name=name, input_shape=input_shape, **kwargs)
        self.filters = int(filters)
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2D")
        self.strides = pair(strides, "strides", "Conv2D")
        self.padding = check_padding(padding, "Conv2D")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape):
        check_images(self, input_shape)
        if input_shape[-1] is None:
            raise ValueError(f"Conv2D layer {self.name} needs a known number of input channels to shape its "
                             f"kernel, got inputs of shape {format_shape(input_shape)}")
        shape = self.kernel_size + (input_shape[-1], self.filters)
        self.kernel = self.add_weight("kernel", shape, self.kernel_initializer)
        self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer) if self.use_bias else None

    def call(self, inputs):
        outputs = mg.nn.conv2d(inputs, self.kernel, strides=(1,) + self.strides + (1,), padding=self.padding)
        if self.use_bias:
            outputs = mg.nn.bias_add(outputs, self.bias, name="BiasAdd")
        return self.activation(outputs)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding.lower(),
                "activation": activations.name_of(self.activation), "use_bias": self.use_bias}


class Pooling2D(Layer):
    """Summarises each pool_size window of each channel; the window moves by `strides`
    (pool_size when not given, so windows do not overlap)."""

    pool = None  # mg.nn.max_pool or mg.nn.avg_pool

    def __init__(self, pool_size=(2, 2), strides=None, padding: str = "valid", name: str | None = None, **kwargs):
        kind = type(self).__name__
        check_data_format(kwargs, kind)
        super().__init__(name=name, **kwargs)
        self.pool_size = pair(pool_size, "pool_size", kind)
        self.strides = self.pool_size if strides is None else pair(strides, "strides", kind)
        self.padding = check_padding(padding, kind)

    def build(self, input_shape):
        check_images(self, input_shape)

    def call(self, inputs):
        return self.pool(inputs, ksize=(1,) + self.pool_size + (1,), strides=(1,) + self.strides + (1,),
                         padding=self.padding)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding.lower()}


class MaxPooling2D(Pooling2D):
    """outputs = each window's maximum."""

    pool = staticmethod(mg.nn.max_pool)


class AveragePooling2D(Pooling2D):
    """outputs = each window's mean (with padding='same', over the window's image elements only)."""

    pool = staticmethod(mg.nn.avg_pool)


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
