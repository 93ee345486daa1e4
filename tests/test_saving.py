"""Weight files (minigraph/keras/saving.py): names counted by layer class within the
model, plain .npz arrays, and files that do not fit refused before any weight changes."""

import os

import numpy as np
import pytest

from minigraph.examples.worksheet import build_model as worksheet_network
from minigraph.keras.layers import Dense
from minigraph.keras.models import Sequential
from minigraph.keras.saving import weight_keys

WEIGHT_KEYS = ["layers/dense/kernel", "layers/dense/bias", "layers/dense_1/kernel", "layers/dense_1/bias"]


def test_save_and_load_weights_round_trip(tmp_path):
    x = np.random.default_rng(0).normal(size=(50, 60)).astype(np.float32)
    model, other = worksheet_network(), worksheet_network()
    path = str(tmp_path / "worksheet.npz")
    model.save_weights(path)
    assert os.listdir(tmp_path) == ["worksheet.npz"]  # the temporary file was renamed, not left
    with np.load(path, allow_pickle=False) as data:  # plain arrays: no pickle needed
        assert sorted(data.files) == sorted(WEIGHT_KEYS)
        assert data["layers/dense/kernel"].shape == (60, 128) and data["layers/dense/kernel"].dtype == np.float32
    other.load_weights(path)
    for ours, theirs in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(model.predict(x[:50]), other.predict(x[:50]))


def test_save_weights_wants_an_npz_name(tmp_path):
    with pytest.raises(ValueError, match=r"save_weights\(\): the file name must end in .npz, got '.*weights.h5'"):
        worksheet_network().save_weights(str(tmp_path / "weights.h5"))


def write_weights(path, model, change=None, drop=None, add=None):
    """A weights file like model.save_weights would write, edited."""
    values = dict(zip(WEIGHT_KEYS, model.get_weights()))
    if change:
        values.update(change)
    if drop:
        del values[drop]
    if add:
        values.update(add)
    np.savez(path, **values)


def mismatched_files():
    """(name, how to write the file, what the error must say)."""
    def other_architecture(path, model):
        Sequential([Dense(64, input_shape=(60,)), Dense(32), Dense(10)]).save_weights(path)

    return {
        "other architecture": (
            other_architecture,
            r"unexpected weights \['layers/dense_2/bias', 'layers/dense_2/kernel'\]; "
            r"layers/dense/kernel has shape \(60, 64\) in the file but \(60, 128\) in the model",
        ),
        "wrong shape": (
            lambda path, model: write_weights(path, model, change={"layers/dense_1/bias": np.zeros(11, np.float32)}),
            r"layers/dense_1/bias has shape \(11,\) in the file but \(10,\) in the model",
        ),
        "missing key": (
            lambda path, model: write_weights(path, model, drop="layers/dense_1/kernel"),
            r"missing weights \['layers/dense_1/kernel'\]",
        ),
        "unexpected key": (
            lambda path, model: write_weights(path, model, add={"layers/dense_2/kernel": np.zeros((10, 10))}),
            r"unexpected weights \['layers/dense_2/kernel'\]",
        ),
        "needs pickle": (
            lambda path, model: write_weights(path, model, change={"layers/dense/bias": np.array([None] * 128)}),
            r"Object arrays cannot be loaded when allow_pickle=False",
        ),
    }


@pytest.mark.parametrize("write, message", mismatched_files().values(), ids=mismatched_files().keys())
def test_a_mismatched_weights_file_is_refused_and_the_model_left_unchanged(tmp_path, write, message):
    model = worksheet_network()
    path = str(tmp_path / "other.npz")
    write(path, worksheet_network())
    before = model.get_weights()
    with pytest.raises(ValueError, match=message) as error:
        model.load_weights(path)
    if "pickle" not in message:
        assert str(error.value).startswith(f"load_weights('{path}') does not fit model {model.name}: ")
    for ours, saved in zip(model.get_weights(), before):
        np.testing.assert_array_equal(ours, saved)


def test_keys_count_layers_within_the_model_not_the_process():
    """However many Dense layers the process has made, a model's first is 'dense' in its file."""
    Sequential([Dense(3, input_shape=(2,))])
    model = Sequential([Dense(3, input_shape=(2,)), Dense(1, use_bias=False)])
    assert model.layers[0].name != "dense"  # the process-wide name has moved on
    assert weight_keys(model) == [
        ("layers/dense/kernel", model.layers[0].kernel),
        ("layers/dense/bias", model.layers[0].bias),
        ("layers/dense_1/kernel", model.layers[1].kernel),
    ]
