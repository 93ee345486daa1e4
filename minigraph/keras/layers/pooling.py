"""MaxPooling2D and AveragePooling2D: one number for each window of each channel."""

from __future__ import annotations

import minigraph as mg
from minigraph.keras.layers.base import Layer
from minigraph.keras.layers.convolutional import check_data_format, check_images, check_padding, pair


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
