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
from minigraph.errors import InvalidArgumentError
from minigraph.graph import Operation, Tensor, tensor_or_none
from minigraph.ops.array import Const, constant_like, convert_to_tensor, ones_like, sum_like, zeros_like
from minigraph.shapes import format_shape, is_compatible, merge


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


def binary(op_class: type, x, y, name: str | None, **attrs) -> Tensor:
    """Builds a two-input op_class(x, y); a Python or numpy operand takes the other's dtype."""
    x_tensor, y_tensor = tensor_or_none(x), tensor_or_none(y)  # each converted once
    if x_tensor is not None and y_tensor is None:
        y_tensor = _operand_like(op_class, 1, y, x_tensor)
    elif y_tensor is not None and x_tensor is None:
        x_tensor = _operand_like(op_class, 0, x, y_tensor)
    elif x_tensor is None:  # two plain values: TF's own defaults for each
        x_tensor, y_tensor = convert_to_tensor(x), convert_to_tensor(y)
    return op_class(x_tensor, y_tensor, name=name, **attrs).output


def _operand_like(op_class: type, position: int, value, like: Tensor) -> Tensor:
    """`value` as a constant of `like`'s dtype; a value that dtype can't hold (1e20 for
    an int32 tensor) is refused naming the input it was passed to, as TF does."""
    try:
        return constant_like(value, like)
    except TypeError as error:
        raise TypeError(f"{error}; it was passed to input '{op_class.input_names[position]}' of "
                        f"{op_class.type_name} next to {like!r}") from None


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
    """z = x / y; dz/dx = 1 / y, dz/dy = -x / y^2, computed as (-x / y) / y."""

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
        # (-x / y) / y, as TF computes it: y**2 overflows (or underflows to 0) long
        # before the quotient does, and -x / y**2 then gives inf or NaN where TF is finite
        return [sum_like(grad_output / y, x), sum_like(grad_output * (negative(x) / y / y), y)]


def divide(x, y, name: str | None = None) -> Tensor:
    return binary(Divide, x, y, name)


class Pow(BinaryOp):
    """z = x ** y; dz/dx = y x^(y - 1), dz/dy = z ln x where x > 0, else 0 (as TF)."""

    type_name = "Pow"
    default_name = "pow"

    def forward(self, x, y):
        return np.power(x, y)

    def gradient(self, grad_output):
        x, y = self.inputs
        grad_x = sum_like(grad_output * y * pow(x, y - 1.0), x)
        if isinstance(y.op, Const):  # x ** 3: the exponent is a number, not a variable
            return [grad_x, None]
        # ln x is only defined for x > 0; TF takes it as 0 elsewhere (x = 0 included),
        # and log is never even evaluated there, so no NaN enters through either branch
        positive = greater(x, constant_like(0, x))
        log_x = where(positive, log(where(positive, x, ones_like(x))), zeros_like(x))
        return [grad_x, sum_like(grad_output * self.output * log_x, y)]


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


class SelectV2(Operation):
    """z = t where condition, else e (element by element, broadcast as numpy does)."""

    type_name = "SelectV2"
    input_names = ("condition", "t", "e")

    def infer(self, condition, t, e):
        if condition.dtype != dtypes.bool:
            raise self.error(f"condition must be a bool tensor, got {condition!r}", TypeError)
        if t.dtype != e.dtype:
            raise self.error(f"t {t!r} and e {e!r} must share one dtype", TypeError)
        return broadcast_shapes(self, broadcast_shapes(self, condition.shape, t.shape), e.shape), t.dtype

    def forward(self, condition, t, e):
        return np.where(condition, t, e)

    def gradient(self, grad_output):
        condition, t, e = self.inputs
        zeros = zeros_like(grad_output)
        return [None, sum_like(where(condition, grad_output, zeros), t),
                sum_like(where(condition, zeros, grad_output), e)]


def where(condition, x, y, name: str | None = None) -> Tensor:
    """x where condition is true, else y (TF's where_v2: all three broadcast)."""
    condition = convert_to_tensor(condition)
    x, y = convert_to_tensor(x), convert_to_tensor(y)
    return SelectV2(condition, x, y, name=name).output


class AddN(Operation):
    """z = x_1 + x_2 + ... + x_n, all of one dtype and one shape (no broadcasting, as TF)."""

    type_name = "AddN"
    input_names = ("inputs",)

    def input_name(self, position: int) -> str:
        return f"inputs[{position}]"

    def infer(self, *inputs):
        first = inputs[0]
        for i, t in enumerate(inputs):
            if t.dtype != first.dtype:
                raise self.error(
                    f"inputs must share one dtype, but inputs[0] {first!r} is {first.dtype.name} "
                    f"and inputs[{i}] {t!r} is {t.dtype.name}",
                    TypeError,
                )
        check_numeric(self, first)
        shape = first.shape
        for i, t in enumerate(inputs):
            if not is_compatible(shape, t.shape):
                raise self.error(
                    f"inputs must all have one shape (add_n does not broadcast), but inputs[{i}] {t!r} "
                    f"does not fit {format_shape(shape)}, the shape of the inputs before it"
                )
            shape = merge(shape, t.shape)
        return shape, first.dtype

    def forward(self, *values):
        for i, value in enumerate(values):
            if value.shape != values[0].shape:
                raise self.error(
                    f"inputs must all have one shape (add_n does not broadcast), but inputs[0] has "
                    f"shape {values[0].shape} and inputs[{i}] {value.shape}",
                    InvalidArgumentError,
                )
        total = np.array(values[0], copy=True)
        for value in values[1:]:
            total += value
        return total

    def gradient(self, grad_output):
        return [grad_output] * len(self.inputs)


def add_n(inputs, name: str | None = None) -> Tensor:
    """The sum of a list of tensors of one dtype and shape; one input is returned as a tensor."""
    if tensor_or_none(inputs) is not None or not isinstance(inputs, (list, tuple)):
        raise TypeError(f"add_n takes a list of tensors, got {inputs!r}")
    if not inputs:
        raise ValueError("add_n needs a list of at least one tensor, got an empty list")
    tensors = [convert_to_tensor(x) for x in inputs]
    if len(tensors) == 1:
        return tensors[0]
    return AddN(*tensors, name=name).output


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

    def infer(self, x):  # integers too, as in TF
        check_numeric(self, x)
        return x.shape, x.dtype

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
        return [SqrtGrad(self.output, grad_output).output]


def sqrt(x, name: str | None = None) -> Tensor:
    return Sqrt(convert_to_tensor(x), name=name).output


class SqrtGrad(Operation):
    """dx = g / (2 y), and 0 wherever g is 0 (the gradient of y = sqrt(x), as TF's kernel).

    The 0 matters at x = 0: sqrt(x) there has an infinite slope, and g / (2 y) would give
    0 / 0 = NaN where nothing flows back at all (a sqrt whose result was not used).
    """

    type_name = "SqrtGrad"
    input_names = ("y", "dy")

    def infer(self, y, dy):
        return y.shape, y.dtype

    def forward(self, y, dy):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(dy == 0, 0, 0.5 * dy / y).astype(y.dtype)

    def gradient(self, grad_output):
        # dx = dy / (2 y): d/dy = -dx / y, d/d(dy) = 1 / (2 y), each times grad_output
        y = self.inputs[0]
        grad_over_y = grad_output / y
        return [negative(grad_over_y) * self.output, 0.5 * grad_over_y]


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
        return np.where(inside, grad, 0).astype(grad.dtype)  # not grad * inside: NaN * 0 is NaN

    def gradient(self, grad_output):
        grad, x = self.inputs
        return [clip_gradient(grad_output, x, self.attrs["low"], self.attrs["high"]), None]


def clip_gradient(grad, x, low: float, high: float) -> Tensor:
    return ClipGradient(grad, x, low=low, high=high).output


class Log1p(UnaryOp):
    """y = ln(1 + x), precise for small x (where 1 + x would round); dy/dx = 1 / (1 + x)."""

    type_name = "Log1p"

    def forward(self, x):
        return np.log1p(x)

    def gradient(self, grad_output):
        x = self.inputs[0]
        return [grad_output / (constant_like(1, x) + x)]


def log1p(x, name: str | None = None) -> Tensor:
    return Log1p(convert_to_tensor(x), name=name).output


class Expm1(UnaryOp):
    """y = e^x - 1, precise for small x; dy/dx = e^x."""

    type_name = "Expm1"

    def forward(self, x):
        return np.expm1(x)

    def gradient(self, grad_output):
        return [grad_output * exp(self.inputs[0])]


def expm1(x, name: str | None = None) -> Tensor:
    return Expm1(convert_to_tensor(x), name=name).output


class Reciprocal(UnaryOp):
    """y = 1 / x (floats only, as TF's kernels); dy/dx = -1 / x^2 = -y^2."""

    type_name = "Reciprocal"

    def forward(self, x):
        with np.errstate(divide="ignore"):  # 1 / 0 is inf, as in TF
            return np.reciprocal(x)

    def gradient(self, grad_output):
        y = self.output
        return [negative(grad_output) * y * y]


def reciprocal(x, name: str | None = None) -> Tensor:
    return Reciprocal(convert_to_tensor(x), name=name).output
