"""Where the epoch logs go: ``History`` keeps them, ``CSVLogger`` writes them to a file.

``fit`` ends each epoch with one logs dict, ``{'loss': 0.31, 'accuracy': 0.91,
'val_loss': 0.35, 'val_accuracy': 0.90}``. ``History`` (which ``fit`` returns) appends
each value to a list per name, so ``history.history['val_loss']`` is a learning
curve. ``CSVLogger`` writes one row per epoch, as Keras 2 does: the header is
``epoch`` then the names in sorted order (with the ``val_`` twins of each when the
first epoch had no validation), and a value the logs lack is written ``NA``.

``BaseLogger`` is Keras 2's averager of batch logs, kept for programs that name it.
minigraph's ``fit`` does not need it: its batch logs are already the means over the
epoch so far.
"""

from __future__ import annotations

import csv
import os

import numpy as np

from minigraph.keras.callbacks.base import Callback


class History(Callback):
    """Collects each epoch's logs: history.history = {'loss': [...], 'val_loss': [...], ...}."""

    def __init__(self):
        super().__init__()
        self.epoch: list[int] = []
        self.history: dict[str, list] = {}

    def on_train_begin(self, logs=None):
        self.epoch = []  # as Keras 2: a second fit starts the epochs again, the curves go on

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


class BaseLogger(Callback):
    """Averages batch logs over an epoch, each batch weighted by logs['size'] (Keras 2's)."""

    def __init__(self, stateful_metrics=None):
        super().__init__()
        self.stateful_metrics = set(stateful_metrics or ())

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = 0
        self.totals: dict = {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        size = logs.get("size", 0) * logs.get("num_steps", 1)
        self.seen += size
        for key, value in logs.items():
            if key in self.stateful_metrics:
                self.totals[key] = value
            else:
                self.totals[key] = self.totals.get(key, 0) + value * size

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for key in self.params.get("metrics", self.totals):
            if key in self.totals:
                logs[key] = self.totals[key] if key in self.stateful_metrics else self.totals[key] / self.seen


class CSVLogger(Callback):
    """Writes each epoch's logs as a row of a CSV file (separator: one character)."""

    def __init__(self, filename, separator: str = ",", append: bool = False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: separator must be one character, got {separator!r}")
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys: list[str] | None = None
        self.writer = None
        self.csv_file = None

    def on_train_begin(self, logs=None):
        # appending to a file that has a header already: no second header
        self.append_header = not (self.append and os.path.exists(self.filename) and os.path.getsize(self.filename))
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(key.startswith("val_") for key in self.keys):
                self.keys += ["val_" + key for key in self.keys]
        if self.writer is None:
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, delimiter=self.sep)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()  # a row per epoch on disk, for whoever watches the file

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.writer = None


def cell(value):
    """A log value as a CSV cell: a number as is, a list or array as "[1, 2]"."""
    if isinstance(value, str) or np.ndim(value) == 0:
        return value
    return f"\"[{', '.join(map(str, value))}]\""
