"""Data types.

A minigraph dtype *is* a numpy dtype: ``mg.float32 is np.dtype("float32")``. Every
kernel is numpy, so there is nothing to translate. What this module adds is the
other names a dtype goes by in TensorFlow, so minigraph reads and speaks TF's words:

- the names a program may write: ``mg.float32``, ``"float32"``, and TF's C names
  ``"float"`` (float32, *not* numpy's float64), ``"double"`` and ``"half"``;
- Python's own types: ``float`` is float32 and ``bool`` is bool, as TF maps them.
  Python ``int`` is refused, as TF refuses it: it has no width, and int32 versus
  int64 is a choice a program should make on purpose;
- the names TF itself prints: ``float`` in its error messages, ``DT_FLOAT`` (enum 1)
  in a GraphDef.

The names numpy and TF disagree on are exactly the ones that bit TF1 programs run on
an earlier minigraph: ``placeholder("float")`` made a float64 input, and the first
float32 variable it met stopped the program with a dtype mismatch.
"""

from __future__ import annotations

import builtins

import numpy as np

float16 = half = np.dtype("float16")
float32 = np.dtype("float32")
float64 = double = np.dtype("float64")
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
uint16 = np.dtype("uint16")
uint32 = np.dtype("uint32")
uint64 = np.dtype("uint64")
bool = np.dtype("bool")  # noqa: A001  (mirrors tf.bool)
string = np.dtype(object)  # TF's string tensors hold bytes (a serialized Summary); numpy keeps them as objects
DType = np.dtype  # `isinstance(x, mg.DType)` asks what it asks in TF

# dtype -> (name in TF's messages, enum name in a GraphDef, enum number), from TF's types.proto
_TF_NAMES = {
    float16: ("half", "DT_HALF", 19),
    float32: ("float", "DT_FLOAT", 1),
    float64: ("double", "DT_DOUBLE", 2),
    int8: ("int8", "DT_INT8", 6),
    int16: ("int16", "DT_INT16", 5),
    int32: ("int32", "DT_INT32", 3),
    int64: ("int64", "DT_INT64", 9),
    uint8: ("uint8", "DT_UINT8", 4),
    uint16: ("uint16", "DT_UINT16", 17),
    uint32: ("uint32", "DT_UINT32", 22),
    uint64: ("uint64", "DT_UINT64", 23),
    string: ("string", "DT_STRING", 7),
    bool: ("bool", "DT_BOOL", 10),
}

# Names and Python types whose meaning in TF differs from numpy's (np.dtype("float")
# is float64) or that numpy does not know; everything else goes through numpy.
_TF_ALIASES = {
    "float": float32,
    "double": float64,
    "half": float16,
    "string": string,  # numpy's "string" is a fixed-width bytes type
    builtins.float: float32,
    builtins.bool: bool,
}


def as_dtype(type_value) -> np.dtype:
    """The dtype TF means by `type_value`: ``mg.float32``, ``np.float32``, ``"float32"``,
    ``"float"`` and ``float`` all give float32; Python ``int`` is refused, as in TF."""
    if isinstance(type_value, np.dtype):
        result = type_value
    elif isinstance(type_value, (str, type)) and type_value in _TF_ALIASES:
        result = _TF_ALIASES[type_value]
    elif type_value is builtins.int or type_value in ("int", "long", "uint"):
        raise TypeError(
            f"Cannot convert {type_value!r} to a dtype: as in TensorFlow, Python's int has no "
            "width here; write mg.int32 or mg.int64"
        )
    else:
        try:
            # None is no dtype (numpy would read it as float64)
            result = None if type_value is None else np.dtype(type_value)
        except TypeError:
            result = None
    if result not in _TF_NAMES:
        supported = ", ".join(d.name for d in _TF_NAMES)
        raise TypeError(f"Cannot convert {type_value!r} to a dtype minigraph supports: {supported}")
    return result


def name(dtype: np.dtype) -> str:
    """The name TF's ``DType.name`` and ``print(tensor)`` show: numpy's, but 'string'."""
    return "string" if dtype == string else dtype.name


def tf_name(dtype: np.dtype) -> str:
    """The name TensorFlow's messages use: float32 -> 'float'."""
    return _TF_NAMES[dtype][0]


def tf_enum(dtype: np.dtype) -> str:
    """The GraphDef enum name: float32 -> 'DT_FLOAT'."""
    return _TF_NAMES[dtype][1]


def as_datatype_enum(dtype) -> int:
    """The GraphDef enum number, TF's ``DType.as_datatype_enum``: float32 -> 1."""
    return _TF_NAMES[as_dtype(dtype)][2]


def is_floating(dtype: np.dtype) -> bool:
    return dtype.kind == "f"
