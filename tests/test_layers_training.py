"""The new layers inside fit, evaluate and predict, against Keras 3 models.

What only a whole model shows: a regularizer's penalty is part of the loss ``fit``
minimises and ``evaluate`` reports; BatchNormalization's moving statistics move
with each training step (and only then); Dropout drops in ``fit`` and is the
identity in ``evaluate`` and ``predict``. The same starting weights go into a
minigraph model and a Keras 3 model; after a few SGD steps without shuffling every
weight (the moving statistics too) must agree.
"""

import keras  # real Keras 3 on TensorFlow
import numpy as np

import minigraph as mg
from minigraph.keras.models import Sequential
from minigraph.keras.utils import set_random_seed

TOLERANCE = 1e-5


def data(rows=48, features=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(rows, features)) * 2 + 1).astype(np.float32)
    return x, np.eye(classes, dtype=np.float32)[rng.integers(0, classes, size=rows)]


def both(stack_of, input_shape=(5,)):
    """The same stack in minigraph and in Keras 3 (stack_of(library) lists the layers), starting alike."""
    set_random_seed(0)
    ours = Sequential([mg.keras.layers.Input(shape=input_shape)] + stack_of(mg.keras))
    theirs = keras.Sequential([keras.Input(shape=input_shape)] + stack_of(keras))
    theirs.set_weights(ours.get_weights())
    for model, library in ((ours, mg.keras), (theirs, keras)):
        model.compile(optimizer=library.optimizers.SGD(learning_rate=0.05), loss="categorical_crossentropy")
    return ours, theirs


def worst_weight_difference(ours, theirs) -> float:
    return max(float(np.abs(a - b).max()) for a, b in zip(ours.get_weights(), theirs.get_weights()))


def regularized(library):
    regularizers = library.regularizers
    return [library.layers.Dense(8, activation="relu", kernel_regularizer=regularizers.L2(0.05),
                                 bias_regularizer=regularizers.L1(0.01), activity_regularizer=regularizers.L2(0.01)),
            library.layers.Dense(3, activation="softmax", kernel_regularizer=regularizers.L1L2(l1=0.01, l2=0.02))]


def test_penalties_are_in_the_loss_and_in_training_as_keras_s(record_property):
    x, y = data()
    ours, theirs = both(regularized)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-5)
    plain, _ = both(lambda library: [library.layers.Dense(8, activation="relu"),
                                     library.layers.Dense(3, activation="softmax")])
    assert ours.evaluate(x, y, verbose=0) > plain.evaluate(x, y, verbose=0) + 0.1  # the penalties count
    history = ours.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)  # 6 steps
    reference = theirs.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    worst = worst_weight_difference(ours, theirs)
    record_property("worst_weight_difference", worst)
    assert worst < TOLERANCE, worst
    np.testing.assert_allclose(history.history["loss"], reference.history["loss"], rtol=1e-5)


def normalized(library):
    return [library.layers.Dense(8), library.layers.BatchNormalization(momentum=0.8),
            library.layers.Activation("relu"), library.layers.Dense(3, activation="softmax")]


def test_batch_normalization_trains_and_moves_its_statistics_as_keras_s(record_property):
    x, y = data()
    ours, theirs = both(normalized)
    start = ours.get_weights()
    ours.predict(x, verbose=0)
    ours.evaluate(x, y, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(ours.get_weights(), start))  # no update outside training
    ours.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    theirs.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    moving_mean = ours.layers[1].moving_mean
    assert np.abs(mg.keras.backend.get_value(moving_mean) - start[4]).max() > 0.1
    worst = worst_weight_difference(ours, theirs)
    record_property("worst_weight_difference", worst)
    assert worst < TOLERANCE, worst
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4, atol=1e-6)


def test_dropout_drops_in_fit_only():
    """With a learning rate of 0 nothing moves, so fit's loss differs from evaluate's only
    by what Dropout drops; evaluate and predict match Keras (Dropout there is the identity)."""
    x, y = data(rows=256)
    ours, theirs = both(lambda library: [library.layers.Dense(16, activation="relu"), library.layers.Dropout(0.6),
                                         library.layers.Dense(3, activation="softmax")])
    ours.compile(optimizer=mg.keras.optimizers.SGD(learning_rate=0.0), loss="categorical_crossentropy")
    evaluated = ours.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(evaluated, theirs.evaluate(x, y, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-7)
    trained = ours.fit(x, y, batch_size=256, epochs=3, shuffle=False, verbose=0).history["loss"]
    assert all(abs(loss - evaluated) > 1e-3 for loss in trained)  # a dropped network's loss
    assert len(set(trained)) == 3  # a new mask every step
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), evaluated, rtol=1e-7)  # and nothing moved
