"""Keras takes functions by name (``activation='relu'``, ``loss='mse'``); this is the
one rule every such argument follows: a callable is used as it is, a name is looked up
in the module's table, and an unknown name lists the known ones."""

from __future__ import annotations

from typing import Callable


def by_name(table: dict[str, Callable], identifier, kind: str) -> Callable:
    """`identifier` if it is callable, else `table[identifier]`; `kind` names it in errors."""
    if callable(identifier):
        return identifier
    try:
        return table[identifier]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown {kind} {identifier!r}; known: {sorted(table)}") from None
