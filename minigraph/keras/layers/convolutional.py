"""Conv2D, and the argument checks the 2-D layers share (sizes, padding, layout).

Images are channels_last, (batch, height, width, channels), as Keras 2 on
TensorFlow has them by default.
"""

from __future__ import annotations

import numpy as np

import minigraph as mg
from minigraph.keras.layers.base import Layer
from minigraph.keras.layers.kernels import KernelLayer, take_defaults
from minigraph.shapes import format_shape


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


class Conv2D(KernelLayer):
    """outputs = activation(conv2d(inputs, kernel) + bias), on channels_last images.

    The kernel is (kernel_height, kernel_width, input_channels, filters): each filter
    looks at a window of every input channel and makes one output channel. Its glorot
    fans count the window too (fan_in = kh * kw * in, fan_out = kh * kw * filters)."""

    def __init__(self, filters: int, kernel_size, strides=(1, 1), padding: str = "valid", activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 input_shape=None, name: str | None = None, **kwargs):
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ValueError(f"Conv2D: filters must be a positive integer, got {filters!r}")
        check_data_format(kwargs, "Conv2D")
        kwargs["dilation_rate"] = pair(kwargs.get("dilation_rate", 1), "dilation_rate", "Conv2D")
        take_defaults("Conv2D", kwargs, {"dilation_rate": (1, 1), "groups": 1})
        super().__init__(activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, name=name, input_shape=input_shape, **kwargs)
        self.filters = int(filters)
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2D")
        self.strides = pair(strides, "strides", "Conv2D")
        self.padding = check_padding(padding, "Conv2D")

    def build(self, input_shape):
        check_images(self, input_shape)
        if input_shape[-1] is None:
            raise ValueError(f"Conv2D layer {self.name} needs a known number of input channels to shape its "
                             f"kernel, got inputs of shape {format_shape(input_shape)}")
        self.build_weights(self.kernel_size + (input_shape[-1], self.filters), self.filters)

    def call(self, inputs):
        outputs = mg.nn.conv2d(inputs, self.kernel, strides=(1,) + self.strides + (1,), padding=self.padding)
        if self.use_bias:
            outputs = mg.nn.bias_add(outputs, self.bias, name="BiasAdd")
        return self.activate(outputs)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding.lower()}
