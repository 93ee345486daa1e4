"""keras/layers/dropout.py: Dropout, switched by Keras's learning phase, against Keras 3.

The masks cannot match Keras's bit for bit (minigraph draws with numpy, Keras with
TF's Philox), so the parity is in what a mask must do: the fraction kept (within
four standard deviations of 1 - rate), the scale of what is kept (the values Keras
keeps, where both keep, are equal), the shared mask of ``noise_shape``, and the
identity outside training. The gradient in training is the mask itself.
"""

import keras  # real Keras 3 on TensorFlow
import numpy as np
import pytest

import minigraph as mg
from minigraph.keras import backend as K
from minigraph.keras.layers import Dense, Dropout

RATE = 0.3


def inputs(shape=(400, 50), seed=0) -> np.ndarray:
    """Values away from zero, so a zero in the output means 'dropped'."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1, 1], size=shape)).astype(np.float32)


def run(layer, x, **feeds_by_phase):
    """The layer's output on x in a fresh graph; training=True feeds the learning phase True."""
    graph = mg.Graph()
    with graph.as_default():
        placeholder = K.placeholder(shape=(None,) + x.shape[1:])
        output = layer(placeholder)
        feed = {placeholder: x}
        if feeds_by_phase.get("training"):
            feed[K.learning_phase()] = True
        return K.get_session().run(output, feed)


def assert_fraction_kept(kept: np.ndarray, rate: float) -> None:
    """The kept fraction within 4 standard deviations of 1 - rate (a failure by chance: 1 in 15,000)."""
    spread = 4 * np.sqrt(rate * (1 - rate) / kept.size)
    assert abs(kept.mean() - (1 - rate)) < spread, (kept.mean(), 1 - rate, spread)


def test_training_drops_a_fraction_rate_and_scales_the_rest_as_keras_does(record_property):
    x = inputs()
    ours = run(Dropout(RATE, seed=1), x, training=True)
    theirs = np.asarray(keras.layers.Dropout(RATE, seed=1)(x, training=True))
    for output in (ours, theirs):
        assert_fraction_kept(output != 0, RATE)
    both = (ours != 0) & (theirs != 0)
    np.testing.assert_allclose(ours[both], theirs[both], rtol=1e-6)
    np.testing.assert_allclose(ours[ours != 0], x[ours != 0] / (1 - RATE), rtol=1e-6)
    record_property("fraction_kept", float((ours != 0).mean()))


def test_outside_training_it_is_the_identity_as_keras_s():
    x = inputs()
    ours = run(Dropout(0.5), x)
    np.testing.assert_array_equal(ours, x)
    np.testing.assert_array_equal(np.asarray(keras.layers.Dropout(0.5)(x, training=False)), x)


def test_outside_training_the_mask_is_one_draw():
    """The learning phase chooses dropout's arguments: in inference the noise is (1, 1)."""
    graph = mg.Graph()
    with graph.as_default():
        x = K.placeholder(shape=(None, 50))
        Dropout(0.5, name="drop")(x)
        noise_shape = graph.get_tensor_by_name("drop/noise_shape:0")
        session = K.get_session()
        assert list(session.run(noise_shape, {x: inputs()})) == [1, 1]
        assert list(session.run(noise_shape, {x: inputs(), K.learning_phase(): True})) == [400, 50]


def test_rate_zero_is_the_identity_and_adds_no_random_op():
    graph = mg.Graph()
    with graph.as_default():
        x = K.placeholder(shape=(None, 50))
        y = Dropout(0.0)(x)
        assert not [op for op in graph.get_operations() if "Random" in op.type_name]
        assert_values = K.get_session().run(y, {x: inputs(), K.learning_phase(): True})
    np.testing.assert_array_equal(assert_values, inputs())


def test_each_training_run_draws_a_new_mask_and_the_gradient_is_that_mask():
    graph = mg.Graph()
    with graph.as_default():
        x = K.placeholder(shape=(None, 50))
        y = Dropout(RATE)(x)
        (gradient,) = mg.gradients(mg.reduce_sum(y), [x])
        feed = {x: np.ones((400, 50), np.float32), K.learning_phase(): True}
        first, first_gradient = K.get_session().run([y, gradient], feed)
        second = K.get_session().run(y, feed)
    np.testing.assert_array_equal(first_gradient, first)  # d(x * mask / keep)/dx at x = 1
    assert (first != second).any()


def test_noise_shape_shares_one_mask_value_along_its_ones_as_keras_s():
    x = inputs((200, 6, 8))
    ours = run(Dropout(0.5, noise_shape=(None, 1, 8), seed=2), x, training=True)
    theirs = np.asarray(keras.layers.Dropout(0.5, noise_shape=(None, 1, 8), seed=2)(x, training=True))
    for output in (ours, theirs):
        dropped = output == 0
        assert (dropped == dropped[:, :1, :]).all()  # the same along axis 1
        assert_fraction_kept(dropped[:, 0, :] == 0, 0.5)


def test_a_seed_repeats_the_masks_in_every_session():
    x = inputs()
    first, second = (run(Dropout(RATE, seed=7), x, training=True) for _ in range(2))
    np.testing.assert_array_equal(first, second)


def test_a_fixed_learning_phase_decides_when_the_graph_is_built():
    graph = mg.Graph()
    with graph.as_default():
        K.set_learning_phase(1)
        x = K.placeholder(shape=(None, 50))
        y = Dropout(RATE)(x)
        assert_fraction_kept(K.get_session().run(y, {x: inputs()}) != 0, RATE)


def test_training_argument_overrides_the_phase():
    graph = mg.Graph()
    with graph.as_default():
        x = K.placeholder(shape=(None, 50))
        layer = Dropout(RATE)
        always, never = layer(x, training=True), layer(x, training=False)
        always_value, never_value = K.get_session().run([always, never], {x: inputs()})
    assert_fraction_kept(always_value != 0, RATE)
    np.testing.assert_array_equal(never_value, inputs())


def test_dropout_on_a_dense_layer_s_output_matches_keras_when_nothing_is_dropped():
    """Dense -> Dropout in inference: Keras's values (the layer is transparent)."""
    x = inputs((8, 5))
    kernel = np.random.default_rng(3).normal(size=(5, 4)).astype(np.float32)
    graph = mg.Graph()
    with graph.as_default():
        placeholder = K.placeholder(shape=(None, 5))
        dense = Dense(4, activation="relu")
        y = Dropout(0.5)(dense(placeholder))
        K.set_value(dense.kernel, kernel)
        ours = K.get_session().run(y, {placeholder: x})
    reference = keras.layers.Dense(4, activation="relu")
    reference.build((None, 5))
    reference.set_weights([kernel, np.zeros(4, np.float32)])
    theirs = np.asarray(keras.layers.Dropout(0.5)(reference(x), training=False))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("rate", [1.0, -0.1, "0.5", True])
def test_a_rate_outside_0_to_1_is_refused_with_its_value(rate):
    with pytest.raises(ValueError, match=r"Dropout: rate must be a number in \[0, 1\), the fraction of the "
                                         rf"inputs to drop, got {rate!r}"):
        Dropout(rate)


def test_a_noise_shape_of_another_rank_names_the_layer_and_the_shape():
    graph = mg.Graph()
    with graph.as_default(), pytest.raises(ValueError, match=r"Dropout layer drop: noise_shape \(None, 1\) "
                                                             r"needs inputs of rank 2, got inputs of shape "
                                                             r"\(None, 3, 4\)"):
        Dropout(0.5, noise_shape=(None, 1), name="drop")(K.placeholder(shape=(None, 3, 4)))


def test_set_random_seed_makes_dropout_in_fit_repeat():
    """keras.utils.set_random_seed seeds the graph's random ops too (Dropout's masks), so
    one program run twice from a fresh session trains to the same weights."""
    from minigraph.keras.models import Sequential
    from minigraph.keras.utils import set_random_seed

    x = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
    y = np.eye(2, dtype="float32")[np.arange(64) % 2]

    def train(seed):
        K.clear_session()
        set_random_seed(seed)
        model = Sequential([Dense(16, activation="relu", input_shape=(8,)), Dropout(0.5),
                            Dense(2, activation="softmax")])
        model.compile("sgd", "categorical_crossentropy")
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        return model.get_weights()

    first, again, other = train(1), train(1), train(2)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))
