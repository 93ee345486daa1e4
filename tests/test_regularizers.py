"""keras/regularizers.py: the penalties, their names, and the layers that take them, against Keras 3.

A penalty is a scalar tensor in the layer's ``losses``; its value and its gradient
must be Keras's, for a kernel, a bias and an activity (divided by the batch size);
a model's loss must include them as Keras's does, and training with them must end
with Keras's weights.
"""

import json

import keras  # real Keras 3 on TensorFlow
import numpy as np
import pytest
import tf_keras  # Keras 2

import minigraph as mg
from minigraph.keras import backend as K
from minigraph.keras import regularizers
from minigraph.keras.layers import Conv2D, Dense

WEIGHTS = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
PENALTIES = [  # ours, Keras 3's
    (regularizers.l1(0.02), keras.regularizers.L1(0.02)),
    (regularizers.l2(0.03), keras.regularizers.L2(0.03)),
    (regularizers.l1_l2(l1=0.01, l2=0.05), keras.regularizers.L1L2(l1=0.01, l2=0.05)),
    (regularizers.L1L2(l2=0.2), keras.regularizers.L1L2(l2=0.2)),
]


@pytest.mark.parametrize("ours, theirs", PENALTIES, ids=repr)
def test_penalties_match_keras_with_their_gradients(ours, theirs):
    graph = mg.Graph()
    with graph.as_default():
        weights = mg.Variable(WEIGHTS)
        penalty = ours(weights)
        (gradient,) = mg.gradients(penalty, [weights])
        value, gradient_value = K.get_session().run([penalty, gradient])
    np.testing.assert_allclose(value, float(theirs(WEIGHTS)), rtol=1e-6)
    l1, l2 = ours.get_config().get("l1", 0.0), ours.get_config().get("l2", 0.0)
    np.testing.assert_allclose(gradient_value, l1 * np.sign(WEIGHTS) + 2 * l2 * WEIGHTS, rtol=1e-6)


def test_keras_2_s_names_and_defaults():
    assert regularizers.get("l2") == regularizers.L2(0.01)
    assert regularizers.get("l1") == regularizers.L1(0.01)
    assert regularizers.get("l1_l2") == regularizers.L1L2(l1=0.01, l2=0.01)
    for name in ("l1", "l2", "l1_l2"):  # Keras 2 writes its factors in float32
        keras_2 = tf_keras.regularizers.get(name).get_config()
        ours = regularizers.get(name).get_config()
        assert ours.keys() == keras_2.keys()
        np.testing.assert_allclose(list(ours.values()), list(keras_2.values()), rtol=1e-7)
    assert regularizers.L1L2().get_config() == tf_keras.regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.get(None) is None


@pytest.mark.parametrize("regularizer", [regularizers.l1(0.5), regularizers.l2(), regularizers.L1L2(0.1, 0.2)])
def test_serialize_and_get_round_trip_through_json(regularizer):
    assert regularizers.get(json.loads(json.dumps(regularizers.serialize(regularizer)))) == regularizer


def test_bad_factors_and_names_are_refused_with_their_value():
    with pytest.raises(ValueError, match="Regularizer: l2 must be a number >= 0, got -1"):
        regularizers.l2(-1)
    with pytest.raises(ValueError, match=r"Unknown regularizer 'l3'; known: \['l1', 'l1_l2', 'l2'\]"):
        regularizers.get("l3")


# --- in layers ------------------------------------------------------------------------------


def layer_losses(layer, x, weights):
    """The values of layer.losses after calling it on x with `weights`."""
    graph = mg.Graph()
    with graph.as_default():
        placeholder = K.placeholder(shape=(None,) + x.shape[1:])
        layer(placeholder)
        for variable, value in zip(layer.weights, weights):
            K.set_value(variable, value)
        return K.get_session().run(layer.losses, {placeholder: x})


def keras_losses(layer, x, weights):
    layer.build((None,) + x.shape[1:])
    layer.set_weights(weights)
    layer(x)
    return [float(loss) for loss in layer.losses]


REGULARIZED = {  # the same arguments for both libraries: kernel, bias and activity penalties
    "kernel_regularizer": lambda lib: lib.regularizers.L2(0.1),
    "bias_regularizer": lambda lib: lib.regularizers.L1(0.3),
    "activity_regularizer": lambda lib: lib.regularizers.L1L2(l1=0.01, l2=0.02),
}


@pytest.mark.parametrize("which", list(REGULARIZED) + ["all"])
def test_dense_losses_match_keras(which):
    arguments = {name: make for name, make in REGULARIZED.items() if which in (name, "all")}
    x = np.random.default_rng(1).normal(size=(6, 5)).astype(np.float32)
    weights = [WEIGHTS, np.linspace(-1, 1, 4, dtype=np.float32)]
    ours = layer_losses(Dense(4, activation="relu", **{k: make(mg.keras) for k, make in arguments.items()}),
                        x, weights)
    theirs = keras_losses(keras.layers.Dense(4, activation="relu", **{k: make(keras) for k, make in
                                                                       arguments.items()}), x, weights)
    assert len(ours) == len(theirs) == len(arguments)
    np.testing.assert_allclose(sorted(ours), sorted(theirs), rtol=1e-6)


def test_conv2d_losses_match_keras():
    arguments = {name: make for name, make in REGULARIZED.items()}
    x = np.random.default_rng(2).normal(size=(3, 6, 6, 2)).astype(np.float32)
    kernel = np.random.default_rng(3).normal(size=(3, 3, 2, 4)).astype(np.float32)
    weights = [kernel, np.linspace(-1, 1, 4, dtype=np.float32)]
    ours = layer_losses(Conv2D(4, 3, **{k: make(mg.keras) for k, make in arguments.items()}), x, weights)
    theirs = keras_losses(keras.layers.Conv2D(4, 3, **{k: make(keras) for k, make in arguments.items()}),
                          x, weights)
    np.testing.assert_allclose(sorted(ours), sorted(theirs), rtol=1e-6)


def test_a_kernel_penalty_is_named_as_keras_2_names_it():
    graph = mg.Graph()
    with graph.as_default():
        layer = Dense(3, kernel_regularizer="l2", name="dense")
        layer(K.placeholder(shape=(None, 2)))
        assert layer.losses[0].op.name.startswith("dense/kernel/Regularizer/")


def test_a_config_keeps_the_regularizers():
    layer = Dense(3, kernel_regularizer=regularizers.l2(0.5), activity_regularizer="l1")
    config = json.loads(json.dumps(layer.get_config()))
    copy = Dense.from_config(config)
    assert copy.kernel_regularizer == regularizers.L2(0.5)
    assert copy.activity_regularizer == regularizers.L1(0.01)
    assert copy.bias_regularizer is None
