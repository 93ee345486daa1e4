"""Losses (minigraph/keras/losses.py) against Keras 3 on the TensorFlow backend."""

import keras  # noqa: E402  (real Keras 3 on TensorFlow: CI installs it, never skipped)
import numpy as np
import pytest

import minigraph as mg
from minigraph.keras import losses


def one_hot(rng, rows, classes=5):
    return np.eye(classes, dtype=np.float32)[rng.integers(0, classes, size=rows)]


def test_categorical_crossentropy_on_probabilities_matches_keras(graph):
    rng = np.random.default_rng(0)
    # not a softmax: rows do not sum to 1, and some entries are 0 or 1 (the clipped path)
    probabilities = rng.uniform(0, 1, size=(8, 5)).astype(np.float32)
    probabilities[0, :] = [0.0, 0.3, 0.2, 0.0, 0.5]
    probabilities[1, :] = [1.0, 0.0, 0.0, 0.0, 0.0]
    labels = one_hot(rng, 8)
    labels[0], labels[1] = np.eye(5)[0], np.eye(5)[1]  # the true class has probability 0
    y_true = mg.placeholder(mg.float32, shape=(None, 5))
    y_pred = mg.placeholder(mg.float32, shape=(None, 5))
    loss = losses.categorical_crossentropy(y_true, y_pred)
    assert "SoftmaxCrossEntropyWithLogits" not in {op.type for op in graph.get_operations()}

    value = mg.Session().run(loss, {y_true: labels, y_pred: probabilities})
    expected = keras.losses.categorical_crossentropy(labels, probabilities).numpy()
    np.testing.assert_allclose(value, expected, rtol=1e-6)
    assert value[0] == pytest.approx(-np.log(1e-7), rel=1e-6)  # clipped, not inf


def test_categorical_crossentropy_on_a_softmax_matches_keras(graph):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(8, 5)).astype(np.float32) * 3
    labels = one_hot(rng, 8)
    y_true = mg.placeholder(mg.float32, shape=(None, 5))
    z = mg.placeholder(mg.float32, shape=(None, 5))
    value = mg.Session().run(losses.categorical_crossentropy(y_true, mg.nn.softmax(z)), {y_true: labels, z: logits})
    probabilities = keras.activations.softmax(logits).numpy()
    np.testing.assert_allclose(value, keras.losses.categorical_crossentropy(labels, probabilities), rtol=1e-5)
    from_logits = keras.losses.categorical_crossentropy(labels, logits, from_logits=True)
    np.testing.assert_allclose(value, from_logits, rtol=1e-6)


def test_a_softmax_output_uses_the_fused_op_and_stays_finite_for_huge_logits(graph):
    rng = np.random.default_rng(2)
    logits = (rng.normal(size=(8, 5)) * 300).astype(np.float32)  # the worksheet's range
    labels = one_hot(rng, 8)
    y_true = mg.placeholder(mg.float32, shape=(None, 5), name="y_true")
    z = mg.placeholder(mg.float32, shape=(None, 5), name="logits")
    loss = losses.categorical_crossentropy(y_true, mg.nn.softmax(z))
    assert loss.op.type == "SoftmaxCrossEntropyWithLogits"
    assert loss.op.inputs[0] is z  # the softmax's logits (TF orders features, labels), not its output
    (gradient,) = mg.gradients(mg.reduce_mean(loss), [z])

    naive = -mg.reduce_sum(y_true * mg.log(mg.nn.softmax(z)), axis=-1)
    with np.errstate(all="ignore"):
        value, gradient_value, naive_value = mg.Session().run(
            [loss, gradient, naive], {y_true: labels, z: logits}
        )
    assert not np.isfinite(naive_value).all()  # what the trace-back avoids
    assert np.isfinite(value).all() and np.isfinite(gradient_value).all()
    expected = keras.losses.categorical_crossentropy(labels, logits, from_logits=True).numpy()
    np.testing.assert_allclose(value, expected, rtol=1e-6)
    assert value.max() > 100  # the loss is large, as it should be, but finite


def test_from_logits(graph):
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(4, 5)).astype(np.float32)
    labels = one_hot(rng, 4)
    loss = losses.categorical_crossentropy(labels, mg.constant(logits), from_logits=True)
    expected = keras.losses.categorical_crossentropy(labels, logits, from_logits=True).numpy()
    np.testing.assert_allclose(mg.Session().run(loss), expected, rtol=1e-6)


def test_mean_squared_error_matches_keras(graph):
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(2, 6, 3)).astype(np.float32)
    value = mg.Session().run(losses.get("mse")(mg.constant(a), mg.constant(b)))
    np.testing.assert_allclose(value, keras.losses.mean_squared_error(a, b).numpy(), rtol=1e-6)


def test_shapes_must_agree(graph):
    with pytest.raises(ValueError, match=r"categorical_crossentropy: y_true and y_pred must have the same shape, "
                                         r"got \(None, 3\) and \(None, 5\)"):
        losses.categorical_crossentropy(mg.placeholder(mg.float32, shape=(None, 3)),
                                        mg.placeholder(mg.float32, shape=(None, 5)))


def test_losses_by_name():
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    with pytest.raises(ValueError, match="Unknown loss 'categorical_cross_entropy'; known: .*'categorical_hinge'"):
        losses.get("categorical_cross_entropy")
