"""Nested structures of fetches: flatten them, then put values back in their place.

``sess.run({"loss": loss, "grads": [gw, gb]})`` returns ``{"loss": 0.3, "grads": [...,
...]}``: the answer has the structure of the question. TF does this with two
functions of ``tf.nest``, and minigraph names them the same:

    flatten({"loss": l, "grads": [gw, gb]})          -> [l, gw, gb]
    pack_sequence_as({"loss": l, "grads": [gw, gb]}, [0.3, a, b])
                                                      -> {"loss": 0.3, "grads": [a, b]}

Lists, tuples (named tuples too) and dicts are structure; anything else is a leaf.
Dict entries come in the dict's own order (TF sorts the keys; here a key may be a
tensor, which has no order).
"""

from __future__ import annotations

from typing import Any


def is_nested(value) -> bool:
    return isinstance(value, (list, tuple, dict))


def flatten(structure) -> list:
    """The leaves of `structure`, depth first, in order."""
    leaves: list = []
    stack = [structure]
    while stack:  # an explicit stack, so deep nesting can't hit the recursion limit
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        else:
            leaves.append(item)
    return leaves


def pack_sequence_as(structure, flat_values) -> Any:
    """`structure` with its leaves replaced, in order, by `flat_values`."""
    values = iter(flat_values)

    def pack(item):
        if isinstance(item, dict):
            return type(item)((key, pack(value)) for key, value in item.items())
        if isinstance(item, tuple) and hasattr(item, "_fields"):  # a named tuple
            return type(item)(*(pack(value) for value in item))
        if isinstance(item, (list, tuple)):
            return type(item)(pack(value) for value in item)
        return next(values)

    return pack(structure)
