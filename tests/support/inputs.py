"""Input makers for the op table: each takes a numpy Generator and returns a float64
array. Inputs keep away from kinks (relu at 0, clip's bounds), where central
differences straddle two slopes, and from where log, sqrt and division are undefined."""

from __future__ import annotations

import numpy as np


def normal(*shape):
    return lambda rng: rng.normal(size=shape)


def positive(*shape):
    return lambda rng: rng.uniform(0.5, 2.0, size=shape)


def away_from(points, *shape, margin=0.1):
    """Uniform in [-2, 2] but at least `margin` from each of `points` (the kinks)."""

    def make(rng):
        values = rng.uniform(-2.0, 2.0, size=shape)
        for p in points:
            near = np.abs(values - p) < margin
            values[near] = p + np.where(values[near] >= p, margin, -margin) * 2
        return values

    return make


def distribution(*shape):
    """Rows that are probability distributions (labels for cross-entropy)."""

    def make(rng):
        p = rng.uniform(0.1, 1.0, size=shape)
        return p / p.sum(axis=-1, keepdims=True)

    return make


def small_integers(*shape):
    """Whole numbers 0..2, so equal() finds matches."""
    return lambda rng: rng.integers(0, 3, size=shape).astype(np.float64)


def in_dtype(x: np.ndarray, dtype: str) -> np.ndarray:
    """x as `dtype` for the dtype checks: floats rounded; integers 1..4 and booleans
    alternating, in x's shape (so no integer division meets a zero)."""
    if dtype == "bool":
        return np.arange(x.size).reshape(x.shape) % 2 == 0
    if np.dtype(dtype).kind in "iu":
        return (np.arange(x.size).reshape(x.shape) % 4 + 1).astype(dtype)
    return x.astype(dtype)
