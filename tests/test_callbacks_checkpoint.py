"""ModelCheckpoint (minigraph/keras/callbacks/checkpoint.py): which files a real fit
writes, under which names, and that they hold the model of that moment."""

import os

import numpy as np
import pytest

from minigraph.keras.callbacks import LambdaCallback, ModelCheckpoint
from minigraph.keras.saving import load_model
from support.callbacks import scripted_epochs, small_model


def test_every_epoch_is_saved_under_its_formatted_name(tmp_path):
    model, x, y = small_model()
    weights_after = []
    keep = LambdaCallback(on_epoch_end=lambda epoch, logs: weights_after.append(model.get_weights()))
    pattern = str(tmp_path / "ckpt" / "weights.{epoch:02d}-{val_loss:.2f}.npz")  # the folder is made too
    history = model.fit(x, y, epochs=3, batch_size=10, validation_split=0.25, verbose=0,
                        callbacks=[keep, ModelCheckpoint(pattern, save_weights_only=True)])
    names = [f"weights.{epoch + 1:02d}-{loss:.2f}.npz" for epoch, loss in enumerate(history.history["val_loss"])]
    assert sorted(os.listdir(tmp_path / "ckpt")) == sorted(names)
    fresh, _, _ = small_model()
    fresh.load_weights(str(tmp_path / "ckpt" / names[1]))  # the second epoch's file: its weights
    for ours, saved in zip(fresh.get_weights(), weights_after[1]):
        np.testing.assert_array_equal(ours, saved)


def test_save_best_only_keeps_the_best_epoch_and_says_so_as_keras_2(tmp_path, capsys):
    model, x, y = small_model()
    weights_after = []
    # the callbacks share one logs dict: this one scripts val_loss for the checkpoint after it
    script = iter([0.5, 0.7, 0.4, 0.45])
    scripted = LambdaCallback(on_epoch_end=lambda epoch, logs: (logs.update(val_loss=next(script)),
                                                                weights_after.append(model.get_weights())))
    best = tmp_path / "best.npz"
    checkpoint = ModelCheckpoint(str(best), monitor="val_loss", save_best_only=True, save_weights_only=True,
                                 verbose=1)
    model.fit(x, y, epochs=4, batch_size=10, verbose=0, callbacks=[scripted, checkpoint])
    assert capsys.readouterr().out == (
        f"\nEpoch 1: val_loss improved from inf to 0.50000, saving model to {best}\n"
        "\nEpoch 2: val_loss did not improve from 0.50000\n"
        f"\nEpoch 3: val_loss improved from 0.50000 to 0.40000, saving model to {best}\n"
        "\nEpoch 4: val_loss did not improve from 0.40000\n")
    fresh, _, _ = small_model()
    fresh.load_weights(str(best))
    for ours, saved in zip(fresh.get_weights(), weights_after[2]):  # epoch 3's
        np.testing.assert_array_equal(ours, saved)


def test_the_messages_and_choices_match_keras_2s_on_the_same_logs(tmp_path, capsys):
    """Keras 2's ModelCheckpoint and minigraph's, run through the same scripted val_accuracy
    (mode auto: an accuracy is maximised), print the same lines."""
    from tf_keras.callbacks import ModelCheckpoint as Keras2ModelCheckpoint

    from support.callbacks import keras2_model

    values = [{"val_accuracy": v} for v in (0.5, 0.7, 0.6, 0.8)]
    path = str(tmp_path / "m.{epoch}.weights.h5")
    scripted_epochs(Keras2ModelCheckpoint(path, monitor="val_accuracy", save_best_only=True,
                                          save_weights_only=True, verbose=1), keras2_model(), values)
    theirs = capsys.readouterr().out
    path = str(tmp_path / "m.{epoch}.npz")
    scripted_epochs(ModelCheckpoint(path, monitor="val_accuracy", save_best_only=True, save_weights_only=True,
                                    verbose=1), small_model()[0], values)
    assert capsys.readouterr().out == theirs.replace(".weights.h5", ".npz")
    assert sorted(os.listdir(tmp_path)) == sorted(["m.1.npz", "m.2.npz", "m.4.npz"] + [
        "m.1.weights.h5", "m.2.weights.h5", "m.4.weights.h5"])


def test_the_whole_model_is_saved_and_loads(tmp_path):
    model, x, y = small_model()
    path = str(tmp_path / "model.{epoch}.keras")
    model.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[ModelCheckpoint(path)])
    loaded = load_model(str(tmp_path / "model.2.keras"))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_save_freq_counts_batches_and_period_counts_epochs(tmp_path):
    model, x, y = small_model(rows=40)  # 4 batches of 10 per epoch
    by_batches = ModelCheckpoint(str(tmp_path / "b.{epoch}.{batch}.npz"), save_weights_only=True, save_freq=3)
    by_period = ModelCheckpoint(str(tmp_path / "p.{epoch}.npz"), save_weights_only=True, period=2)
    model.fit(x, y, epochs=3, batch_size=10, shuffle=False, verbose=0, callbacks=[by_batches, by_period])
    # batches 3, 6, 9, 12 of the 12: epoch 1 batch 3, epoch 2 batch 2, epoch 3 batches 1 and 4
    assert sorted(os.listdir(tmp_path)) == ["b.1.3.npz", "b.2.2.npz", "b.3.1.npz", "b.3.4.npz", "p.2.npz"]


def test_a_name_that_asks_for_a_missing_value_is_named_in_the_error(tmp_path):
    model, x, y = small_model()
    checkpoint = ModelCheckpoint(str(tmp_path / "w.{val_loss:.2f}.npz"), save_weights_only=True)
    with pytest.raises(KeyError) as error:
        model.fit(x, y, epochs=1, verbose=0, callbacks=[checkpoint])
    assert error.value.args[0] == (f'Failed to format this callback filepath: "{checkpoint.filepath}". Reason: '
                                   "KeyError: 'val_loss'; the names it can use are accuracy, epoch, loss")


def test_save_freq_must_be_epoch_or_a_batch_count():
    with pytest.raises(ValueError, match=r"Unrecognized save_freq: 'batch'"):
        ModelCheckpoint("w.npz", save_freq="batch")


def test_tensorflows_save_options_are_refused_by_name():
    with pytest.raises(NotImplementedError, match=r"ModelCheckpoint\(options='x'\) is not implemented"):
        ModelCheckpoint("w.npz", options="x")
