"""Where a layer's first weights come from.

A Dense kernel starts as glorot_uniform: values uniform in [-limit, limit] with
limit = sqrt(6 / (fan_in + fan_out)). That keeps the variance of activations about
the same from layer to layer, so a deep stack neither explodes nor fades at the
start of training. Biases start at zero.

Glorot, He and LeCun are one rule with three settings, *variance scaling*: draw with
variance ``scale / n``, where n is fan_in, fan_out or their mean:

    name             scale  n                   suits
    glorot_*         1      (fan_in+fan_out)/2  tanh, sigmoid, softmax
    he_*             2      fan_in              relu (it zeroes half the inputs)
    lecun_*          1      fan_in              selu

``*_uniform`` draws from U(-limit, limit) with limit = sqrt(3 * variance);
``*_normal`` from a normal truncated at two standard deviations, widened by
1/0.8796 because cutting the tails narrows it.

Keras names each recipe twice: a class (``RandomNormal(stddev=0.1)``) and a name
for its defaults (``'random_normal'``). Layers take either, and keep the class's
configuration so a saved model rebuilds the same recipe (``serialize``/``get``).

One numpy Generator feeds every initializer and every shuffle in ``fit``;
``minigraph.keras.utils.set_random_seed(seed)`` makes a whole run repeatable (it seeds
the graph's random ops too: Dropout). A
``seed=`` given to an initializer gives it its own generator, so it draws the same
numbers every time it is called, as Keras 3's seeded initializers do.
"""

from __future__ import annotations

import numpy as np

# the variance rule and the truncation's constant are TF1's initializers' (one rule:
# drawn here in numpy when a layer is built, there by random ops of the graph); private
# there, as that module's public names are tf.initializers' (docs/API.md)
from minigraph.initializers import _TRUNCATED_STDDEV as TRUNCATED_STDDEV
from minigraph.initializers import _scaled_variance as scaled_variance
from minigraph.keras.configurable import Configurable, deserialize, serialize  # noqa: F401 (Keras names initializers.serialize)
from minigraph.ops.random import set_random_seed as set_graph_seed

_rng = np.random.default_rng()


def set_random_seed(seed: int) -> None:
    """Seeds weight initialisation and fit's shuffling (and numpy's global generator),
    and gives Keras's graph its graph-level seed (``tf.set_random_seed``), so the random
    ops built from now on (Dropout's masks) repeat too, as Keras seeds its backend."""
    global _rng
    _rng = np.random.default_rng(seed)
    np.random.seed(seed)
    set_graph_seed(seed)


def generator() -> np.random.Generator:
    return _rng


def draw_truncated_normal(rng: np.random.Generator, mean: float, stddev: float, shape: tuple) -> np.ndarray:
    """Normal draws, each redrawn until it lies within two standard deviations of the mean."""
    values = rng.normal(size=shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = rng.normal(size=int(outside.sum()))
        outside = np.abs(values) > 2
    return mean + stddev * values


class Initializer(Configurable):
    """A recipe for a weight's first value: ``initializer(shape, dtype)`` gives a numpy array."""

    def __call__(self, shape: tuple, dtype="float32") -> np.ndarray:
        raise NotImplementedError


class RandomInitializer(Initializer):
    """An initializer that draws: from the shared generator, or its own one when seeded."""

    def __init__(self, seed: int | None = None):
        self.seed = seed

    def generator(self) -> np.random.Generator:
        # a new generator per call: a seeded initializer repeats itself, as in Keras 3
        return _rng if self.seed is None else np.random.default_rng(self.seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class Zeros(Initializer):
    """All zeros (biases, BatchNormalization's beta and moving mean)."""

    def __call__(self, shape, dtype="float32"):
        return np.zeros(shape, dtype=dtype)


class Ones(Initializer):
    """All ones (BatchNormalization's gamma and moving variance)."""

    def __call__(self, shape, dtype="float32"):
        return np.ones(shape, dtype=dtype)


class Constant(Initializer):
    """Every value `value`."""

    def __init__(self, value: float = 0.0):
        self.value = float(value)

    def __call__(self, shape, dtype="float32"):
        return np.full(shape, self.value, dtype=dtype)

    def get_config(self):
        return {"value": self.value}


class RandomNormal(RandomInitializer):
    """N(mean, stddev²)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype="float32"):
        return self.generator().normal(self.mean, self.stddev, size=shape).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class TruncatedNormal(RandomNormal):
    """N(mean, stddev²), each value redrawn until within 2 stddev of the mean."""

    def __call__(self, shape, dtype="float32"):
        return draw_truncated_normal(self.generator(), self.mean, self.stddev, shape).astype(dtype)


class RandomUniform(RandomInitializer):
    """U(minval, maxval)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape, dtype="float32"):
        return self.generator().uniform(self.minval, self.maxval, size=shape).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class VarianceScaling(RandomInitializer):
    """Variance scale / n, n = fan_in, fan_out or fan_avg (see the module docstring)."""

    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: int | None = None, input_axes=None, output_axes=None):
        if input_axes is not None or output_axes is not None:  # what Keras 3's configs write: None
            raise NotImplementedError("VarianceScaling: input_axes and output_axes (Keras 3's fans of an "
                                      "einsum kernel) are not implemented in minigraph")
        if not scale > 0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale!r}")
        if mode not in self.MODES:
            raise ValueError(f"VarianceScaling: mode must be one of {self.MODES}, got {mode!r}")
        distribution = "truncated_normal" if distribution == "normal" else distribution  # Keras's old name
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(f"VarianceScaling: distribution must be one of {self.DISTRIBUTIONS}, "
                             f"got {distribution!r}")
        super().__init__(seed)
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def __call__(self, shape, dtype="float32"):
        variance = scaled_variance(tuple(shape), self.scale, self.mode)
        rng = self.generator()
        if self.distribution == "uniform":
            limit = np.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, size=shape)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, np.sqrt(variance), size=shape)
        else:
            values = draw_truncated_normal(rng, 0.0, np.sqrt(variance) / TRUNCATED_STDDEV, shape)
        return values.astype(dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config()}


class NamedVarianceScaling(VarianceScaling):
    """A named setting of VarianceScaling: only the seed is left to choose."""

    setting: tuple = ()  # (scale, mode, distribution)

    def __init__(self, seed: int | None = None, input_axes=None, output_axes=None):
        super().__init__(*self.setting, seed=seed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(NamedVarianceScaling):
    """U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out))."""

    setting = (1.0, "fan_avg", "uniform")


class GlorotNormal(NamedVarianceScaling):
    """Truncated normal, stddev = sqrt(2 / (fan_in + fan_out))."""

    setting = (1.0, "fan_avg", "truncated_normal")


class HeUniform(NamedVarianceScaling):
    """U(-limit, limit), limit = sqrt(6 / fan_in)."""

    setting = (2.0, "fan_in", "uniform")


class HeNormal(NamedVarianceScaling):
    """Truncated normal, stddev = sqrt(2 / fan_in)."""

    setting = (2.0, "fan_in", "truncated_normal")


class LecunUniform(NamedVarianceScaling):
    """U(-limit, limit), limit = sqrt(3 / fan_in)."""

    setting = (1.0, "fan_in", "uniform")


class LecunNormal(NamedVarianceScaling):
    """Truncated normal, stddev = sqrt(1 / fan_in)."""

    setting = (1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    """gain * an orthogonal matrix (of the shape flattened to (rows, last axis)): the Q of
    a normal matrix's QR decomposition, its signs fixed so Q is uniformly distributed."""

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        super().__init__(seed)
        self.gain = float(gain)

    def __call__(self, shape, dtype="float32"):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs a shape of rank 2 or more, got {tuple(shape)}")
        rows, columns = int(np.prod(shape[:-1])), int(shape[-1])
        normal = self.generator().normal(size=(max(rows, columns), min(rows, columns)))
        q, r = np.linalg.qr(normal)
        q = q * np.sign(np.diag(r))  # without this, Q would lean towards some directions
        if rows < columns:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dtype)

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


class Identity(Initializer):
    """gain * the identity matrix (2-D shapes only)."""

    def __init__(self, gain: float = 1.0):
        self.gain = float(gain)

    def __call__(self, shape, dtype="float32"):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape, got {tuple(shape)}")
        return (self.gain * np.eye(*shape)).astype(dtype)

    def get_config(self):
        return {"gain": self.gain}


CLASSES = {cls.__name__: cls for cls in (
    Zeros, Ones, Constant, RandomNormal, TruncatedNormal, RandomUniform, VarianceScaling, GlorotUniform,
    GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal, Identity)}
# the names of the defaults, as Keras 2 spells them ('normal'/'uniform' are its oldest aliases)
NAMES = {"zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones, "constant": Constant,
         "random_normal": RandomNormal, "normal": RandomNormal, "truncated_normal": TruncatedNormal,
         "random_uniform": RandomUniform, "uniform": RandomUniform, "variance_scaling": VarianceScaling,
         "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_uniform": HeUniform,
         "he_normal": HeNormal, "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
         "orthogonal": Orthogonal, "identity": Identity}


def get(identifier) -> Initializer:
    """An initializer from a name ('he_normal'), a class name ('HeNormal'), a
    ``{'class_name': ..., 'config': {...}}`` dict (as ``serialize`` writes it), or a callable."""
    return deserialize(identifier, CLASSES, NAMES, "initializer")


# Keras 2 also names each class in lowercase: initializers.he_normal(seed=1)
zeros, ones, constant, identity, orthogonal = Zeros, Ones, Constant, Identity, Orthogonal
random_normal, truncated_normal, random_uniform = RandomNormal, TruncatedNormal, RandomUniform
variance_scaling, glorot_uniform, glorot_normal = VarianceScaling, GlorotUniform, GlorotNormal
he_uniform, he_normal, lecun_uniform, lecun_normal = HeUniform, HeNormal, LecunUniform, LecunNormal
