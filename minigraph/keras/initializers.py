"""Where a layer's first weights come from.

A Dense kernel starts as glorot_uniform: values uniform in [-limit, limit] with
limit = sqrt(6 / (fan_in + fan_out)). That keeps the variance of activations about
the same from layer to layer, so a deep stack neither explodes nor fades at the
start of training. Biases start at zero.

One numpy Generator feeds every initializer and every shuffle in ``fit``;
``minigraph.keras.utils.set_random_seed(seed)`` makes a whole run repeatable.
"""

from __future__ import annotations

import numpy as np

from minigraph.keras.lookup import by_name

_rng = np.random.default_rng()


def set_random_seed(seed: int) -> None:
    """Seeds weight initialisation and fit's shuffling (and numpy's global generator)."""
    global _rng
    _rng = np.random.default_rng(seed)
    np.random.seed(seed)


def generator() -> np.random.Generator:
    return _rng


def compute_fans(shape: tuple) -> tuple[int, int]:
    """(fan_in, fan_out) as Keras counts them: a Dense kernel is (fan_in, fan_out); a
    convolution kernel (..., in, out) counts each input and output over its window."""
    if len(shape) < 2:
        size = int(np.prod(shape))
        return size, size
    window = int(np.prod(shape[:-2]))
    return shape[-2] * window, shape[-1] * window


def glorot_uniform(shape: tuple, dtype="float32") -> np.ndarray:
    """U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = compute_fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return _rng.uniform(-limit, limit, size=shape).astype(dtype)


def zeros(shape: tuple, dtype="float32") -> np.ndarray:
    return np.zeros(shape, dtype=dtype)


def ones(shape: tuple, dtype="float32") -> np.ndarray:
    return np.ones(shape, dtype=dtype)


_BY_NAME = {"glorot_uniform": glorot_uniform, "zeros": zeros, "ones": ones}


def get(identifier):
    """An initializer from its name ('glorot_uniform', 'zeros', 'ones') or a callable."""
    return by_name(_BY_NAME, identifier, "initializer")
