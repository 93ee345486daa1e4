"""The worksheet's compile and fit, as minigraph's job and Keras's both run them.

One program, two libraries: the model is built with each library's own layers, and
from there on the calls are the same, so the same function drives both. The epoch is
timed by a callback, from on_epoch_begin to on_epoch_end: fit's shuffle, its batches,
and the accuracy metric it computes on every batch. A warm-up fit first lets Keras
trace its train step into a tf.function and minigraph plan its run.
"""

from __future__ import annotations

from benchmarks.jobs.clock import EpochClock, TimesEpochs
from benchmarks.jobs.data import Data


def compile_and_fit(model, callback_class: type, data: Data, batch_size: int, hidden: int, epochs: int,
                    warmup_steps: int):
    """Sets the initial weights, compiles as the worksheet does, fits; returns (EpochClock, final weights)."""

    class EpochTimer(TimesEpochs, callback_class):
        def __init__(self):
            super().__init__()
            self.clock = EpochClock()

    model.set_weights(data.weights(hidden))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    rows = data.warmup_rows(batch_size, warmup_steps)
    if rows:
        model.fit(data.x[:rows], data.y[:rows], batch_size=batch_size, epochs=1, verbose=0)
    timer = EpochTimer()
    model.fit(data.x, data.y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[timer])
    return timer.clock, model.get_weights()
