"""Callbacks that change the learning rate while ``fit`` runs.

The rate is a variable of the Keras graph (``model.optimizer.lr``), read by the
optimizer's update nodes at every step. So a callback changes it like any other
variable, and the very next step uses the new value::

    K.set_value(model.optimizer.lr, 0.01)

``LearningRateScheduler(schedule)`` sets it before each epoch to ``schedule(epoch,
lr)`` (or ``schedule(epoch)``). ``ReduceLROnPlateau`` multiplies it by ``factor``
once the watched number has not improved for ``patience`` epochs, then waits
``cooldown`` epochs before it counts again, never going below ``min_lr``. Both write
the rate into the epoch logs as ``lr``, as Keras 2 does, so History and the progress
bar show it.
"""

from __future__ import annotations

import inspect

import numpy as np

from minigraph.keras import backend as K
from minigraph.keras.callbacks.base import Callback
from minigraph.keras.callbacks.monitor import monitored_value, resolve_mode


def learning_rate_of(model, owner: str):
    """The optimizer's learning-rate variable, or a clear error if it has none."""
    optimizer = getattr(model, "optimizer", None)
    if not hasattr(optimizer, "lr"):
        raise ValueError(f'{owner}: Optimizer must have a "lr" attribute; model {getattr(model, "name", model)} '
                         f"has optimizer {optimizer!r} (compile() the model first)")
    return optimizer.lr


def takes_two_arguments(function) -> bool:
    """Whether schedule(epoch, lr) can be called, rather than the older schedule(epoch)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: try the newer form
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


class LearningRateScheduler(Callback):
    """Sets the learning rate to schedule(epoch, lr) at the start of every epoch."""

    def __init__(self, schedule, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be a function of (epoch, lr), got {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        variable = learning_rate_of(self.model, "LearningRateScheduler")
        if takes_two_arguments(self.schedule):
            lr = self.schedule(epoch, float(K.get_value(variable)))
        else:
            lr = self.schedule(epoch)
        # Keras 2 takes floats only: an int (or None) returned by mistake is named, not truncated
        if not isinstance(lr, (float, np.floating)):
            raise ValueError(f'The output of the "schedule" function should be float. Got: {lr!r} '
                             f"(type {type(lr).__name__}) for epoch {epoch}")
        K.set_value(variable, lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = K.get_value(learning_rate_of(self.model, "LearningRateScheduler"))


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by `factor` when `monitor` stops improving (Keras 2's rule)."""

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0, **kwargs):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Got {factor}")
        if "epsilon" in kwargs:  # Keras 2's old name of min_delta
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected arguments {sorted(kwargs)}")
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self._reset()

    def _reset(self) -> None:
        self.direction = resolve_mode(self.mode, "Learning rate reduction", "acc" in self.monitor)
        self.best = -np.inf if self.direction == "max" else np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def _is_improvement(self, value, best) -> bool:
        if self.direction == "max":
            return bool(np.greater(value, best + self.min_delta))
        return bool(np.less(value, best - self.min_delta))

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        variable = learning_rate_of(self.model, "ReduceLROnPlateau")
        logs["lr"] = K.get_value(variable)
        current = monitored_value(logs, self.monitor, "Learning rate reduction")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = K.get_value(variable)
                if old_lr > np.float32(self.min_lr):  # the rate is float32: compare it as one
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    K.set_value(variable, new_lr)
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
