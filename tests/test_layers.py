"""The Keras layers of minigraph/keras/layers/ and the activations of activations.py,
each against real Keras 3 (channels_last, float32).

Every layer is run twice on the same input with the same weights, once by minigraph
(inside a Sequential, through ``predict``) and once by Keras 3 (the layer called
eagerly), and must give the same values (within 1e-5, relative to values above 1)
and the same output shape. Each activation's gradient is compared with TensorFlow's
too, since several are built from ``where`` and ``minimum`` and would show a wrong
branch only there. A small CNN trained by SGD must end with Keras's weights, and
``summary()`` must count what Keras counts (the mnist_cnn example's 1,199,882).
"""

import re

import keras  # real Keras 3 on TensorFlow: CI installs it, never skipped
import numpy as np
import pytest
import tensorflow as tf
import tf_keras  # Keras 2

import minigraph as mg
from minigraph.keras import activations, layers
from minigraph.keras import backend as K
from minigraph.keras.layers import (
    Activation,
    AveragePooling2D,
    Conv2D,
    Dense,
    Flatten,
    Input,
    Lambda,
    MaxPooling2D,
    Reshape,
)
from minigraph.keras.models import Sequential
from minigraph.keras.utils import set_random_seed

ACTIVATIONS = ["relu", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus", "softsign", "linear",
               "hard_sigmoid", "exponential", "swish", "silu", "mish", "relu6", "leaky_relu", "gelu"]
TOLERANCE = 1e-5


def difference(ours, theirs) -> float:
    """The worst |ours - theirs|, relative where the values exceed 1 (exp(6) is 403)."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    assert ours.shape == theirs.shape
    return float((np.abs(ours - theirs) / np.maximum(1.0, np.abs(theirs))).max(initial=0.0))


def run_ours(layer, x, weights=None):
    """minigraph's output for x, and the layer's output shape."""
    model = Sequential([Input(shape=x.shape[1:]), layer])
    if weights is not None:
        model.set_weights(weights)
    return model.predict(x, batch_size=len(x)), layer.output_shape


def run_keras(layer, x, weights=None):
    """Keras 3's output for x, and its output shape for a batch of any size."""
    layer.build((None,) + x.shape[1:])
    if weights is not None:
        layer.set_weights(weights)
    return np.asarray(layer(x)), tuple(layer.compute_output_shape((None,) + x.shape[1:]))


def assert_same(ours_layer, keras_layer, x, weights=None, record=None):
    ours, our_shape = run_ours(ours_layer, x, weights)
    theirs, their_shape = run_keras(keras_layer, x, weights)
    assert our_shape == their_shape
    worst = difference(ours, theirs)
    if record is not None:
        record("worst_difference", worst)
    print(f"{ours_layer.name}: worst difference against Keras 3 {worst:.3g}")
    assert worst <= TOLERANCE, worst


def images(shape=(2, 7, 9, 3), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


# --- activations ---------------------------------------------------------------------------

# zero, the edges of hard_sigmoid's slope (+-3), and values far out where exp overflows
POINTS = np.array([[-100.0, -20.0, -6.0, -3.0, -1.5, -0.25, 0.0, 0.25, 1.5, 3.0, 6.0, 20.0, 88.0]],
                  dtype=np.float32)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_layer_matches_keras(name, record_property):
    x = np.concatenate([POINTS, np.random.default_rng(1).uniform(-6, 6, size=(3, 13))]).astype(np.float32)
    if name == "exponential":
        x = np.minimum(x, 20.0)  # exp(88) is float32's edge: a last-bit difference there is inf
    assert_same(Activation(name), keras.layers.Activation(name), x, record=record_property)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_dense_with_each_activation_matches_keras(name):
    x = np.random.default_rng(2).normal(size=(6, 4)).astype(np.float32)
    ours = Dense(5, activation=name, input_shape=(4,))
    kernel = np.random.default_rng(3).normal(size=(4, 5)).astype(np.float32)
    bias = np.linspace(-1, 1, 5, dtype=np.float32)
    assert_same(ours, keras.layers.Dense(5, activation=name), x, [kernel, bias])


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_gradients_match_tensorflow(name):
    """d sum(w * f(x)) / dx, against tf.GradientTape on Keras 3's activation (finite everywhere)."""
    x = np.concatenate([POINTS[:, 1:-1], [[-2.9, -0.5, 0.5, 2.9, 4.0] + [0.1] * 6]]).astype(np.float32)
    weights = np.random.default_rng(4).uniform(0.5, 1.5, size=x.shape).astype(np.float32)
    graph = mg.Graph()
    with graph.as_default():
        inputs = mg.constant(x)
        (gradient,) = mg.gradients(mg.reduce_sum(mg.multiply(activations.get(name)(inputs), weights)),
                                   [inputs])
        ours = mg.Session(graph).run(gradient)
    inputs = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        total = tf.reduce_sum(keras.activations.get(name)(inputs) * weights)
    theirs = tape.gradient(total, inputs).numpy()
    worst = difference(ours, theirs)
    print(f"{name}: worst gradient difference against TensorFlow {worst:.3g}")
    assert np.isfinite(ours).all()
    assert worst <= TOLERANCE, (ours, theirs)


@pytest.mark.parametrize("options", [{"alpha": 0.1}, {"max_value": 2.0},
                                     {"alpha": 0.2, "threshold": 1.0, "max_value": 4.0}])
def test_relu_takes_keras_2_s_options(options):
    x = np.concatenate([POINTS[:, 1:-1], [[-2.9, -0.5, 0.5, 1.5, 2.5, 4.5] + [0.1] * 5]]).astype(np.float32)
    graph = mg.Graph()
    with graph.as_default():
        ours = K.get_session().run(activations.relu(mg.constant(x), **options))
    np.testing.assert_allclose(ours, tf_keras.activations.relu(tf.constant(x), **options).numpy(), rtol=1e-6)


def test_hard_sigmoid_is_keras_3s_relu6_formula_not_keras_2s():
    ours, _ = run_ours(Activation("hard_sigmoid"), np.array([[-3.0, -1.0, 0.0, 1.0, 3.0]], np.float32))
    np.testing.assert_allclose(ours, [[0.0, 1 / 3, 0.5, 2 / 3, 1.0]], rtol=1e-6)


def test_an_unknown_activation_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match=r"Unknown activation 'relu7'; known: \['elu', 'exponential', "):
        Activation("relu7")


# --- Conv2D ------------------------------------------------------------------------------

CONVOLUTIONS = [  # kernel_size, strides, padding, activation, use_bias
    (3, (1, 1), "valid", None, True),
    ((2, 3), (2, 2), "same", "relu", True),
    (3, (2, 1), "valid", "tanh", False),
    ((3, 3), 2, "same", "softmax", True),
    (1, 1, "SAME", "elu", True),
]


@pytest.mark.parametrize("kernel_size, strides, padding, activation, use_bias", CONVOLUTIONS)
def test_conv2d_matches_keras(kernel_size, strides, padding, activation, use_bias, record_property):
    x = images()
    ours = Conv2D(4, kernel_size, strides=strides, padding=padding, activation=activation, use_bias=use_bias)
    weights = Sequential([Input(shape=x.shape[1:]), Conv2D(4, kernel_size, use_bias=use_bias)]).get_weights()
    if use_bias:  # a bias that is not zero, so it counts
        weights[1] = np.linspace(-0.5, 0.5, 4, dtype=np.float32)
    theirs = keras.layers.Conv2D(4, kernel_size, strides=strides, padding=padding.lower(), activation=activation,
                                 use_bias=use_bias)
    assert_same(ours, theirs, x, weights, record=record_property)


def test_conv2d_kernel_shape_and_glorot_fans_are_keras_s():
    """(kh, kw, in, filters), uniform within sqrt(6 / (kh*kw*in + kh*kw*filters)), as Keras draws it."""
    set_random_seed(0)
    ours = Conv2D(5, (3, 3), input_shape=(8, 8, 2))
    kernel = Sequential([ours]).get_weights()[0]
    theirs = keras.layers.Conv2D(5, (3, 3))
    theirs.build((None, 8, 8, 2))
    their_kernel = theirs.get_weights()[0]
    limit = np.sqrt(6 / (3 * 3 * 2 + 3 * 3 * 5))
    assert kernel.shape == their_kernel.shape == (3, 3, 2, 5)
    for values in (kernel, their_kernel):  # 90 draws: the largest is near the limit, none beyond it
        assert 0.8 * limit < np.abs(values).max() <= limit
    assert ours.count_params() == theirs.count_params() == 3 * 3 * 2 * 5 + 5


# --- pooling -------------------------------------------------------------------------------

POOLINGS = [  # pool_size, strides, padding
    ((2, 2), None, "valid"),
    (3, 2, "same"),
    ((2, 3), (1, 2), "same"),
    (2, 1, "valid"),
]


@pytest.mark.parametrize("kind", ["MaxPooling2D", "AveragePooling2D"])
@pytest.mark.parametrize("pool_size, strides, padding", POOLINGS)
def test_pooling_matches_keras(kind, pool_size, strides, padding, record_property):
    ours = getattr(layers, kind)(pool_size, strides=strides, padding=padding)
    theirs = getattr(keras.layers, kind)(pool_size, strides=strides, padding=padding)
    assert_same(ours, theirs, images(), record=record_property)


def test_pooling_strides_default_to_the_pool_size():
    assert MaxPooling2D((2, 3)).strides == (2, 3)
    assert AveragePooling2D(3).strides == (3, 3)


# --- Flatten and Reshape -----------------------------------------------------------------------


def test_flatten_matches_keras():
    assert_same(Flatten(), keras.layers.Flatten(), images((2, 3, 4, 5)))


@pytest.mark.parametrize("target_shape", [(12, 5), (-1, 6), (5, -1, 2), (60,)])
def test_reshape_matches_keras(target_shape):
    assert_same(Reshape(target_shape), keras.layers.Reshape(target_shape), images((2, 3, 4, 5)))


def test_reshape_refuses_a_target_of_another_size():
    model = Sequential([Input(shape=(3, 4))])
    with pytest.raises(ValueError, match=r"Reshape layer reshape(_\d+)? cannot reshape inputs of shape "
                                         r"\(None, 3, 4\) \(12 values a row\) to target_shape \(5, -1\)"):
        model.add(Reshape((5, -1)))


# --- names and errors ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten", "Reshape"])
def test_default_names_are_keras_s(kind):
    arguments = {"Conv2D": (2, 3), "Reshape": ((4,),), "AveragePooling2D": (2,)}.get(kind, ())
    ours = getattr(layers, kind)(*arguments)
    theirs = getattr(keras.layers, kind)(*arguments)
    assert re.sub(r"_\d+$", "", ours.name) == re.sub(r"_\d+$", "", theirs.name)  # conv2d, max_pooling2d...


def test_conv2d_on_rows_names_the_layer_and_the_shape():
    model = Sequential([Input(shape=(60,))])
    with pytest.raises(ValueError, match=r"Conv2D layer conv2d(_\d+)? needs images of shape "
                                         r"\(batch, height, width, channels\), got inputs of shape \(None, 60\)"):
        model.add(Conv2D(8, 3))
    assert model.layers == []


def test_bad_arguments_are_refused_with_their_value():
    with pytest.raises(ValueError, match="Conv2D: padding must be 'valid' or 'same', got 'full'"):
        Conv2D(8, 3, padding="full")
    with pytest.raises(ValueError, match=r"MaxPooling2D: pool_size must be a positive int or a pair of them, "
                                         r"got \(2, 2, 2\)"):
        MaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="Conv2D: filters must be a positive integer, got 0"):
        Conv2D(0, 3)
    with pytest.raises(NotImplementedError, match="MaxPooling2D: data_format='channels_first' is not implemented"):
        MaxPooling2D(data_format="channels_first")


def test_channels_last_and_the_activation_functions_are_taken_as_keras_2_writes_them():
    ours = Conv2D(2, 1, data_format="channels_last", activation=activations.softmax, input_shape=(3, 3, 2))
    theirs = keras.layers.Conv2D(2, 1, data_format="channels_last", activation=keras.activations.softmax)
    weights = [np.arange(4, dtype=np.float32).reshape(1, 1, 2, 2), np.zeros(2, np.float32)]
    assert_same(ours, theirs, images((2, 3, 3, 2)), weights)
    assert ours.get_config()["activation"] == "softmax"
    assert Flatten(data_format="channels_last").name.startswith("flatten")


# --- training ----------------------------------------------------------------------------------


def sequential(ours: bool, input_shape: tuple, stack_of):
    """The same Sequential in minigraph (ours) or in Keras 3: stack_of(layers module) lists its layers."""
    if ours:
        return Sequential([Input(shape=input_shape)] + stack_of(layers))
    return keras.Sequential([keras.Input(shape=input_shape)] + stack_of(keras.layers))


def small_cnn(ours: bool):
    return sequential(ours, (8, 8, 1), lambda kind: [
        kind.Conv2D(4, 3, activation="relu"), kind.MaxPooling2D(), kind.Flatten(), kind.Dense(3, activation="softmax")])


def test_a_small_cnn_trained_by_sgd_ends_with_keras_s_weights(record_property):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(64, 8, 8, 1)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=64)]
    set_random_seed(5)
    model, reference = small_cnn(True), small_cnn(False)
    model.compile(optimizer=mg.keras.optimizers.SGD(learning_rate=0.1), loss="categorical_crossentropy")
    reference.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="categorical_crossentropy")
    start = model.get_weights()
    reference.set_weights(start)
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)  # 8 steps
    reference_history = reference.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    moved = max(np.abs(after - before).max() for after, before in zip(model.get_weights(), start))
    worst = max(np.abs(ours - theirs).max() for ours, theirs in zip(model.get_weights(), reference.get_weights()))
    record_property("worst_weight_difference", float(worst))
    print(f"small CNN after 8 SGD steps: weights moved up to {moved:.3g}, worst difference against Keras {worst:.3g}")
    assert moved > 1e-2  # training did something, so matching it means something
    assert worst < 1e-4
    np.testing.assert_allclose(history.history["loss"], reference_history.history["loss"], rtol=1e-5)


# --- summary -----------------------------------------------------------------------------------


def mnist_cnn(ours: bool):
    """Keras 2's mnist_cnn.py without its Dropouts: Total params 1,199,882."""
    return sequential(ours, (28, 28, 1), lambda kind: [
        kind.Conv2D(32, kernel_size=(3, 3), activation="relu"), kind.Conv2D(64, (3, 3), activation="relu"),
        kind.MaxPooling2D(pool_size=(2, 2)), kind.Flatten(), kind.Dense(128, activation="relu"),
        kind.Dense(10, activation="softmax")])


def test_summary_counts_and_shapes_are_keras_s():
    model, reference = mnist_cnn(True), mnist_cnn(False)
    lines = []
    model.summary(print_fn=lines.append)
    # Keras 2's columns: the name and type cut at 28 characters, the shape, the count
    rows = [(line[:29].strip(), line[29:55].strip(), line[55:].strip()) for line in lines if line.startswith(
        tuple(layer.name for layer in model.layers))]
    assert len(rows) == len(reference.layers) == 6
    for (name, shape, count), layer, ours in zip(rows, reference.layers, model.layers):
        assert f"{ours.name} ({type(layer).__name__})".startswith(name)
        assert shape == str(tuple(layer.output.shape))
        assert int(count) == layer.count_params()
    assert [int(count) for _, _, count in rows] == [320, 18496, 0, 0, 1179776, 1290]  # Keras 2's mnist_cnn
    assert rows[3][1] == "(None, 9216)"
    assert "Total params: 1,199,882" in lines
    assert model.count_params() == reference.count_params() == 1_199_882


# --- Dense on sequences, and Lambda ------------------------------------------------------------


def test_dense_on_a_stack_of_rows_applies_the_kernel_on_the_last_axis_as_keras(record_property):
    """(batch, steps, features) -> (batch, steps, units), and the kernel's gradient, against Keras 3."""
    x = np.random.default_rng(6).normal(size=(3, 5, 4)).astype(np.float32)
    kernel = np.random.default_rng(7).normal(size=(4, 6)).astype(np.float32)
    bias = np.linspace(-1, 1, 6, dtype=np.float32)
    assert_same(Dense(6, activation="tanh"), keras.layers.Dense(6, activation="tanh"), x, [kernel, bias],
                record=record_property)
    graph = mg.Graph()
    with graph.as_default():
        inputs = mg.constant(x)
        layer = Dense(6, activation="tanh")
        total = mg.reduce_sum(mg.multiply(layer(inputs), x[..., :1]))
        gradients = mg.gradients(total, [layer.kernel, layer.bias])
        K.set_value(layer.kernel, kernel)
        ours = K.get_session().run(gradients)
    reference = keras.layers.Dense(6, activation="tanh")
    reference.build((None, 5, 4))
    reference.set_weights([kernel, np.zeros(6, np.float32)])
    with tf.GradientTape() as tape:
        their_total = tf.reduce_sum(reference(x) * x[..., :1])
    theirs = tape.gradient(their_total, [reference.kernel, reference.bias])
    for mine, expected in zip(ours, theirs):
        assert difference(mine, expected.numpy()) <= TOLERANCE


def test_lambda_matches_keras_on_one_tensor_and_on_a_list():
    x = images((2, 3, 4, 5))
    assert_same(Lambda(lambda t: K.square(t) - t), keras.layers.Lambda(lambda t: t * t - t), x)
    assert_same(Lambda(K.l2_normalize, arguments={"axis": 1}),
                keras.layers.Lambda(tf.math.l2_normalize, arguments={"axis": 1}), x)
    graph = mg.Graph()
    with graph.as_default():
        a, b = K.placeholder(shape=(None, 3)), K.placeholder(shape=(None, 3))
        difference_of = Lambda(lambda pair: pair[0] - pair[1])([a, b])
        value = K.get_session().run(difference_of, {a: np.ones((2, 3)), b: np.full((2, 3), 3.0)})
    np.testing.assert_array_equal(value, np.full((2, 3), -2.0))


def test_lambda_output_shape_is_stated_and_checked():
    graph = mg.Graph()
    with graph.as_default():
        x = K.placeholder(shape=(None, 3))
        unknown = K.placeholder(shape=None)
        assert Lambda(lambda t: unknown, output_shape=(3,))(x).shape == (None, 3)
        assert Lambda(lambda t: unknown, output_shape=lambda shape: shape[:1] + (7,))(x).shape == (None, 7)
        with pytest.raises(ValueError, match=r"\(None, 4\)"):
            Lambda(lambda t: t, output_shape=(4,))(x)


def test_a_lambda_function_that_cannot_be_found_again_is_refused_when_saved():
    saved = Lambda(K.square, name="squares").get_config()
    assert saved["function"] == {"module": "minigraph.keras.backend", "function_name": "square"}
    assert Lambda.from_config(saved).function is K.square
    with pytest.raises(ValueError, match=r"Lambda layer anonymous: its function <function .*<lambda>.* cannot be "
                                         r"saved, since only a function defined at the top level of an importable "
                                         r"module can be found again"):
        Lambda(lambda t: t, name="anonymous").get_config()


def test_layer_get_and_set_weights_round_trip_and_refuse_a_wrong_list_whole():
    model = Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    dense = model.layers[0]
    kernel, bias = dense.get_weights()
    assert kernel.shape == (2, 3) and bias.shape == (3,)
    dense.set_weights([np.ones((2, 3)), np.arange(3.0)])
    np.testing.assert_array_equal(K.get_value(dense.bias), [0, 1, 2])
    np.testing.assert_array_equal(model.get_weights()[0], np.ones((2, 3)))
    wrong = r"weight .*kernel has shape \(2, 3\), got an array of shape \(3, 2\) \(layer dense\S*\)"
    with pytest.raises(ValueError, match=wrong):
        dense.set_weights([np.zeros((3, 2)), np.full(3, 9.0)])
    np.testing.assert_array_equal(K.get_value(dense.bias), [0, 1, 2])  # nothing changed
    with pytest.raises(ValueError, match="has 2 weights, got 1 arrays"):
        dense.set_weights([np.zeros((2, 3))])
