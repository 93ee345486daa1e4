"""keras/layers/normalization.py: BatchNormalization against Keras 3 in both phases.

The same weights go into both layers (gamma and beta not 1 and 0, moving statistics
not 0 and 1, so each one counts); then the outputs in training and in inference,
the gradients in training (with respect to the inputs, gamma and beta: the batch
statistics are differentiated through), and the moving statistics after a few
training steps must be Keras's. Keras 2 (tf_keras) differs in one place, the moving
variance of images, and a test shows by how much.
"""

import keras  # real Keras 3 on TensorFlow
import numpy as np
import pytest
import tensorflow as tf
import tf_keras  # Keras 2

import minigraph as mg
from minigraph.keras import backend as K
from minigraph.keras.layers import BatchNormalization
from minigraph.keras.models import Sequential

TOLERANCE = 1e-5
CASES = {  # input shape, axis
    "images, channels last": ((6, 4, 5, 3), -1),
    "images, channels first": ((6, 3, 4, 5), 1),
    "rows": ((10, 7), -1),
    "sequences, axis 2 of 3": ((5, 4, 6), 2),
}


def batch(shape, seed=0) -> np.ndarray:
    """Values with a mean and a spread far from 0 and 1, different per channel."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=shape) * rng.uniform(0.5, 3.0, size=shape[-1]) + 2.0).astype(np.float32)


def start_weights(channels: int) -> list[np.ndarray]:
    """gamma, beta, moving_mean, moving_variance: none at its default."""
    rng = np.random.default_rng(1)
    return [rng.uniform(0.5, 1.5, channels).astype(np.float32), rng.normal(size=channels).astype(np.float32),
            rng.normal(size=channels).astype(np.float32), rng.uniform(0.5, 2.0, channels).astype(np.float32)]


class Ours:
    """A BatchNormalization in a fresh graph, its output and gradients ready to fetch."""

    def __init__(self, shape, axis, weights=None, **kwargs):
        self.graph = mg.Graph()
        with self.graph.as_default():
            self.x = K.placeholder(shape=(None,) + shape[1:])
            self.layer = BatchNormalization(axis=axis, **kwargs)
            self.y = self.layer(self.x)
            self.upstream = K.placeholder(shape=(None,) + shape[1:])  # the gradient from above
            self.gradients = mg.gradients(mg.reduce_sum(mg.multiply(self.y, self.upstream)),
                                          [self.x] + self.layer.trainable_weights)
            self.session = K.get_session()
            if weights is not None:
                for variable, value in zip(self.layer.weights, weights):
                    K.set_value(variable, value)

    def run(self, fetches, x, training: bool, upstream=None):
        with self.graph.as_default():
            feed = {self.x: x, K.learning_phase(): training}
            if upstream is not None:
                feed[self.upstream] = upstream
            return self.session.run(fetches, feed)

    def step(self, x):
        """One training step's updates (what fit runs with the optimizer's)."""
        self.run([self.y, self.layer.updates], x, training=True)


def theirs(shape, axis, weights, **kwargs):
    layer = keras.layers.BatchNormalization(axis=axis, **kwargs)
    layer.build((None,) + shape[1:])
    layer.set_weights(weights)
    return layer


def worst(ours, reference) -> float:
    ours, reference = np.asarray(ours, np.float64), np.asarray(reference, np.float64)
    assert ours.shape == reference.shape
    return float((np.abs(ours - reference) / np.maximum(1.0, np.abs(reference))).max())


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("training", [True, False])
def test_outputs_match_keras_in_each_phase(case, training, record_property):
    shape, axis = CASES[case]
    weights = start_weights(shape[axis])
    x = batch(shape)
    model = Ours(shape, axis, weights)
    ours = model.run(model.y, x, training)
    reference = np.asarray(theirs(shape, axis, weights)(x, training=training))
    difference = worst(ours, reference)
    record_property("worst_difference", difference)
    assert difference <= TOLERANCE, difference


@pytest.mark.parametrize("case", CASES)
def test_training_gradients_match_tensorflow(case):
    """d sum(upstream * y) / d(x, gamma, beta), through the batch's mean and variance."""
    shape, axis = CASES[case]
    weights = start_weights(shape[axis])
    x, upstream = batch(shape), batch(shape, seed=2) - 2.0
    model = Ours(shape, axis, weights)
    ours = model.run(model.gradients, x, training=True, upstream=upstream)
    layer = theirs(shape, axis, weights)
    inputs = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        total = tf.reduce_sum(layer(inputs, training=True) * upstream)
    reference = tape.gradient(total, [inputs, layer.gamma, layer.beta])
    for name, mine, expected in zip(["x", "gamma", "beta"], ours, reference):
        assert worst(mine, expected.numpy()) <= 1e-4, name


@pytest.mark.parametrize("case", CASES)
def test_moving_statistics_after_three_steps_are_keras_s(case, record_property):
    shape, axis = CASES[case]
    weights = start_weights(shape[axis])
    model, reference = Ours(shape, axis, weights, momentum=0.8), theirs(shape, axis, weights, momentum=0.8)
    for seed in range(3):
        model.step(batch(shape, seed))
        reference(batch(shape, seed), training=True)
    ours = K.batch_get_value([model.layer.moving_mean, model.layer.moving_variance])
    moved = np.abs(ours[1] - weights[3]).max()
    difference = max(worst(ours[0], reference.moving_mean.numpy()),
                     worst(ours[1], reference.moving_variance.numpy()))
    record_property("worst_difference", difference)
    assert moved > 0.1
    assert difference <= TOLERANCE, difference
    # and inference now uses them: Keras's output with the statistics it moved
    x = batch(shape, seed=9)
    assert worst(model.run(model.y, x, training=False), reference(x, training=False)) <= TOLERANCE


def test_updates_run_outside_training_change_nothing():
    shape, axis = CASES["rows"]
    weights = start_weights(7)
    model = Ours(shape, axis, weights)
    model.run(model.layer.updates, batch(shape), training=False)
    np.testing.assert_array_equal(K.get_value(model.layer.moving_mean), weights[2])
    np.testing.assert_array_equal(K.get_value(model.layer.moving_variance), weights[3])


def test_keras_2_averages_the_unbiased_variance_of_images():
    """tf_keras's fused kernel on 4-D inputs: the batch variance times n / (n - 1) (n = 6*4*5
    values per channel) where minigraph and Keras 3 average the batch's own."""
    shape, axis = CASES["images, channels last"]
    weights = start_weights(3)
    model = Ours(shape, axis, weights, momentum=0.5)
    model.step(batch(shape))
    keras_2 = tf_keras.layers.BatchNormalization(momentum=0.5)
    keras_2.build((None,) + shape[1:])
    keras_2.set_weights(weights)
    keras_2(batch(shape), training=True)
    n = 6 * 4 * 5
    batch_variance = (K.get_value(model.layer.moving_variance) - 0.5 * weights[3]) / 0.5
    np.testing.assert_allclose(keras_2.moving_variance.numpy(), 0.5 * weights[3] + 0.5 * batch_variance * n / (n - 1),
                               rtol=1e-5)
    np.testing.assert_allclose(keras_2.moving_mean.numpy(), K.get_value(model.layer.moving_mean), rtol=1e-5)


@pytest.mark.parametrize("center, scale, trainable", [(True, True, 6), (False, True, 3), (True, False, 3),
                                                      (False, False, 0)])
def test_weights_names_and_counts_are_keras_s(center, scale, trainable):
    model = Ours((2, 5, 3), -1, center=center, scale=scale)
    reference = keras.layers.BatchNormalization(center=center, scale=scale)
    reference.build((None, 5, 3))
    layer = model.layer
    assert [w.name.split("/")[-1].split(":")[0] for w in layer.weights] == [w.name for w in reference.weights]
    assert layer.count_params() == reference.count_params() == 3 * (2 + center + scale)
    assert sum(int(np.prod(w.shape)) for w in layer.trainable_weights) == trainable
    assert [w.name.split("/")[-1] for w in layer.non_trainable_weights] == ["moving_mean:0", "moving_variance:0"]


def test_a_frozen_layer_normalises_with_its_moving_statistics_as_keras_3():
    shape, axis = CASES["rows"]
    weights = start_weights(7)
    model = Ours(shape, axis, weights, trainable=False)
    reference = theirs(shape, axis, weights, trainable=False)
    x = batch(shape)
    assert worst(model.run(model.y, x, training=True), reference(x, training=True)) <= TOLERANCE
    assert model.layer.updates == []


def test_an_unknown_channel_axis_names_the_layer_and_the_shape():
    graph = mg.Graph()
    with graph.as_default(), pytest.raises(ValueError, match=r"BatchNormalization layer bn needs inputs whose "
                                                             r"axis -1 is known \(it sizes the weights\), got "
                                                             r"inputs of shape \(None, 3, None\)"):
        BatchNormalization(name="bn")(K.placeholder(shape=(None, 3, None)))


def test_unimplemented_options_are_refused_by_name():
    with pytest.raises(NotImplementedError, match="BatchNormalization: renorm=True is not implemented in minigraph"):
        BatchNormalization(renorm=True)


def test_a_model_counts_its_trainable_and_moving_weights_as_keras_2():
    """A CNN with BatchNormalization: 491 weights, 8 of them (the moving statistics) not trained."""

    def stack(library):
        return [library.layers.Conv2D(4, 3), library.layers.BatchNormalization(), library.layers.Flatten(),
                library.layers.Dense(3)]

    ours = Sequential([mg.keras.layers.Input(shape=(8, 8, 1))] + stack(mg.keras))
    theirs = tf_keras.Sequential([tf_keras.Input(shape=(8, 8, 1))] + stack(tf_keras))
    trainable = sum(int(np.prod(w.shape)) for w in ours.trainable_weights)
    assert (ours.count_params(), trainable) == (theirs.count_params(), 483) == (491, 483)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
