"""``TensorBoard``: each epoch's numbers (and the graph) written for TensorBoard to draw.

The callback is a user of ``mg.summary``'s event writer (summary/writer.py), laid out
as Keras 2 lays out its log directory, so ``tensorboard --logdir logs`` shows the
same runs and tags::

    logs/train/       epoch_loss, epoch_accuracy, ...      one point per epoch
                      batch_loss, ...                      with update_freq='batch' or n
                      dense/kernel_0/histogram, ...        with histogram_freq=n
                      the graph                            with write_graph=True
    logs/validation/  epoch_loss, epoch_accuracy, ...      the val_ numbers, prefix dropped
                      evaluation_loss_vs_iterations, ...   the same, against the step count

The values are plain ``Summary`` protos built here from numbers (no summary ops are
added to the model's graph: the numbers are already in the logs), so writing costs
nothing while the graph runs. Histograms use TF's buckets (summary/histogram.py).
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np

from minigraph.keras import backend as K
from minigraph.keras.callbacks.base import Callback
from minigraph.summary import FileWriter
from minigraph.summary.histogram import histogram
from minigraph.summary.tensorboard import summary_pb2

# Keras 1's arguments that Keras 2 still takes and ignores, with a warning
IGNORED_ARGUMENTS = ("write_grads", "batch_size", "embeddings_layer_names", "embeddings_data")


class TensorBoard(Callback):
    """Writes the epoch logs, optionally batch logs, weight histograms and the graph, to `log_dir`."""

    def __init__(self, log_dir="logs", histogram_freq: int = 0, write_graph: bool = True,
                 write_images: bool = False, write_steps_per_second: bool = False, update_freq="epoch",
                 profile_batch=0, embeddings_freq: int = 0, embeddings_metadata=None, **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(IGNORED_ARGUMENTS))
        if unknown:
            raise ValueError(f"Unrecognized arguments in `TensorBoard` Callback: {unknown}. "
                             f"Supported kwargs are: {list(IGNORED_ARGUMENTS)}")
        for name in kwargs:
            warnings.warn(f"TensorBoard: `{name}` is ignored (as in Keras 2 on TensorFlow 2)", stacklevel=2)
        for name, value, default in (("write_images", write_images, False), ("profile_batch", profile_batch, 0),
                                     ("embeddings_freq", embeddings_freq, 0)):
            if value != default:
                raise NotImplementedError(f"TensorBoard({name}={value!r}) is not implemented in minigraph: it "
                                          "writes scalars, weight histograms and the graph")
        if update_freq != "epoch" and update_freq != "batch" and not (isinstance(update_freq, int)
                                                                      and update_freq > 0):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive number of "
                             f"batches, got {update_freq!r}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers: dict[str, FileWriter] = {}
        self._train_step = 0  # batches trained, over all epochs: the x axis of batch and evaluation curves

    # --- the two runs, train and validation, each a folder with its own event file ---
    def _writer(self, run: str) -> FileWriter:
        if run not in self._writers:  # made on first use: no empty validation folder without validation
            self._writers[run] = FileWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _write_scalars(self, run: str, values: dict, step: int) -> None:
        summary = summary_pb2().Summary()
        for tag, value in values.items():
            summary.value.add(tag=tag, simple_value=float(value))
        self._writer(run).add_summary(summary, step)

    # --- the hooks ---
    def on_train_begin(self, logs=None):
        self._train_step = 0
        if self.write_graph:
            self._writer("train").add_graph(K.get_graph())

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_started = time.perf_counter()
        self._epoch_first_step = self._train_step

    def on_train_batch_end(self, batch, logs=None):
        self._train_step += 1
        if self.update_freq != "epoch" and self._train_step % self.update_freq == 0:
            self._write_scalars("train", {f"batch_{k}": v for k, v in numbers(logs).items()}, self._train_step)

    def on_epoch_end(self, epoch, logs=None):
        values = numbers(logs)
        train = {f"epoch_{k}": v for k, v in values.items() if not k.startswith("val_")}
        if self.write_steps_per_second:
            seconds = time.perf_counter() - self._epoch_started
            train["epoch_steps_per_second"] = (self._train_step - self._epoch_first_step) / max(seconds, 1e-9)
        self._write_scalars("train", train, epoch)
        validation = {k[len("val_"):]: v for k, v in values.items() if k.startswith("val_")}
        if validation:
            self._write_scalars("validation", {f"epoch_{k}": v for k, v in validation.items()}, epoch)
            self._write_scalars("validation", {f"evaluation_{k}_vs_iterations": v for k, v in validation.items()},
                                self._train_step)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(epoch)
        for writer in self._writers.values():
            writer.flush()  # an epoch's points visible in TensorBoard now, not at the end

    def _write_histograms(self, epoch: int) -> None:
        summary = summary_pb2().Summary()
        for variable, value in zip(self.model.weights, self.model.get_weights()):
            # TF's tag for variable 'dense/kernel:0'
            tag = f"{variable.op.name}_0/histogram"
            summary.value.add(tag=tag, histo=summary_pb2().HistogramProto(**histogram(value)))
        self._writer("train").add_summary(summary, epoch)

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def numbers(logs) -> dict:
    """The entries of `logs` that are single numbers (a curve cannot plot anything else)."""
    return {key: value for key, value in (logs or {}).items() if np.ndim(value) == 0 and not isinstance(value, str)}
