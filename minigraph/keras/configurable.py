"""Objects a saved model rebuilds from their configuration: initializers, regularizers.

Such an object is its class and its constructor's arguments. ``get_config()`` gives
the arguments (JSON-able), ``from_config(config)`` calls the constructor with them,
and ``serialize`` wraps both as Keras writes them in a saved model::

    {"class_name": "L2", "config": {"l2": 0.01}}

``deserialize`` reads every form a Keras argument may take: such a dict, a name for
the defaults (``'l2'``, ``'he_normal'``), a class name, or the object or function itself.
"""

from __future__ import annotations


class Configurable:
    """An object that is its constructor's arguments: equal when they are, printed as a call."""

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


def serialize(item) -> dict | str | None:
    """{'class_name': ..., 'config': ...} for a Configurable; a plain function by its name."""
    if item is None:
        return None
    if isinstance(item, Configurable):
        return {"class_name": type(item).__name__, "config": item.get_config()}
    return getattr(item, "__name__", repr(item))


def deserialize(identifier, classes: dict, names: dict, kind: str):
    """The object `identifier` describes. `classes` maps class names to classes, `names`
    the names of defaults to what makes them; `kind` ('initializer') names it in errors."""
    if isinstance(identifier, dict):
        cls = classes.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown {kind} {identifier!r}; known classes: {sorted(classes)}")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        make = names.get(identifier) or classes.get(identifier)
        if make is None:
            raise ValueError(f"Unknown {kind} {identifier!r}; known: {sorted(names)}")
        return make()
    if callable(identifier):
        return identifier
    raise ValueError(f"Unknown {kind} {identifier!r}: give a name such as {next(iter(names))!r}, "
                     f"a {kind} object, or a function")
