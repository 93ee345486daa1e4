"""What Dense and Conv2D share: a kernel, a bias, an activation, and how each is chosen.

Both layers compute ``activation(combine(inputs, kernel) + bias)``; only ``combine``
differs (a matrix product, a convolution). So the arguments around it are taken in one
place, with Keras's names and defaults:

- ``kernel_initializer='glorot_uniform'``, ``bias_initializer='zeros'`` (names, classes
  such as ``initializers.HeNormal()``, or the dicts ``get_config`` writes);
- ``kernel_regularizer``, ``bias_regularizer``: a penalty on the weight, added to the
  model's loss through ``add_loss`` once the weight exists;
- ``activity_regularizer``: a penalty on the layer's *output*, divided by the batch
  size (as Keras does, so the strength does not depend on the batch size).

``get_config`` writes each back in a form ``from_config`` reads, so a saved model
rebuilds the same recipe.
"""

from __future__ import annotations

import minigraph as mg
from minigraph.keras import activations, initializers, regularizers
from minigraph.keras.layers.base import Layer


def take_defaults(layer: str, kwargs: dict, defaults: dict) -> None:
    """Keras arguments minigraph lacks (constraints, renorm...): taken at their default,
    as Keras's saved configs write them, and refused by name with any other value."""
    for name, default in defaults.items():
        value = kwargs.pop(name, default)
        if value != default:
            raise NotImplementedError(f"{layer}: {name}={value!r} is not implemented in minigraph")


class KernelLayer(Layer):
    """A layer with a kernel, an optional bias and an activation (Dense, Conv2D)."""

    def __init__(self, activation=None, use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, **kwargs):
        take_defaults(type(self).__name__, kwargs, {"kernel_constraint": None, "bias_constraint": None,
                                                    "quantization_config": None})
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)

    def build_weights(self, kernel_shape: tuple, units: int) -> None:
        """Makes the kernel and the bias (if used), and adds their penalties to the layer's losses."""
        self.kernel = self.add_weight("kernel", kernel_shape, self.kernel_initializer)
        self.bias = self.add_weight("bias", (units,), self.bias_initializer) if self.use_bias else None
        for name, weight, regularizer in (("kernel", self.kernel, self.kernel_regularizer),
                                          ("bias", self.bias, self.bias_regularizer)):
            if weight is not None and regularizer is not None:
                with mg.name_scope(f"{name}/Regularizer"):  # dense/kernel/Regularizer/..., as Keras 2
                    self.add_loss(regularizer(weight))

    def activate(self, outputs):
        """activation(outputs), and the activity penalty on it (per example in the batch)."""
        outputs = self.activation(outputs)
        if self.activity_regularizer is not None:
            with mg.name_scope("ActivityRegularizer"):
                batch_size = mg.cast(mg.shape(outputs)[0], outputs.dtype)
                self.add_loss(mg.divide(self.activity_regularizer(outputs), batch_size))
        return outputs

    def get_config(self):
        return {**super().get_config(), "activation": activations.name_of(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}
