"""TF1's shorthand casts: ``to_float(x)`` is ``cast(x, float32)`` under another name.

Older TF1 programs write ``tf.to_float(correct)`` to average booleans into an accuracy
and ``tf.to_int64(labels)`` before a sparse loss. Each is one ``Cast`` node; only its
default name differs (``ToFloat``, as TF names it), so a drawing or a GraphDef reads
the way TF's does.
"""

from __future__ import annotations

from minigraph import dtypes
from minigraph.graph import Tensor
from minigraph.ops.array import cast


def to_float(x, name: str = "ToFloat") -> Tensor:
    """x as float32."""
    return cast(x, dtypes.float32, name=name)


def to_double(x, name: str = "ToDouble") -> Tensor:
    """x as float64."""
    return cast(x, dtypes.float64, name=name)


def to_int32(x, name: str = "ToInt32") -> Tensor:
    """x as int32 (floats are truncated toward zero)."""
    return cast(x, dtypes.int32, name=name)


def to_int64(x, name: str = "ToInt64") -> Tensor:
    """x as int64 (floats are truncated toward zero)."""
    return cast(x, dtypes.int64, name=name)
