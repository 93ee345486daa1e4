"""Keras's optimizers, as graph builders over ``mg.train``, by Keras 2's names.

``SGD``, ``RMSprop``, ``Adagrad``, ``Adadelta``, ``Adam``, ``Adamax`` and ``Nadam``
each compute Keras 3's update rule (parity tests: tests/test_keras_optimizers.py) and
take Keras 2's arguments: ``lr=`` as well as ``learning_rate=``, ``decay=``,
``clipnorm=``, ``clipvalue=``. What they share, above all the learning rate kept in a
variable so a callback can change it between steps, is in ``base.py``.

``compile(optimizer='adam')`` takes a name too: ``get('adam')`` is ``Adam()`` with
Keras's defaults. ``serialize``/``deserialize`` turn an optimizer into
``{'class_name': 'Adam', 'config': {...}}`` and back, as a saved model stores it.
"""

from __future__ import annotations

from minigraph.keras.optimizers.adam import Adam, Adamax, Nadam
from minigraph.keras.optimizers.adaptive import Adadelta, Adagrad, RMSprop
from minigraph.keras.optimizers.base import KerasOptimizer
from minigraph.keras.optimizers.gradient_descent import SGD
from minigraph.train.optimizer import Optimizer

__all__ = ["SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax", "Nadam", "Optimizer", "KerasOptimizer",
           "get", "serialize", "deserialize"]

_BY_NAME = {cls.__name__.lower(): cls for cls in (SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam)}


def get(identifier) -> Optimizer:
    """An optimizer from a name ('adam', 'SGD', ...: Keras's defaults), a
    {'class_name', 'config'} dict, or an optimizer (returned as it is)."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(f"Unknown optimizer {identifier!r}; use one of {sorted(_BY_NAME)} or an optimizer instance")


def serialize(optimizer: KerasOptimizer) -> dict:
    """{'class_name': 'Adam', 'config': optimizer.get_config()}."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict) -> KerasOptimizer:
    """The optimizer a serialize() dict describes."""
    name = str(config.get("class_name", "")).lower()
    if name not in _BY_NAME:
        raise ValueError(f"Unknown optimizer class {config.get('class_name')!r} in {config!r}; "
                         f"known: {sorted(cls.__name__ for cls in _BY_NAME.values())}")
    return _BY_NAME[name].from_config(config.get("config", {}))
