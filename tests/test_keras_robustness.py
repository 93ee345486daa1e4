"""Keras robustness (issue 8, the Keras parts): what minigraph.keras does with the inputs
students get wrong, against what real Keras does with them.

- an input with a None feature dim accepts every x Keras accepts (shape compatibility,
  not equality);
- no number out of nothing: empty data, empty validation_data and NaN labels are
  refused (Keras 2, the worksheet's Keras, refuses empty data too: "Expected input data
  to be non-empty"; both Kerases train NaN labels into NaN weights);
- every mistake is one clear error that names the argument and the value;
- a failed build or add leaves the model as it was, and buildable;
- fit, evaluate and predict add no node after their first call;
- predict of a million rows holds its output and one batch, nothing more.

Weight files (atomic saves, refused files) are tested in test_saving.py.
"""

import tracemalloc

import keras  # real Keras 3 on TensorFlow: CI installs it, never skipped
import numpy as np
import pytest

import minigraph as mg
from minigraph.examples.worksheet import build_model as worksheet_network
from minigraph.keras.layers import Activation, Dense, Input
from minigraph.keras.models import Sequential
from minigraph.keras.utils import to_categorical


def compiled(model, metrics=("accuracy",)):
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=list(metrics))
    return model


def small_data(rows=10, features=60, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)).astype(np.float32)
    return x, to_categorical(rng.integers(0, classes, size=rows), classes)


def assert_unchanged(model, before):
    for ours, saved in zip(model.get_weights(), before):
        np.testing.assert_array_equal(ours, saved)


def message(call) -> str:
    """The text of the error `call()` raises (a ValueError unless it says otherwise)."""
    with pytest.raises(ValueError) as error:
        call()
    return str(error.value)


# --- item 1: an input with a None feature dim -----------------------------------------


def softmax_of_any_width():
    return compiled(Sequential([Input(shape=(None,)), Activation("softmax")]))


def keras_softmax_of_any_width():
    model = keras.Sequential([keras.Input(shape=(None,)), keras.layers.Activation("softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("width", [3, 7])
def test_a_none_feature_dim_takes_every_width_keras_takes(width):
    model, reference = softmax_of_any_width(), keras_softmax_of_any_width()
    assert model.input_shape == (None, None) and model.output_shape == (None, None)
    x, y = small_data(rows=10, features=width, classes=width)
    predicted = model.predict(x, batch_size=3)  # the output's width is known once a batch has run
    assert model.predict(x[:0]).shape == (0, width)
    assert predicted.shape == (10, width) and predicted.dtype == np.float32
    np.testing.assert_allclose(predicted, reference.predict(x, verbose=0), rtol=1e-6, atol=1e-7)
    loss, accuracy = model.evaluate(x, y, verbose=0)
    reference_loss, reference_accuracy = reference.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(reference_loss, rel=1e-5) and accuracy == pytest.approx(reference_accuracy)
    with pytest.warns(UserWarning, match=f"fit\\(\\): model {model.name} has no trainable weights"):
        history = model.fit(x, y, epochs=2, verbose=0)  # Keras 3 warns as well, and measures the loss
    assert history.history["loss"] == pytest.approx([reference_loss] * 2, rel=1e-5)


def test_a_none_feature_dim_still_refuses_the_wrong_rank():
    model = softmax_of_any_width()
    for shape in [(5,), (5, 7, 2)]:
        assert message(lambda: model.predict(np.zeros(shape))) == (
            f"predict(): model {model.name} expects x of shape (None, None), got x of shape {shape}"
        )


def test_a_dense_layer_on_a_none_feature_dim_is_refused_and_the_model_left_as_it_was():
    """A Dense kernel needs the number of features (Keras refuses too); the failed add
    leaves the model with its Input only, still able to take other layers."""
    model = Sequential([Input(shape=(None,))])
    dense = Dense(3)
    assert message(lambda: model.add(dense)) == (
        f"Dense layer {dense.name} needs a known number of input features to shape its kernel, "
        "got inputs of shape (None, None)"
    )
    assert model.layers == [] and model.outputs == model.inputs and not dense.built and dense.weights == []
    model.add(Activation("softmax"))
    assert model.predict(np.zeros((2, 4))) == pytest.approx(np.full((2, 4), 0.25))
    later = Sequential([Input(shape=(4,))])
    later.add(dense)  # the refused layer is not spoiled either
    assert later.output_shape == (None, 3) and len(later.weights) == 2
    with pytest.raises(ValueError, match=r"needs a known number of input features .* shape \(None, None\)"):
        Sequential([Dense(3, input_shape=(None,))])


# --- item 14: no numbers out of nothing -----------------------------------------------


def test_empty_data_is_refused_not_averaged_to_zero():
    model = compiled(worksheet_network())
    x, y = small_data()
    before = model.get_weights()
    assert message(lambda: model.evaluate(x[:0], y[:0], verbose=0)) == (
        "evaluate(): x and y are empty (0 samples); a loss over no samples has no value"
    )
    assert message(lambda: model.fit(x[:0], y[:0], verbose=0)) == (
        "fit(): x and y are empty (0 samples); there is nothing to train on"
    )
    assert message(lambda: model.fit(x, y, validation_data=(x[:0], y[:0]), verbose=0)) == (
        "fit(): validation_data is empty (0 samples); give it at least one sample, or leave validation_data out"
    )
    assert message(lambda: model.fit(x[:1], y[:1], validation_split=0.5, verbose=0)) == (
        "fit(): validation_split=0.5 holds out all 1 samples; none are left to train on"
    )
    assert_unchanged(model, before)
    assert model.predict(x[:0]).shape == (0, 10)  # an empty array holds no made-up number


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("loss", ["categorical_crossentropy", "mse"])
def test_labels_that_are_not_finite_are_refused(bad, loss):
    """Keras trains them, into a NaN loss and NaN weights; minigraph names the row."""
    model = worksheet_network()
    model.compile(optimizer="adam", loss=loss)
    x, good = small_data()
    y = good.copy()
    y[3, 0] = bad
    before = model.get_weights()
    expected = f"y must hold finite numbers, but y[3] = {y[3].tolist()}"
    assert message(lambda: model.fit(x, y, verbose=0)) == f"fit(): {expected}"
    assert message(lambda: model.evaluate(x, y, verbose=0)) == f"evaluate(): {expected}"
    assert message(lambda: model.fit(x, good, validation_data=(x, y), verbose=0)) == (
        f"fit() validation_data: {expected}"
    )
    assert_unchanged(model, before)


# --- item 15: one clear error for each mistake ---------------------------------------


def test_validation_data_that_is_not_a_pair_is_named():
    model = compiled(worksheet_network())
    x, y = small_data()
    expected = "fit(): validation_data must be a pair (x_val, y_val) or a triple (x_val, y_val, sample_weight), got"
    assert message(lambda: model.fit(x, y, validation_data=(x,), verbose=0)) == f"{expected} a tuple of 1 item"
    assert message(lambda: model.fit(x, y, validation_data=x, verbose=0)) == (
        f"{expected} an array of shape (10, 60)"
    )
    assert message(lambda: model.fit(x, y, validation_data=(x, y, np.ones(9)), verbose=0)) == (
        "fit() validation_data: sample_weight must hold one weight per sample, shape (10,), got shape (9,)"
    )
    history = model.fit(x, y, validation_data=[x, y], verbose=0)  # a list, as Keras 2 took it
    assert "val_loss" in history.history
    # with sample weights the validation loss is their weighted mean, as evaluate gives it
    weights = np.arange(10.0)
    history = model.fit(x, y, validation_data=(x, y, weights), verbose=0)
    weighted = model.evaluate(x, y, sample_weight=weights, verbose=0)[0]
    assert history.history["val_loss"][0] == pytest.approx(weighted, rel=1e-6)


def test_metrics_are_a_list_of_known_names():
    model = worksheet_network()
    assert message(lambda: model.compile(loss="categorical_crossentropy", metrics=["a"])).startswith(
        "Unknown metric 'a'; known: ["
    )
    # the old "Unknown metric 'a'" came from here: list('accuracy') is 'a', 'c', 'c', ...
    assert message(lambda: model.compile(loss="categorical_crossentropy", metrics="accuracy")) == (
        "compile(): metrics must be a list, e.g. metrics=['accuracy'], got the string 'accuracy'"
    )
    with pytest.raises(ValueError, match="Unknown loss 'crossentropy'"):
        model.compile(optimizer="sgd", loss="crossentropy")
    assert model.loss is None and model.optimizer is None  # a refused compile compiles nothing


def test_x_that_is_not_an_array_of_numbers_is_named():
    model = compiled(worksheet_network())
    x, y = small_data()
    ragged = [list(row) for row in x]
    ragged[4] = ragged[4][:59]
    assert message(lambda: model.predict(ragged)) == (
        "predict(): x must be an array of numbers, but its rows differ in shape (x[0] has shape (60,), "
        "x[4] has shape (59,))"
    )
    assert message(lambda: model.fit(None, y, verbose=0)) == "fit(): x is missing (got None)"
    assert message(lambda: model.evaluate(x, None, verbose=0)) == "evaluate(): y is missing (got None)"
    with pytest.raises(TypeError, match=r"fit\(\): y must hold numbers, got an array of dtype <U"):
        model.fit(x, np.array(["cat"] * 10), verbose=0)
    model.compile(optimizer="adam", loss="mse")  # no talk of one-hot labels for a regression loss
    assert message(lambda: model.fit(x, y[:, 0], verbose=0)) == (
        "fit(): mean_squared_error expects y of shape (None, 10), got y of shape (10,)"
    )


def test_a_failed_first_call_leaves_the_model_buildable():
    """A model without an input shape is built by its first fit. When that build fails
    (x of the wrong rank), the next fit with the right x builds and trains it, instead
    of finding a model without weights ("No variables to optimize")."""
    with mg.Graph().as_default():  # a graph of its own, to count what the failed build left in it
        failed_first_call_then_fit()


def failed_first_call_then_fit():
    model = compiled(Sequential([Dense(16, activation="relu"), Dense(10, activation="softmax")]))
    first = model.layers[0].name
    x, y = small_data(rows=64)
    assert message(lambda: model.fit(x.reshape(64 * 60), y, verbose=0)).startswith(
        f"fit(): model {model.name} cannot be built for x of shape (3840,): Dense layer {first} needs"
    )
    assert model.inputs is None and model.weights == [] and not any(layer.built for layer in model.layers)
    history = model.fit(x, y, epochs=5, verbose=0)
    assert model.input_shape == (None, 60) and len(model.trainable_weights) == 4
    assert history.history["loss"][-1] < history.history["loss"][0]
    # the failed build left no weights behind in the graph (its placeholder stays, as in Keras 2)
    names = [op.name for op in model.graph.get_operations()]
    assert model.input.name.startswith(f"{first}_input")
    assert sum(name.endswith("kernel") for name in names) == 2


# --- the graph stops growing ------------------------------------------------------------


def test_fit_evaluate_and_predict_add_no_node_after_their_first_call():
    with mg.Graph().as_default():  # this test finalizes the graph: not Keras's default one
        no_node_added_after_the_first_call()


def no_node_added_after_the_first_call():
    model = compiled(worksheet_network())
    x, y = small_data(rows=40)
    calls = [
        lambda: model.fit(x, y, epochs=2, verbose=0),
        lambda: model.fit(x, y, epochs=1, validation_split=0.25, verbose=0),
        lambda: model.fit(x, y, epochs=1, validation_data=(x[:8], y[:8]), verbose=0),
        lambda: model.evaluate(x, y, verbose=0),
        lambda: model.predict(x),
    ]
    for call in calls:
        call()
    operations = len(model.graph.get_operations())
    for call in calls * 3:
        call()
        assert len(model.graph.get_operations()) == operations
    model.graph.finalize()  # and a graph that refuses new nodes still trains, measures and predicts
    for call in calls:
        call()
    steps = 2 * 2 + 1 + 2  # 40 rows in batches of 32: two steps an epoch; 30 after the split: one
    assert model.session.run(model.optimizer.iterations) == 5 * steps


# --- scale ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predict_of_a_million_rows_holds_its_output_and_one_batch(dtype):
    """A float64 x (what PCA returns) is cast a batch at a time, not copied whole; the
    batches' outputs go straight into the result, not into a list to concatenate."""
    model = Sequential([Dense(2, activation="softmax", input_shape=(4,))])
    x = np.random.default_rng(0).normal(size=(1_000_000, 4)).astype(dtype)
    tracemalloc.start()
    try:
        predicted = model.predict(x, batch_size=1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert predicted.shape == (1_000_000, 2) and predicted.dtype == np.float32
    print(f"predict of 1,000,000 rows from {np.dtype(dtype)}: peak {peak / 1e6:.1f} MB "
          f"for an output of {predicted.nbytes / 1e6:.1f} MB")
    assert peak < 1.5 * predicted.nbytes
    kernel, bias = model.get_weights()
    rows = np.r_[0:3, 523_263:523_266, 999_997:1_000_000]  # a batch edge and the last, partial batch
    logits = x[rows].astype(np.float32) @ kernel + bias
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(predicted[rows], expected / expected.sum(axis=1, keepdims=True), rtol=1e-5)
