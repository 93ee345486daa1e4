"""Dropout: drop a random fraction of the values while training, none otherwise.

``Dropout(0.5)`` sets each value to 0 with probability 0.5 and doubles the others
("inverted dropout": the expected value stays the input), so no unit can rely on any
other being there, which keeps a network from memorising its training set. It must
only happen in training: ``evaluate`` and ``predict`` must see the whole network.

Which one is happening is Keras's *learning phase*, ``K.learning_phase()``: a bool
graph input that is False unless fed; ``fit`` feeds it True. Keras 2 switched on it
with ``tf.cond``, which runs only the branch it picks. minigraph has no cond (a
session runs every node a fetch needs), so a choice between "x dropped" and "x"
would compute both, drawing a whole mask in ``predict`` only to throw it away.
Instead the phase chooses the mask's *arguments*, and the mask is TF 1.15's::

    rate        = where(phase, rate, 0)
    scale       = where(phase, 1 / (1 - rate), 1)
    noise_shape = where(phase, shape(x), [1, ..., 1])
    mask        = cast(random_uniform(noise_shape) >= rate) * scale   # 0, or 1 / (1 - rate)
    y           = x * mask

While training, that is dropout. In inference the mask is one draw, always kept,
of value 1: the layer costs one multiplication by 1, and gives x.

Why a multiplication and not mg.nn.dropout's select (TF 2's ``where``, which keeps
a dropped inf at 0 where this makes it NaN)? numpy's ``where`` on a random mask
mispredicts a branch per element: on (128, 12, 12, 64) floats, as mnist_cnn drops
them, a select costs ~10 ms and a multiplication ~0.3 ms, and a training step
selects twice (forward and gradient). The gradient here is ``grad * mask``.

``noise_shape`` shares one mask value along the axes where it is 1: with images
(batch, h, w, channels), ``noise_shape=(None, 1, 1, None)`` drops whole channels
(None means "as the input", known only when the graph runs). ``seed`` gives the
mask's random op its own seed, so a program draws the same masks on every run.
"""

from __future__ import annotations

import numbers

import minigraph as mg
from minigraph.graph import Tensor
from minigraph.keras import backend as K
from minigraph.keras.layers.base import Layer
from minigraph.shapes import format_shape


class Dropout(Layer):
    """outputs = inputs with each value dropped with probability `rate` (the rest scaled
    by 1 / (1 - rate)) while training; outputs = inputs otherwise."""

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, name: str | None = None,
                 **kwargs):
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be a number in [0, 1), the fraction of the inputs to drop, "
                             f"got {rate!r}")
        super().__init__(name=name, **kwargs)
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def build(self, input_shape):
        if self.noise_shape is not None and (input_shape is None or len(input_shape) != len(self.noise_shape)):
            raise ValueError(f"Dropout layer {self.name}: noise_shape {self.noise_shape} needs inputs of rank "
                             f"{len(self.noise_shape)}, got inputs of shape {format_shape(input_shape)}")

    def call(self, inputs, training=None):
        if training is None:
            training = K.learning_phase()
        if self.rate == 0 or (not isinstance(training, Tensor) and not training):
            return inputs  # nothing to drop: not a single node added
        dtype = inputs.dtype
        rate, scale = mg.constant(self.rate, dtype=dtype), mg.constant(1 / (1 - self.rate), dtype=dtype)
        noise_shape = self._noise_shape(inputs)
        if isinstance(training, Tensor):  # (a phase fixed in Python, set_learning_phase(1), needs no choice)
            rate = mg.where(training, rate, mg.constant(0.0, dtype=dtype), name="rate")
            scale = mg.where(training, scale, mg.constant(1.0, dtype=dtype), name="scale")
            noise_shape = mg.where(training, noise_shape, mg.ones_like(noise_shape), name="noise_shape")
        noise = mg.random_uniform(noise_shape, dtype=dtype, seed=self.seed)
        mask = mg.multiply(mg.cast(mg.greater_equal(noise, rate), dtype), scale, name="mask")
        outputs = mg.multiply(inputs, mask)
        outputs.set_shape(inputs.shape)  # the mask's shape is only known when the graph runs
        return outputs

    def _noise_shape(self, inputs: Tensor) -> Tensor:
        """The mask's shape as an int32 vector: the inputs' shape, or noise_shape with its
        None filled in from the inputs' shape when the graph runs."""
        shape = mg.shape(inputs)
        if self.noise_shape is None:
            return shape
        return mg.stack([shape[axis] if size is None else mg.constant(size, dtype=shape.dtype)
                         for axis, size in enumerate(self.noise_shape)])

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}
