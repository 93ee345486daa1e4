"""Every layer's get_config is complete: ``type(layer).from_config(layer.get_config())``
makes the same layer, also after a trip through JSON (how a saved model stores it).

One example per layer class, each with arguments away from the defaults so a
forgotten one shows; a new layer class without an example fails the first test.
Each key a config writes must be one Keras 2 or Keras 3 writes for that layer.
"""

import inspect
import json
import re

import keras  # real Keras 3 on TensorFlow
import numpy as np
import pytest
import tf_keras  # Keras 2

import minigraph as mg
from minigraph.keras import backend as K
from minigraph.keras import initializers, layers, regularizers

EXAMPLES = {  # class name -> (a layer with arguments away from the defaults, the input shape to build it on)
    "Dense": (lambda: layers.Dense(7, activation="tanh", use_bias=False, kernel_initializer=initializers.HeNormal(1),
                                   kernel_regularizer=regularizers.l2(0.1), input_shape=(4,)), (None, 4)),
    "Activation": (lambda: layers.Activation("selu"), (None, 3)),
    "Flatten": (lambda: layers.Flatten(), (None, 2, 3)),
    "Reshape": (lambda: layers.Reshape((2, -1)), (None, 6)),
    "Lambda": (lambda: layers.Lambda(K.l2_normalize, output_shape=(3,), arguments={"axis": 1}), (None, 3)),
    "Dropout": (lambda: layers.Dropout(0.4, noise_shape=(None, 1), seed=3), (None, 5)),
    "BatchNormalization": (lambda: layers.BatchNormalization(
        axis=1, momentum=0.9, epsilon=1e-4, center=False, gamma_initializer=initializers.Constant(2.0),
        moving_variance_initializer="he_uniform", gamma_regularizer="l1"), (None, 3, 4)),
    "Conv2D": (lambda: layers.Conv2D(5, (3, 2), strides=2, padding="same", activation="relu",
                                     bias_initializer="ones", activity_regularizer="l2"), (None, 6, 6, 2)),
    "MaxPooling2D": (lambda: layers.MaxPooling2D((3, 3), strides=1, padding="same"), (None, 6, 6, 2)),
    "AveragePooling2D": (lambda: layers.AveragePooling2D(2, strides=(1, 2)), (None, 6, 6, 2)),
    "Concatenate": (lambda: layers.Concatenate(axis=1), [(None, 2, 3), (None, 4, 3)]),
    "Add": (lambda: layers.Add(trainable=False), [(None, 3), (None, 3)]),
    "Subtract": (lambda: layers.Subtract(), [(None, 3), (None, 3)]),
    "Multiply": (lambda: layers.Multiply(), [(None, 3), (None, 3), (None, 3)]),
    "Average": (lambda: layers.Average(), [(None, 3), (None, 3)]),
    "Maximum": (lambda: layers.Maximum(), [(None, 3), (None, 3)]),
    "Minimum": (lambda: layers.Minimum(), [(None, 3), (None, 3)]),
    "ReLU": (lambda: layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5), (None, 3)),
    "LeakyReLU": (lambda: layers.LeakyReLU(alpha=0.2), (None, 3)),
    "ELU": (lambda: layers.ELU(0.5), (None, 3)),
    "Softmax": (lambda: layers.Softmax(axis=1), (None, 3, 4)),
    "InputLayer": (lambda: layers.InputLayer(input_shape=(3,), name="entry"), None),
}

# the keys Keras writes for each layer: a layer made with its required arguments only
REQUIRED = {"Dense": (3,), "Activation": ("relu",), "Reshape": ((2,),), "Lambda": (abs,), "Dropout": (0.5,),
            "Conv2D": (2, 3)}


def layer_classes() -> dict:
    return {name: value for name, value in vars(layers).items()
            if inspect.isclass(value) and issubclass(value, layers.Layer) and value is not layers.Layer}


def through_json(config: dict) -> dict:
    return json.loads(json.dumps(config))


def built(layer, input_shape):
    """The layer called on placeholders of `input_shape` (a list of shapes for a merge) in a fresh graph."""
    graph = mg.Graph()
    with graph.as_default():
        if isinstance(input_shape, list):
            layer([K.placeholder(shape=shape) for shape in input_shape])
        elif input_shape is not None:
            layer(K.placeholder(shape=input_shape))
    return layer


def test_every_layer_class_has_an_example():
    assert sorted(layer_classes()) == sorted(EXAMPLES)


@pytest.mark.parametrize("kind", EXAMPLES)
def test_from_config_of_get_config_makes_the_same_layer(kind):
    make, input_shape = EXAMPLES[kind]
    graph = mg.Graph()
    with graph.as_default():  # names and placeholders of the layers made here stay in this graph
        original = built(make(), input_shape)
        config = through_json(original.get_config())
        copy = built(type(original).from_config(config), input_shape)
    assert type(copy) is type(original)
    assert through_json(copy.get_config()) == config
    assert [tuple(w.shape) for w in copy.weights] == [tuple(w.shape) for w in original.weights]
    assert [w.trainable for w in copy.weights] == [w.trainable for w in original.weights]
    assert copy.output_shape == original.output_shape


@pytest.mark.parametrize("kind", REQUIRED)
def test_config_keys_are_keras_s(kind):
    ours = set(getattr(layers, kind)(*REQUIRED[kind]).get_config())
    theirs = set(getattr(tf_keras.layers, kind)(*REQUIRED[kind]).get_config()) | set(
        getattr(keras.layers, kind)(*REQUIRED[kind]).get_config())
    assert ours <= theirs | {"batch_input_shape"}, ours - theirs


def test_a_config_sets_the_same_initial_recipe():
    """Two seeded kernels made from one config are equal: the recipe went through whole."""
    make, input_shape = EXAMPLES["Dense"]
    original = built(make(), input_shape)
    copy = built(layers.Dense.from_config(through_json(original.get_config())), input_shape)
    np.testing.assert_array_equal(K.get_value(original.kernel), K.get_value(copy.kernel))


@pytest.mark.parametrize("kind", sorted(set(EXAMPLES) - {"InputLayer"}))
def test_default_names_are_keras_s(kind):
    """dense, re_lu, leaky_re_lu, batch_normalization...: the class name as Keras spells it."""
    arguments = REQUIRED.get(kind, (2,) if kind == "AveragePooling2D" else ())  # Keras 3 requires its pool_size
    ours, theirs = getattr(layers, kind)(*arguments), getattr(keras.layers, kind)(*arguments)
    assert re.sub(r"_\d+$", "", ours.name) == re.sub(r"_\d+$", "", theirs.name)


KERAS_MADE = {  # class name -> constructor arguments, the same for Keras 2, Keras 3 and minigraph
    "Dense": (5,), "Conv2D": (4, 3), "BatchNormalization": (), "Dropout": (0.25,), "Activation": ("tanh",),
    "Flatten": (), "Reshape": ((3, 2),), "MaxPooling2D": (), "AveragePooling2D": (2,), "Concatenate": (),
    "Add": (), "ReLU": (), "LeakyReLU": (), "ELU": (), "Softmax": (),
}


@pytest.mark.parametrize("library", [tf_keras, keras], ids=["keras 2", "keras 3"])
@pytest.mark.parametrize("kind", KERAS_MADE)
def test_a_config_keras_writes_makes_our_layer(library, kind):
    """What Keras writes, its unimplemented options at their defaults (constraints, renorm,
    groups...), is taken; every value both write comes back the same."""
    config = getattr(library.layers, kind)(*KERAS_MADE[kind]).get_config()
    # Keras 2 writes some numbers as float32 arrays, Keras 3 a dtype as a policy object
    theirs = json.loads(json.dumps(config, default=lambda value: value.tolist()))
    if isinstance(theirs["dtype"], dict):
        theirs["dtype"] = theirs["dtype"]["config"]["name"]
    ours = through_json(getattr(layers, kind).from_config(dict(theirs)).get_config())
    for key in set(ours) & set(theirs):
        if not key.endswith("initializer"):  # (Keras adds module and registered_name to those)
            assert ours[key] == theirs[key], key
