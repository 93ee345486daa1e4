"""keras/layers/merge.py (and the activation layers of activation.py) against Keras 3.

Each merge layer is called on placeholders in a fresh graph and on the same arrays by
Keras 3; values, output shapes and default names must agree, and a list of inputs
that cannot be merged must be refused with the layer's name and every shape.
"""

import re

import keras  # real Keras 3 on TensorFlow
import numpy as np
import pytest
import tensorflow as tf

import minigraph as mg
from minigraph.keras import backend as K
from minigraph.keras import layers

MERGES = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"]


def arrays(*shapes, seed=0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype(np.float32) for shape in shapes]


def run_ours(layer, values: list):
    """The layer called on one placeholder per array: (its output, the output's static shape)."""
    graph = mg.Graph()
    with graph.as_default():
        placeholders = [K.placeholder(shape=(None,) + value.shape[1:]) for value in values]
        output = layer(placeholders if len(values) > 1 or isinstance(layer, layers.Concatenate) else placeholders[0])
        return K.get_session().run(output, dict(zip(placeholders, values))), output.shape


def merge_inputs(kind: str) -> list[np.ndarray]:
    if kind == "Subtract":
        return arrays((4, 3, 5), (4, 3, 5))
    if kind == "Concatenate":
        return arrays((4, 3, 5), (4, 3, 2), (4, 3, 1))
    return arrays((4, 3, 5), (4, 3, 5), (4, 1, 5))  # the third broadcasts along axis 1


@pytest.mark.parametrize("kind", MERGES)
def test_merge_layers_match_keras(kind):
    values = merge_inputs(kind)
    ours, shape = run_ours(getattr(layers, kind)(), values)
    reference = getattr(keras.layers, kind)()
    theirs = np.asarray(reference([tf.constant(v) for v in values]))
    assert shape[1:] == theirs.shape[1:]
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("axis", [1, -2, 0 + 2])
def test_concatenate_along_other_axes_matches_keras(axis):
    values = arrays((4, 3, 5), (4, 3, 5)) if axis == 2 else arrays((4, 3, 5), (4, 6, 5))
    ours, shape = run_ours(layers.Concatenate(axis=axis), values)
    theirs = np.asarray(keras.layers.Concatenate(axis=axis)(values))
    assert shape == (None,) + theirs.shape[1:]
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("function", ["concatenate", "add", "subtract", "multiply", "average", "maximum",
                                      "minimum"])
def test_keras_2_s_merge_functions_make_and_call_the_layer(function):
    values = arrays((2, 3), (2, 3))
    graph = mg.Graph()
    with graph.as_default():
        a, b = K.placeholder(shape=(None, 3)), K.placeholder(shape=(None, 3))
        output = getattr(layers, function)([a, b], name=f"my_{function}")
        ours = K.get_session().run(output, {a: values[0], b: values[1]})
    assert output.op.name.startswith(f"my_{function}/")
    np.testing.assert_allclose(ours, np.asarray(getattr(keras.layers, function)(values)), rtol=1e-6)


@pytest.mark.parametrize("kind", MERGES)
def test_default_names_are_keras_s(kind):
    ours, theirs = getattr(layers, kind)(), getattr(keras.layers, kind)()
    assert re.sub(r"_\d+$", "", ours.name) == re.sub(r"_\d+$", "", theirs.name)


def test_gradients_flow_to_every_input():
    graph = mg.Graph()
    with graph.as_default():
        a, b = K.placeholder(shape=(None, 3)), K.placeholder(shape=(None, 2))
        output = layers.concatenate([layers.Multiply()([a, a]), b])
        gradients = mg.gradients(mg.reduce_sum(output), [a, b])
        values = arrays((2, 3), (2, 2))
        grad_a, grad_b = K.get_session().run(gradients, {a: values[0], b: values[1]})
    np.testing.assert_allclose(grad_a, 2 * values[0], rtol=1e-6)
    np.testing.assert_array_equal(grad_b, np.ones((2, 2)))


# --- refusals -------------------------------------------------------------------------------


def refused(layer, *shapes):
    """Calls the layer on placeholders of `shapes` (a one-item list of shapes: a list of one)."""
    graph = mg.Graph()
    with graph.as_default():
        if len(shapes) == 1 and isinstance(shapes[0], list):
            layer([K.placeholder(shape=shape) for shape in shapes[0]])
            return
        placeholders = [K.placeholder(shape=shape) for shape in shapes]
        layer(placeholders if len(placeholders) > 1 else placeholders[0])


def test_an_add_of_shapes_that_do_not_broadcast_names_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"Add layer plus needs inputs of one shape \(or shapes that broadcast\), "
                                         r"got inputs of shapes \(None, 3\), \(None, 4\)"):
        refused(layers.Add(name="plus"), (None, 3), (None, 4))


def test_a_concatenate_whose_other_axes_disagree_names_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"Concatenate layer join needs inputs whose shapes match except along "
                                         r"axis -1, got inputs of shapes \(None, 3, 4\), \(None, 2, 5\)"):
        refused(layers.Concatenate(name="join"), (None, 3, 4), (None, 2, 5))


def test_a_list_of_one_is_merged_into_itself_as_keras_does():
    (value,) = arrays((2, 3))
    ours, _ = run_ours(layers.Concatenate(), [value])
    np.testing.assert_array_equal(ours, np.asarray(keras.layers.Concatenate()([value])))


def test_merges_count_their_inputs():
    with pytest.raises(ValueError, match=r"Subtract layer minus must be called on exactly 2 inputs, got 3 inputs"):
        refused(layers.Subtract(name="minus"), (None, 3), (None, 3), (None, 3))
    with pytest.raises(ValueError, match=r"Add layer plus must be called on a list of inputs, got one tensor"):
        refused(layers.Add(name="plus"), (None, 3))
    with pytest.raises(ValueError, match=r"Subtract layer minus must be called on exactly 2 inputs, got 1 inputs"):
        refused(layers.Subtract(name="minus"), [(None, 3)])


# --- activation layers ------------------------------------------------------------------------

ACTIVATION_LAYERS = [  # class, arguments (the same in Keras 3)
    ("ReLU", {}),
    ("ReLU", {"max_value": 2.5}),
    ("ReLU", {"negative_slope": 0.1, "threshold": 0.5}),
    ("ReLU", {"max_value": 6.0, "negative_slope": 0.2}),
    ("LeakyReLU", {}),
    ("LeakyReLU", {"negative_slope": 0.05}),
    ("ELU", {}),
    ("ELU", {"alpha": 0.4}),
    ("Softmax", {}),
    ("Softmax", {"axis": 1}),
]


@pytest.mark.parametrize("kind, arguments", ACTIVATION_LAYERS)
def test_activation_layers_match_keras_with_gradients(kind, arguments):
    (x,) = arrays((4, 3, 6), seed=3)
    x = (x * 3).astype(np.float32)  # past ReLU's caps and threshold
    graph = mg.Graph()
    with graph.as_default():
        placeholder = K.placeholder(shape=(None, 3, 6))
        output = getattr(layers, kind)(**arguments)(placeholder)
        (gradient,) = mg.gradients(mg.reduce_sum(mg.multiply(output, x)), [placeholder])
        ours, our_gradient = K.get_session().run([output, gradient], {placeholder: x})
    inputs = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        theirs = getattr(keras.layers, kind)(**arguments)(inputs)
        total = tf.reduce_sum(theirs * x)
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-6, atol=1e-7)
    # softmax's gradient y * (g - sum(g * y)) cancels: compare it at the scale of the largest
    np.testing.assert_allclose(our_gradient, tape.gradient(total, inputs).numpy(), rtol=1e-5,
                               atol=1e-5 * np.abs(our_gradient).max())


def test_leaky_relu_takes_keras_2_s_alpha():
    assert layers.LeakyReLU(alpha=0.1).negative_slope == 0.1
    assert layers.LeakyReLU().negative_slope == 0.3  # Keras 2's and Keras 3's default
