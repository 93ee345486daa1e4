"""EarlyStopping and TerminateOnNaN (minigraph/keras/callbacks/stopping.py).

EarlyStopping's rule is checked against Keras 2's own callback (tf_keras): both are
run through the same scripted epoch logs and must stop at the same epoch with the
same best value; then once in a real fit, with restore_best_weights."""

import numpy as np
import pytest

from minigraph.keras import optimizers
from minigraph.keras.callbacks import EarlyStopping, LambdaCallback, TerminateOnNaN
from minigraph.keras.layers import Dense
from minigraph.keras.models import Sequential
from support.callbacks import keras2_model, scripted_epochs, small_model

# (monitor, EarlyStopping's arguments, the monitored value epoch by epoch)
CASES = [
    ("val_loss", dict(patience=2), [0.5, 0.4, 0.45, 0.41, 0.3, 0.2]),
    ("val_loss", dict(patience=0), [0.5, 0.6, 0.4]),
    ("val_loss", dict(patience=1, min_delta=0.05), [0.5, 0.44, 0.40, 0.38, 0.30]),
    ("val_loss", dict(patience=1, min_delta=-0.05), [0.5, 0.52, 0.58, 0.6]),  # the sign of min_delta is ignored
    ("val_accuracy", dict(patience=1), [0.5, 0.6, 0.55, 0.7, 0.65, 0.6]),  # auto: an accuracy rises
    ("acc", dict(patience=1), [0.5, 0.4, 0.3]),
    ("val_auc", dict(patience=1), [0.5, 0.6, 0.6]),
    ("loss", dict(patience=1, mode="max"), [0.5, 0.6, 0.5, 0.4]),
    ("val_loss", dict(patience=1, baseline=0.3), [0.5, 0.4, 0.35, 0.2, 0.25]),
    ("val_loss", dict(patience=3, baseline=0.1), [0.5, 0.4, 0.35, 0.3, 0.25, 0.2]),
    ("val_loss", dict(patience=1, start_from_epoch=2), [0.5, 0.6, 0.7, 0.6, 0.65, 0.7]),
    ("val_loss", dict(patience=2, restore_best_weights=True), [0.5, 0.3, 0.4, 0.45, 0.2]),
    ("val_loss", dict(patience=5), [0.5, 0.4, 0.3]),  # never stops
]


@pytest.mark.parametrize("monitor, arguments, values", CASES)
def test_early_stopping_stops_where_keras_2_stops(monitor, arguments, values):
    from tf_keras.callbacks import EarlyStopping as Keras2EarlyStopping

    ours, theirs = EarlyStopping(monitor, **arguments), Keras2EarlyStopping(monitor, **arguments)
    model, _, _ = small_model()
    ran = scripted_epochs(ours, model, [{monitor: v} for v in values])
    keras_ran = scripted_epochs(theirs, keras2_model(), [{monitor: v} for v in values])
    assert ran == keras_ran
    assert (ours.stopped_epoch, ours.best, ours.best_epoch, ours.wait) == (
        theirs.stopped_epoch, theirs.best, theirs.best_epoch, theirs.wait)


def test_early_stopping_prints_keras_2s_messages(capsys):
    from tf_keras.callbacks import EarlyStopping as Keras2EarlyStopping

    values = [{"val_loss": v} for v in (0.5, 0.3, 0.4, 0.45)]
    scripted_epochs(Keras2EarlyStopping(patience=2, verbose=1, restore_best_weights=True), keras2_model(), values)
    theirs = capsys.readouterr().out
    scripted_epochs(EarlyStopping(patience=2, verbose=1, restore_best_weights=True), small_model()[0], values)
    ours = capsys.readouterr().out
    assert ours == theirs == ("Epoch 4: early stopping\n"
                              "Restoring model weights from the end of the best epoch: 2.\n")


def test_early_stopping_ends_fit_and_restores_the_best_weights(capsys):
    model, x, y = small_model()
    weights_after = []
    keep = LambdaCallback(on_epoch_end=lambda epoch, logs: weights_after.append(model.get_weights()))
    # min_delta 10: only the first epoch counts as an improvement, so with patience 2 fit
    # stops after the third epoch and goes back to the first epoch's weights
    stop = EarlyStopping(monitor="loss", min_delta=10, patience=2, restore_best_weights=True, verbose=1)
    history = model.fit(x, y, epochs=20, batch_size=8, verbose=0, callbacks=[keep, stop])
    assert history.epoch == [0, 1, 2] and stop.stopped_epoch == 2 and stop.best_epoch == 0
    for ours, best in zip(model.get_weights(), weights_after[0]):
        np.testing.assert_array_equal(ours, best)
    assert not np.array_equal(weights_after[0][0], weights_after[2][0])  # training did move them
    assert capsys.readouterr().out.splitlines() == [
        "Epoch 3: early stopping", "Restoring model weights from the end of the best epoch: 1."]


def test_early_stopping_warns_when_its_value_is_missing_and_goes_on():
    model, x, y = small_model()
    stop = EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match=r"Early stopping conditioned on metric `val_loss` which is not "
                                         r"available\. Available metrics are: loss,accuracy"):
        history = model.fit(x, y, epochs=3, verbose=0, callbacks=[stop])
    assert history.epoch == [0, 1, 2]


def test_an_unknown_mode_falls_back_to_auto_with_a_warning():
    with pytest.warns(UserWarning, match="EarlyStopping mode 'maximum' is unknown, fallback to auto mode"):
        stop = EarlyStopping(monitor="val_accuracy", mode="maximum")
    assert stop.mode == "max"


def test_terminate_on_nan_stops_at_the_first_batch_whose_loss_is_not_a_number(capsys):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)).astype(np.float32), rng.normal(size=(64, 1)).astype(np.float32)
    model = Sequential([Dense(1, input_shape=(4,))])
    model.compile(optimizers.SGD(learning_rate=1e18), "mse")  # a rate that makes the weights overflow
    losses = []
    record = LambdaCallback(on_batch_end=lambda batch, logs: losses.append(logs["loss"]))
    with np.errstate(all="ignore"):
        history = model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[record, TerminateOnNaN()])
    assert np.isfinite(losses[:-1]).all() and not np.isfinite(losses[-1])
    assert len(losses) < 16 and history.epoch == [0]  # stopped inside the first epoch of 16 batches
    assert capsys.readouterr().out == f"Batch {len(losses) - 1}: Invalid loss, terminating training\n"
