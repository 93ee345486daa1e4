"""Initializers (minigraph/initializers.py): TF1's graphs for each recipe, the spreads
their rules promise, TF1's names, and their refusals.

A random initializer's numbers are minigraph's own (numpy's generator, not TF's
Philox), so they are checked as distributions; the graph that draws them, with its
limits and standard deviations as constants, is compared with TF's node for node.
"""

import numpy as np
import pytest
import tensorflow as tf

import minigraph as mg
from support.graph_defs import assert_same_nodes, tensorflow_graph_def

v1 = tf.compat.v1


# one recipe per row, written once for both libraries (lib: minigraph or tf.compat.v1)
RECIPES = {
    "zeros": lambda lib: lib.zeros_initializer()((2, 3)),
    "ones int32": lambda lib: lib.ones_initializer()((4,), dtype=lib.int32),
    "constant scalar": lambda lib: lib.constant_initializer(0.5)((2, 2)),
    "constant list": lambda lib: lib.constant_initializer([1.0, 2.0, 3.0, 4.0])((2, 2)),
    "random_uniform": lambda lib: lib.random_uniform_initializer(-0.5, 0.5, seed=1)((3, 3)),
    "random_normal float64": lambda lib: lib.random_normal_initializer(1.0, 0.3)((5,), dtype=lib.float64),
    "truncated_normal": lambda lib: lib.truncated_normal_initializer(stddev=0.1, seed=2)((784, 10)),
    "glorot_uniform dense": lambda lib: lib.glorot_uniform_initializer()((784, 128)),
    "glorot_uniform conv": lambda lib: lib.glorot_uniform_initializer()((5, 5, 1, 32)),
    "glorot_normal": lambda lib: lib.glorot_normal_initializer(seed=4)((20, 30)),
    "variance_scaling fan_out untruncated": lambda lib: lib.variance_scaling_initializer(
        2.0, mode="fan_out", distribution="untruncated_normal")((6, 4)),
    "he_normal": lambda lib: lib.initializers.he_normal(seed=5)((3, 3, 8, 16)),
    "he_uniform": lambda lib: lib.initializers.he_uniform()((10,)),
    "lecun_normal": lambda lib: lib.initializers.lecun_normal()((7, 2)),
    "lecun_uniform scalar": lambda lib: lib.initializers.lecun_uniform()(()),
}


def graph_def(lib, recipe):
    graph = lib.Graph()
    with graph.as_default():
        recipe(lib)
    return tensorflow_graph_def(graph)


@pytest.mark.parametrize("recipe", RECIPES.values(), ids=RECIPES.keys())
def test_graph_matches_tensorflows(recipe):
    """Node for node, constants by value: the fans, limits and standard deviations are TF's."""
    assert_same_nodes(graph_def(mg, recipe), graph_def(v1, recipe))


def draw(initializer, shape, dtype=mg.float32):
    with mg.Graph().as_default():
        return mg.Session().run(initializer(shape, dtype=dtype))


N = 100_000


@pytest.mark.parametrize("initializer, fan, kind", [
    (mg.glorot_uniform_initializer(seed=1), (N + 100) / 2, "uniform"),
    (mg.glorot_normal_initializer(seed=2), (N + 100) / 2, "truncated"),
    (mg.initializers.he_normal(seed=3), N / 2, "truncated"),
    (mg.initializers.he_uniform(seed=4), N / 2, "uniform"),
    (mg.initializers.lecun_normal(seed=5), N, "truncated"),
    (mg.variance_scaling_initializer(3.0, "fan_out", "untruncated_normal", seed=6), 1000 / 3, "normal"),
])
def test_variance_scaling_gives_the_promised_spread(initializer, fan, kind):
    """Every rule aims at variance scale / fan: the draws' variance must be that, and a
    uniform's limit is sqrt(3 variance), a truncated normal's bound 2 of its stddevs."""
    values = draw(initializer, (N, 100) if kind != "normal" else (100, 1000))  # fans: (N, 100), (100, 1000)
    variance = 1.0 / fan
    assert abs(values.var() / variance - 1) < 0.02, values.var() / variance
    assert abs(values.mean()) < 0.01 * np.sqrt(variance)
    if kind == "uniform":
        assert np.abs(values).max() <= np.sqrt(3 * variance) * (1 + 1e-6)  # (the bound rounded to float32)
    if kind == "truncated":
        assert np.abs(values).max() <= 2 * np.sqrt(variance) / 0.87962566103423978 * (1 + 1e-6)


def test_initial_values_of_the_constant_recipes():
    np.testing.assert_array_equal(draw(mg.constant_initializer([1, 2, 3]), (2, 3)), [[1, 2, 3], [3, 3, 3]])
    np.testing.assert_array_equal(draw(mg.constant_initializer(7), (2,), mg.int64), [7, 7])
    assert draw(mg.zeros_initializer(), (2,), mg.bool).tolist() == [False, False]
    ones = draw(mg.ones_initializer(dtype=mg.float64), (3,), None)  # the constructor's dtype when the call gives none
    assert ones.dtype == np.float64 and ones.tolist() == [1.0, 1.0, 1.0]


def test_tf_initializers_names():
    """Each name TF1 has under tf.initializers that minigraph implements is the same kind of thing."""
    for name in ["constant", "ones", "zeros", "random_normal", "random_uniform", "truncated_normal",
                 "variance_scaling", "glorot_uniform", "glorot_normal"]:
        assert isinstance(getattr(mg.initializers, name)(), mg.initializers.Initializer), name
    for name in ["he_normal", "he_uniform", "lecun_normal", "lecun_uniform"]:
        assert isinstance(getattr(mg.initializers, name)(seed=1), mg.initializers.VarianceScaling), name
    assert mg.initializers.zeros is mg.zeros_initializer
    assert mg.initializers.glorot_uniform is mg.glorot_uniform_initializer
    missing = {name for name in dir(v1.initializers) if not name.startswith("_")} - set(dir(mg.initializers))
    assert missing == {"identity", "orthogonal", "tables_initializer", "uniform_unit_scaling"}
    with pytest.raises(AttributeError, match=r"tf.initializers.orthogonal \(minigraph.initializers.orthogonal\) "
                                             r"is not implemented"):
        mg.initializers.orthogonal  # noqa: B018


def test_variable_initializers_under_tf1_names():
    with mg.Graph().as_default():
        w = mg.Variable(np.float32(2.0))
        with mg.Session() as session:
            session.run(mg.initializers.global_variables())
            assert session.run(w) == 2.0
            session.run(mg.initializers.variables([w]))
            session.run(mg.initializers.local_variables())
        assert mg.initialize_all_variables().type == "NoOp"


@pytest.mark.parametrize("make, error, message", [
    (lambda: mg.variance_scaling_initializer(scale=0.0), ValueError,
     "Argument `scale` must be a positive float. Received: 0.0"),
    (lambda: mg.variance_scaling_initializer(mode="fan"), ValueError,
     "Argument `mode` should be one of ('fan_in', 'fan_out', 'fan_avg'). Received: fan"),
    (lambda: mg.variance_scaling_initializer(distribution="cauchy"), ValueError,
     "Argument `distribution` should be one of ('normal', 'uniform', 'truncated_normal', 'untruncated_normal'). "
     "Received: cauchy"),
    (lambda: mg.glorot_uniform_initializer(dtype=mg.int32), ValueError,
     "Expected floating point type, got int32 (in GlorotUniform)."),
    (lambda: mg.random_normal_initializer()((2,), dtype=mg.int32), ValueError,
     "Expected floating point type, got int32 (in random_normal_initializer)."),
    (lambda: mg.constant_initializer([1, 2, 3, 4, 5])((2, 2)), ValueError,
     "Too many elements provided. Takes at most 4, but got 5."),
    (lambda: mg.constant_initializer([1, 2, 3], verify_shape=True)((2, 2)), TypeError,
     "Expected Tensor's shape: (2, 2), but got (3,)."),
    (lambda: mg.zeros_initializer()((None, 3)), ValueError,
     "An initializer needs a fully known shape of non-negative ints, got (None, 3)"),
])
def test_refusals(make, error, message):
    with mg.Graph().as_default():
        with pytest.raises(error) as raised:
            make()
    assert str(raised.value) == message
