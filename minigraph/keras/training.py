"""The training graph ``compile`` adds to a model, and the batches ``fit`` feeds it.

Once a compiled model has an output, ``build_training_graph`` adds these nodes to
its graph, once, and returns them together as a ``TrainingGraph``::

    targets    a placeholder for the labels, shaped like the output
    loss       the loss, averaged over the batch          (name scope "loss")
    correct    how many rows of the batch are right       (name scope "metrics")
    train_op   the optimizer's gradient and update nodes

``fit`` runs ``[train_op, loss, correct]`` once per batch; ``evaluate`` runs
``[loss, correct]``. Neither adds a node, so training a second time continues with
the same weights and optimizer state.

``batches`` cuts arrays into the consecutive slices that feed those runs: every batch
has ``batch_size`` rows except the last, which keeps whatever is left (as Keras does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

import minigraph as mg
from minigraph.graph import Operation, Tensor


@dataclass(frozen=True)
class TrainingGraph:
    """The nodes compile() adds to a model's graph (see the module docstring)."""

    targets: Tensor
    loss: Tensor
    correct: Tensor
    train_op: Operation


def build_training_graph(outputs: Tensor, loss: Callable, optimizer, variables: list, name: str) -> TrainingGraph:
    """Adds the labels placeholder `{name}_target`, the mean loss, the correct count and
    the optimizer's update of `variables` to the graph of `outputs`."""
    with outputs.graph.as_default():
        targets = mg.placeholder(outputs.dtype, shape=outputs.shape, name=f"{name}_target")
        with mg.name_scope("loss"):
            mean_loss = mg.reduce_mean(loss(targets, outputs), name="mean")
        with mg.name_scope("metrics"):
            correct = correct_count(targets, outputs)
        # a model with no trainable weights still measures its loss (Keras warns in fit)
        train_op = optimizer.minimize(mean_loss, var_list=variables) if variables else mg.no_op(name="train")
    return TrainingGraph(targets, mean_loss, correct, train_op)


def correct_count(targets: Tensor, outputs: Tensor) -> Tensor:
    """How many rows of the batch are classified right (categorical accuracy)."""
    if outputs.shape[-1] == 1:  # one unit: right when both sides agree on > 0.5
        hits = mg.equal(mg.greater(outputs, 0.5), mg.greater(targets, 0.5))
    else:
        hits = mg.equal(mg.argmax(outputs, axis=-1), mg.argmax(targets, axis=-1))
    return mg.reduce_sum(mg.cast(hits, outputs.dtype), name="correct")


def batches(batch_size: int, *arrays: np.ndarray) -> Iterator[tuple[np.ndarray, ...]]:
    """(a[0:32], b[0:32]), (a[32:64], b[32:64]), ...: the same rows of each array."""
    for start in range(0, len(arrays[0]), batch_size):
        yield tuple(array[start:start + batch_size] for array in arrays)


def check_batch_size(batch_size) -> int:
    if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)
