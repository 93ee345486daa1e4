"""Regularizers: a penalty on a layer's weights, added to the loss that training minimises.

``Dense(64, kernel_regularizer=regularizers.l2(0.01))`` adds ``0.01 * sum(kernel²)``
to the model's loss, so every step also pulls the weights towards zero (weight
decay): large weights must earn their size by lowering the data loss by more than
they cost. ``l1`` adds ``l1 * sum(|kernel|)``, which pushes small weights to exactly
zero; ``l1_l2`` adds both.

A regularizer is a function from a weight tensor to a scalar tensor: the layer calls
it once, when it builds, and hands the result to ``add_loss``. The model adds every
layer's ``losses`` to the loss it minimises (the penalty is a node of the graph, so
its gradient comes with the rest). ``activity_regularizer`` applies the same function
to the layer's output instead, averaged over the batch as Keras does.

Keras 2 names the defaults: ``'l2'`` is ``l2(0.01)``, ``'l1'`` is ``l1(0.01)``,
``'l1_l2'`` is ``l1_l2(l1=0.01, l2=0.01)``.
"""

from __future__ import annotations

import minigraph as mg
from minigraph.graph import Tensor
from minigraph.keras.configurable import Configurable, deserialize, serialize  # noqa: F401 (Keras names regularizers.serialize)


def _factor(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"Regularizer: {name} must be a number >= 0, got {value!r}")
    return float(value)


class Regularizer(Configurable):
    """``regularizer(weights)`` -> a scalar tensor to add to the loss."""

    def __call__(self, weights: Tensor) -> Tensor:
        raise NotImplementedError


class L1L2(Regularizer):
    """penalty = l1 * sum(|w|) + l2 * sum(w²) (a term whose factor is 0 adds no nodes)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1, self.l2 = _factor(l1, "l1"), _factor(l2, "l2")

    def __call__(self, weights):
        dtype = weights.dtype
        with weights.graph.as_default():  # the penalty joins the weights' graph, whatever the default
            terms = []
            if self.l1:
                terms.append(mg.multiply(mg.constant(self.l1, dtype=dtype), mg.reduce_sum(mg.abs(weights))))
            if self.l2:
                terms.append(mg.multiply(mg.constant(self.l2, dtype=dtype), mg.reduce_sum(mg.square(weights))))
            if not terms:
                return mg.constant(0.0, dtype=dtype)
            return terms[0] if len(terms) == 1 else mg.add(terms[0], terms[1])

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """penalty = l1 * sum(|w|)."""

    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """penalty = l2 * sum(w²)."""

    def __init__(self, l2: float = 0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


def l1(l1: float = 0.01) -> L1:  # noqa: E741 (Keras's name)
    return L1(l1)


def l2(l2: float = 0.01) -> L2:
    return L2(l2)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """Both penalties; Keras 2's function defaults both to 0.01 (the class L1L2 to 0)."""
    return L1L2(l1=l1, l2=l2)


CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}
NAMES = {"l1": l1, "l2": l2, "l1_l2": l1_l2}


def get(identifier) -> Regularizer | None:
    """None, a name ('l2'), a ``{'class_name': 'L2', 'config': {'l2': 0.01}}`` dict (as
    ``serialize`` writes it), or a callable taking the weights."""
    return None if identifier is None else deserialize(identifier, CLASSES, NAMES, "regularizer")
