"""How TensorFlow sums up a tensor's values as a histogram (TensorBoard's distributions).

A histogram summary does not store the values, only counts per bucket. TF's
buckets are fixed, the same for every tensor, and are spaced *logarithmically*, so
one set of buckets serves weights of 0.001 and losses of 1000 alike:

    limits  ... -1.21e-12, -1.1e-12, -1e-12, 0, 1e-12, 1.1e-12, 1.21e-12, ... 1e20, DBL_MAX

Starting at 1e-12, each limit is 10% above the one before, up to 1e20 (about 775
limits), mirrored for negative values, with 0 in between and the largest double at
both ends. A value ``v`` counts in the first bucket whose limit is above it:
``limits[i - 1] <= v < limits[i]`` (so 0 falls in the bucket ending at 1e-12).

Most of those ~1550 buckets are empty, so the stored form collapses each run of
empty buckets into one empty bucket that ends where the run ends. With the count,
min, max, sum and sum of squares, that is TensorFlow's ``HistogramProto``.
"""

from __future__ import annotations

import sys

import numpy as np


def _default_limits() -> np.ndarray:
    """TF's bucket limits, built by TF's own steps (repeated *1.1 in double precision),
    so every limit is the same double TF computes."""
    positive = []
    limit = 1.0e-12
    while limit < 1.0e20:
        positive.append(limit)
        limit *= 1.1
    positive.append(sys.float_info.max)
    return np.array([-x for x in reversed(positive)] + [0.0] + positive)


LIMITS = _default_limits()


def histogram(values: np.ndarray) -> dict:
    """The fields of TF's HistogramProto for `values` (finite numbers, any shape)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    # upper_bound: the first limit strictly above v; the largest double itself stays in the last bucket
    buckets = np.minimum(np.searchsorted(LIMITS, values, side="right"), len(LIMITS) - 1)
    counts = np.bincount(buckets, minlength=len(LIMITS)).astype(np.float64)
    # keep a bucket that has values, or that ends a run of empty ones
    keep = (counts > 0) | np.append(counts[1:] > 0, True)
    return {
        # an empty tensor keeps TF's starting values: min above every value, max below
        "min": float(values.min()) if values.size else sys.float_info.max,
        "max": float(values.max()) if values.size else -sys.float_info.max,
        "num": float(values.size),
        "sum": float(values.sum()),
        "sum_squares": float(np.dot(values, values)),
        "bucket_limit": LIMITS[keep].tolist(),
        "bucket": counts[keep].tolist(),
    }
