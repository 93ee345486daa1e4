"""Comparisons and logic: ops whose results are bool tensors.

``less(x, y)`` compares two numeric tensors element by element (broadcast as the
arithmetic ops are) and gives a bool tensor; ``logical_and`` and friends combine bool
tensors. TF1 gives a tensor the operators ``<``, ``<=``, ``>``, ``>=`` (they build
these ops) and, on bool tensors, ``&``, ``|``, ``^`` and ``~``. It does *not* give
``==``: ``x == y`` stays Python's identity test, so tensors can be dict keys and set
members (a feed_dict is a dict of tensors); ``tf.equal`` compares values.

None of these ops has a gradient: a bool does not change smoothly with its inputs.
To use a comparison in arithmetic, cast it (``tf.cast(x > 0, tf.float32)``) or pick
with it (``tf.where``).

Greater and Equal live in math.py, next to the ops that build them into gradients.
"""

from __future__ import annotations

import numpy as np

from minigraph import dtypes
from minigraph.graph import Operation, Tensor, tensor_or_none
from minigraph.ops.array import convert_to_tensor
from minigraph.ops.math import BinaryOp, Comparison, binary


class Less(Comparison):
    """z = x < y."""

    type_name = "Less"

    def forward(self, x, y):
        return x < y


def less(x, y, name: str | None = None) -> Tensor:
    return binary(Less, x, y, name)


class LessEqual(Comparison):
    """z = x <= y."""

    type_name = "LessEqual"

    def forward(self, x, y):
        return x <= y


def less_equal(x, y, name: str | None = None) -> Tensor:
    return binary(LessEqual, x, y, name)


class GreaterEqual(Comparison):
    """z = x >= y."""

    type_name = "GreaterEqual"

    def forward(self, x, y):
        return x >= y


def greater_equal(x, y, name: str | None = None) -> Tensor:
    return binary(GreaterEqual, x, y, name)


class NotEqual(Comparison):
    """z = (x != y); bools compare too."""

    type_name = "NotEqual"
    accepts_bool = True

    def forward(self, x, y):
        return x != y


def not_equal(x, y, name: str | None = None) -> Tensor:
    return binary(NotEqual, x, y, name)


# --- logic: bool in, bool out ------------------------------------------------------


def check_bool(op: Operation, x: Tensor, input_name: str) -> None:
    if x.dtype != dtypes.bool:
        raise op.error(f"Input '{input_name}' of '{op.type_name}' Op has type {x.dtype.name} that does not "
                       f"match expected type of bool: {x!r}; compare it first (x > 0) or cast it", TypeError)


class LogicalBinary(BinaryOp):
    """Two bool tensors, broadcast together."""

    accepts_bool = True

    def infer(self, x, y):
        check_bool(self, x, "x")
        check_bool(self, y, "y")
        return super().infer(x, y)

    def graph_def_attrs(self):
        return {}  # bools only: TF's logical ops have no dtype attribute


class LogicalAnd(LogicalBinary):
    """z = x and y."""

    type_name = "LogicalAnd"

    def forward(self, x, y):
        return np.logical_and(x, y)


def logical_and(x, y, name: str | None = None) -> Tensor:
    return binary(LogicalAnd, x, y, name)


class LogicalOr(LogicalBinary):
    """z = x or y."""

    type_name = "LogicalOr"

    def forward(self, x, y):
        return np.logical_or(x, y)


def logical_or(x, y, name: str | None = None) -> Tensor:
    return binary(LogicalOr, x, y, name)


class LogicalNot(Operation):
    """z = not x."""

    type_name = "LogicalNot"
    input_names = ("x",)

    def infer(self, x):
        check_bool(self, x, "x")
        return x.shape, x.dtype

    def forward(self, x):
        return np.logical_not(x)

    def graph_def_attrs(self):
        return {}


def logical_not(x, name: str | None = None) -> Tensor:
    return LogicalNot(convert_to_tensor(x), name=name).output


def logical_xor(x, y, name: str = "LogicalXor") -> Tensor:
    """z = (x or y) and not (x and y): TF has no XOR op and builds it from these three."""
    return logical_and(logical_or(x, y), logical_not(logical_and(x, y)), name=name)


def xor_operator(x, y) -> Tensor:
    """x ^ y, as TF1 builds it: logical_xor's ops inside the name scope 'xor', the last one 'xor'."""
    tensor = tensor_or_none(x) if tensor_or_none(x) is not None else tensor_or_none(y)
    with tensor.graph.as_default(), tensor.graph.name_scope("xor") as scope:
        return logical_xor(x, y, name=scope)
