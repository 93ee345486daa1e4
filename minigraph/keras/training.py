"""The training graph ``compile`` adds to a model, and the batches ``fit`` feeds it.

Once a compiled model is built, ``build_training_graph`` adds these nodes to its
graph, once, and returns them together as a ``TrainingGraph``. For each output
(a ``Head``)::

    target          a placeholder for the labels, '{layer}_target'
    sample_weight   one weight per row, '{layer}_sample_weights': a placeholder whose
                    value, when fit feeds none, is ones_like(the per-row loss)
    loss            mean(loss_fn(target, output) * sample_weight)    (name scope "loss")
    metrics         sum(metric_fn(target, output) * weight), sum(weight)   ("metrics");
                    with weights of one, sum(metric_fn(...)) and the row count

and for the model::

    loss        sum over outputs of loss_weight * output loss, plus the layers' losses
                (a regularizer's penalty)
    train_op    the optimizer's gradient and update nodes, run together with the
                layers' updates (BatchNormalization's moving averages)

The loss functions give one value per example (losses.py); here they are weighted
and averaged, as Keras 2 does: ``sum(loss * w) / batch size``. Without weights, Keras 3
multiplies by nothing; here the graph keeps its one form and the session's passes drop
the multiplications by the default ones (``passes/multiply_by_one.py``), in the loss
and in its gradient, which leaves the same numbers, bit for bit. A metric is kept as a
weighted sum and a sum of weights, so ``fit`` can add them up over an epoch and divide
once (Keras's Mean). Plain ``metrics`` weigh every row 1, ``weighted_metrics`` take
the sample weights, as in Keras 2.

``fit`` runs ``[train_op, loss, ...]`` once per batch; ``evaluate`` runs the same
without the train_op. Neither adds a node, so training a second time continues with
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
from minigraph.ops.reduction import ReducedSize


@dataclass(frozen=True)
class Metric:
    """One metric of one output: its log name and the two sums fit adds up."""

    name: str
    weighted_sum: Tensor
    weight_sum: Tensor


@dataclass(frozen=True)
class Head:
    """What one output of the model is trained and measured with."""

    name: str  # the output layer's name: 'dense_1_loss' in the logs of a model with several outputs
    output: Tensor
    target: Tensor
    sample_weight: Tensor
    loss: Tensor
    metrics: list[Metric]


@dataclass(frozen=True)
class TrainingGraph:
    """The nodes compile() adds to a model's graph (see the module docstring)."""

    heads: list[Head]
    loss: Tensor
    train_op: Operation


def is_sparse(loss: Callable) -> bool:
    """Sparse losses take class indices, one per row, where the output has a column per class."""
    return "sparse" in getattr(loss, "__name__", type(loss).__name__).lower()


def target_shape(output: Tensor, loss: Callable) -> tuple:
    """The labels' shape: the output's, or (batch, ..., 1) for a sparse loss."""
    shape = tuple(output.shape)
    return shape[:-1] + (1,) if is_sparse(loss) else shape


def build_head(name: str, output: Tensor, loss: Callable, metrics: list[tuple[str, Callable, bool]]) -> Head:
    """The target and sample-weight placeholders, the weighted loss and the metrics of one output."""
    target = mg.placeholder(output.dtype, shape=target_shape(output, loss), name=f"{name}_target")
    with mg.name_scope("loss"):
        per_example = per_row(loss(target, output))
        ones = mg.ones_like(per_example, name="no_weights")
        with mg.name_scope(None):  # the weights keep their top-level name, as in Keras 2
            # unfed, a weight of 1 per row, which the passes drop (passes/multiply_by_one.py)
            sample_weight = mg.placeholder_with_default(ones, shape=(None,), name=f"{name}_sample_weights")
        mean_loss = mg.reduce_mean(per_example * sample_weight, name=f"{name}_loss")
    built = []
    with mg.name_scope("metrics"):
        for log_name, fn, weighted in metrics:
            values = per_row(mg.cast(fn(target, output), output.dtype))
            if weighted:
                built.append(Metric(log_name, mg.reduce_sum(values * sample_weight), mg.reduce_sum(sample_weight)))
            else:  # weights of one: the same sums with no weights built (see unweighted_sums)
                built.append(Metric(log_name, *unweighted_sums(values)))
    return Head(name, output, target, sample_weight, mean_loss, built)


def unweighted_sums(values: Tensor) -> tuple[Tensor, Tensor]:
    """(sum(values * 1), sum(1)) as Keras weighs a plain metric, built as what they equal,
    bit for bit: sum(values) (times one changes no float), and the count of values (a
    float32 sum of ones is exact up to 2**24 rows). Two steps a batch fewer than the
    weighted form, and no array of ones."""
    return mg.reduce_sum(values), ReducedSize(values, axis=None).output


def per_row(values: Tensor) -> Tensor:
    """One value per example: the mean over any axes after the batch (a loss of a sequence)."""
    rank = len(values.shape) if values.shape is not None else 1
    return mg.reduce_mean(values, axis=list(range(1, rank))) if rank > 1 else values


def build_training_graph(heads_spec: list, loss_weights: list[float], extra_losses: list, updates: list,
                         optimizer, variables: list, graph) -> TrainingGraph:
    """Adds every head, the total loss and the train op to `graph`.

    `heads_spec` holds (name, output, loss_fn, [(log name, metric_fn, weighted)]) per output."""
    with graph.as_default():
        heads = [build_head(*spec) for spec in heads_spec]
        with mg.name_scope("loss"):
            total = mg.add_n([head.loss * weight if weight != 1 else head.loss
                              for head, weight in zip(heads, loss_weights)])
            if extra_losses:  # the layers' own losses: regularizers
                total = mg.add(total, mg.add_n([mg.cast(loss, total.dtype) for loss in extra_losses]),
                               name="total_loss")
        # a model with no trainable weights still measures its loss (Keras warns in fit)
        step = optimizer.minimize(total, var_list=variables) if variables else mg.no_op(name="train")
        train_op = mg.group(step, *updates, name="train_step") if updates else step
    return TrainingGraph(heads, total, train_op)


def batches(batch_size: int, *arrays: np.ndarray) -> Iterator[list[np.ndarray]]:
    """[a[0:32], b[0:32]], [a[32:64], b[32:64]], ...: the same rows of each array."""
    for start in range(0, len(arrays[0]), batch_size):
        stop = start + batch_size
        yield [array[start:stop] for array in arrays]


class RunningMeans:
    """The numbers fit logs, over the batches so far: each loss averaged over rows, each
    metric over its weights (Keras's Mean). `fetches` are _log_fetches()'s (name,
    numerator, denominator) triples; a batch's values come in their order, one for a
    loss (no denominator: the batch's mean), two for a metric (a weighted sum, a weight)."""

    def __init__(self, fetches: list):
        self.names = [name for name, _, _ in fetches]
        self.by_rows = [denominator is None for _, _, denominator in fetches]
        self.totals = [0.0] * len(fetches)
        self.counts = [0.0] * len(fetches)

    def add(self, values, rows: int) -> None:
        """Adds one batch of `rows` rows: its fetched `values`."""
        totals, counts, position = self.totals, self.counts, 0
        for i, by_rows in enumerate(self.by_rows):
            if by_rows:  # a loss: the batch's mean, weighed by its rows
                totals[i] += float(values[position]) * rows
                counts[i] += rows
                position += 1
            else:  # a metric: its weighted sum and its sum of weights
                totals[i] += float(values[position])
                counts[i] += float(values[position + 1])
                position += 2

    def logs(self) -> dict:
        """{name: mean so far} (NaN for a metric whose weights sum to 0)."""
        return {name: total / count if count else float("nan")
                for name, total, count in zip(self.names, self.totals, self.counts)}


def check_batch_size(batch_size) -> int:
    if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def class_weights_of(y: np.ndarray, class_weight: dict) -> np.ndarray:
    """One weight per row from {class: weight}, the class read from the label as Keras 2
    reads it: the argmax of a one-hot row, else the label itself (rounded)."""
    if y.ndim >= 2 and y.shape[-1] > 1:
        classes = np.argmax(y.reshape(len(y), -1), axis=-1)
    else:
        classes = np.round(y.reshape(len(y))).astype(np.int64)
    unknown = sorted(set(np.unique(classes).tolist()) - set(int(k) for k in class_weight))
    if unknown:
        raise ValueError(f"class_weight has no weight for class {unknown[0]} (it gives weights for classes "
                         f"{sorted(int(k) for k in class_weight)}); give every class in y a weight")
    table = {int(key): float(value) for key, value in class_weight.items()}
    return np.array([table[int(c)] for c in classes])
