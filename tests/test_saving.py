"""Weight files (minigraph/keras/saving.py): names counted by layer class within the
model, plain .npz arrays, and files that do not fit refused before any weight changes."""

import os
import pickle
import stat
import zipfile

import numpy as np
import pytest

from minigraph.examples.worksheet import build_model as worksheet_network
from minigraph.keras import saving
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


def test_save_weights_takes_a_keras_2_name_and_writes_the_npz_there(tmp_path):
    model, path = worksheet_network(), tmp_path / "weights.01-0.25.hdf5"  # ModelCheckpoint's kind of name
    model.save_weights(str(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no .npz appended, no temporary left
    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == sorted(WEIGHT_KEYS)
    other = worksheet_network()
    other.load_weights(str(path))
    for ours, theirs in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(ours, theirs)


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
    }


@pytest.mark.parametrize("write, message", mismatched_files().values(), ids=mismatched_files().keys())
def test_a_mismatched_weights_file_is_refused_and_the_model_left_unchanged(tmp_path, write, message):
    model = worksheet_network()
    path = str(tmp_path / "other.npz")
    write(path, worksheet_network())
    before = model.get_weights()
    with pytest.raises(ValueError, match=message) as error:
        model.load_weights(path)
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


# --- files that are not weights files -------------------------------------------------


def saved_bytes(model) -> bytes:
    """The bytes save_weights writes for `model`."""
    buffer = __import__("io").BytesIO()
    np.savez(buffer, **dict(zip(WEIGHT_KEYS, model.get_weights())))
    return buffer.getvalue()


def damaged(data: bytes) -> bytes:
    """`data` with one byte of the first array flipped: the zip's CRC no longer matches."""
    data = bytearray(data)
    data[1000] ^= 0xFF
    return bytes(data)


def zip_of_text(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{}")


def unreadable_files():
    """(name, how to write the file, what the error must say after the file's name)."""
    return {
        "empty": (lambda path, model: open(path, "wb").close(), "the file is empty"),
        "truncated": (
            lambda path, model: open(path, "wb").write(saved_bytes(model)[:1000]),
            "it starts as a zip archive (.npz) does, but is truncated or damaged",
        ),
        "damaged": (
            lambda path, model: open(path, "wb").write(damaged(saved_bytes(model))),
            "the archive is damaged (BadZipFile: Bad CRC-32 for file 'layers/dense/kernel.npy')",
        ),
        "a pickle": (lambda path, model: pickle.dump(model.get_weights(), open(path, "wb")), "it is a Python pickle"),
        "a .npy array": (
            lambda path, model: np.save(open(path, "wb"), model.get_weights()[0]),
            "it is a single .npy array (np.save), not an .npz archive of named weights",
        ),
        "Keras's .h5": (
            lambda path, model: open(path, "wb").write(b"\x89HDF\r\n\x1a\n" + bytes(100)),
            "it is an HDF5 file (Keras's .h5 format); minigraph saves weights as .npz",
        ),
        "text": (
            lambda path, model: open(path, "w").write("hello, weights"),
            "an .npz file is a zip archive, and this file starts with b'hello, w'",
        ),
        "another zip": (
            lambda path, model: zip_of_text(path),
            "entry 'config.json' is not a numpy array (a zip archive, but not one np.savez wrote)",
        ),
        "object arrays": (
            lambda path, model: write_weights(path, model, change={"layers/dense/bias": np.array([None] * 128)}),
            "entry 'layers/dense/bias' holds Python objects, which only pickle could read, "
            "and loading a pickle can run any code",
        ),
    }


@pytest.mark.parametrize("write, what", unreadable_files().values(), ids=unreadable_files().keys())
def test_a_file_that_is_not_a_weights_file_is_one_clear_error_and_the_model_unchanged(tmp_path, write, what):
    model = worksheet_network()
    path = str(tmp_path / "weights.npz")
    write(path, worksheet_network())
    before = model.get_weights()
    with pytest.raises(ValueError) as error:
        model.load_weights(path)
    assert str(error.value) == f"load_weights(): '{path}' is not a weights file written by save_weights: {what}"
    for ours, saved in zip(model.get_weights(), before):
        np.testing.assert_array_equal(ours, saved)
    model.save_weights(path)  # the model still saves and loads
    model.load_weights(path)


def test_a_missing_weights_file_names_the_file(tmp_path):
    path = str(tmp_path / "nowhere.npz")
    with pytest.raises(FileNotFoundError, match=f"No such file or directory: '{path}'"):
        worksheet_network().load_weights(path)


# --- atomic saving ------------------------------------------------------------------------


def test_a_crash_between_writing_and_renaming_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = str(tmp_path / "weights.npz")
    model = worksheet_network()
    model.save_weights(path)
    old = open(path, "rb").read()

    def crash(source, destination):
        assert os.path.dirname(source) == str(tmp_path)  # written beside the target: one file system
        assert open(source, "rb").read() != old  # the new weights were written in full
        raise OSError(5, "Input/output error", source)

    monkeypatch.setattr(saving.os, "replace", crash)
    with pytest.raises(OSError) as error:
        worksheet_network().save_weights(path)
    assert str(error.value) == (
        f"[Errno 5] save_weights() could not write the weights file: Input/output error: '{path}'"
    )
    assert os.listdir(tmp_path) == ["weights.npz"]
    assert open(path, "rb").read() == old


def test_a_crash_while_writing_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = str(tmp_path / "weights.npz")
    worksheet_network().save_weights(path)
    old = open(path, "rb").read()

    def half_then_crash(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt  # not an OSError: the temporary file must still go

    monkeypatch.setattr(saving.np, "savez", half_then_crash)
    with pytest.raises(KeyboardInterrupt):
        worksheet_network().save_weights(path)
    assert os.listdir(tmp_path) == ["weights.npz"]
    assert open(path, "rb").read() == old


def test_the_new_file_is_synced_to_disk_before_it_is_renamed(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(handle):
        events.append(("fsync", os.path.basename(os.readlink(f"/proc/self/fd/{handle}"))))
        real_fsync(handle)

    def replace(source, destination):
        events.append(("replace", os.path.basename(destination)))
        real_replace(source, destination)

    monkeypatch.setattr(saving.os, "fsync", fsync)
    monkeypatch.setattr(saving.os, "replace", replace)
    worksheet_network().save_weights(str(tmp_path / "weights.npz"))
    (first, temporary), second = events[0], events[1]
    assert first == "fsync" and temporary.startswith(".weights.npz.") and temporary.endswith(".tmp")
    assert second == ("replace", "weights.npz")
    assert events[2:] == [("fsync", tmp_path.name)]  # then the directory, so the rename itself lasts


@pytest.mark.parametrize("where, error, reason", [
    ("missing/weights.npz", FileNotFoundError, "No such file or directory"),
    ("a_directory.npz", IsADirectoryError, "Is a directory"),
])
def test_a_save_that_cannot_be_done_names_the_real_path_not_the_temporary_file(tmp_path, where, error, reason):
    (tmp_path / "a_directory.npz").mkdir()
    path = str(tmp_path / where)
    with pytest.raises(error) as raised:
        worksheet_network().save_weights(path)
    assert str(raised.value) == f"[Errno {raised.value.errno}] save_weights() could not write the weights file: " \
                                f"{reason}: '{path}'"
    assert sorted(os.listdir(tmp_path)) == ["a_directory.npz"]  # no temporary file left behind
    assert os.listdir(tmp_path / "a_directory.npz") == []


def test_a_saved_file_has_the_permissions_open_would_give(tmp_path):
    """The temporary file is not created private (as tempfile.mkstemp would make it)."""
    reference = tmp_path / "reference"
    reference.write_bytes(b"")
    path = tmp_path / "weights.npz"
    worksheet_network().save_weights(str(path))
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(reference.stat().st_mode)


def test_an_unbuilt_model_neither_saves_nor_loads(tmp_path):
    path = str(tmp_path / "weights.npz")
    worksheet_network().save_weights(path)
    model = Sequential([Dense(3), Dense(1)])  # no input shape: no weights yet
    for call in (model.save_weights, model.load_weights):
        with pytest.raises(ValueError) as error:
            call(path)
        assert str(error.value) == (
            f"{call.__name__}(): model {model.name} has not been built yet. Give the first layer an input_shape, "
            "start with Input(shape=...), or call build((None, features))"
        )
    assert os.listdir(tmp_path) == ["weights.npz"]
