"""The job in Keras 3 on TensorFlow (CPU): the same Sequential, compile and fit as minigraph's.

The warm-up fit traces Keras's train step into a tf.function; the timed fit reuses it.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks.jobs.clock import EpochClock
from benchmarks.jobs.data import Data  # noqa: E402


def version() -> str:
    return (f"Keras {keras.__version__}, TensorFlow {tf.__version__} "
            f"({tf.config.threading.get_intra_op_parallelism_threads() or 'all'} threads)")


def limit_threads(threads: int) -> None:
    """TensorFlow's own thread pools: one for the ops inside one op, one for ops side by side."""
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


class EpochTimer(keras.callbacks.Callback):
    """Times each epoch, from on_epoch_begin to on_epoch_end."""

    def __init__(self):
        super().__init__()
        self.clock = EpochClock()

    def on_epoch_begin(self, epoch, logs=None):
        self.clock.start()

    def on_epoch_end(self, epoch, logs=None):
        self.clock.stop()


def train(data: Data, batch_size: int, hidden: int, epochs: int, warmup_steps: int):
    model = keras.Sequential([keras.Input(shape=(data.x.shape[1],)), keras.layers.Dense(hidden),
                              keras.layers.Activation("relu"), keras.layers.Dense(data.y.shape[1]),
                              keras.layers.Activation("softmax")])
    model.set_weights(data.weights(hidden))
    model.compile(optimizer=keras.optimizers.Adam(), loss="categorical_crossentropy", metrics=["accuracy"])
    rows = data.warmup_rows(batch_size, warmup_steps)
    if rows:
        model.fit(data.x[:rows], data.y[:rows], batch_size=batch_size, epochs=1, verbose=0)
    timer = EpochTimer()
    model.fit(data.x, data.y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[timer])
    return timer.clock, model.get_weights()
