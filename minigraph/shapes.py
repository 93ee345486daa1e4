"""Static shapes: what a graph knows about a value's shape before it runs.

A static shape is a tuple of dimensions, each an ``int`` or ``None`` (known only when
the graph runs: the batch size of ``(None, 784)``). The shape itself may be ``None``
too: *unknown rank*, as for ``mg.placeholder(mg.float32)`` with no shape at all.

Two questions come up everywhere, and each has one function here:

- ``is_compatible(a, b)``: could a value have both shapes? ``(None, 784)`` and
  ``(32, 784)`` are compatible, ``(5,)`` and ``(4,)`` are not. Shape rules ask it of
  two static shapes.
- ``fits(value_shape, static)``: does a concrete array's shape fit a static one? A
  feed and a run-time check ask it.
"""

from __future__ import annotations

import numpy as np

Shape = tuple  # a tuple of int | None; None (instead of a tuple) means "unknown rank"


def format_shape(shape: Shape | None) -> str:
    """(2, 2) -> '(2, 2)'; (5,) -> '(5,)'; None -> '<unknown>', as TF prints shapes."""
    if shape is None:
        return "<unknown>"
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def normalize_shape(shape, what: str = "shape") -> Shape | None:
    """Accepts None, an int, or a sequence of int/None (-1 also means unknown)."""
    if shape is None:
        return None
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{what} must be a tuple of ints or None, got {shape!r}") from None
    result = []
    for d in dims:
        if d is None or (isinstance(d, (int, np.integer)) and d == -1):
            result.append(None)
        elif isinstance(d, (int, np.integer)) and d >= 0:
            result.append(int(d))
        else:
            raise ValueError(f"{what} {shape!r} has an invalid dimension {d!r}")
    return tuple(result)


def is_compatible(a: Shape | None, b: Shape | None) -> bool:
    """True when some value could have both static shapes (None matches anything)."""
    if a is None or b is None:
        return True
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def fits(value_shape: tuple, static: Shape | None) -> bool:
    """True when a concrete shape matches a static one (None dims match anything)."""
    return is_compatible(tuple(value_shape), static)


def merge(a: Shape | None, b: Shape | None) -> Shape | None:
    """The most specific shape compatible with both: (None, 3) and (2, None) -> (2, 3)."""
    if not is_compatible(a, b):
        raise ValueError(f"Shapes {format_shape(a)} and {format_shape(b)} are not compatible")
    if a is None:
        return b
    if b is None:
        return a
    return tuple(x if x is not None else y for x, y in zip(a, b))
