"""mg.nn.dropout (ops/dropout.py): TF1's keep_prob and the newer rate, inverted scaling,
noise_shape, one mask shared by the forward run and its gradient, and the TF1 tutorial
pattern (keep_prob a placeholder: 0.5 to train, 1.0 to evaluate)."""

import numpy as np
import pytest
import tensorflow as tf

import minigraph as mg

v1 = tf.compat.v1


def test_keep_prob_placeholder_trains_at_one_half_and_evaluates_at_one(graph):
    x = mg.placeholder(mg.float32, shape=(None, 500))
    keep_prob = mg.placeholder(mg.float32)
    y = mg.nn.dropout(x, keep_prob)  # TF1's second positional argument is keep_prob
    assert y.shape == (None, 500) and y.dtype == np.float32
    data = np.random.default_rng(0).uniform(1.0, 2.0, size=(400, 500)).astype(np.float32)
    with mg.Session() as session:
        training = session.run(y, {x: data, keep_prob: 0.5})
        evaluating = session.run(y, {x: data, keep_prob: 1.0})
    kept = training != 0
    np.testing.assert_array_equal(training[kept], data[kept] * 2)  # kept values scaled by 1 / keep_prob
    assert abs(kept.mean() - 0.5) < 0.005  # 200,000 draws: std error 0.0011
    np.testing.assert_array_equal(evaluating, data)  # keep_prob 1: the plain network


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rate_drops_that_fraction_and_the_expectation_is_x(graph, dtype):
    x = mg.constant(np.full((1000, 100), 3.0, dtype=dtype))
    y = mg.nn.dropout(x, rate=0.3, seed=1)
    with mg.Session() as session:
        runs = np.stack([session.run(y) for _ in range(5)])
    assert runs.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(np.unique(runs), np.array([0.0, 3.0 / 0.7], dtype=dtype))
    assert abs(np.mean(runs == 0) - 0.3) < 0.003  # std error 0.0006
    assert abs(runs.mean() - 3.0) < 0.02  # inverted dropout keeps the expected value
    assert not np.array_equal(runs[0], runs[1])  # a new mask on every run


def test_the_gradient_drops_what_the_forward_run_dropped(graph):
    x = mg.placeholder(mg.float64, shape=(None, 6))
    keep_prob = mg.placeholder(mg.float64, shape=())
    y = mg.nn.dropout(x, keep_prob=keep_prob)
    weights = np.arange(1.0, 7.0)
    (grad,) = mg.gradients(mg.reduce_sum(y * weights), [x])
    data = np.random.default_rng(1).uniform(1.0, 2.0, size=(50, 6))
    with mg.Session() as session:
        for _ in range(3):
            value, gradient = session.run([y, grad], {x: data, keep_prob: 0.25})
            mask = value != 0
            assert 0 < mask.mean() < 1
            np.testing.assert_array_equal(gradient, np.where(mask, weights / 0.25, 0.0))


def test_a_network_trains_with_dropout_and_evaluates_deterministically(graph):
    """The TF1 tutorials' pattern: dropout between layers, keep_prob fed per run."""
    rng = np.random.default_rng(2)
    inputs = rng.normal(size=(256, 4)).astype(np.float32)
    labels = (inputs @ np.array([1.0, -2.0, 0.5, 1.5], np.float32))[:, None]
    x = mg.placeholder(mg.float32, shape=(None, 4))
    target = mg.placeholder(mg.float32, shape=(None, 1))
    keep_prob = mg.placeholder(mg.float32)
    mg.set_random_seed(0)
    hidden = mg.nn.relu(x @ mg.Variable(mg.truncated_normal((4, 32), stddev=0.5)) + mg.Variable(mg.zeros((32,))))
    output = mg.nn.dropout(hidden, keep_prob) @ mg.Variable(mg.truncated_normal((32, 1), stddev=0.1))
    loss = mg.reduce_mean(mg.square(output - target))
    train = mg.train.GradientDescentOptimizer(0.05).minimize(loss)
    with mg.Session() as session:
        session.run(mg.global_variables_initializer())
        evaluate = {x: inputs, target: labels, keep_prob: 1.0}
        before = session.run(loss, evaluate)
        for _ in range(300):
            session.run(train, {x: inputs, target: labels, keep_prob: 0.5})
        after, again = session.run(loss, evaluate), session.run(loss, evaluate)
    assert after < 0.2 * before
    assert after == again  # keep_prob 1.0: no randomness left


def test_noise_shape_drops_whole_rows_or_columns(graph):
    x = mg.placeholder(mg.float32, shape=(None, 8))
    rows = mg.nn.dropout(x, keep_prob=0.5, noise_shape=[200, 1])
    columns = mg.nn.dropout(x, rate=0.5, noise_shape=[1, 8])
    filled = mg.nn.dropout(mg.ones((200, 8)), keep_prob=0.5, noise_shape=[None, 1])  # None: x's dimension
    assert rows.shape == filled.shape == (200, 8) and columns.shape == (None, 8)  # as TF infers them
    ones = np.ones((200, 8), np.float32)
    with mg.Session() as session:
        by_row, by_column, by_filled = session.run([rows, columns, filled], {x: ones})
    for values in (by_row, by_filled):
        assert np.all((values == 0).all(axis=1) | (values == 2).all(axis=1))
        assert 50 < (values[:, 0] == 0).sum() < 150
    assert np.all((by_column == 0).all(axis=0) | (by_column == 2).all(axis=0))


def test_noise_shape_must_broadcast_to_x(graph):
    x = mg.placeholder(mg.float32, shape=(None, 4))
    with pytest.raises(ValueError, match=r"\(3, 5\) and \(None, 4\) cannot be broadcast \(node 'dropout/SelectV2'"):
        mg.nn.dropout(x, rate=0.5, noise_shape=[3, 5])
    with pytest.raises(ValueError, match=r"noise_shape \[2, 1, 4\] must broadcast to the shape of x"):
        mg.nn.dropout(x, rate=0.5, noise_shape=[2, 1, 4])
    with pytest.raises(ValueError, match=r"noise_shape \[None, 1\] has a dimension unknown here"):
        mg.nn.dropout(x, rate=0.5, noise_shape=[None, 1])


def test_a_number_that_keeps_everything_returns_x_itself(graph):
    x = mg.placeholder(mg.float32, shape=(2,))
    assert mg.nn.dropout(x, keep_prob=1.0) is x
    assert mg.nn.dropout(x, rate=0) is x


def test_seeds_repeat_the_mask(graph):
    mg.set_random_seed(5)
    y = mg.nn.dropout(mg.ones((100,)), keep_prob=0.5)
    z = mg.nn.dropout(mg.ones((100,)), keep_prob=0.5, seed=3)
    with mg.Session() as first, mg.Session() as second:
        np.testing.assert_array_equal(first.run([y, z]), second.run([y, z]))


# Each call is refused by TF 1.x too (checked below); the message is minigraph's.
REFUSALS = {
    "both": (lambda lib, x: lib.nn.dropout(x, keep_prob=0.5, rate=0.5), "Cannot specify both 'keep_prob' and 'rate'"),
    "neither": (lambda lib, x: lib.nn.dropout(x), "provide a rate to dropout: rate= .* or TF 1.x's keep_prob="),
    "keep_prob 0": (lambda lib, x: lib.nn.dropout(x, keep_prob=0.0),
                    r"keep_prob must be a scalar tensor or a float in the range \(0, 1\], got 0.0"),
    "keep_prob 1.5": (lambda lib, x: lib.nn.dropout(x, keep_prob=1.5), r"range \(0, 1\], got 1.5"),
    "rate 1": (lambda lib, x: lib.nn.dropout(x, rate=1.0), r"rate must be .* in the range \[0, 1\), got 1.0"),
    "rate -0.1": (lambda lib, x: lib.nn.dropout(x, rate=-0.1), r"range \[0, 1\), got -0.1"),
    "rate a list": (lambda lib, x: lib.nn.dropout(x, rate=[0.5, 0.5]), r"got \[0.5, 0.5\]"),
    "x of ints": (lambda lib, x: lib.nn.dropout(lib.cast(x, lib.int32), rate=0.5),
                  "x has to be a floating point tensor since it's going to be scaled. Got a int32 tensor"),
    "keep_prob of another dtype": (lambda lib, x: lib.nn.dropout(x, keep_prob=lib.placeholder(lib.float64)),
                                   "keep_prob .*float64.* must have the dtype of x"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals_as_tensorflow(case):
    build, message = REFUSALS[case]
    with mg.Graph().as_default(), pytest.raises(ValueError, match=message):
        build(mg, mg.placeholder(mg.float32, shape=(None, 4)))
    with tf.Graph().as_default(), pytest.raises(ValueError):
        build(v1, v1.placeholder(tf.float32, shape=(None, 4)))
