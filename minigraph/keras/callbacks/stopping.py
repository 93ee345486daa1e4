"""Stopping early: ``EarlyStopping`` when the watched number stops improving,
``TerminateOnNaN`` when the loss is no longer a number.

**EarlyStopping**, Keras 2's rule. After each epoch it reads ``logs[monitor]``; the
value *improves* when it beats the best so far by more than ``min_delta`` (lower is
better for a loss, higher for an accuracy: see monitor.py). ``wait`` counts the
epochs since the last improvement, and when it reaches ``patience`` the callback
sets ``model.stop_training = True``: fit ends after that epoch. So with patience=2
and val_loss 0.5, 0.4, 0.45, 0.41, training stops after the fourth epoch. With ``baseline``, an improvement only resets
``wait`` if it also beats the baseline. ``restore_best_weights`` keeps a copy of the
weights at each improvement and puts them back when training ends.
``start_from_epoch`` leaves the first epochs (warm-up) out.
"""

from __future__ import annotations

import math

import numpy as np

from minigraph.keras.callbacks.base import Callback
from minigraph.keras.callbacks.monitor import monitored_value, resolve_mode


class EarlyStopping(Callback):
    """Stops fit once `monitor` has not improved for `patience` epochs (Keras 2's arguments)."""

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        maximize = monitor.endswith(("acc", "accuracy", "auc"))
        self.mode = resolve_mode(mode, "EarlyStopping", maximize)
        # the delta is signed so that "better" is one comparison: value - min_delta beats the best
        self.min_delta = abs(min_delta) if self.mode == "max" else -abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None

    def _is_improvement(self, value, reference) -> bool:
        shifted = value - self.min_delta
        return bool(np.greater(shifted, reference) if self.mode == "max" else np.less(shifted, reference))

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = -np.inf if self.mode == "max" else np.inf
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = monitored_value(logs, self.monitor, "Early stopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # the first epoch watched is the best until one beats it, even under a baseline
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class TerminateOnNaN(Callback):
    """Stops training at the first batch whose loss is NaN or infinite."""

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
