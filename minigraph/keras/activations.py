"""Activation functions by name, as ``Activation('relu')`` and ``Dense(activation=...)`` take them."""

from __future__ import annotations

from typing import Callable

from minigraph.keras.lookup import by_name
from minigraph.ops import nn


def linear(x):
    """y = x."""
    return x


_BY_NAME: dict[str, Callable] = {
    "relu": nn.relu,
    "softmax": nn.softmax,
    "sigmoid": nn.sigmoid,
    "tanh": nn.tanh,
    "linear": linear,
}


def get(identifier) -> Callable:
    """The activation function named `identifier` (None means linear)."""
    if identifier is None:
        return linear
    return by_name(_BY_NAME, identifier, "activation")


def name_of(function: Callable) -> str:
    for name, known in _BY_NAME.items():
        if known is function:
            return name
    return getattr(function, "__name__", repr(function))
