"""The job as the worksheet writes it, in minigraph: Sequential, compile, fit (metrics on).

The epoch is timed by a callback, from on_epoch_begin to on_epoch_end: fit's
shuffle, its batches, and the accuracy metric it computes on every batch.
"""

from __future__ import annotations

import minigraph
from benchmarks.jobs.clock import EpochClock
from benchmarks.jobs.data import Data
from minigraph.keras.callbacks import Callback
from minigraph.keras.layers import Activation, Dense
from minigraph.keras.models import Sequential


def version() -> str:
    return f"minigraph {minigraph.__version__}"


class EpochTimer(Callback):
    """Times each epoch, from on_epoch_begin to on_epoch_end."""

    def __init__(self):
        super().__init__()
        self.clock = EpochClock()

    def on_epoch_begin(self, epoch, logs=None):
        self.clock.start()

    def on_epoch_end(self, epoch, logs=None):
        self.clock.stop()


def train(data: Data, batch_size: int, hidden: int, epochs: int, warmup_steps: int):
    model = Sequential([Dense(hidden, input_shape=(data.x.shape[1],)), Activation("relu"),
                        Dense(data.y.shape[1]), Activation("softmax")])
    model.set_weights(data.weights(hidden))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    rows = data.warmup_rows(batch_size, warmup_steps)
    if rows:
        model.fit(data.x[:rows], data.y[:rows], batch_size=batch_size, epochs=1, verbose=0)
    timer = EpochTimer()
    model.fit(data.x, data.y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[timer])
    return timer.clock, model.get_weights()
