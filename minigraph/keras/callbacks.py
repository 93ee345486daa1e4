"""Callbacks: code that ``fit`` calls at the edges of training, epochs and batches.

``History`` records each epoch's logs (``history.history["val_accuracy"]``).
``ProgbarLogger`` draws Keras's progress display with tqdm, which looks right both
in a terminal and in Jupyter::

    Epoch 1/5
    1563/1563 [==============================] 0:02 1ms/step - loss: 0.4402 - accuracy: 0.8779 - val_loss: ...

A callback subclasses ``Callback`` and overrides the hooks it needs. ``fit`` holds
its callbacks in one ``CallbackList`` and calls each hook once on the list, which
passes it on to every callback in order (as Keras does).
"""

from __future__ import annotations

import sys
import time

try:  # Jupyter's widget bar needs ipywidgets; without it tqdm.auto warns, so use text
    import ipywidgets  # noqa: F401
    from tqdm.auto import tqdm
except ImportError:
    from tqdm.std import tqdm


class Callback:
    """Hooks fit() calls; `self.model` is the model being trained."""

    def __init__(self):
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None): ...

    def on_train_end(self, logs=None): ...

    def on_epoch_begin(self, epoch: int, logs=None): ...

    def on_epoch_end(self, epoch: int, logs=None): ...

    def on_train_batch_end(self, batch: int, logs=None): ...


class CallbackList:
    """The callbacks of one ``fit``, called together: ``callbacks.on_epoch_end(epoch, logs)``
    calls ``on_epoch_end`` of each callback, in the order given."""

    def __init__(self, callbacks, model, params: dict):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {callback!r}")
            callback.set_model(model)
            callback.set_params(params)

    def on_train_begin(self, logs=None):
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs=None):
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_epoch_begin(self, epoch: int, logs=None):
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs=None):
        for callback in self.callbacks:
            # a copy each: a callback that edits its logs must not change the next one's
            callback.on_epoch_end(epoch, dict(logs or {}))

    def on_train_batch_end(self, batch: int, logs=None):
        for callback in self.callbacks:
            callback.on_train_batch_end(batch, logs)


class History(Callback):
    """Collects each epoch's logs: history.history = {'loss': [...], 'val_loss': [...], ...}."""

    def __init__(self):
        super().__init__()
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


def format_logs(logs: dict) -> str:
    """' - loss: 0.4402 - accuracy: 0.8779', as Keras prints metrics."""
    return "".join(f" - {key}: {value:.4f}" for key, value in logs.items())


def format_step_time(seconds: float) -> str:
    """Time per step the way Keras prints it: 850us/step, 12ms/step, 1s/step."""
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class ProgbarLogger(Callback):
    """verbose=1: a progress bar per epoch; verbose=2: one line per epoch."""

    # refresh the running numbers at most this often (formatting them costs more than a step)
    refresh_seconds = 0.1

    def __init__(self, verbose: int = 1, file=None):
        super().__init__()
        self.verbose = verbose
        self.file = file or sys.stdout
        self.bar = None

    def on_epoch_begin(self, epoch, logs=None):
        print(f"Epoch {epoch + 1}/{self.params['epochs']}", file=self.file, flush=True)
        self.started = self.last_refresh = time.perf_counter()
        self.steps_done = 0
        if self.verbose == 1:
            self.bar = tqdm(total=self.params["steps"], file=self.file, ascii=" >=",
                            mininterval=self.refresh_seconds, bar_format=self._bar_format(""))

    def on_train_batch_end(self, batch, logs=None):
        self.steps_done = batch + 1
        if self.bar is None:
            return
        now = time.perf_counter()
        if now - self.last_refresh >= self.refresh_seconds:
            self.last_refresh = now
            self.bar.bar_format = self._bar_format(self._status(now, logs))
        self.bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        status = self._status(time.perf_counter(), logs)
        if self.bar is not None:
            self.bar.bar_format = self._bar_format(status)
            self.bar.close()
            self.bar = None
        elif self.verbose == 2:
            elapsed = time.perf_counter() - self.started
            print(f"{self.steps_done}/{self.params['steps']} - {elapsed:.0f}s{status}", file=self.file, flush=True)

    @staticmethod
    def _bar_format(status: str) -> str:
        # the status is text, not a format template: braces in it are escaped
        return "{n_fmt}/{total_fmt} [{bar:30}] {elapsed}" + status.replace("{", "{{").replace("}", "}}")

    def _status(self, now: float, logs) -> str:
        per_step = (now - self.started) / max(self.steps_done, 1)
        return f" {format_step_time(per_step)}{format_logs(logs or {})}"
