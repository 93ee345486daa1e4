"""Initializers: recipes for a variable's first value, as TF 1.x writes them.

``mg.Variable(mg.random_normal((784, 10)))`` builds the starting value itself. An
*initializer* is the recipe without the shape: an object that, called with a shape
and a dtype, builds the ops that make such a value::

    init = mg.truncated_normal_initializer(stddev=0.1)
    w = mg.get_variable("w", shape=(784, 10), initializer=init)   # get_variable calls init

``get_variable`` calls it inside the variable's name scope, so the nodes it adds are
named ``w/Initializer/truncated_normal/...``, as in TF. Nothing is drawn until the
variable's initializer runs (``sess.run(mg.global_variables_initializer())``), and
it is drawn once: reading the variable later reads the stored value.

Without an initializer, ``get_variable`` uses ``glorot_uniform_initializer`` for
floats, as TF1 does: uniform in [-limit, limit] with limit = sqrt(6 / (fan_in +
fan_out)), which keeps the variance of activations and gradients about the same from
layer to layer (Glorot & Bengio, 2010). The *fans* come from the shape: a (784, 10)
kernel has fan_in 784 and fan_out 10; a convolution kernel (h, w, in, out) has fan_in
h*w*in and fan_out h*w*out. ``variance_scaling_initializer`` is the general rule the
Glorot, He and LeCun initializers are special cases of.

This module is also ``tf.initializers`` (``mg.initializers.zeros()``,
``mg.initializers.global_variables()``); ``mg`` has TF1's long names for the same
classes (``mg.zeros_initializer()``).
"""

from __future__ import annotations

import math

import numpy as np

import minigraph.ops.array as array_ops
import minigraph.ops.creation as creation_ops
import minigraph.ops.random as random_ops
import minigraph.ops.state as state_ops
from minigraph import dtypes as dtype_module
from minigraph import graph  # (a module: the API table lists only what this module offers)
from minigraph import subset as _subset


class Initializer:
    """Base class: ``initializer(shape, dtype=None, partition_info=None)`` returns a
    tensor of that shape; `dtype` None means the dtype given to the constructor."""

    def __init__(self, dtype=dtype_module.float32):
        self.dtype = dtype_module.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None) -> graph.Tensor:
        # partition_info is TF's, for variables split across machines: accepted and unused
        return self.build(_dims(shape), dtype_module.as_dtype(self.dtype if dtype is None else dtype))

    def build(self, shape: tuple, dtype: np.dtype) -> graph.Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{key}={value!r}" for key, value in vars(self).items() if key != "dtype")
        return f"{type(self).__name__}({fields})"


def _dims(shape) -> tuple:
    """A fully known shape as a tuple of ints (an initializer makes a concrete value)."""
    dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not all(isinstance(d, (int, np.integer)) and d >= 0 for d in dims):
        raise ValueError(f"An initializer needs a fully known shape of non-negative ints, got {shape!r}")
    return tuple(int(d) for d in dims)


def _floating(dtype: np.dtype, who: str) -> np.dtype:
    """Draws from a normal or a variance rule make floats only (TF's message)."""
    if not dtype_module.is_floating(dtype):
        raise ValueError(f"Expected floating point type, got {dtype_module.tf_name(dtype)} (in {who}).")
    return dtype


# --- constants --------------------------------------------------------------------------


class Zeros(Initializer):
    """0 everywhere (False for bool): TF1's default for integer and bool variables."""

    def build(self, shape, dtype):
        return creation_ops.zeros(shape, dtype=dtype)


class Ones(Initializer):
    """1 everywhere."""

    def build(self, shape, dtype):
        return creation_ops.ones(shape, dtype=dtype)


class Constant(Initializer):
    """A given value: a scalar fills the shape; a list of the shape's size is reshaped;
    a shorter list is padded with its last element, as TF1's constant_initializer does."""

    def __init__(self, value=0, dtype=dtype_module.float32, verify_shape: bool = False):
        super().__init__(dtype)
        self.value, self.verify_shape = value, verify_shape

    def build(self, shape, dtype):
        flat = np.asarray(self.value).ravel()
        size = math.prod(shape)
        if self.verify_shape and np.shape(self.value) != shape:
            raise TypeError(f"Expected Tensor's shape: {shape}, but got {np.shape(self.value)}.")
        if flat.size > size:
            raise ValueError(f"Too many elements provided. Takes at most {size}, but got {flat.size}.")
        if 1 < flat.size < size:  # TF1 repeats the last element
            flat = np.concatenate([flat, np.repeat(flat[-1:], size - flat.size)])
        return array_ops.constant(flat if flat.size > 1 else flat.reshape(()), dtype=dtype, shape=shape)


# --- random draws (each a node of minigraph/ops/random.py, seeded by TF1's rule) -----------


class RandomUniform(Initializer):
    """Uniform in [minval, maxval) (maxval 1 for floats)."""

    def __init__(self, minval=0, maxval=None, seed: int | None = None, dtype=dtype_module.float32):
        super().__init__(dtype)
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def build(self, shape, dtype):
        return random_ops.random_uniform(shape, self.minval, self.maxval, dtype=dtype, seed=self.seed)


class RandomNormal(Initializer):
    """Normal with the given mean and standard deviation."""

    def __init__(self, mean=0.0, stddev=1.0, seed: int | None = None, dtype=dtype_module.float32):
        super().__init__(dtype)
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def build(self, shape, dtype):
        _floating(dtype, "random_normal_initializer")
        return random_ops.random_normal(shape, self.mean, self.stddev, dtype=dtype, seed=self.seed)


class TruncatedNormal(RandomNormal):
    """Normal, each value within 2 standard deviations of the mean (the rest redrawn):
    the usual choice of TF1 tutorials, stddev=0.1."""

    def build(self, shape, dtype):
        _floating(dtype, "truncated_normal_initializer")
        return random_ops.truncated_normal(shape, self.mean, self.stddev, dtype=dtype, seed=self.seed)


def _compute_fans(shape: tuple) -> tuple[int, int]:
    """(fan_in, fan_out): how many inputs feed one output, and outputs one input feeds.
    A dense kernel (in, out) gives (in, out); a conv kernel (h, w, in, out) gives
    (h*w*in, h*w*out); a vector (n,) gives (n, n) and a scalar (1, 1), as in TF."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _scaled_variance(shape: tuple, scale: float, mode: str) -> float:
    """VarianceScaling's variance: scale / n, n the fan `mode` names (at least 1).
    Keras's initializers (keras/initializers.py) draw with the same rule, in numpy."""
    fan_in, fan_out = _compute_fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]
    return scale / max(1.0, n)


# the standard deviation of N(0, 1) truncated to [-2, 2]: a truncated draw is divided by it
_TRUNCATED_STDDEV = 0.87962566103423978


class VarianceScaling(Initializer):
    """Draws with variance scale / n, where n is fan_in, fan_out or their mean (`mode`):
    'truncated_normal' (or its old name 'normal') with stddev sqrt(scale / n) / 0.8796...
    (the truncation shrinks it), 'untruncated_normal' with stddev sqrt(scale / n), or
    'uniform' in [-limit, limit] with limit sqrt(3 scale / n)."""

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("normal", "uniform", "truncated_normal", "untruncated_normal")

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: int | None = None, dtype=dtype_module.float32):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be a positive float. Received: {scale}")
        if mode not in self._MODES:
            raise ValueError(f"Argument `mode` should be one of {self._MODES}. Received: {mode}")
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(f"Argument `distribution` should be one of {self._DISTRIBUTIONS}. "
                             f"Received: {distribution}")
        super().__init__(_floating(dtype_module.as_dtype(dtype), type(self).__name__))
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def build(self, shape, dtype):
        _floating(dtype, type(self).__name__)
        variance = _scaled_variance(shape, self.scale, self.mode)
        if self.distribution in ("normal", "truncated_normal"):
            stddev = math.sqrt(variance) / _TRUNCATED_STDDEV
            return random_ops.truncated_normal(shape, 0.0, stddev, dtype=dtype, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return random_ops.random_normal(shape, 0.0, math.sqrt(variance), dtype=dtype, seed=self.seed)
        limit = math.sqrt(3.0 * variance)
        return random_ops.random_uniform(shape, -limit, limit, dtype=dtype, seed=self.seed)


class GlorotUniform(VarianceScaling):
    """Glorot (Xavier) uniform: limit sqrt(6 / (fan_in + fan_out)). get_variable's default."""

    def __init__(self, seed: int | None = None, dtype=dtype_module.float32):
        super().__init__(1.0, "fan_avg", "uniform", seed, dtype)


class GlorotNormal(VarianceScaling):
    """Glorot (Xavier) normal: truncated, stddev sqrt(2 / (fan_in + fan_out)) / 0.8796..."""

    def __init__(self, seed: int | None = None, dtype=dtype_module.float32):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, dtype)


def he_normal(seed: int | None = None) -> VarianceScaling:
    """He normal (for relu layers): variance 2 / fan_in, truncated."""
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed: int | None = None) -> VarianceScaling:
    """He uniform: limit sqrt(6 / fan_in)."""
    return VarianceScaling(2.0, "fan_in", "uniform", seed)


def lecun_normal(seed: int | None = None) -> VarianceScaling:
    """LeCun normal: variance 1 / fan_in, truncated."""
    return VarianceScaling(1.0, "fan_in", "truncated_normal", seed)


def lecun_uniform(seed: int | None = None) -> VarianceScaling:
    """LeCun uniform: limit sqrt(3 / fan_in)."""
    return VarianceScaling(1.0, "fan_in", "uniform", seed)


# tf.initializers' names (mg.zeros_initializer and the other long names are the same
# classes: see minigraph/__init__.py)
zeros = Zeros
ones = Ones
constant = Constant
random_uniform = RandomUniform
random_normal = RandomNormal
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal


# --- initializers of variables: the ops that give variables their first value -------------


def local_variables() -> graph.Operation:
    """TF1's initializer of the local variables (tf.metrics' counters). minigraph keeps no
    local variables (see mg.local_variables), so this is an op that does nothing."""
    return state_ops.variables_initializer([], name="init")


global_variables = state_ops.global_variables_initializer
variables = state_ops.variables_initializer

__getattr__ = _subset.missing_names(__name__, "tf.initializers")
