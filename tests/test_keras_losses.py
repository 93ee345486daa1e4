"""Every Keras 2 loss (minigraph/keras/losses.py) against Keras 3 on TensorFlow:
values and gradients, on random inputs and on saturated ones.

Keras is run inside a ``tf.function``: only in a graph does its TensorFlow backend see
that y_pred is a Softmax's or a Sigmoid's output and take the logits instead, which
is the path minigraph follows too. Each case feeds minigraph and Keras the same
arrays and compares the per-example losses and d(sum of losses)/d(input), where the
input is y_pred, or the logits z when y_pred = softmax(z) or sigmoid(z).
"""

import keras  # noqa: E402  (real Keras 3 on TensorFlow: CI installs it, never skipped)
import numpy as np
import pytest
import tensorflow as tf

import minigraph as mg
from minigraph.keras import losses
from support.parity import relative_error

BATCH, CLASSES = 6, 5


def probabilities(rng, saturated=False):
    """Rows in [0, 1]; saturated: with exact 0s and 1s (the clipped paths)."""
    p = rng.uniform(0.01, 0.99, size=(BATCH, CLASSES)).astype(np.float32)
    if saturated:
        p[0, :2], p[1, :2], p[2, 0] = 0.0, 1.0, 1e-9
    return p


def one_hot(rng):
    return np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, size=BATCH)]


def binary(rng):
    return rng.integers(0, 2, size=(BATCH, CLASSES)).astype(np.float32)


def normal(rng, saturated=False):
    x = rng.normal(size=(BATCH, CLASSES)).astype(np.float32) * 2
    if saturated:
        x[0, :2], x[1, :2] = 80.0, -80.0
    return x


def positive(rng, saturated=False):
    x = rng.uniform(0.1, 3.0, size=(BATCH, CLASSES)).astype(np.float32)
    if saturated:
        x[0, :2], x[1, 0] = 0.0, 1e-8
    return x


def logits(rng, saturated=False):
    z = rng.normal(size=(BATCH, CLASSES)).astype(np.float32) * 3
    if saturated:
        z[0, :] = [300.0, -300.0, 0.0, 150.0, -20.0]  # the worksheet's range: exp overflows
        z[1, :] = -200.0
    return z


# name: (y_true maker, y_pred maker, activation between the input and y_pred, extra arguments)
CASES = {
    "mean_squared_error": (normal, normal, None, {}),
    "mean_absolute_error": (normal, normal, None, {}),
    "mean_absolute_percentage_error": (normal, normal, None, {}),
    "mean_squared_logarithmic_error": (positive, positive, None, {}),
    "log_cosh": (normal, normal, None, {}),
    "huber": (normal, normal, None, {}),
    "poisson": (positive, positive, None, {}),
    "cosine_similarity": (normal, normal, None, {}),
    "kl_divergence": (probabilities, probabilities, None, {}),
    "categorical_crossentropy": (one_hot, probabilities, None, {}),
    "categorical_crossentropy through softmax": (one_hot, logits, "softmax", {}),
    "categorical_crossentropy from logits": (one_hot, logits, None, {"from_logits": True}),
    "categorical_crossentropy label smoothing": (one_hot, logits, "softmax", {"label_smoothing": 0.1}),
    "binary_crossentropy": (binary, probabilities, None, {}),
    "binary_crossentropy through sigmoid": (binary, logits, "sigmoid", {}),
    "binary_crossentropy from logits": (binary, logits, None, {"from_logits": True}),
    "binary_crossentropy soft labels": (probabilities, probabilities, None, {"label_smoothing": 0.2}),
    "hinge": (binary, normal, None, {}),
    "hinge -1 1": (lambda rng: 2 * binary(rng) - 1, normal, None, {}),
    "squared_hinge": (binary, normal, None, {}),
    "categorical_hinge": (one_hot, normal, None, {}),
}


def keras_loss(y_true, inputs, function, activation, arguments):
    """Keras 3's per-example loss and its gradient for `inputs`, in a TF graph."""
    @tf.function
    def run(y_true, inputs):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            y_pred = getattr(tf.nn, activation)(inputs) if activation else inputs
            value = function(y_true, y_pred, **arguments)
            total = tf.reduce_sum(value)
        return value, tape.gradient(total, inputs)
    value, gradient = run(tf.constant(y_true), tf.constant(inputs))
    return value.numpy(), gradient.numpy()


def minigraph_loss(y_true, inputs, function, activation, arguments, label_shape=None):
    graph = mg.Graph()
    with graph.as_default():
        labels = mg.placeholder(mg.as_dtype(y_true.dtype), shape=label_shape or (None,) + y_true.shape[1:])
        x = mg.placeholder(mg.float32, shape=(None,) + inputs.shape[1:])
        y_pred = getattr(mg.nn, activation)(x) if activation else x
        value = function(labels, y_pred, **arguments)
        assert value.shape == (None,), f"one value per example, got {value.shape}"
        gradient = mg.gradients(mg.reduce_sum(value), x)[0]
        return mg.Session(graph).run([value, gradient], {labels: y_true, x: inputs})


def assert_close(ours, theirs, what):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert np.isfinite(theirs).all() == np.isfinite(ours).all(), what
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6 * max(1.0, np.abs(theirs).max()), err_msg=what)


@pytest.mark.parametrize("saturated", [False, True], ids=["random", "saturated"])
@pytest.mark.parametrize("case", CASES, ids=CASES.keys())
def test_value_and_gradient_match_keras_3(case, saturated, parity_errors):
    make_true, make_input, activation, arguments = CASES[case]
    name = case.split(" ")[0]
    rng = np.random.default_rng(list(CASES).index(case))
    y_true = make_true(rng)
    inputs = make_input(rng, saturated)
    theirs = keras_loss(y_true, inputs, getattr(keras.losses, name), activation, arguments)
    ours = minigraph_loss(y_true, inputs, getattr(losses, name), activation, arguments)
    assert_close(ours[0], theirs[0], f"{case}: value")
    assert_close(ours[1], theirs[1], f"{case}: gradient")
    assert np.abs(theirs[1]).max() > 0  # the gradient says something
    for what, index in (("value", 0), ("gradient", 1)):
        parity_errors.record("float32, Keras losses", relative_error(ours[index], theirs[index]),
                             f"{case} {what}, {'saturated' if saturated else 'random'}")


@pytest.mark.parametrize("label_shape", [(None,), (None, 1)])
@pytest.mark.parametrize("activation, arguments", [(None, {}), ("softmax", {}), (None, {"from_logits": True})],
                         ids=["probabilities", "through softmax", "from logits"])
@pytest.mark.parametrize("label_dtype", [np.int32, np.int64, np.float32])
def test_sparse_categorical_crossentropy_matches_keras_3(label_shape, activation, arguments, label_dtype):
    rng = np.random.default_rng(3)
    classes = rng.integers(0, CLASSES, size=BATCH)
    y_true = classes.reshape((BATCH,) + label_shape[1:]).astype(label_dtype)
    inputs = logits(rng, saturated=True) if activation or arguments else probabilities(rng, saturated=True)
    if not (activation or arguments):
        y_true[:2] = 0  # the true class's probability is exactly 0 or 1: the clipped path
    theirs = keras_loss(y_true, inputs, keras.losses.sparse_categorical_crossentropy, activation, arguments)
    ours = minigraph_loss(y_true, inputs, losses.sparse_categorical_crossentropy, activation, arguments,
                          label_shape=label_shape)
    assert_close(ours[0], theirs[0], "value")
    assert_close(ours[1], theirs[1], "gradient")


def test_looking_through_the_activation_uses_the_fused_ops(graph):
    labels = mg.placeholder(mg.float32, shape=(None, 3))
    z = mg.placeholder(mg.float32, shape=(None, 3))
    losses.binary_crossentropy(labels, mg.nn.sigmoid(z))
    losses.sparse_categorical_crossentropy(mg.placeholder(mg.int64, shape=(None,)), mg.nn.softmax(z))
    types = {op.type for op in graph.get_operations()}
    assert {"SparseSoftmaxCrossEntropyWithLogits", "Log1p"} <= types  # the sigmoid's log1p(exp(-|z|))
    assert "ClipByValue" not in types


KERAS_2_NAMES = {
    "mse": "mean_squared_error", "MSE": "mean_squared_error", "mae": "mean_absolute_error",
    "MAE": "mean_absolute_error", "mape": "mean_absolute_percentage_error",
    "MAPE": "mean_absolute_percentage_error", "msle": "mean_squared_logarithmic_error",
    "MSLE": "mean_squared_logarithmic_error", "kld": "kl_divergence", "KLD": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence", "logcosh": "log_cosh", "cosine_proximity": "cosine_similarity",
    "huber_loss": "huber",
}


@pytest.mark.parametrize("alias, name", KERAS_2_NAMES.items())
def test_keras_2_aliases_name_the_same_function(alias, name):
    assert losses.get(alias) is getattr(losses, name)
    assert getattr(losses, alias, losses.get(alias)) is getattr(losses, name)


def test_every_loss_name_is_known_to_tf_keras_too():
    import tf_keras

    # cosine_proximity is Keras 2.2's name (standalone Keras), gone from tf_keras
    for name in set(losses._BY_NAME) - {"cosine_proximity"}:
        assert callable(tf_keras.losses.get(name)), name


def test_loss_objects_give_the_batch_mean_and_a_per_example_function(graph):
    rng = np.random.default_rng(9)
    labels, z = one_hot(rng), logits(rng)
    loss = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    value = mg.Session().run(loss(labels, mg.constant(z)))
    expected = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(labels, z).numpy()
    assert value == pytest.approx(expected, rel=1e-6)
    per_example = mg.Session().run(losses.get(loss)(labels, mg.constant(z)))
    assert per_example.shape == (BATCH,) and per_example.mean() == pytest.approx(expected, rel=1e-6)
    weights = rng.uniform(size=BATCH).astype(np.float32)
    weighted = mg.Session().run(loss(labels, mg.constant(z), sample_weight=weights))
    expected = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(
        labels, z, sample_weight=weights).numpy()
    assert weighted == pytest.approx(expected, rel=1e-6)
    assert losses.Huber(delta=2.0).get_config() == {"name": "huber", "delta": 2.0}
    with pytest.raises(TypeError, match=r"Hinge\(\) got unexpected keyword arguments \['from_logits'\]"):
        losses.Hinge(from_logits=True)


def test_labels_of_another_shape_are_refused_with_both_shapes(graph):
    with pytest.raises(ValueError, match=r"hinge: y_true and y_pred must have the same shape, got \(None, 3\) "
                                         r"and \(None, 4\)"):
        losses.hinge(mg.placeholder(mg.float32, shape=(None, 3)), mg.placeholder(mg.float32, shape=(None, 4)))
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: y_true must hold one class per "
                                         r"example, of shape \(None,\)"):
        losses.sparse_categorical_crossentropy(mg.placeholder(mg.int64, shape=(None, 4)),
                                               mg.placeholder(mg.float32, shape=(None, 4)))


def test_labels_of_shape_batch_against_one_output_unit(graph):
    """mse of y (batch,) against a Dense(1)'s (batch, 1): Keras brings them to one rank."""
    y = np.array([1.0, 2.0, 3.0], np.float32)
    p = np.array([[1.5], [2.0], [2.0]], np.float32)
    value = mg.Session().run(losses.mean_squared_error(mg.constant(y), mg.constant(p)))
    np.testing.assert_allclose(value, keras.losses.mean_squared_error(y, p).numpy(), rtol=1e-6)
