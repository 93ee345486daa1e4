"""Data types.

A minigraph dtype *is* a numpy dtype: ``mg.float32 is np.dtype("float32")``. Every
kernel is numpy, so there is nothing to translate. What this module adds is the
other names a dtype goes by in TensorFlow: ``float`` in TF's error messages and
``DT_FLOAT`` in a GraphDef, so minigraph can speak the way TF speaks.
"""

from __future__ import annotations

import numpy as np

float32 = np.dtype("float32")
float64 = np.dtype("float64")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
bool = np.dtype("bool")  # noqa: A001  (mirrors tf.bool)

# name in TF's messages, enum name in a GraphDef
_TF_NAMES = {
    float32: ("float", "DT_FLOAT"),
    float64: ("double", "DT_DOUBLE"),
    int32: ("int32", "DT_INT32"),
    int64: ("int64", "DT_INT64"),
    bool: ("bool", "DT_BOOL"),
}


def as_dtype(dtype) -> np.dtype:
    """Turns ``mg.float32``, ``np.float32``, ``"float32"`` or ``float`` into a numpy dtype."""
    try:
        result = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"Cannot interpret {dtype!r} as a data type") from error
    if result not in _TF_NAMES:
        supported = ", ".join(sorted(d.name for d in _TF_NAMES))
        raise TypeError(f"minigraph does not support dtype {result.name!r}; use one of {supported}")
    return result


def tf_name(dtype: np.dtype) -> str:
    """The name TensorFlow's messages use: float32 -> 'float'."""
    return _TF_NAMES[dtype][0]


def tf_enum(dtype: np.dtype) -> str:
    """The GraphDef enum name: float32 -> 'DT_FLOAT'."""
    return _TF_NAMES[dtype][1]


def is_floating(dtype: np.dtype) -> bool:
    return dtype.kind == "f"
