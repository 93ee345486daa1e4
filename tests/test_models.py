"""Sequential (minigraph/keras/models.py): parity with Keras 3 on the worksheet's network,
then the model API around it: weights files, input checks, summary, History, progress.

The parity test is the core of the training issue. minigraph's network and an
identical keras.Sequential start from the same weights, train with Adam for one epoch
over the first 6,400 MNIST-PCA rows without shuffling (200 steps), and must end with
the same weights, the same epoch loss, and the same predictions.
"""

import collections
import re

import keras  # real Keras 3 on TensorFlow: CI installs it, never skipped
import numpy as np
import pytest

import minigraph as mg
from minigraph.decomposition import PCA
from minigraph.examples.worksheet import build_keras_model, build_model
from minigraph.keras import backend as K
from minigraph.keras.datasets import mnist
from minigraph.keras.layers import Activation, Dense, Input
from minigraph.keras.models import Sequential
from minigraph.keras.utils import set_random_seed, to_categorical

PARITY_ROWS = 6400  # 200 batches of 32


def worksheet_network() -> Sequential:
    return build_model()


def keras_worksheet_network():
    return build_keras_model()


def compiled(model):
    optimizer = "adam" if isinstance(model, Sequential) else keras.optimizers.Adam()
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def mnist_pca():
    """The first 6,400 training rows and 1,000 test rows, PCA'd to 60 as the worksheet
    does (the PCA fitted on those 6,400 training rows), with one-hot labels."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = x_train[:PARITY_ROWS].reshape(PARITY_ROWS, 784).astype("float32")
    x_test = x_test[:1000].reshape(1000, 784).astype("float32")
    pca = PCA(n_components=60).fit(x_train)
    return ((pca.transform(x_train).astype("float32"), to_categorical(y_train[:PARITY_ROWS], 10)),
            (pca.transform(x_test).astype("float32"), to_categorical(y_test[:1000], 10)))


@pytest.fixture(scope="module")
def trained_pair(mnist_pca):
    """minigraph's network and Keras's, from the same weights, after one epoch each."""
    (x, y), _ = mnist_pca
    set_random_seed(0)
    model = compiled(worksheet_network())
    reference = compiled(keras_worksheet_network())
    reference.set_weights(model.get_weights())
    history = model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    reference_history = reference.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    return model, reference, history.history, reference_history.history


# --- parity with Keras 3 ---------------------------------------------------------------


@pytest.mark.slow
def test_weights_match_keras_after_200_adam_steps(trained_pair, record_property):
    model, reference, _, _ = trained_pair
    assert model.session.run(model.optimizer.iterations) == 200
    assert int(reference.optimizer.iterations.numpy()) == 200
    differences = [np.abs(ours - theirs).max() for ours, theirs in zip(model.get_weights(), reference.get_weights())]
    worst = max(differences)
    record_property("worst_weight_difference", float(worst))
    print(f"worst weight difference against Keras after 200 Adam steps: {worst:.3g}")
    assert worst < 1e-4, differences


@pytest.mark.slow
def test_epoch_loss_and_accuracy_match_keras(trained_pair, record_property):
    _, _, history, reference_history = trained_pair
    relative = abs(history["loss"][0] - reference_history["loss"][0]) / reference_history["loss"][0]
    record_property("epoch_loss_relative_difference", float(relative))
    print(f"epoch loss {history['loss'][0]:.6f} vs Keras {reference_history['loss'][0]:.6f} (relative {relative:.3g})")
    assert relative < 1e-3
    assert history["accuracy"][0] == pytest.approx(reference_history["accuracy"][0], abs=2 / PARITY_ROWS)


@pytest.mark.slow
def test_predict_and_evaluate_match_keras_on_the_same_weights(trained_pair, mnist_pca):
    model, _, _, _ = trained_pair
    _, (x_test, y_test) = mnist_pca
    reference = compiled(keras_worksheet_network())
    reference.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x_test), reference.predict(x_test, verbose=0), rtol=0, atol=1e-5)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    reference_loss, reference_accuracy = reference.evaluate(x_test, y_test, verbose=0)
    assert loss == pytest.approx(reference_loss, rel=1e-5)
    assert accuracy == pytest.approx(reference_accuracy, abs=1e-6)


def test_predict_and_evaluate_do_not_depend_on_the_batch_size(mnist_pca):
    (x, y), _ = mnist_pca
    model = compiled(worksheet_network())
    np.testing.assert_allclose(model.predict(x[:100], batch_size=7), model.predict(x[:100], batch_size=100),
                               rtol=1e-6, atol=1e-7)
    loss_small, accuracy_small = model.evaluate(x[:100], y[:100], batch_size=7, verbose=0)
    loss_whole, accuracy_whole = model.evaluate(x[:100], y[:100], batch_size=100, verbose=0)
    assert loss_small == pytest.approx(loss_whole, rel=1e-5) and accuracy_small == accuracy_whole


# --- a second fit continues ------------------------------------------------------------


def test_a_second_fit_continues_where_the_first_stopped(mnist_pca):
    """The worksheet trains 5 + 5 epochs: 1 + 1 here must be 2 in one go, bit for bit."""
    (x, y), _ = mnist_pca
    x, y = x[:640], y[:640]
    twice, once = compiled(worksheet_network()), compiled(worksheet_network())
    once.set_weights(twice.get_weights())
    steps_per_epoch = -(-(640 * 5 // 6) // 32)  # 533 training rows: 17 batches
    set_random_seed(7)
    twice.fit(x, y, epochs=1, validation_split=1 / 6, verbose=0)
    assert twice.session.run(twice.optimizer.iterations) == steps_per_epoch
    operations = len(twice.graph.get_operations())
    second = twice.fit(x, y, epochs=1, validation_split=1 / 6, verbose=0)
    assert twice.session.run(twice.optimizer.iterations) == 2 * steps_per_epoch
    assert len(twice.graph.get_operations()) == operations  # nothing added while training
    set_random_seed(7)
    both = once.fit(x, y, epochs=2, validation_split=1 / 6, verbose=0)
    for ours, theirs in zip(twice.get_weights(), once.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    assert second.history["loss"] == both.history["loss"][1:]


# --- weights (weight files: test_saving.py) ---------------------------------------------


def test_set_weights_checks_count_and_shapes_before_changing_anything():
    model = worksheet_network()
    before = model.get_weights()
    with pytest.raises(ValueError, match=f"set_weights\\(\\): model {model.name} has 4 weights, got 3 arrays"):
        model.set_weights([np.zeros_like(w) for w in before[:3]])
    wrong = [np.zeros_like(w) for w in before]
    wrong[3] = np.zeros(11, np.float32)  # the first three would fit
    with pytest.raises(ValueError, match=r"set_weights\(\): weight dense(_\d+)?/bias has shape \(10,\), "
                                         r"got an array of shape \(11,\)"):
        model.set_weights(wrong)
    for ours, saved in zip(model.get_weights(), before):
        np.testing.assert_array_equal(ours, saved)
    model.set_weights([np.ones_like(w) for w in before])
    assert all((w == 1).all() for w in model.get_weights())


# --- inputs that do not fit -------------------------------------------------------------


def small_data(rows=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 60)).astype(np.float32)
    labels = rng.integers(0, 10, size=rows)
    return x, to_categorical(labels, 10), labels


@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_inputs_that_do_not_fit_are_refused_with_a_clear_message(method):
    model = compiled(worksheet_network())
    x, y, labels = small_data()
    call = getattr(model, method)
    where = f"{method}()"
    cases = [
        ((x, y[:9]), f"{where}: x and y have different lengths: x has 10 samples, y has 9"),
        ((x[:, :50], y), f"{where}: model {model.name} expects x of shape (None, 60) (60 features per row), "
                         f"got x of shape (10, 50)"),
        ((x, labels), f"{where}: categorical_crossentropy expects y of shape (None, 10) (one-hot labels), "
                      f"got y of shape (10,); convert class indices with to_categorical(y, 10)"),
        ((x, labels[:, None]), f"{where}: categorical_crossentropy expects y of shape (None, 10) (one-hot labels), "
                               f"got y of shape (10, 1); convert class indices with to_categorical(y, 10)"),
        ((x, 2 * y), f"{where}: categorical_crossentropy expects one-hot labels (each row sums to 1), "
                     f"but y[0] = {(2 * y[0]).tolist()}"),
    ]
    before = model.get_weights()
    for arguments, message in cases:
        with pytest.raises(ValueError) as error:
            call(*arguments, verbose=0)
        assert str(error.value) == message
    for ours, saved in zip(model.get_weights(), before):
        np.testing.assert_array_equal(ours, saved)


def test_fit_before_compile_is_refused():
    model = worksheet_network()
    x, y, _ = small_data()
    with pytest.raises(RuntimeError, match=f"fit\\(\\): you must compile\\(\\) model {model.name} before using it"):
        model.fit(x, y, verbose=0)


# --- floatx --------------------------------------------------------------------------


@pytest.fixture
def floatx_float64():
    K.set_floatx("float64")
    yield
    K.set_floatx("float32")


def test_a_model_made_under_floatx_float64_computes_and_trains_in_float64(floatx_float64):
    x, y, _ = small_data(rows=64)
    model = compiled(worksheet_network())
    assert model.input.dtype == mg.float64 and model.output.dtype == mg.float64
    kernel, bias, kernel_1, bias_1 = model.get_weights()
    assert {w.dtype for w in model.get_weights()} == {np.dtype(np.float64)}
    # the float64 forward pass, to float64 precision (float32 anywhere would cost 1e-7)
    logits = np.maximum(x.astype(np.float64) @ kernel + bias, 0) @ kernel_1 + bias_1
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    predicted = model.predict(x)
    assert predicted.dtype == np.float64
    np.testing.assert_allclose(predicted, expected, rtol=1e-12, atol=1e-15)
    history = model.fit(x, y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert {w.dtype for w in model.get_weights()} == {np.dtype(np.float64)}
    # the weights' slots; the learning rate stays float32, as Keras keeps its hyper-parameters
    slots = [v for v in model.optimizer.variables() if v.dtype.kind == "f" and v.shape != ()]
    assert slots and {v.dtype for v in slots} == {mg.float64}, slots
    assert K.placeholder(shape=(2,)).dtype == mg.float64


# --- summary, History, progress ---------------------------------------------------------


@pytest.fixture
def fresh_layer_names():
    """Layer names count from 'dense' again, as in a fresh process; restored afterwards."""
    saved = collections.Counter(K._uids)
    K.reset_uids()
    yield
    K.reset_uids()
    K._uids.update(saved)


def test_clear_session_starts_a_new_graph_and_new_names(fresh_layer_names):
    """As Keras 2's: the session closed, a fresh default graph, layer names from 'dense' again."""
    model = Sequential([Dense(2, input_shape=(3,))])
    session, graph = K.get_session(), K.get_graph()
    K.clear_session()
    assert K.get_graph() is not graph and session.closed and K.get_session().graph is K.get_graph()
    assert Dense(2).name == "dense" and Dense(2).name == "dense_1"
    assert model.graph is graph  # a model built before belongs to the old graph, whose weights are gone:
    with pytest.raises(RuntimeError, match=r"K.clear_session\(\) closed Keras's session of this graph"):
        model.predict(np.ones((1, 3)))  # not silently the initial weights


def test_summary_is_the_keras_table(fresh_layer_names):
    model = Sequential([Input(shape=(60,)), Dense(128), Activation("relu"), Dense(10), Activation("softmax")])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert lines[0] == 'Model: "sequential"'
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    rows = [line.split(maxsplit=2) for line in lines if re.match(r"(dense|activation)", line)]
    assert [row[:2] for row in rows] == [["dense", "(Dense)"], ["activation", "(Activation)"],
                                         ["dense_1", "(Dense)"], ["activation_1", "(Activation)"]]
    assert [re.split(r"\s{2,}", row[2]) for row in rows] == [
        ["(None, 128)", "7808"], ["(None, 128)", "0"], ["(None, 10)", "1290"], ["(None, 10)", "0"],
    ]
    assert "Total params: 9,098" in lines
    assert "Trainable params: 9,098" in lines and "Non-trainable params: 0" in lines
    assert all(len(line) <= 65 for line in lines), text


def test_history_and_validation_split():
    # split_at = floor(10 * (1 - 1/3)) = 6: the last 4 rows validate, taken before shuffling
    x, y, _ = small_data(rows=10, seed=1)
    set_random_seed(3)
    model = compiled(worksheet_network())
    twin = compiled(worksheet_network())
    twin.set_weights(model.get_weights())
    history = model.fit(x, y, epochs=1, validation_split=1 / 3, verbose=0)  # shuffle=True
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 1 for values in history.history.values())
    assert model.history is history
    val_loss, val_accuracy = model.evaluate(x[6:], y[6:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(val_loss, rel=1e-6)
    assert history.history["val_accuracy"][0] == val_accuracy
    # trained on the first 6 rows only (one batch, so the shuffle changes only rounding)
    twin.fit(x[:6], y[:6], epochs=1, shuffle=False, verbose=0)
    for ours, theirs in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    history = model.fit(x, y, epochs=3, verbose=0)
    assert set(history.history) == {"loss", "accuracy"} and len(history.history["loss"]) == 3
    assert history.epoch == [0, 1, 2]


NUMBER = r"\d+\.\d{4}(?:e[+-]\d\d)?"  # Keras 2 prints a zero as 0.0000e+00
LOGS = f" - loss: {NUMBER} - accuracy: {NUMBER} - val_loss: {NUMBER} - val_accuracy: {NUMBER}"
STATUS = LOGS + "\n"


def test_progress_with_verbose_1_shows_a_bar_per_epoch(capsys):
    x, y, _ = small_data(rows=100)
    model = compiled(worksheet_network())
    model.fit(x, y, epochs=2, batch_size=32, validation_split=0.2, verbose=1)
    out = capsys.readouterr().out
    assert out.startswith("Train on 80 samples, validate on 20 samples\nEpoch 1/2\n")
    assert "\nEpoch 2/2\n" in out
    bars = re.findall(r"3/3 \[=+\] - \d+s \d+(?:us|ms|s)/step" + STATUS, out)  # Keras 2's finished line
    assert len(bars) == 2, out


def test_progress_with_verbose_2_is_one_line_per_epoch(capsys):
    x, y, _ = small_data(rows=100)
    model = compiled(worksheet_network())
    model.fit(x, y, epochs=2, batch_size=32, validation_split=0.2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["Train on 80 samples, validate on 20 samples", "Epoch 1/2"]
    assert lines[3] == "Epoch 2/2" and len(lines) == 5
    for line in (lines[2], lines[4]):
        assert re.fullmatch(r"3/3 - \d+s" + LOGS + r" - \d+(?:us|ms|s)/epoch - \d+(?:us|ms|s)/step", line), line
    assert "\r" not in "".join(lines)


def test_verbose_0_is_silent(capsys):
    x, y, _ = small_data(rows=100)
    model = compiled(worksheet_network())
    model.fit(x, y, epochs=2, validation_split=0.2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_compile_defaults_to_rmsprop_as_keras_does():
    model = worksheet_network()
    model.compile(loss="categorical_crossentropy")
    assert type(model.optimizer).__name__ == "RMSprop"
    assert K.get_value(model.optimizer.learning_rate) == pytest.approx(keras.optimizers.RMSprop().learning_rate)
