"""The API Keras 2's first example programs use, as they use it, on a slice of real MNIST.

Keras 2.x's ``examples/mnist_mlp.py`` and ``examples/mnist_cnn.py`` are the programs a course
runs after its first network; issue 10 is done when they run on minigraph with only their
imports changed (the full runs, 20 and 12 epochs, are far too long for a test: they are
run by hand, next to Keras, and reported in the issue). These tests make the same calls
in the same style (``import minigraph.keras as keras``, ``keras.utils.to_categorical``,
``keras.optimizers.Adadelta()``, Dropout between layers, ``fit(...,
validation_data=...)``, ``evaluate`` giving ``[loss, accuracy]``) on a few thousand
rows, and hold the results against tf_keras (the real Keras 2) where the two must agree:
the names in ``History``, what ``evaluate`` returns, the printed epochs.
"""

import numpy as np
import pytest
import tf_keras  # real Keras 2 (the test extra installs it): never skipped

import minigraph.keras as keras
from minigraph.keras import backend as K
from minigraph.keras.datasets import mnist
from minigraph.keras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from minigraph.keras.models import Sequential
from minigraph.keras.optimizers import RMSprop
from minigraph.keras.utils import set_random_seed

pytestmark = pytest.mark.slow  # real MNIST, Keras 2 training beside minigraph's
TRAIN_ROWS, TEST_ROWS = 3000, 1000


@pytest.fixture(scope="module")
def digits():
    """The programs' preprocessing: uint8 pixels to float32 in [0, 1], labels one-hot."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = x_train[:TRAIN_ROWS].astype("float32") / 255
    x_test = x_test[:TEST_ROWS].astype("float32") / 255
    return (x_train, keras.utils.to_categorical(y_train[:TRAIN_ROWS], 10)), \
        (x_test, keras.utils.to_categorical(y_test[:TEST_ROWS], 10))


def mlp(kind, dropout=0.2):
    """mnist_mlp.py's network, narrower: Dense, Dropout, Dense, Dropout, softmax."""
    model = kind.models.Sequential()
    model.add(kind.layers.Dense(64, activation="relu", input_shape=(784,)))
    model.add(kind.layers.Dropout(dropout))
    model.add(kind.layers.Dense(64, activation="relu"))
    model.add(kind.layers.Dropout(dropout))
    model.add(kind.layers.Dense(10, activation="softmax"))
    return model


def test_an_mlp_with_dropout_and_rmsprop_learns_and_reports_as_keras_2(digits, capsys):
    (x_train, y_train), (x_test, y_test) = digits
    x_train, x_test = x_train.reshape(-1, 784), x_test.reshape(-1, 784)
    set_random_seed(0)
    model = mlp(keras)
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer=RMSprop(), metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=128, epochs=3, verbose=1, validation_data=(x_test, y_test))
    printed = capsys.readouterr().out
    score = model.evaluate(x_test, y_test, verbose=0)

    reference = mlp(tf_keras)
    reference.compile(loss="categorical_crossentropy", optimizer=tf_keras.optimizers.RMSprop(), metrics=["accuracy"])
    reference_history = reference.fit(x_train, y_train, batch_size=128, epochs=3, verbose=0,
                                      validation_data=(x_test, y_test))
    reference_score = reference.evaluate(x_test, y_test, verbose=0)

    assert sorted(history.history) == sorted(reference_history.history)  # loss, accuracy, val_loss, val_accuracy
    assert isinstance(score, list) and len(score) == len(reference_score) == 2
    print(f"mlp on {TRAIN_ROWS} rows, 3 epochs: test accuracy {score[1]:.4f}, tf_keras {reference_score[1]:.4f}")
    assert score[1] > 0.78 and abs(score[1] - reference_score[1]) < 0.04  # about 0.84 each
    assert "Total params: 55,050" in printed
    assert "Epoch 3/3" in printed and "val_accuracy:" in printed


def test_dropout_is_on_in_fit_and_off_in_evaluate_and_predict(digits):
    (x_train, y_train), _ = digits
    x = x_train[:512].reshape(-1, 784)
    set_random_seed(1)
    model = mlp(keras, dropout=0.5)
    model.compile(loss="categorical_crossentropy", optimizer=RMSprop(), metrics=["accuracy"])
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    # with no step taken (learning rate 0), fit's loss is measured with units dropped,
    # evaluate's with every unit: they differ, and evaluate's repeats
    K.set_value(model.optimizer.lr, 0.0)
    fit_loss = model.fit(x, y_train[:512], batch_size=512, epochs=1, verbose=0, shuffle=False).history["loss"][0]
    evaluate_loss = model.evaluate(x, y_train[:512], batch_size=512, verbose=0)[0]
    assert evaluate_loss == model.evaluate(x, y_train[:512], batch_size=512, verbose=0)[0]
    assert abs(fit_loss - evaluate_loss) > 1e-3


def cnn(kind, input_shape):
    """mnist_cnn.py's network, narrower (8 and 16 filters, 32 units)."""
    model = kind.models.Sequential()
    model.add(kind.layers.Conv2D(8, kernel_size=(3, 3), activation="relu", input_shape=input_shape))
    model.add(kind.layers.Conv2D(16, (3, 3), activation="relu"))
    model.add(kind.layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(kind.layers.Dropout(0.25))
    model.add(kind.layers.Flatten())
    model.add(kind.layers.Dense(32, activation="relu"))
    model.add(kind.layers.Dropout(0.5))
    model.add(kind.layers.Dense(10, activation="softmax"))
    return model


def test_a_cnn_as_mnist_cnn_writes_it_trains_with_adadelta(digits):
    (x_train, y_train), (x_test, y_test) = digits
    assert K.image_data_format() == "channels_last"
    img_rows, img_cols = 28, 28
    x_train = x_train.reshape(x_train.shape[0], img_rows, img_cols, 1)
    x_test = x_test.reshape(x_test.shape[0], img_rows, img_cols, 1)
    K.clear_session()  # a fresh graph: its random ops' seeds do not depend on the tests before
    set_random_seed(2)  # weights, shuffles and Dropout's masks
    model = cnn(keras, (img_rows, img_cols, 1))
    # Keras 2.3.1's Adadelta ran at lr=1.0 (tf_keras's default is 0.001, too slow for two epochs)
    model.compile(loss=keras.losses.categorical_crossentropy, optimizer=keras.optimizers.Adadelta(learning_rate=1.0),
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=128, epochs=2, verbose=0, validation_data=(x_test, y_test))
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"cnn on {TRAIN_ROWS} rows, 2 epochs of Adadelta(1.0): test accuracy {accuracy:.4f}")
    assert history.history["loss"][1] < history.history["loss"][0]
    assert accuracy > 0.75  # 0.796 after these 48 steps, with these seeds in a fresh graph
    assert history.history["val_accuracy"][-1] == pytest.approx(accuracy, abs=1e-6)


def test_the_names_the_programs_reach_through_the_keras_module():
    """`import keras` then keras.utils..., keras.losses..., keras.optimizers...: all there."""
    assert keras.utils.to_categorical([1, 0], 2).tolist() == [[0, 1], [1, 0]]
    assert callable(keras.losses.categorical_crossentropy)
    for name in ("Adadelta", "RMSprop", "Adam", "SGD"):
        assert getattr(keras.optimizers, name)().get_config()["learning_rate"] > 0
    for layer in (Dense, Dropout, Flatten, Conv2D, MaxPooling2D):
        assert layer.__module__.startswith("minigraph.keras.layers")
    assert Sequential is keras.models.Sequential
