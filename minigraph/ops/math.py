"""Element-wise arithmetic: + - * / and the unary functions exp, log, square, sqrt.

Binary ops follow numpy's broadcasting: shapes are aligned on the right and a
dimension of 1 stretches to match, so ``(3, 4) + (4,)`` and ``(3, 1) * (1, 4)`` work.
The static shape rule does the same with ``None`` (unknown) dimensions, and names
both shapes when they cannot combine.

Every gradient is written with ops. Where the forward op broadcast an input, the
gradient is summed back to that input's shape with ``sum_like``.
"""

from __future__ import annotations

import numpy as np

from minigraph import dtypes
from minigraph.graph import Operation, Tensor, tensor_or_none
from minigraph.ops.array import Const, constant_like, convert_to_tensor, sum_like
from minigraph.shapes import format_shape


def broadcast_shapes(op: Operation, a, b):
    """Static numpy broadcasting of two shapes; None dims stay unknown unless forced."""
    if a is None or b is None:
        return None
    result = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x == 1:
            result.append(y)
        elif y == 1 or x == y:
            result.append(x)
        elif x is None:
            result.append(y)
        elif y is None:
            result.append(x)
        else:
            raise op.error(
                f"Incompatible shapes: {format_shape(a)} and {format_shape(b)} cannot be broadcast"
            )
    return tuple(reversed(result))


def check_numeric(op: Operation, x: Tensor) -> None:
    """Arithmetic is for numbers: a bool tensor must be cast first, as in TF."""
    if x.dtype == dtypes.bool:
        raise op.error(f"{op.type_name} is not defined for bool tensors, got {x!r}: cast it first", TypeError)


class BinaryOp(Operation):
    """Two inputs of one dtype, broadcast together."""

    input_names = ("x", "y")
    accepts_bool = False

    def infer(self, x, y):
        if x.dtype != y.dtype:
            raise self.error(
                f"Input 'y' {y!r} has dtype {y.dtype.name} that does not match "
                f"dtype {x.dtype.name} of input 'x' {x!r}",
                TypeError,
            )
        if not self.accepts_bool:
            check_numeric(self, x)
        return broadcast_shapes(self, x.shape, y.shape), x.dtype


def binary(op_class: type, x, y, name: str | None) -> Tensor:
    """Builds a two-input op_class(x, y); a Python or numpy operand takes the other's dtype."""
    x_tensor, y_tensor = tensor_or_none(x), tensor_or_none(y)  # each converted once
    if x_tensor is not None and y_tensor is None:
        y_tensor = constant_like(y, x_tensor)
    elif y_tensor is not None and x_tensor is None:
        x_tensor = constant_like(x, y_tensor)
    elif x_tensor is None:  # two plain values: TF's own defaults for each
        x_tensor, y_tensor = convert_to_tensor(x), convert_to_tensor(y)
    return op_class(x_tensor, y_tensor, name=name).output


class Add(BinaryOp):
    """z = x + y."""

    type_name = "AddV2"
    default_name = "add"

    def forward(self, x, y):
        return x + y

    def gradient(self, grad_output):
        x, y = self.inputs
        return [sum_like(grad_output, x), sum_like(grad_output, y)]


def add(x, y, name: str | None = None) -> Tensor:
    return binary(Add, x, y, name)


class Subtract(BinaryOp):
    """z = x - y."""

    type_name = "Sub"
    default_name = "sub"

    def forward(self, x, y):
        return x - y

    def gradient(self, grad_output):
        x, y = self.inputs
        return [sum_like(grad_output, x), sum_like(negative(grad_output), y)]


def subtract(x, y, name: str | None = None) -> Tensor:
    return binary(Subtract, x, y, name)


class Multiply(BinaryOp):
    """z = x * y; dz/dx = y, dz/dy = x."""

    type_name = "Mul"
    default_name = "mul"

    def forward(self, x, y):
        return x * y

    def gradient(self, grad_output):
        x, y = self.inputs
        return [sum_like(grad_output * y, x), sum_like(grad_output * x, y)]


def multiply(x, y, name: str | None = None) -> Tensor:
    return binary(Multiply, x, y, name)


class Divide(BinaryOp):
    """z = x / y; dz/dx = 1 / y, dz/dy = -x / y^2."""

    type_name = "RealDiv"
    default_name = "truediv"

    def infer(self, x, y):
        shape, dtype = super().infer(x, y)
        # integers divide to float64, as Python 3's / and TF's truediv do
        return shape, (dtypes.float64 if dtype.kind in "iu" else dtype)

    def forward(self, x, y):
        return x / y

    def gradient(self, grad_output):
        x, y = self.inputs
        return [sum_like(grad_output / y, x), sum_like(negative(grad_output) * x / square(y), y)]


def divide(x, y, name: str | None = None) -> Tensor:
    return binary(Divide, x, y, name)


class Pow(BinaryOp):
    """z = x ** y; dz/dx = y x^(y - 1), dz/dy = z ln x (defined where x > 0)."""

    type_name = "Pow"
    default_name = "pow"

    def forward(self, x, y):
        return np.power(x, y)

    def gradient(self, grad_output):
        x, y = self.inputs
        grad_x = sum_like(grad_output * y * pow(x, y - 1.0), x)
        if isinstance(y.op, Const):  # x ** 3: the exponent is a number, not a variable
            return [grad_x, None]
        return [grad_x, sum_like(grad_output * self.output * log(x), y)]


def pow(x, y, name: str | None = None) -> Tensor:  # noqa: A001  (tf.pow)
    return binary(Pow, x, y, name)


class Comparison(BinaryOp):
    """A comparison of two tensors, element by element: a bool tensor, no gradient."""

    def infer(self, x, y):
        shape, _ = super().infer(x, y)
        return shape, dtypes.bool


class Greater(Comparison):
    """z = x > y."""

    type_name = "Greater"

    def forward(self, x, y):
        return x > y


def greater(x, y, name: str | None = None) -> Tensor:
    return binary(Greater, x, y, name)


class Equal(Comparison):
    """z = (x == y); bools compare too."""

    type_name = "Equal"
    accepts_bool = True

    def forward(self, x, y):
        return x == y


def equal(x, y, name: str | None = None) -> Tensor:
    return binary(Equal, x, y, name)


class AddN(Operation):
    """z = x_1 + x_2 + ... + x_n, all of one shape (how gradients() sums paths)."""

    type_name = "AddN"
    input_names = ("inputs",)

    def infer(self, *inputs):
        check_numeric(self, inputs[0])
        shape = inputs[0].shape
        for t in inputs[1:]:
            shape = broadcast_shapes(self, shape, t.shape)
        return shape, inputs[0].dtype

    def forward(self, *values):
        total = values[0] + values[1]
        for v in values[2:]:
            total += v
        return total

    def gradient(self, grad_output):
        return [sum_like(grad_output, x) for x in self.inputs]


def add_n(inputs, name: str | None = None) -> Tensor:
    inputs = [convert_to_tensor(x) for x in inputs]
    if len(inputs) == 1:
        return inputs[0]
    return AddN(*inputs, name=name).output


# --- unary ----------------------------------------------------------------------


class UnaryOp(Operation):
    """One floating-point input; the output has its shape and dtype."""

    input_names = ("x",)

    def infer(self, x):
        if not dtypes.is_floating(x.dtype):
            raise self.error(f"{self.type_name} needs a float input, got {x!r}", TypeError)
        return x.shape, x.dtype


class Negative(UnaryOp):
    """y = -x."""

    type_name = "Neg"

    def infer(self, x):
        check_numeric(self, x)
        return x.shape, x.dtype

    def forward(self, x):
        return -x

    def gradient(self, grad_output):
        return [negative(grad_output)]


def negative(x, name: str | None = None) -> Tensor:
    return Negative(convert_to_tensor(x), name=name).output


class Exp(UnaryOp):
    """y = e^x; dy/dx = y."""

    type_name = "Exp"

    def forward(self, x):
        return np.exp(x)

    def gradient(self, grad_output):
        return [grad_output * self.output]


def exp(x, name: str | None = None) -> Tensor:
    return Exp(convert_to_tensor(x), name=name).output


class Log(UnaryOp):
    """y = ln x; dy/dx = 1 / x."""

    type_name = "Log"

    def forward(self, x):
        return np.log(x)

    def gradient(self, grad_output):
        return [grad_output / self.inputs[0]]


def log(x, name: str | None = None) -> Tensor:
    return Log(convert_to_tensor(x), name=name).output


class Square(UnaryOp):
    """y = x^2; dy/dx = 2x."""

    type_name = "Square"

    def forward(self, x):
        return np.square(x)

    def gradient(self, grad_output):
        return [grad_output * (2.0 * self.inputs[0])]


def square(x, name: str | None = None) -> Tensor:
    return Square(convert_to_tensor(x), name=name).output


class Sqrt(UnaryOp):
    """y = sqrt(x); dy/dx = 1 / (2 y)."""

    type_name = "Sqrt"

    def forward(self, x):
        return np.sqrt(x)

    def gradient(self, grad_output):
        return [grad_output / (2.0 * self.output)]


def sqrt(x, name: str | None = None) -> Tensor:
    return Sqrt(convert_to_tensor(x), name=name).output


class ClipByValue(UnaryOp):
    """y = min(max(x, low), high); dy/dx = 1 inside [low, high], else 0."""

    type_name = "ClipByValue"
    default_name = "clip_by_value"

    def forward(self, x):
        return np.clip(x, self.attrs["low"], self.attrs["high"])

    def gradient(self, grad_output):
        return [clip_gradient(grad_output, self.inputs[0], self.attrs["low"], self.attrs["high"])]

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "clip_value_min": self.attrs["low"], "clip_value_max": self.attrs["high"]}


def clip_by_value(x, clip_value_min: float, clip_value_max: float, name: str | None = None) -> Tensor:
    return ClipByValue(convert_to_tensor(x), name=name, low=float(clip_value_min), high=float(clip_value_max)).output


class ClipGradient(Operation):
    """y = g where low <= x <= high, else 0 (the gradient of clip_by_value)."""

    type_name = "ClipByValueGrad"
    input_names = ("gradients", "x")

    def infer(self, grad, x):
        return x.shape, grad.dtype

    def forward(self, grad, x):
        inside = (x >= self.attrs["low"]) & (x <= self.attrs["high"])
        return grad * inside

    def gradient(self, grad_output):
        grad, x = self.inputs
        return [clip_gradient(grad_output, x, self.attrs["low"], self.attrs["high"]), None]


def clip_gradient(grad, x, low: float, high: float) -> Tensor:
    return ClipGradient(grad, x, low=low, high=high).output
