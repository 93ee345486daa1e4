"""LearningRateScheduler and ReduceLROnPlateau (minigraph/keras/callbacks/learning_rate.py).

The rate is a variable (model.optimizer.lr), so a change between epochs is the rate
of the next step. ReduceLROnPlateau's rule is checked against Keras 2's callback
(tf_keras) on scripted epoch logs: the same rate after every epoch."""

import numpy as np
import pytest

from minigraph.keras import backend as K
from minigraph.keras.callbacks import LearningRateScheduler, ReduceLROnPlateau
from support.callbacks import keras2_model, scripted_epochs, small_model

# (monitor, ReduceLROnPlateau's arguments, the monitored value epoch by epoch); the rate starts at 0.1
CASES = [
    ("val_loss", dict(factor=0.5, patience=1), [1.0] * 5),
    ("val_loss", dict(factor=0.5, patience=1, cooldown=2), [1.0] * 8),
    ("val_loss", dict(factor=0.5, patience=1, min_lr=0.02), [1.0] * 8),
    ("val_loss", dict(factor=0.2, patience=2, min_delta=0.1), [1.0, 0.95, 0.9, 0.85, 0.7, 0.65, 0.64]),
    ("val_accuracy", dict(factor=0.5, patience=1), [0.5, 0.5, 0.6, 0.6, 0.6]),  # auto: an accuracy rises
    ("loss", dict(factor=0.5, patience=1, mode="max"), [0.5, 0.6, 0.5, 0.7, 0.7]),
    ("val_loss", dict(factor=0.5, patience=1, epsilon=0.3), [1.0, 0.8, 0.6, 0.5]),  # Keras 2's old name
]


def rates_through(callback, model, read_rate, values, monitor) -> list:
    """The rate after each epoch, and the `lr` each epoch's logs got."""
    logs_seen = [{monitor: value} for value in values]
    after = []

    class Watch:  # records the rate as each epoch ends, after the callback acted
        def on_epoch_end(self, epoch, logs):
            callback_end(epoch, logs)
            after.append(float(read_rate()))

    callback_end = callback.on_epoch_end
    callback.on_epoch_end = Watch().on_epoch_end
    scripted_epochs(callback, model, logs_seen)
    return after, [float(logs["lr"]) for logs in logs_seen]


@pytest.mark.parametrize("monitor, arguments, values", CASES)
def test_reduce_lr_on_plateau_changes_the_rate_where_keras_2_does(monitor, arguments, values):
    import tf_keras
    from tf_keras.callbacks import ReduceLROnPlateau as Keras2ReduceLROnPlateau

    model, _, _ = small_model(learning_rate=0.1)
    ours = rates_through(ReduceLROnPlateau(monitor, **arguments), model,
                         lambda: K.get_value(model.optimizer.lr), values, monitor)
    theirs_model = keras2_model(learning_rate=0.1)
    theirs = rates_through(Keras2ReduceLROnPlateau(monitor, **arguments), theirs_model,
                           lambda: tf_keras.backend.get_value(theirs_model.optimizer.lr), values, monitor)
    assert tf_keras.backend.get_value(theirs_model.optimizer.lr).dtype == np.float32  # both rates are float32
    np.testing.assert_array_equal(ours, theirs)
    assert ours[0][-1] < 0.1 or monitor == "loss"  # each case does reduce


def test_reduce_lr_on_plateau_in_a_real_fit_logs_the_rate_and_the_bar_shows_it(capsys):
    model, x, y = small_model(learning_rate=0.1)
    # min_delta 10: only the first epoch improves, so from the second on the rate halves each epoch
    reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10, verbose=1)
    history = model.fit(x, y, epochs=3, batch_size=20, verbose=2, callbacks=[reduce])
    np.testing.assert_allclose(history.history["lr"], [0.1, 0.1, 0.05], rtol=1e-7)  # as each epoch began
    assert float(K.get_value(model.optimizer.lr)) == np.float32(0.025)
    out = capsys.readouterr().out
    # Keras 2's message, digits and all: the float32 rate printed in double precision
    assert "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.05000000074505806.\n" in out
    assert "\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.02500000037252903.\n" in out
    # the progress bar comes after the program's callbacks, so it shows what they logged
    assert [line.split(" - lr: ")[1][:6] for line in out.splitlines() if " - lr: " in line] == [
        "0.1000", "0.1000", "0.0500"]


def test_reduce_lr_on_plateau_refuses_a_factor_of_one_or_more():
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau does not support a factor >= 1\.0\. Got 1\.5"):
        ReduceLROnPlateau(factor=1.5)


def test_a_scheduled_rate_is_the_rate_of_the_next_steps():
    model, x, y = small_model(learning_rate=0.1)
    halving = LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr / 2)
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[halving])
    np.testing.assert_allclose(history.history["lr"], [0.1, 0.05, 0.025], rtol=1e-7)
    # a rate of 0 from the start: no step moves a weight
    before = model.get_weights()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[LearningRateScheduler(lambda epoch: 0.0)])
    for ours, saved in zip(model.get_weights(), before):
        np.testing.assert_array_equal(ours, saved)


def test_the_scheduler_says_what_it_sets_as_keras_2_does(capsys):
    from tf_keras.callbacks import LearningRateScheduler as Keras2LearningRateScheduler

    schedule = lambda epoch: 0.1 * 0.5**epoch  # noqa: E731 (Keras 2's one-argument form)
    logs = [{"loss": 1.0}, {"loss": 0.5}]
    scripted_epochs(Keras2LearningRateScheduler(schedule, verbose=1), keras2_model(), [dict(d) for d in logs])
    theirs = capsys.readouterr().out
    scripted_epochs(LearningRateScheduler(schedule, verbose=1), small_model()[0], [dict(d) for d in logs])
    assert capsys.readouterr().out == theirs == (
        "\nEpoch 1: LearningRateScheduler setting learning rate to 0.1.\n"
        "\nEpoch 2: LearningRateScheduler setting learning rate to 0.05.\n")


def test_a_schedule_must_give_a_float():
    model, x, y = small_model()
    with pytest.raises(ValueError, match=r'The output of the "schedule" function should be float\. Got: 1 '
                                         r"\(type int\) for epoch 0"):
        model.fit(x, y, verbose=0, callbacks=[LearningRateScheduler(lambda epoch: 1)])
