"""Callbacks (minigraph/keras/callbacks/): what fit, evaluate and predict tell them, in
which order, with which logs; a CallbackList passes each hook to every callback in
turn; History, LambdaCallback and CSVLogger (the others have a test file each)."""

import numpy as np
import pytest

from minigraph.examples.worksheet import build_model
from minigraph.keras.callbacks import BaseLogger, Callback, CallbackList, CSVLogger, History, LambdaCallback
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


def test_the_older_batch_hook_names_still_hear_training_batches():
    class Counter(Callback):  # overrides on_batch_end, Keras 2's older name
        def __init__(self):
            super().__init__()
            self.batches = []

        def on_batch_end(self, batch, logs=None):
            self.batches.append(batch)

    model, x, y = small_model_and_data(rows=50)
    counter = Counter()
    model.fit(x, y, batch_size=20, epochs=2, verbose=0, callbacks=[counter])
    assert counter.batches == [0, 1, 2, 0, 1, 2]
    CallbackList([counter]).on_batch_end(7)  # a CallbackList's on_batch_end is the training batch hook
    assert counter.batches[-1] == 7


def test_evaluate_and_predict_call_their_hooks():
    model, x, y = small_model_and_data(rows=50)
    calls = []

    class TestAndPredict(Callback):
        def on_test_begin(self, logs=None):
            calls.append("test_begin")

        def on_test_batch_end(self, batch, logs=None):
            calls.append(("test_batch", batch, sorted(logs)))

        def on_test_end(self, logs=None):
            calls.append(("test_end", sorted(logs)))

        def on_predict_begin(self, logs=None):
            calls.append("predict_begin")

        def on_predict_batch_end(self, batch, logs=None):
            calls.append(("predict_batch", batch))

        def on_predict_end(self, logs=None):
            calls.append("predict_end")

    model.evaluate(x, y, batch_size=25, verbose=0, callbacks=[TestAndPredict()])
    model.predict(x, batch_size=25, verbose=0, callbacks=[TestAndPredict()])
    assert calls == ["test_begin", ("test_batch", 0, ["accuracy", "loss"]), ("test_batch", 1, ["accuracy", "loss"]),
                     ("test_end", ["accuracy", "loss"]),
                     "predict_begin", ("predict_batch", 0), ("predict_batch", 1), "predict_end"]


def test_history_is_the_models_and_a_second_fit_counts_its_epochs_again():
    model, x, y = small_model_and_data(rows=20)
    first = model.fit(x, y, epochs=2, verbose=0)
    assert model.history is first and first.epoch == [0, 1]
    second = model.fit(x, y, epochs=1, verbose=0)
    assert model.history is second and second.epoch == [0] and len(second.history["loss"]) == 1


# --- LambdaCallback --------------------------------------------------------------------
def test_lambda_callback_calls_each_function_at_its_hook():
    model, x, y = small_model_and_data(rows=50)
    calls = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
        on_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch)),
        on_batch_end=lambda batch, logs: calls.append(("batch_end", batch, round(logs["loss"], 6) > 0)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: calls.append("train_end"),
        on_test_begin=lambda logs: calls.append("test_begin"),  # any hook, by name, as Keras 2 allows
    )
    model.fit(x, y, batch_size=25, epochs=1, validation_split=0.2, verbose=0, callbacks=[callback])
    assert calls == ["train_begin", ("epoch_begin", 0),
                     ("batch_begin", 0), ("batch_end", 0, True), ("batch_begin", 1), ("batch_end", 1, True),
                     "test_begin", ("epoch_end", 0, ["accuracy", "loss", "val_accuracy", "val_loss"]),
                     "train_end"]


def test_lambda_callback_refuses_what_is_not_a_hook():
    with pytest.raises(ValueError, match=r"LambdaCallback: 'on_epoch_finish' is not a callback hook"):
        LambdaCallback(on_epoch_finish=print)
    with pytest.raises(TypeError, match=r"LambdaCallback: on_epoch_end must be a function, got 3"):
        LambdaCallback(on_epoch_end=3)


# --- CSVLogger --------------------------------------------------------------------------
SCRIPTED_LOGS = [{"loss": 0.5, "accuracy": 0.25}, {"loss": 0.25, "accuracy": 0.75, "val_loss": 0.125},
                 {"loss": 0.125, "accuracy": np.float32(1.0), "lr": np.array([0.1, 0.2])}]


def run_csv_logger(logger, model) -> None:
    logger.set_model(model)
    logger.on_train_begin({})
    for epoch, logs in enumerate(SCRIPTED_LOGS):
        logger.on_epoch_end(epoch, dict(logs))
    logger.on_train_end({})


@pytest.mark.parametrize("separator", [",", ";"])
def test_csv_logger_writes_the_file_keras_2_writes(tmp_path, separator):
    from tf_keras.callbacks import CSVLogger as Keras2CSVLogger

    for name, logger in (("keras.csv", Keras2CSVLogger), ("ours.csv", CSVLogger)):
        for append in (False, True):  # a second run appends its rows, without a second header
            run_csv_logger(logger(str(tmp_path / name), separator=separator, append=append), model="a model")
    ours = (tmp_path / "ours.csv").read_text()
    assert ours == (tmp_path / "keras.csv").read_text()
    # the first epoch's names, sorted, with a val_ twin each (the first epoch had no validation)
    assert ours.splitlines()[0] == separator.join(["epoch", "accuracy", "loss", "val_accuracy", "val_loss"])
    assert ours.splitlines()[1] == separator.join(["0", "0.25", "0.5", "NA", "NA"])
    assert len(ours.splitlines()) == 7


def test_csv_logger_in_a_real_fit(tmp_path):
    model, x, y = small_model_and_data(rows=50)
    path = tmp_path / "log.csv"
    history = model.fit(x, y, epochs=3, validation_split=0.2, verbose=0, callbacks=[CSVLogger(str(path))])
    rows = [line.split(",") for line in path.read_text().splitlines()]
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [int(row[0]) for row in rows[1:]] == [0, 1, 2]
    assert [float(row[4]) for row in rows[1:]] == history.history["val_loss"]


def test_base_logger_averages_batches_by_their_size_as_keras_2():
    from tf_keras.callbacks import BaseLogger as Keras2BaseLogger

    results = []
    for logger in (BaseLogger(stateful_metrics=["lr"]), Keras2BaseLogger(stateful_metrics=["lr"])):
        logger.set_params({"metrics": ["loss", "acc", "lr"]})
        logger.on_epoch_begin(0)
        logger.on_batch_end(0, {"size": 32, "loss": 2.0, "acc": 0.5, "lr": 0.1})
        logger.on_batch_end(1, {"size": 8, "loss": 1.0, "acc": 1.0, "lr": 0.05})
        logs = {}
        logger.on_epoch_end(0, logs)
        results.append(logs)
    assert results[0] == results[1] == {"loss": 1.8, "acc": 0.6, "lr": 0.05}  # (32*2 + 8*1) / 40; lr as given


def test_one_callback_needs_no_list_and_a_number_is_refused():
    model, x, y = small_model_and_data(rows=20)
    history = History()
    assert model.fit(x, y, epochs=2, verbose=0, callbacks=history) is history  # Keras 2 flattens it into a list
    with pytest.raises(TypeError, match=r"callbacks must be a list of Callback instances, got 3"):
        model.fit(x, y, verbose=0, callbacks=3)
