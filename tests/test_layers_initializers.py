"""keras/initializers.py: each recipe draws what Keras 3's draws, as a distribution.

The numbers cannot be Keras's (numpy's generator, not TF's), so each recipe is drawn
large by both, and the spreads must agree: mean, standard deviation (within 3%),
and the bounds (a uniform's limit, a truncated normal's two standard deviations).
Recipes with exact values (zeros, constant, identity) and orthogonality are checked
exactly; each name must be one Keras 2 knows.
"""

import json

import keras  # real Keras 3 on TensorFlow
import numpy as np
import pytest
import tf_keras  # Keras 2

import minigraph as mg
from minigraph.keras import backend as K
from minigraph.keras import initializers
from minigraph.keras.layers import Conv2D, Dense

SHAPE = (3, 3, 48, 64)  # a conv kernel: fan_in 432, fan_out 576, 27,648 draws
RANDOM_NAMES = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
                "random_normal", "random_uniform", "truncated_normal", "variance_scaling"]
CLASSES = [  # the same arguments for both libraries
    ("RandomNormal", {"mean": 1.0, "stddev": 0.3}),
    ("RandomUniform", {"minval": -1.0, "maxval": 2.0}),
    ("TruncatedNormal", {"mean": -0.5, "stddev": 0.2}),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "uniform"}),
    ("VarianceScaling", {"scale": 0.5, "mode": "fan_avg", "distribution": "untruncated_normal"}),
    ("VarianceScaling", {"scale": 3.0, "mode": "fan_in", "distribution": "truncated_normal"}),
    ("HeNormal", {"seed": 3}),
]


def assert_same_spread(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    spread = theirs.std()
    assert abs(ours.mean() - theirs.mean()) < 0.05 * spread + 1e-7
    assert abs(ours.std() - spread) < 0.03 * spread
    # the bounds of a uniform or a truncated normal (both reached by 27,648 draws); a
    # plain normal's tails go further (past 3.5 standard deviations)
    bounded = np.abs(theirs - theirs.mean()).max() < 3 * spread
    assert bounded == (np.abs(ours - ours.mean()).max() < 3 * spread)
    if bounded:
        assert abs(ours.min() - theirs.min()) < 0.1 * spread
        assert abs(ours.max() - theirs.max()) < 0.1 * spread


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_each_name_draws_keras_s_distribution(name):
    ours = initializers.get(name)(SHAPE, "float32")
    theirs = np.asarray(keras.initializers.get(name)(SHAPE, dtype="float32"))
    assert_same_spread(ours, theirs)


@pytest.mark.parametrize("kind, arguments", CLASSES)
def test_each_class_with_arguments_draws_keras_s_distribution(kind, arguments):
    ours = getattr(initializers, kind)(**arguments)(SHAPE, "float32")
    theirs = np.asarray(getattr(keras.initializers, kind)(**arguments)(SHAPE, dtype="float32"))
    assert_same_spread(ours, theirs)


def test_the_variance_scaling_rules_by_their_formulas():
    """std = sqrt(scale / n) (n = fan_in, fan_out or their mean), within 2% on 27,648 draws."""
    fan_in, fan_out = 3 * 3 * 48, 3 * 3 * 64
    for name, expected in [("he_normal", np.sqrt(2 / fan_in)), ("lecun_uniform", np.sqrt(1 / fan_in)),
                           ("glorot_normal", np.sqrt(2 / (fan_in + fan_out)))]:
        assert abs(initializers.get(name)(SHAPE).std() / expected - 1) < 0.02, name
    limit = np.sqrt(6 / fan_in)
    assert 0.99 * limit < np.abs(initializers.get("he_uniform")(SHAPE)).max() <= limit


def test_exact_recipes_are_keras_s():
    for kind, arguments, shape in [("Zeros", {}, (3, 4)), ("Ones", {}, (5,)), ("Constant", {"value": 0.25}, (2, 3)),
                                   ("Identity", {"gain": 2.0}, (3, 5))]:
        ours = getattr(initializers, kind)(**arguments)(shape, "float32")
        np.testing.assert_array_equal(ours, np.asarray(getattr(keras.initializers, kind)(**arguments)(shape)))


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 3, 2, 5)])
def test_orthogonal_gives_orthonormal_rows_or_columns_times_the_gain(shape):
    values = initializers.Orthogonal(gain=1.5)(shape, "float64").reshape(-1, shape[-1])
    small = min(values.shape)
    product = values.T @ values if values.shape[0] >= values.shape[1] else values @ values.T
    np.testing.assert_allclose(product, 1.5 ** 2 * np.eye(small), atol=1e-12)


def test_a_seed_repeats_the_draw_and_no_seed_does_not():
    np.testing.assert_array_equal(initializers.HeNormal(seed=4)((20, 30)), initializers.HeNormal(seed=4)((20, 30)))
    assert (initializers.HeNormal()((20, 30)) != initializers.HeNormal()((20, 30))).any()


def test_every_name_is_one_keras_2_knows():
    for name in initializers.NAMES:
        if name not in ("zero", "one"):  # Keras 1's aliases (tf_keras dropped them)
            assert type(tf_keras.initializers.get(name)).__name__ == initializers.get(name).__class__.__name__


@pytest.mark.parametrize("initializer", [initializers.RandomNormal(stddev=0.1, seed=2), initializers.HeUniform(),
                                         initializers.VarianceScaling(2.0, "fan_out", "uniform"),
                                         initializers.Constant(3.0), initializers.Orthogonal(gain=0.5)])
def test_serialize_and_get_round_trip_through_json(initializer):
    config = json.loads(json.dumps(initializers.serialize(initializer)))
    assert initializers.get(config) == initializer
    assert config["class_name"] == type(initializer).__name__


def test_layers_draw_their_kernels_with_the_recipe_they_are_given():
    graph = mg.Graph()
    with graph.as_default():
        dense = Dense(300, kernel_initializer="he_normal", bias_initializer=initializers.Constant(0.5))
        conv = Conv2D(64, 3, kernel_initializer=initializers.RandomUniform(-0.2, 0.2))
        dense(K.placeholder(shape=(None, 400)))
        conv(K.placeholder(shape=(None, 8, 8, 48)))
        kernel, bias, conv_kernel = K.batch_get_value([dense.kernel, dense.bias, conv.kernel])
    assert abs(kernel.std() / np.sqrt(2 / 400) - 1) < 0.02
    np.testing.assert_array_equal(bias, np.full(300, 0.5, np.float32))
    assert 0.19 < np.abs(conv_kernel).max() <= 0.2


def test_an_unknown_name_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"Unknown initializer 'he_normall'; known: \['constant', 'glorot_normal'"):
        initializers.get("he_normall")
    with pytest.raises(ValueError, match="VarianceScaling: mode must be one of"):
        initializers.VarianceScaling(mode="fan_sideways")
