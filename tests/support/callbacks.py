"""What the callback tests share: a small model trained for real, and a way to run a
callback, minigraph's or Keras 2's (tf_keras), through a scripted series of epoch logs."""

from __future__ import annotations

import numpy as np

from minigraph.keras import optimizers
from minigraph.keras.layers import Dense
from minigraph.keras.models import Sequential


def small_model(rows: int = 40, learning_rate: float = 0.01, metrics=("accuracy",)):
    """A compiled 4 -> 8 -> 3 softmax Sequential (SGD) and (x, y) of `rows` rows."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, rows)]
    model = Sequential([Dense(8, activation="relu", input_shape=(4,)), Dense(3, activation="softmax")])
    model.compile(optimizers.SGD(learning_rate=learning_rate), "categorical_crossentropy", metrics=list(metrics))
    return model, x, y


def keras2_model(learning_rate: float = 0.01):
    """The same network in Keras 2 (tf_keras), compiled with its SGD."""
    import tf_keras

    model = tf_keras.Sequential([tf_keras.layers.Dense(8, activation="relu", input_shape=(4,)),
                                 tf_keras.layers.Dense(3, activation="softmax")])
    model.compile(tf_keras.optimizers.SGD(learning_rate=learning_rate), "categorical_crossentropy")
    return model


def scripted_epochs(callback, model, logs_per_epoch: list[dict]) -> list[int]:
    """Runs `callback` as fit would through these epoch logs, stopping when it asks;
    returns the epochs that ran. The logs dicts are the ones the callback saw."""
    callback.set_model(model)
    callback.set_params({"epochs": len(logs_per_epoch), "steps": 1, "verbose": 0})
    model.stop_training = False
    callback.on_train_begin({})
    ran = []
    for epoch, logs in enumerate(logs_per_epoch):
        callback.on_epoch_begin(epoch, {})
        callback.on_epoch_end(epoch, logs)
        ran.append(epoch)
        if model.stop_training:
            break
    callback.on_train_end({})
    return ran
