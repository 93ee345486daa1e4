"""Merge layers: several tensors in, one out.

A merge layer is called on a list, ``Concatenate()([a, b])``, so it can only be used
in a functional model (Sequential passes one tensor from layer to layer). Keras 2
also has a lowercase function for each, which makes the layer and calls it at once:
``concatenate([a, b])``.

- ``Concatenate(axis=-1)`` joins them along an axis: (None, 3) and (None, 4) give
  (None, 7); every other axis must agree.
- ``Add``, ``Subtract`` (two inputs), ``Multiply``, ``Average``, ``Maximum``,
  ``Minimum`` combine them element by element; their shapes must agree (or
  broadcast, a 1 against any size, as numpy has it).

The checks happen in ``build``, before any op is added, and name the layer and every
input shape, as Keras's do.
"""

from __future__ import annotations

import minigraph as mg
from minigraph.keras.layers.base import Layer
from minigraph.shapes import format_shape


def shapes_text(shapes: list) -> str:
    return ", ".join(format_shape(shape) for shape in shapes)


class Merge(Layer):
    """Combines a list of tensors one by one, left to right, with `combine`."""

    least_inputs, most_inputs = 1, None  # a list of one is taken, as Keras 2 and 3 take it

    def combine(self, x, y):
        raise NotImplementedError

    def build(self, input_shape):
        kind = type(self).__name__
        if not isinstance(input_shape, list) or not self.least_inputs <= len(input_shape) <= (
                self.most_inputs or len(input_shape)):
            count = f"exactly {self.most_inputs} inputs" if self.most_inputs == self.least_inputs else \
                "a list of inputs"
            got = f"{len(input_shape)} inputs" if isinstance(input_shape, list) else "one tensor"
            raise ValueError(f"{kind} layer {self.name} must be called on {count}, got {got}")
        self.check_shapes(input_shape)

    def check_shapes(self, shapes: list) -> None:
        if any(shape is None for shape in shapes):
            return  # an unknown rank: the ops check it when they run
        ranks = {len(shape) for shape in shapes}
        broadcastable = len(ranks) == 1 and all(
            len({size for size in sizes if size not in (None, 1)}) <= 1 for sizes in zip(*shapes))
        if not broadcastable:
            raise ValueError(f"{type(self).__name__} layer {self.name} needs inputs of one shape (or shapes that "
                             f"broadcast), got inputs of shapes {shapes_text(shapes)}")

    def call(self, inputs):
        outputs = inputs[0]
        for tensor in inputs[1:]:
            outputs = self.combine(outputs, tensor)
        return outputs


class Add(Merge):
    """outputs = inputs[0] + inputs[1] + ..."""

    def combine(self, x, y):
        return mg.add(x, y)


class Subtract(Merge):
    """outputs = inputs[0] - inputs[1] (exactly two inputs)."""

    least_inputs = most_inputs = 2

    def combine(self, x, y):
        return mg.subtract(x, y)


class Multiply(Merge):
    """outputs = inputs[0] * inputs[1] * ... (element by element)."""

    def combine(self, x, y):
        return mg.multiply(x, y)


class Maximum(Merge):
    """outputs = the element-wise maximum of the inputs."""

    def combine(self, x, y):
        return mg.maximum(x, y)


class Minimum(Merge):
    """outputs = the element-wise minimum of the inputs."""

    def combine(self, x, y):
        return mg.minimum(x, y)


class Average(Add):
    """outputs = (inputs[0] + inputs[1] + ...) / n."""

    def call(self, inputs):
        return mg.divide(super().call(inputs), mg.constant(len(inputs), dtype=inputs[0].dtype))


class Concatenate(Merge):
    """outputs = the inputs joined along `axis`; every other axis must agree."""

    def __init__(self, axis: int = -1, name: str | None = None, **kwargs):
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"Concatenate: axis must be an int, got {axis!r}")
        super().__init__(name=name, **kwargs)
        self.axis = axis

    def check_shapes(self, shapes: list) -> None:
        if any(shape is None for shape in shapes):
            return
        rank = len(shapes[0])
        agree = all(len(shape) == rank for shape in shapes) and -rank <= self.axis < rank
        if agree:
            axis = self.axis % rank
            others = [shape[:axis] + shape[axis + 1:] for shape in shapes]
            agree = all(len({size for size in sizes if size is not None}) <= 1 for sizes in zip(*others))
        if not agree:
            raise ValueError(f"Concatenate layer {self.name} needs inputs whose shapes match except along "
                             f"axis {self.axis}, got inputs of shapes {shapes_text(shapes)}")

    def call(self, inputs):
        return mg.concat(list(inputs), axis=self.axis % len(inputs[0].shape))

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


# Keras 2's functions: make the layer and call it (keyword arguments go to the layer)
def concatenate(inputs: list, axis: int = -1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)


def add(inputs: list, **kwargs):
    return Add(**kwargs)(inputs)


def subtract(inputs: list, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs: list, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs: list, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list, **kwargs):
    return Minimum(**kwargs)(inputs)
