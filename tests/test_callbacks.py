"""Callbacks (minigraph/keras/callbacks.py): what fit tells them, in which order, with
which logs; a CallbackList passes each hook to every callback in turn."""

import numpy as np
import pytest

from minigraph.examples.worksheet import build_model
from minigraph.keras.callbacks import Callback, CallbackList, History
from minigraph.keras.utils import to_categorical


class Recorder(Callback):
    """Writes down every hook fit calls, with a copy of its logs."""

    def __init__(self, calls: list, tag: str = ""):
        super().__init__()
        self.calls, self.tag = calls, tag

    def _note(self, hook, index=None, logs=None):
        self.calls.append((self.tag + hook, index, None if logs is None else dict(logs)))

    def on_train_begin(self, logs=None):
        self._note("train_begin", logs=logs)

    def on_train_end(self, logs=None):
        self._note("train_end", logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._note("epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        self._note("epoch_end", epoch, logs=logs)
        logs["scribbled"] = True  # reaches the callbacks after it, as in Keras 2

    def on_train_batch_end(self, batch, logs=None):
        self._note("batch_end", batch, logs=logs)


def small_model_and_data(rows: int):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 60)).astype(np.float32)
    y = to_categorical(rng.integers(0, 10, size=rows), 10)
    model = build_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model, x, y


def test_fit_calls_every_hook_in_order_with_the_running_logs():
    model, x, y = small_model_and_data(rows=50)
    calls = []
    recorder = Recorder(calls)
    history = model.fit(x, y, batch_size=20, epochs=2, validation_split=0.2, verbose=0, callbacks=[recorder])

    # 40 training rows in batches of 20, 20, then the 10 validation rows
    assert [(hook, index) for hook, index, _ in calls] == [
        ("train_begin", None),
        ("epoch_begin", 0), ("batch_end", 0), ("batch_end", 1), ("epoch_end", 0),
        ("epoch_begin", 1), ("batch_end", 0), ("batch_end", 1), ("epoch_end", 1),
        ("train_end", None),
    ]  # fmt: skip
    assert recorder.model is model
    assert {"epochs": 2, "steps": 2, "verbose": 0}.items() <= recorder.params.items()
    batch_logs = [logs for hook, _, logs in calls if hook == "batch_end"]
    assert all(set(logs) == {"loss", "accuracy"} for logs in batch_logs)
    epoch_logs = [logs for hook, _, logs in calls if hook == "epoch_end"]
    # an epoch's logs are its last batch's running means, plus the validation numbers
    for epoch, logs in enumerate(epoch_logs):
        assert logs["loss"] == batch_logs[2 * epoch + 1]["loss"]
        assert set(logs) == {"loss", "accuracy", "val_loss", "val_accuracy"}  # copied before the scribble
        assert history.history["val_loss"][epoch] == logs["val_loss"]
    assert history.history["scribbled"] == [True, True]  # History, after the recorder, shares its logs


def test_a_callback_list_calls_callbacks_in_the_order_given():
    calls = []
    first, second = Recorder(calls, "first."), Recorder(calls, "second.")
    callbacks = CallbackList([first, second], model="the model", epochs=1)
    callbacks.on_epoch_begin(0)
    callbacks.on_epoch_end(0, {"loss": 1.0})
    assert calls == [
        ("first.epoch_begin", 0, {}), ("second.epoch_begin", 0, {}),
        ("first.epoch_end", 0, {"loss": 1.0}), ("second.epoch_end", 0, {"loss": 1.0, "scribbled": True}),
    ]  # fmt: skip
    assert first.model == second.model == "the model" and first.params == {"epochs": 1}


def test_fit_refuses_what_is_not_a_callback():
    model, x, y = small_model_and_data(rows=10)
    before = model.get_weights()
    with pytest.raises(TypeError, match=r"callbacks must be Callback instances, got <function"):
        model.fit(x, y, verbose=0, callbacks=[lambda epoch, logs: None])
    for ours, saved in zip(model.get_weights(), before):
        np.testing.assert_array_equal(ours, saved)


def test_history_collects_each_epochs_logs():
    history = History()
    history.on_epoch_end(0, {"loss": 2.0, "accuracy": 0.5})
    history.on_epoch_end(1, {"loss": 1.0, "accuracy": 0.75})
    assert history.epoch == [0, 1]
    assert history.history == {"loss": [2.0, 1.0], "accuracy": [0.5, 0.75]}
