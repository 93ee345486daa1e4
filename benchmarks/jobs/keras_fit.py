"""The job in Keras 3 on TensorFlow (CPU): the same Sequential, compile and fit as minigraph's."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks.jobs.data import Data  # noqa: E402
from benchmarks.jobs.worksheet_fit import compile_and_fit  # noqa: E402


def version() -> str:
    return (f"Keras {keras.__version__}, TensorFlow {tf.__version__} "
            f"({tf.config.threading.get_intra_op_parallelism_threads() or 'all'} threads)")


def limit_threads(threads: int) -> None:
    """TensorFlow's own thread pools: one for the ops inside one op, one for ops side by side."""
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def train(data: Data, batch_size: int, hidden: int, epochs: int, warmup_steps: int):
    model = keras.Sequential([keras.Input(shape=(data.x.shape[1],)), keras.layers.Dense(hidden),
                              keras.layers.Activation("relu"), keras.layers.Dense(data.y.shape[1]),
                              keras.layers.Activation("softmax")])
    return compile_and_fit(model, keras.callbacks.Callback, data, batch_size, hidden, epochs, warmup_steps)
