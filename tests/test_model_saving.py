"""Whole-model files (minigraph/keras/saving.py): model.save(path) and load_model(path).

A loaded model must be the saved one in every way that matters to a program: the same
predictions, the same compile arguments, and the same optimizer state, so that training
goes on exactly as if the program had never stopped (Adam's step count and moments, a
learning rate a callback changed). The file holds JSON and plain arrays: no pickle.
"""

import io
import json
import os
import zipfile

import numpy as np
import pytest

from minigraph.keras import backend as K
from minigraph.keras import layers, losses, optimizers
from minigraph.keras.models import Model, Sequential, load_model
from minigraph.keras.utils import set_random_seed


def data(rows=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 8, 8, 1)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=rows)]
    return x, y


def small_cnn(optimizer):
    model = Sequential([
        layers.Conv2D(4, (3, 3), activation="relu", input_shape=(8, 8, 1)),
        layers.MaxPooling2D((2, 2)),
        layers.Dropout(0.0),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def functional_two_branches(optimizer):
    """Two Dense branches of one input, concatenated: a model Sequential cannot express."""
    inputs = layers.Input(shape=(8, 8, 1))
    flat = layers.Flatten()(inputs)
    left = layers.Dense(5, activation="relu")(flat)
    right = layers.Dense(4, activation="tanh")(flat)
    outputs = layers.Dense(3, activation="softmax")(layers.Concatenate()([left, right]))
    model = Model(inputs, outputs)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


MODELS = {"sequential": small_cnn, "functional": functional_two_branches}


def assert_same_weights(ours, theirs, exact=True):
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        if exact:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "adadelta"])
def test_a_loaded_model_predicts_the_same_and_trains_on_identically(tmp_path, kind, optimizer):
    x, y = data()
    set_random_seed(1)
    model = MODELS[kind](optimizers.get(optimizer))
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)  # 12 steps: the slots hold something
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = load_model(path)

    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(loaded.optimizer) is type(model.optimizer)
    saved_state = K.batch_get_value(model.optimizer.variables())
    for ours, theirs in zip(saved_state, K.batch_get_value(loaded.optimizer.variables()), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert int(K.get_value(loaded.optimizer.iterations)) == 12

    # six more steps each: the loaded model takes the very steps the saved one takes
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    assert_same_weights(model, loaded)
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


def test_without_the_optimizer_state_training_would_go_elsewhere(tmp_path):
    """What the test above guards against: a fresh Adam (step 0, zero moments) after loading."""
    x, y = data()
    set_random_seed(2)
    model = small_cnn(optimizers.Adam())
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    model.save(str(tmp_path / "m.keras"))
    forgetful = load_model(str(tmp_path / "m.keras"), compile=False)
    forgetful.compile(optimizer=optimizers.Adam(), loss="categorical_crossentropy")
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    forgetful.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    worst = max(np.abs(a - b).max() for a, b in zip(model.get_weights(), forgetful.get_weights()))
    assert worst > 1e-4


def test_the_learning_rate_a_callback_set_is_saved(tmp_path):
    x, y = data()
    model = small_cnn(optimizers.SGD(learning_rate=0.1))
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    K.set_value(model.optimizer.lr, 0.025)  # as ReduceLROnPlateau does
    model.save(str(tmp_path / "m.keras"))
    loaded = load_model(str(tmp_path / "m.keras"))
    assert K.get_value(loaded.optimizer.lr) == pytest.approx(0.025)
    assert loaded.optimizer.get_config()["learning_rate"] == pytest.approx(0.025)


def test_the_file_is_json_and_plain_arrays(tmp_path):
    model = small_cnn("adam")
    model.fit(*data(), batch_size=32, epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(str(path))
    assert os.listdir(tmp_path) == ["m.keras"]  # written to a temporary file, then renamed
    with zipfile.ZipFile(path) as archive:
        description = json.loads(archive.read("model.json"))
        arrays = {name: np.lib.format.read_array(archive.open(name), allow_pickle=False)
                  for name in archive.namelist() if name.endswith(".npy")}
    assert description["model"]["class_name"] == "Sequential"
    assert description["compile"]["loss"] == "categorical_crossentropy"
    assert description["compile"]["optimizer"]["class_name"] == "Adam"
    assert description["weights"] == ["layers/conv2d/kernel", "layers/conv2d/bias",
                                      "layers/dense/kernel", "layers/dense/bias"]
    assert arrays["weights/layers/conv2d/kernel.npy"].shape == (3, 3, 1, 4)
    # step count, learning rate, then Adam's two moments for each of the four weights
    assert len(description["optimizer_weights"]) == 2 + 2 * 4
    assert arrays["optimizer/0.npy"] == 3  # 96 rows in batches of 32


def test_an_uncompiled_model_saves_and_loads_uncompiled(tmp_path):
    model = Sequential([layers.Dense(2, input_shape=(3,))])
    model.save(str(tmp_path / "m.keras"))
    loaded = load_model(str(tmp_path / "m.keras"))
    assert loaded.optimizer is None
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_custom_loss_comes_back_through_custom_objects(tmp_path):
    def doubled_mse(y_true, y_pred):
        return 2 * K.mean(K.square(y_pred - y_true), axis=-1)

    x, y = data()
    model = small_cnn("sgd")
    model.compile(optimizer="sgd", loss=doubled_mse)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    model.save(str(tmp_path / "m.keras"))
    loaded = load_model(str(tmp_path / "m.keras"), custom_objects={"doubled_mse": doubled_mse})
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))


def test_a_loss_object_keeps_its_arguments(tmp_path):
    """from_logits=True is the loss's meaning here: lost, the loaded model would train on
    softmax(logits) taken as probabilities."""
    x, y = data()
    inputs = layers.Input(shape=(8, 8, 1))
    logits = layers.Dense(3)(layers.Flatten()(inputs))
    model = Model(inputs, logits)
    model.compile(optimizer="adam", loss=losses.SparseCategoricalCrossentropy(from_logits=True))
    labels = y.argmax(axis=1)
    model.fit(x, labels, batch_size=32, epochs=1, verbose=0)
    model.save(str(tmp_path / "m.keras"))
    loaded = load_model(str(tmp_path / "m.keras"))
    assert loaded.evaluate(x, labels, verbose=0) == pytest.approx(model.evaluate(x, labels, verbose=0), rel=1e-6)
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        stored_loss = json.loads(archive.read("model.json"))["compile"]["loss"]
    assert stored_loss == {"object": "SparseCategoricalCrossentropy",
                           "config": {"name": "sparse_categorical_crossentropy", "from_logits": True}}


# --- files that are not models ------------------------------------------------------


def test_a_missing_file_is_named(tmp_path):
    path = str(tmp_path / "nowhere.keras")
    with pytest.raises(FileNotFoundError, match="nowhere.keras"):
        load_model(path)


def saved(tmp_path):
    path = tmp_path / "m.keras"
    small_cnn("adam").save(str(path))
    return path


def refusals():
    """(how to spoil a saved model file, what load_model must say about it)."""
    def truncate(path):
        path.write_bytes(path.read_bytes()[:200])

    def weights_only(path):
        Sequential([layers.Dense(2, input_shape=(3,))]).save_weights(str(path.with_suffix(".npz")))
        path.with_suffix(".npz").replace(path)

    def pickled_member(path):
        with zipfile.ZipFile(path) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        buffer = io.BytesIO()
        np.save(buffer, np.array([{"run": "code"}], dtype=object), allow_pickle=True)
        members["weights/layers/dense/bias.npy"] = buffer.getvalue()
        with zipfile.ZipFile(path, "w") as archive:
            for name, content in members.items():
                archive.writestr(name, content)

    def other_json(path):
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("model.json", json.dumps({"format": "something else"}))

    return {
        "empty": (lambda path: path.write_bytes(b""), "the file is empty"),
        "truncated": (truncate, "truncated or damaged"),
        "a weights file": (weights_only, "it holds only weights .save_weights writes such files.: "
                                         "build the model, then call model.load_weights"),
        "a pickle inside": (pickled_member, r"weights/layers/dense/bias.npy is not a plain numpy array"),
        "another json": (other_json, "its model.json is not a minigraph model description"),
    }


@pytest.mark.parametrize("spoil, message", refusals().values(), ids=refusals().keys())
def test_a_file_that_is_not_a_saved_model_is_refused_by_name(tmp_path, spoil, message):
    path = saved(tmp_path)
    spoil(path)
    with pytest.raises(ValueError, match=f"load_model\\(\\): '{path}' is not a model file written by "
                                         f"model.save\\(\\): .*{message}"):
        load_model(str(path))


def test_a_keras_3_file_is_recognised_and_refused(tmp_path):
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    model.save(str(tmp_path / "theirs.keras"))
    with pytest.raises(ValueError, match=r"theirs.keras' is not a model file written by model.save\(\): it is a "
                                         r"Keras 3 .keras file \(config.json, model.weights.h5\)"):
        load_model(str(tmp_path / "theirs.keras"))


def test_a_file_whose_weights_do_not_fit_names_them(tmp_path):
    path = saved(tmp_path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(7, np.float32))
    members["weights/layers/dense/bias.npy"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    with pytest.raises(ValueError, match=r"layers/dense/bias has shape \(7,\) in the file but \(3,\) in the model"):
        load_model(str(path))


def test_a_save_that_cannot_write_names_the_file_and_leaves_nothing_behind(tmp_path):
    path = saved(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"save\(\) could not write the model file: .*nowhere/m.keras"):
        small_cnn("adam").save(str(tmp_path / "nowhere" / "m.keras"))
    assert os.listdir(tmp_path) == [path.name]
