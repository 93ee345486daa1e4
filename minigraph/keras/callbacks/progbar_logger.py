"""``ProgbarLogger``: the callback that draws a Progbar for each epoch of ``fit``.

It turns the hooks into Progbar calls, as Keras 2's does::

    on_epoch_begin       'Epoch 3/5' (when there is more than one epoch), a new bar
    on_train_batch_end   bar.update(batch + 1, logs)        (verbose=1 only)
    on_epoch_end         bar.update(steps, epoch logs)      the finished line, val_ numbers too

``evaluate`` and ``predict`` draw theirs through the test and predict hooks; inside
``fit`` the validation pass stays silent. The values ``fit`` logs are already means
over the epoch so far, so the bar shows them as given (they are its
``stateful_metrics``, as all of a Keras 2 model's metrics are).
"""

from __future__ import annotations

import sys

from minigraph.keras.callbacks.base import Callback
from minigraph.keras.progbar import Progbar

COUNT_MODES = ("steps", "samples")


class ProgbarLogger(Callback):
    """Prints a Keras 2 progress bar per epoch; count_mode 'steps' (fit's) or 'samples'."""

    def __init__(self, count_mode: str = "samples", stateful_metrics=None, file=None):
        super().__init__()
        if count_mode not in COUNT_MODES:
            raise ValueError(f"Unknown `count_mode`: {count_mode!r}. Expected values are {list(COUNT_MODES)}")
        self.use_steps = count_mode == "steps"
        self.stateful_metrics = set(stateful_metrics or ())
        self.file = file
        self.progbar: Progbar | None = None
        self.seen = 0
        self.verbose, self.epochs, self.target = 1, 1, None
        self._in_fit = False

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps" if self.use_steps else "samples")

    def on_train_begin(self, logs=None):
        self._in_fit = True  # fit's validation pass draws nothing

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._new_bar()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", file=self.file or sys.stdout, flush=True)

    def on_train_batch_end(self, batch, logs=None):
        self._step(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._new_bar()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._step(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs=None):
        self._new_bar()

    def on_predict_batch_end(self, batch, logs=None):
        self._step(batch, None)  # the predictions themselves are not shown

    def on_predict_end(self, logs=None):
        self._finish(None)

    def _new_bar(self) -> None:
        self.seen = 0
        self.progbar = Progbar(self.target, verbose=self.verbose, unit_name="step" if self.use_steps else "sample",
                               stateful_metrics=self.stateful_metrics, file=self.file)

    def _values(self, logs) -> list:
        """The logs as the bar's (name, value) pairs, each shown as given (see the module docstring)."""
        logs = {key: value for key, value in (logs or {}).items() if key not in ("batch", "size", "num_steps")}
        self.progbar.stateful_metrics.update(logs)
        return list(logs.items())

    def _step(self, batch: int, logs) -> None:
        if self.progbar is None:
            self._new_bar()
        self.seen = batch + 1 if self.use_steps else self.seen + (logs or {}).get("size", 0)
        if self.verbose == 1:  # verbose=2 prints only the finished line
            self.progbar.update(self.seen, self._values(logs), finalize=False)

    def _finish(self, logs) -> None:
        if self.progbar is None:
            self._new_bar()
        if self.target is None:  # not known up front: whatever was counted is the whole
            self.target = self.progbar.target = self.seen
        self.progbar.update(self.target, self._values(logs), finalize=True)
