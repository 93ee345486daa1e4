"""Piecewise functions: maximum, minimum, abs, sign, and rounding (floor, ceil, round,
floormod, floordiv).

Each is made of smooth pieces that meet at a kink (maximum, abs) or a jump (sign,
floor). On a piece, the derivative is that piece's derivative: maximum(x, y) passes
the gradient to whichever input is larger, abs multiplies it by the sign of x. At the
join there is no derivative, so a library must choose one; minigraph chooses TF's, so
that gradients match TF's everywhere:

- maximum(x, y) and minimum(x, y) send the whole gradient to x where x == y;
- abs has slope sign(0) = 0 at 0;
- a step function is flat wherever it has a derivative. TF registers *no* gradient for
  floor, ceil, round and floordiv (``tf.gradients`` gives None: disconnected), but
  zeros for sign, and minigraph does the same.

floormod is x - floor(x / y) * y, Python's %: the result takes the sign of y. Integer
division or modulo by 0 is refused at run time, as TF refuses it.
"""

from __future__ import annotations

import numpy as np

from minigraph.errors import InvalidArgumentError
from minigraph.graph import Tensor
from minigraph.ops.array import convert_to_tensor, sum_like, zeros_like
from minigraph.ops.comparison import greater_equal, less_equal
from minigraph.ops.math import BinaryOp, UnaryOp, binary, check_numeric, negative, where


class Maximum(BinaryOp):
    """z = max(x, y); dz/dx = 1 where x >= y (ties go to x), dz/dy = 1 where x < y."""

    type_name = "Maximum"

    def forward(self, x, y):
        return np.maximum(x, y)  # NaN wins, as in TF

    def gradient(self, grad_output):
        return _split(grad_output, *self.inputs, greater_equal(*self.inputs))


def maximum(x, y, name: str | None = None) -> Tensor:
    return binary(Maximum, x, y, name)


class Minimum(BinaryOp):
    """z = min(x, y); dz/dx = 1 where x <= y (ties go to x), dz/dy = 1 where x > y."""

    type_name = "Minimum"

    def forward(self, x, y):
        return np.minimum(x, y)

    def gradient(self, grad_output):
        return _split(grad_output, *self.inputs, less_equal(*self.inputs))


def minimum(x, y, name: str | None = None) -> Tensor:
    return binary(Minimum, x, y, name)


def _split(grad_output: Tensor, x: Tensor, y: Tensor, to_x: Tensor) -> list:
    """The gradient to x where `to_x`, to y elsewhere; each summed back to its input's shape."""
    zeros = zeros_like(grad_output)
    return [sum_like(where(to_x, grad_output, zeros), x), sum_like(where(to_x, zeros, grad_output), y)]


class NumericUnaryOp(UnaryOp):
    """One input of any number type (integers too); the output has its shape and dtype."""

    def infer(self, x):
        check_numeric(self, x)
        return x.shape, x.dtype


class Abs(NumericUnaryOp):
    """y = |x|; dy/dx = sign(x) (0 at 0)."""

    type_name = "Abs"

    def forward(self, x):
        return np.abs(x)

    def gradient(self, grad_output):
        return [grad_output * sign(self.inputs[0])]


def abs(x, name: str | None = None) -> Tensor:  # noqa: A001  (tf.abs)
    return Abs(convert_to_tensor(x), name=name).output


class Sign(NumericUnaryOp):
    """y = -1, 0 or 1 as x is negative, 0 or positive (NaN for NaN); dy/dx = 0."""

    type_name = "Sign"

    def forward(self, x):
        return np.sign(x)

    def gradient(self, grad_output):
        return [zeros_like(self.inputs[0])]  # zeros, not None: TF's choice


def sign(x, name: str | None = None) -> Tensor:
    return Sign(convert_to_tensor(x), name=name).output


class Floor(UnaryOp):
    """y = the largest whole number <= x (floats only); no gradient."""

    type_name = "Floor"

    def forward(self, x):
        return np.floor(x)


def floor(x, name: str | None = None) -> Tensor:
    return Floor(convert_to_tensor(x), name=name).output


class Ceil(UnaryOp):
    """y = the smallest whole number >= x (floats only); no gradient."""

    type_name = "Ceil"

    def forward(self, x):
        return np.ceil(x)


def ceil(x, name: str | None = None) -> Tensor:
    return Ceil(convert_to_tensor(x), name=name).output


class Round(UnaryOp):
    """y = the nearest whole number, halves to the even one (0.5 -> 0, 1.5 -> 2); no gradient."""

    type_name = "Round"

    def forward(self, x):
        return np.round(x)  # numpy rounds halves to even too


def round(x, name: str | None = None) -> Tensor:  # noqa: A001  (tf.round)
    """Rounds a float tensor; an integer tensor is returned as it is (as TF does)."""
    x = convert_to_tensor(x)
    if x.dtype.kind in "iu":
        return x
    return Round(x, name=name).output


class IntegerDivision(BinaryOp):
    """Shared by floordiv and floormod: an integer divisor of 0 is an error, as in TF."""

    def check_divisor(self, x, y):
        if y.dtype.kind in "iu" and not np.all(y):
            raise self.error(f"Integer division by zero: the divisor {self.inputs[1]!r} holds a 0 "
                             f"(values {y.ravel()[:10].tolist()})", InvalidArgumentError)


class FloorDiv(IntegerDivision):
    """z = floor(x / y), Python's //; no gradient (a step function)."""

    type_name = "FloorDiv"
    default_name = "floordiv"

    def forward(self, x, y):
        self.check_divisor(x, y)
        with np.errstate(divide="ignore", invalid="ignore"):  # float / 0 is inf or NaN, as in TF
            return np.floor_divide(x, y)


def floordiv(x, y, name: str | None = None) -> Tensor:
    return binary(FloorDiv, x, y, name)


class FloorMod(IntegerDivision):
    """z = x - floor(x / y) * y, Python's % (the sign of y); dz/dx = 1, dz/dy = -floor(x / y)."""

    type_name = "FloorMod"

    def forward(self, x, y):
        self.check_divisor(x, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.mod(x, y)

    def gradient(self, grad_output):
        x, y = self.inputs
        return [sum_like(grad_output, x), sum_like(grad_output * negative(floordiv(x, y)), y)]


def floormod(x, y, name: str | None = None) -> Tensor:
    return binary(FloorMod, x, y, name)


mod = floormod  # TF 1.x's names for the same function
floor_div = floordiv

