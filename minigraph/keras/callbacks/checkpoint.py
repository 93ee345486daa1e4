"""``ModelCheckpoint``: save the model (or its weights) as training goes.

After each epoch (or every ``save_freq`` batches) the callback fills the file name
with the epoch number and the epoch logs, Python's ``str.format`` doing the work::

    ModelCheckpoint("ckpt/weights.{epoch:02d}-{val_loss:.2f}.npz", save_weights_only=True)
    # epoch 3 with val_loss 0.4127  ->  ckpt/weights.03-0.41.npz

and calls ``model.save(path)`` or, with ``save_weights_only``, ``model.save_weights(path)``.
``save_best_only`` saves only when the watched number (``monitor``) beats the best so
far (mode min/max/auto, see monitor.py); with a name that has no ``{...}`` in it,
the one file then always holds the best model. Epochs count from 1 in names and
messages, as in Keras 2.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from minigraph.keras.callbacks.base import Callback
from minigraph.keras.callbacks.monitor import resolve_mode


class ModelCheckpoint(Callback):
    """Saves the model or its weights at the end of every epoch or `save_freq` batches."""

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto", save_freq="epoch", options=None,
                 initial_value_threshold: float | None = None, period: int = 1):
        super().__init__()
        if options is not None:
            raise NotImplementedError(f"ModelCheckpoint(options={options!r}) is not implemented in minigraph: "
                                      "TensorFlow's checkpoint and SavedModel options have no counterpart here")
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are 'epoch' or "
                             "a positive integer (a number of batches)")
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.period = period  # Keras 2's older argument: save every `period` epochs
        self.mode = resolve_mode(mode, "ModelCheckpoint", "acc" in monitor or monitor.startswith("fmeasure"))
        if initial_value_threshold is not None:
            self.best = initial_value_threshold
        else:
            self.best = -np.inf if self.mode == "max" else np.inf
        self.epochs_since_last_save = 0
        self._batches_since_last_save = 0
        self._current_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_last_save += 1
        if self._batches_since_last_save >= self.save_freq:
            self._batches_since_last_save = 0
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_since_last_save += 1
        if self.save_freq == "epoch" and self.epochs_since_last_save >= self.period:
            self._save(epoch, None, logs)

    def file_path(self, epoch: int, batch: int | None, logs) -> str:
        """The file name filled in: {epoch} counts from 1, {batch} too, the rest from the logs."""
        fields = dict(logs or {})
        fields["epoch"] = epoch + 1
        if batch is not None:
            fields.setdefault("batch", batch + 1)
        try:
            return self.filepath.format(**fields)
        except (KeyError, IndexError, ValueError) as error:
            # a KeyError, as Keras 2 raises; its message is args[0] (str() of a KeyError adds quotes)
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: '
                           f"{type(error).__name__}: {error}; the names it can use are "
                           f"{', '.join(sorted(fields))}") from error

    def _save(self, epoch: int, batch: int | None, logs) -> None:
        self.epochs_since_last_save = 0
        filepath = self.file_path(epoch, batch, logs)
        if os.path.isdir(filepath):
            raise IsADirectoryError(f"Please specify a non-directory filepath for ModelCheckpoint. "
                                    f"Filepath used is an existing directory: {filepath}")
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if not self.save_best_only:
            self._say(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            self._write(filepath)
            return
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available, skipping.", stacklevel=2)
        elif np.greater(current, self.best) if self.mode == "max" else np.less(current, self.best):
            self._say(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, "
                      f"saving model to {filepath}")
            self.best = current
            self._write(filepath)
        else:
            self._say(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")

    def _write(self, filepath: str) -> None:
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)

    def _say(self, message: str) -> None:
        if self.verbose > 0:
            print(message)
