"""BatchNormalization: keep each channel's values near mean 0, variance 1.

For each channel c (the last axis by default) and the values x of that channel
in the whole batch (for images: every row, column and example)::

    y = gamma * (x - mean) / sqrt(variance + epsilon) + beta

gamma and beta are trainable (the layer can undo the normalisation if that helps);
mean and variance depend on the phase (``K.learning_phase()``, fed True by ``fit``):

- **training**: the batch's own mean and (biased) variance, so the gradient flows
  through them too; and each step moves the *moving* statistics towards them::

      moving_mean     = moving_mean * momentum + batch_mean * (1 - momentum)
      moving_variance = moving_variance * momentum + batch_variance * (1 - momentum)

- **inference**: moving_mean and moving_variance, so a prediction for one example
  does not depend on the rest of its batch.

The moving statistics are weights that no optimizer touches (non-trainable): the
two assigns above are the layer's ``updates``, which the model runs with each
training step. Each assign also reads the phase, and writes the old value back when
it is False, so running the updates outside training changes nothing.

The normalisation is TensorFlow's ``tf.nn.batch_normalization``:
``inv = gamma / sqrt(variance + epsilon)``, ``y = x * inv + (beta - mean * inv)``.

minigraph follows Keras 3, which averages the biased batch variance. Keras 2 on
images (4-D inputs, where tf_keras uses TF's fused kernel) averages the unbiased one,
n / (n - 1) times larger for n values per channel: the outputs in training and the
moving means are the same, the moving variances differ by that factor's share.
"""

from __future__ import annotations

import minigraph as mg
from minigraph.graph import Tensor
from minigraph.keras import backend as K
from minigraph.keras import initializers, regularizers
from minigraph.keras.layers.base import Layer
from minigraph.keras.layers.kernels import take_defaults
from minigraph.shapes import format_shape

# what Keras has and minigraph does not (a saved config writes these defaults)
NOT_IMPLEMENTED = {"renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99, "virtual_batch_size": None,
                   "adjustment": None, "synchronized": False, "beta_constraint": None, "gamma_constraint": None}


class BatchNormalization(Layer):
    """y = gamma * (x - mean) / sqrt(variance + epsilon) + beta, per channel of `axis`."""

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, name: str | None = None, **kwargs):
        take_defaults("BatchNormalization", kwargs, NOT_IMPLEMENTED)
        kwargs.pop("fused", None)  # a speed choice of TF's; the numbers are the same
        super().__init__(name=name, **kwargs)
        if isinstance(axis, (list, tuple)) and len(axis) == 1:  # Keras 2's config writes [3]
            axis = axis[0]
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"BatchNormalization: axis must be an int (one channel axis), got {axis!r}")
        self.axis, self.momentum, self.epsilon = axis, float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def build(self, input_shape):
        rank = None if input_shape is None else len(input_shape)
        if rank is None or not -rank <= self.axis < rank or input_shape[self.axis] is None:
            raise ValueError(f"BatchNormalization layer {self.name} needs inputs whose axis {self.axis} is "
                             f"known (it sizes the weights), got inputs of shape {format_shape(input_shape)}")
        self.channel_axis = self.axis % rank
        channels = (input_shape[self.channel_axis],)
        # Keras's order: gamma, beta (trainable), then the moving statistics
        self.gamma = self.add_weight("gamma", channels, self.gamma_initializer) if self.scale else None
        self.beta = self.add_weight("beta", channels, self.beta_initializer) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", channels, self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", channels, self.moving_variance_initializer,
                                               trainable=False)
        for name, weight, regularizer in (("gamma", self.gamma, self.gamma_regularizer),
                                          ("beta", self.beta, self.beta_regularizer)):
            if weight is not None and regularizer is not None:
                with mg.name_scope(f"{name}/Regularizer"):
                    self.add_loss(regularizer(weight))

    def call(self, inputs, training=None):
        if training is None:
            training = K.learning_phase()
        if not self.trainable:  # a frozen layer normalises as in inference, as Keras 3 does
            training = False
        if not isinstance(training, Tensor) and not training:
            return self.normalize(inputs, self.moving_mean, self.moving_variance)
        batch_mean, batch_variance = self.moments(inputs)
        if isinstance(training, Tensor):
            outputs = self.normalize(inputs, mg.where(training, batch_mean, self.moving_mean, name="mean"),
                                     mg.where(training, batch_variance, self.moving_variance, name="variance"))
        else:  # a phase fixed in Python: training
            outputs = self.normalize(inputs, batch_mean, batch_variance)
        self.add_update([self.moving_average(self.moving_mean, batch_mean, training, "mean"),
                         self.moving_average(self.moving_variance, batch_variance, training, "variance")])
        return outputs

    def moments(self, inputs: Tensor) -> tuple[Tensor, Tensor]:
        """The batch's mean and biased variance per channel (tf.nn.moments)."""
        axes = [axis for axis in range(len(inputs.shape)) if axis != self.channel_axis]
        with mg.name_scope("moments"):
            mean = mg.reduce_mean(inputs, axis=axes, keepdims=True)
            # the mean's gradient through the variance is zero: stopping it saves work
            variance = mg.reduce_mean(mg.square(mg.subtract(inputs, mg.stop_gradient(mean))), axis=axes)
            return mg.reshape(mean, (-1,)), variance

    def moving_average(self, moving: mg.Variable, batch_value: Tensor, training, what: str):
        """moving = moving * momentum + batch_value * (1 - momentum), while training only."""
        with mg.name_scope(f"update_moving_{what}"):
            new = mg.add(mg.multiply(moving, self.momentum), mg.multiply(batch_value, 1.0 - self.momentum))
            if isinstance(training, Tensor):
                new = mg.where(training, new, moving)
            return mg.assign(moving, new)

    def normalize(self, inputs: Tensor, mean: Tensor, variance: Tensor) -> Tensor:
        """y = x * inv + (beta - mean * inv), inv = gamma / sqrt(variance + epsilon)."""
        with mg.name_scope("batchnorm"):
            inv = mg.reciprocal(mg.sqrt(mg.add(variance, self.epsilon)))
            if self.scale:
                inv = mg.multiply(inv, self.gamma)
            shift = mg.negative(mg.multiply(mean, inv))
            if self.center:
                shift = mg.add(shift, self.beta)
            if self.channel_axis != len(inputs.shape) - 1:  # (channels,) must broadcast along its axis
                shape = [1] * len(inputs.shape)
                shape[self.channel_axis] = -1
                inv, shift = mg.reshape(inv, shape), mg.reshape(shift, shape)
            return mg.add(mg.multiply(inputs, inv), shift)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer)}
