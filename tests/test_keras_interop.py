"""minigraph.keras.interop: model.to_keras() and from_keras(keras_model), both ways on the
worksheet's network and on a small CNN (each trained a little first), and on a functional
model with merge layers. Predictions are compared in float32 (relative error at most
1e-5, recorded as "Keras 3 <- minigraph" and "minigraph <- Keras 3"); a model handed to
Keras goes on training there."""

import numpy as np
import pytest

import minigraph.keras.layers as L
from minigraph.keras.models import Model, Sequential, from_keras
from support.interop import trained_worksheet_model
from support.parity import relative_error

keras = pytest.importorskip("keras")


@pytest.fixture
def record(parity_errors):
    return lambda direction, error, where: parity_errors.record(direction, error, where)


def check(ours, theirs, record, direction, where):
    assert ours.shape == theirs.shape
    error = relative_error(ours, theirs)
    record(direction, float(error), where)
    assert error <= 1e-5, f"{where}: relative error {error:.3g}"


def test_worksheet_network_to_keras_and_back(record):
    model, x = trained_worksheet_model()
    keras_model = model.to_keras()
    assert isinstance(keras_model, keras.Sequential)
    assert [type(layer).__name__ for layer in keras_model.layers] == ["Dense", "Activation", "Dense", "Activation"]
    assert [layer.name for layer in keras_model.layers] == [layer.name for layer in model.layers]
    check(model.predict(x), keras_model.predict(x, verbose=0), record, "Keras 3 <- minigraph", "worksheet network")

    # it goes on training in Keras
    y = np.eye(10, dtype="float32")[np.arange(len(x)) % 10]
    before = [w.copy() for w in keras_model.get_weights()]
    keras_model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy", metrics=["accuracy"])
    history = keras_model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.array_equal(a, b) for a, b in zip(before, keras_model.get_weights()))

    back = Sequential.from_keras(keras_model)
    assert isinstance(back, Sequential)
    check(back.predict(x), keras_model.predict(x, verbose=0), record, "minigraph <- Keras 3", "worksheet network")


def small_cnn(library):
    layers = library.layers
    return [layers.Conv2D(4, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
            layers.AveragePooling2D(pool_size=2, strides=1), layers.Flatten(), layers.Dropout(0.25),
            layers.Dense(3, activation="softmax")]


def cnn_data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(32, 8, 8, 1)).astype("float32"), np.eye(3, dtype="float32")[rng.integers(0, 3, 32)]


def test_cnn_trained_in_minigraph_to_keras(record):
    images, labels = cnn_data()
    import minigraph.keras as mg_keras

    model = Sequential([L.Input(shape=(8, 8, 1))] + small_cnn(mg_keras))
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.fit(images, labels, epochs=1, batch_size=8, verbose=0)
    keras_model = model.to_keras()
    assert [type(layer).__name__ for layer in keras_model.layers] == [
        "Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten", "Dropout", "Dense"]  # fmt: skip
    check(model.predict(images), keras_model.predict(images, verbose=0), record, "Keras 3 <- minigraph", "CNN")
    keras_model.compile(optimizer="sgd", loss="categorical_crossentropy")
    assert np.isfinite(keras_model.fit(images, labels, epochs=1, verbose=0).history["loss"][0])


def test_cnn_trained_in_keras_from_keras(record):
    images, labels = cnn_data(1)
    keras_model = keras.Sequential([keras.Input(shape=(8, 8, 1))] + small_cnn(keras))
    keras_model.compile(optimizer="sgd", loss="categorical_crossentropy")
    keras_model.fit(images, labels, epochs=1, batch_size=8, verbose=0)
    model = from_keras(keras_model)
    assert [type(layer).__name__ for layer in model.layers] == [type(layer).__name__ for layer in keras_model.layers]
    check(model.predict(images), keras_model.predict(images, verbose=0), record, "minigraph <- Keras 3", "CNN")


def test_functional_model_with_merge_layers_both_ways(record):
    inputs = L.Input(shape=(4,), name="features")
    left = L.Dense(3, activation="tanh", name="left")(inputs)
    right = L.Dense(3, name="right")(inputs)
    joined = L.Concatenate(name="joined")([L.Add(name="sum")([left, right]), right])
    model = Model(inputs, L.Softmax(name="probabilities")(joined))
    x = np.random.default_rng(2).normal(size=(5, 4)).astype("float32")
    keras_model = model.to_keras()
    assert not isinstance(keras_model, keras.Sequential)
    assert [layer.name for layer in keras_model.layers] == [layer.name for layer in model.layers]
    check(model.predict(x), keras_model.predict(x, verbose=0), record, "Keras 3 <- minigraph", "functional")
    back = from_keras(keras_model)
    assert isinstance(back, Model) and not isinstance(back, Sequential)
    check(back.predict(x), keras_model.predict(x, verbose=0), record, "minigraph <- Keras 3", "functional")


def test_layers_without_a_counterpart_are_refused_by_name():
    model = Sequential([L.Input(shape=(3,)), L.Lambda(lambda t: t * 2, name="doubled")])
    with pytest.raises(ValueError, match=r"Layer 'doubled' \(Lambda\) has no counterpart in Keras's move"):
        model.to_keras()
    keras_model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.GaussianNoise(0.1, name="noisy")])
    with pytest.raises(ValueError, match=r"Layer 'noisy' \(GaussianNoise\) has no counterpart in minigraph's move"):
        from_keras(keras_model)
