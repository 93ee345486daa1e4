"""The random ops (ops/random.py): TF1's graphs and seeds, the distributions they draw,
the same numbers for the same seeds in every session and process, and a fresh draw
on every run.

minigraph draws with numpy's generators, TF with Philox: the same seeds give other
numbers, so values are compared as distributions (with tolerances of about five
standard errors of each statistic), and the graphs, node for node, with TF's."""

import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

import minigraph as mg

v1 = tf.compat.v1

# --- the graphs and seeds are TF's ----------------------------------------------------

# one program, built with either library: lib is minigraph or tf.compat.v1
PROGRAMS = {
    "every builder": lambda lib: [
        lib.random_normal((2, 3), mean=1.0, stddev=2.0),
        lib.truncated_normal([4]),
        lib.random_uniform((2, 3)),
        lib.random_uniform((2, 3), minval=1, maxval=3.0),
        lib.random_uniform((2,), maxval=5.0),
        lib.random_uniform((3,), minval=-2, maxval=5, dtype=lib.int32),
        lib.random_uniform((3,), 0, 10, dtype=lib.int64),
        lib.random_normal((2,), dtype=lib.float64, seed=5),
        lib.random_shuffle([1, 2, 3]),
        lib.multinomial([[0.0, 1.0]], 5),
        lib.multinomial([[0.0, 1.0]], 2, output_dtype=lib.int32, seed=9),
    ],
    "tf.random names": lambda lib: [
        lib.random.normal((2,)),
        lib.random.uniform((2,)),
        lib.random.truncated_normal((2,), seed=3),
        lib.random.shuffle([[1.0, 2.0], [3.0, 4.0]]),
        lib.random.categorical([[1.0, 1.0]], 3),
    ],
    # TF's dropout builds other nodes around it, but its draw takes the next op seed
    "dropout takes a seed like any random op": lambda lib: [
        lib.random_normal((2, 2)),
        lib.nn.dropout(lib.ones((2, 2)), rate=0.5),
        lib.random_normal((2, 2)),
    ],
}


def build_with(lib, program, graph_seed):
    graph = lib.Graph()
    with graph.as_default():
        if graph_seed is not None:
            lib.set_random_seed(graph_seed)
        program(lib)
    return graph


def as_tensorflow_graph_def(graph):
    """A graph's GraphDef as TF's protobuf: minigraph's text format parsed by TF's parser."""
    from google.protobuf import text_format

    if isinstance(graph, mg.Graph):
        return text_format.Parse(str(graph.as_graph_def()), v1.GraphDef())
    return graph.as_graph_def()


@pytest.mark.parametrize("graph_seed", [None, 3, 0, 2**31 + 5], ids=["no graph seed", "3", "0", "2**31 + 5"])
@pytest.mark.parametrize("program", sorted(set(PROGRAMS) - {"dropout takes a seed like any random op"}))
def test_graph_def_matches_tensorflows(program, graph_seed):
    """Node for node: names, op types, inputs and attributes, seeds included."""
    ours, theirs = (as_tensorflow_graph_def(build_with(lib, PROGRAMS[program], graph_seed)) for lib in (mg, v1))
    assert [(n.name, n.op, list(n.input)) for n in ours.node] == [(n.name, n.op, list(n.input)) for n in theirs.node]
    for mine, reference in zip(ours.node, theirs.node):
        assert set(mine.attr) == set(reference.attr), mine.name
        for key, value in reference.attr.items():
            if value.HasField("tensor"):
                np.testing.assert_array_equal(tf.make_ndarray(mine.attr[key].tensor), tf.make_ndarray(value.tensor))
            else:
                assert mine.attr[key] == value, (mine.name, key)


@pytest.mark.parametrize("graph_seed", [None, 7])
def test_dropouts_draw_takes_the_op_seed_tensorflow_gives_it(graph_seed):
    program = PROGRAMS["dropout takes a seed like any random op"]
    ours, theirs = (
        [(n.op, n.attr["seed"].i, n.attr["seed2"].i)
         for n in as_tensorflow_graph_def(build_with(lib, program, graph_seed)).node if "seed" in n.attr]
        for lib in (mg, v1)
    )
    assert len(ours) == 3 and ours == theirs


def test_get_seed_is_tf1s_rule(graph):
    assert mg.random.get_seed(None) == (None, None)  # nothing set: nondeterministic
    assert mg.random.get_seed(5) == (87654321, 5)  # op seed only: TF's default graph seed
    mg.set_random_seed(3)
    assert graph.seed == 3
    assert [mg.random.get_seed(None) for _ in range(3)] == [(3, 0), (3, 1), (3, 2)]  # a counter per graph
    assert mg.random.get_seed(11) == (3, 11)  # both: both, and the counter does not move
    assert mg.random.get_seed(None) == (3, 3)
    mg.random.set_random_seed(0)
    assert mg.random.get_seed(0) == (0, 2**31 - 1)  # (0, 0) would mean "no seed"


# --- distributions -------------------------------------------------------------------

N = 200_000


def draw(tensor, feed_dict=None):
    with mg.Session() as session:
        return session.run(tensor, feed_dict)


def test_random_normal_has_its_mean_and_stddev(graph):
    values = draw(mg.random_normal((N,), mean=3.0, stddev=2.0, seed=1))
    assert values.dtype == np.float32 and values.shape == (N,)
    # standard errors: 2 / sqrt(N) = 0.0045 for the mean, 2 / sqrt(2 N) = 0.0032 for the std
    assert abs(values.mean() - 3.0) < 0.025
    assert abs(values.std() - 2.0) < 0.016
    assert abs(np.mean(np.abs(values - 3.0) < 2.0) - 0.6827) < 0.006  # the normal's one-sigma mass


def test_truncated_normal_draws_again_beyond_two_stddev(graph):
    values = draw(mg.truncated_normal((N,), mean=-1.0, stddev=0.5, seed=2, dtype=mg.float64))
    assert values.dtype == np.float64
    z = (values + 1.0) / 0.5
    assert np.all(np.abs(z) <= 2.0)
    # re-drawn, not clipped: no pile-up at the bounds, the tail has the truncated density
    # P(1.9 < |z| <= 2) = 2 (Phi(2) - Phi(1.9)) / (2 Phi(2) - 1) = 0.01251
    assert np.sum(np.abs(z) == 2.0) == 0
    assert abs(np.mean(np.abs(z) > 1.9) - 0.01251) < 0.0013
    # the std of N(0, 1) truncated to [-2, 2] is 0.8796
    assert abs(z.std() - 0.8796) < 0.007
    assert abs(z.mean()) < 0.01


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_random_uniform_floats_lie_in_the_half_open_interval(graph, dtype):
    values = draw(mg.random_uniform((N,), minval=-1.0, maxval=3.0, dtype=dtype, seed=3))
    assert values.dtype == np.dtype(dtype)
    assert values.min() >= -1.0 and values.max() < 3.0
    assert abs(values.mean() - 1.0) < 0.02  # std error 4 / sqrt(12 N) = 0.0026
    counts, _ = np.histogram(values, bins=8, range=(-1.0, 3.0))
    assert np.all(np.abs(counts / N - 1 / 8) < 0.005)
    unit = draw(mg.random_uniform((N,), dtype=dtype, seed=4))
    assert unit.min() >= 0.0 and unit.max() < 1.0  # 1 itself never comes out, float16 included


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_random_uniform_integers_cover_minval_to_maxval_minus_one(graph, dtype):
    values = draw(mg.random_uniform((N,), minval=-3, maxval=4, dtype=dtype, seed=5))
    assert values.dtype == np.dtype(dtype)
    assert set(np.unique(values)) == set(range(-3, 4))
    assert np.all(np.abs(np.bincount(values + 3) / N - 1 / 7) < 0.004)  # std error 0.0008


def test_random_shuffle_permutes_rows_uniformly(graph):
    rows = np.arange(6).reshape(3, 2)
    shuffled = mg.random_shuffle(rows, seed=6)
    assert shuffled.shape == (3, 2)
    counts = {}
    with mg.Session() as session:
        for _ in range(3000):
            value = session.run(shuffled)
            assert sorted(map(tuple, value)) == sorted(map(tuple, rows))  # the rows, moved whole
            counts[tuple(value[:, 0])] = counts.get(tuple(value[:, 0]), 0) + 1
    assert len(counts) == 6 and all(abs(c - 500) < 100 for c in counts.values())  # std 20
    assert draw(mg.random_shuffle(7)) == 7  # a scalar has nothing to shuffle


def test_multinomial_frequencies_follow_softmax_of_the_logits(graph):
    logits = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, -2.0], [1.0, -np.inf, 1.0]], dtype=np.float32)
    samples = draw(mg.multinomial(logits, 100_000, seed=7))
    assert samples.dtype == np.int64 and samples.shape == (3, 100_000)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    for row, expected in zip(samples, probabilities):
        frequencies = np.bincount(row, minlength=3) / row.size
        np.testing.assert_allclose(frequencies, expected, atol=0.008)  # std error <= 0.0016
    assert not np.any(samples[2] == 1)  # a -inf logit is never drawn
    # logits far beyond exp's range: the max is taken out first, so no overflow
    huge = draw(mg.multinomial([[1000.0, 1000.0 + math.log(3.0)]], 40_000, seed=8))
    assert abs(np.mean(huge) - 0.75) < 0.01


def test_multinomial_edge_rows_as_tensorflow(graph):
    """No finite logit: TF answers num_classes (out of range); minigraph does too."""
    assert draw(mg.multinomial([[-np.inf, -np.inf]], 3)).tolist() == [[2, 2, 2]]
    assert draw(mg.multinomial(np.zeros((0, 3), np.float32), 4)).shape == (0, 4)
    assert draw(mg.random.categorical([[0.0, 0.0]], 5, dtype=mg.int32)).dtype == np.int32


def test_mean_and_stddev_can_be_tensors_and_get_gradients(graph):
    mean = mg.placeholder(mg.float32, shape=(3,))
    stddev = mg.placeholder(mg.float32, shape=())
    values = mg.random_normal((4, 3), mean=mean, stddev=stddev, seed=1)
    grad_mean, grad_stddev = mg.gradients(mg.reduce_sum(values), [mean, stddev])
    feed = {mean: [10.0, 20.0, 30.0], stddev: 0.5}
    with mg.Session() as session:
        y, d_mean, d_stddev = session.run([values, grad_mean, grad_stddev], feed)
    np.testing.assert_allclose(y.mean(axis=0), [10, 20, 30], atol=2.0)
    np.testing.assert_array_equal(d_mean, [4.0, 4.0, 4.0])  # y = draw * stddev + mean
    np.testing.assert_allclose(d_stddev, ((y - [10, 20, 30]) / 0.5).sum(), rtol=1e-4)  # the same draw


def test_a_scalar_draw(graph):
    draws = [mg.random_normal(()), mg.truncated_normal([]), mg.random_uniform((), dtype=mg.float16),
             mg.random_uniform((), 0, 3, dtype=mg.int64)]
    assert [d.shape for d in draws] == [()] * 4
    assert [draw(d).shape for d in draws] == [()] * 4


def test_a_shape_known_only_at_run_time(graph):
    shape = mg.placeholder(mg.int32, shape=(2,))
    values = mg.random_uniform(shape)
    assert values.shape == (None, None)
    assert draw(values, {shape: [2, 5]}).shape == (2, 5)


# each draws 100,000 values with both libraries (op seeds: both sides repeat exactly)
TENSORFLOW_DRAWS = {
    "random_normal": lambda lib: lib.random_normal((100_000,), mean=1.0, stddev=3.0, seed=1),
    "truncated_normal": lambda lib: lib.truncated_normal((100_000,), mean=-2.0, stddev=0.5, seed=2),
    "random_uniform": lambda lib: lib.random_uniform((100_000,), minval=-1.0, maxval=4.0, seed=3),
    "random_uniform float64": lambda lib: lib.random_uniform((100_000,), dtype=lib.float64, seed=3),
    "random_uniform int32": lambda lib: lib.random_uniform((100_000,), minval=-5, maxval=7, dtype=lib.int32, seed=4),
    "multinomial": lambda lib: lib.multinomial([[0.0, 1.0, 2.0, -1.0]], 100_000, seed=5),
    "dropout": lambda lib: lib.nn.dropout(lib.ones((100_000,)) * 2.0, keep_prob=0.3, seed=6),
}


@pytest.mark.parametrize("case", sorted(TENSORFLOW_DRAWS))
def test_draws_have_tensorflows_distribution(case):
    """Two-sample Kolmogorov-Smirnov: the largest gap between the two empirical CDFs is
    below 0.0087, the 0.1% critical value for two samples of 100,000 (measured: <= 0.004)."""
    with mg.Graph().as_default():
        ours = draw(TENSORFLOW_DRAWS[case](mg))
    with tf.Graph().as_default():
        with v1.Session() as session:
            theirs = session.run(TENSORFLOW_DRAWS[case](v1))
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    ours, theirs = np.sort(ours.ravel()), np.sort(theirs.ravel())
    points = np.union1d(ours, theirs)
    gap = np.abs(np.searchsorted(ours, points, side="right") - np.searchsorted(theirs, points, side="right"))
    assert gap.max() / ours.size < 1.95 * math.sqrt(2 / ours.size)


# --- the same seeds, the same numbers; each run a new draw ----------------------------


def seeded_program(lib=mg):
    lib.set_random_seed(42)
    return [lib.random_normal((3,)), lib.random_uniform((3,), maxval=10, dtype=lib.int32),
            lib.truncated_normal((3,), seed=1), lib.random_shuffle(list(range(6))),
            lib.multinomial([[0.0, 0.0, 0.0]], 4)]


def runs_of(fetches, runs=2):
    with mg.Session() as session:
        return [[v.tolist() for v in session.run(fetches)] for _ in range(runs)]


def test_same_seeds_give_the_same_numbers_in_every_session_and_graph():
    with mg.Graph().as_default():
        fetches = seeded_program()
        first, again = runs_of(fetches), runs_of(fetches)
    with mg.Graph().as_default():  # the same program built again
        rebuilt = runs_of(seeded_program())
    assert first == again == rebuilt
    assert first[0] != first[1]  # and a session's second run draws anew


def test_op_seed_alone_repeats_and_graph_seed_alone_still_separates_ops(graph):
    a, b = mg.random_normal((4,), seed=7), mg.random_normal((4,), seed=7)
    assert runs_of([a]) == runs_of([b])  # (87654321, 7) for both: the same stream
    mg.set_random_seed(1)
    c, d = mg.random_normal((4,)), mg.random_normal((4,))
    c_value, d_value = runs_of([c, d], runs=1)[0]
    assert c_value != d_value  # op seeds 0 and 1


def test_without_seeds_every_session_draws_differently(graph):
    noise = mg.random_normal((5,))
    assert runs_of([noise], runs=1) != runs_of([noise], runs=1)


def test_each_run_draws_fresh_values_and_one_run_draws_once(graph):
    noise = mg.random_uniform((1000,), seed=3)
    twice = noise + noise
    with mg.Session() as session:
        first, second = session.run(noise), session.run(noise)
        a, b, sum_of_both = session.run([noise, noise, twice])
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(a, b)  # one node, one value per run: everyone reads the same draw
    np.testing.assert_array_equal(sum_of_both, 2 * a)


def test_an_initializer_draws_once(graph):
    weights = mg.Variable(mg.truncated_normal((3, 3), stddev=0.1, seed=1))
    with mg.Session() as session:
        session.run(mg.global_variables_initializer())
        first = session.run(weights)
        np.testing.assert_array_equal(session.run(weights), first)  # reading never draws
        session.run(mg.global_variables_initializer())  # initialising again draws again, as in TF
        assert not np.array_equal(session.run(weights), first)
    with mg.Session() as session:  # a new session starts the seeded stream again
        session.run(mg.global_variables_initializer())
        np.testing.assert_array_equal(session.run(weights), first)


PROGRAM = textwrap.dedent(
    """
    import json, sys
    import minigraph as mg
    if sys.argv[1] == "seeded":
        mg.set_random_seed(42)
    fetches = [mg.random_normal((3,)), mg.random_uniform((3,), maxval=10, dtype=mg.int32),
               mg.truncated_normal((3,), seed=1), mg.random_shuffle(list(range(6))),
               mg.multinomial([[0.0, 0.0, 0.0]], 4), mg.nn.dropout(mg.ones((6,)), keep_prob=0.5)]
    with mg.Session() as session:
        print(json.dumps([[v.tolist() for v in session.run(fetches)] for _ in range(2)]))
    """
)


def run_program(mode: str, hash_seed: str):
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, env=env,
                            check=True, timeout=120)
    return json.loads(result.stdout)


def test_same_program_same_seeds_same_numbers_in_a_new_process():
    first, second = run_program("seeded", "1"), run_program("seeded", "2")
    assert first == second
    with mg.Graph().as_default():  # and in this process, too
        assert runs_of(seeded_program()) == [run[:5] for run in first]
    assert run_program("unseeded", "1") != run_program("unseeded", "1")


# --- refusals ------------------------------------------------------------------------


def test_refusals_name_the_value(graph):
    with pytest.raises(ValueError, match="Must specify maxval for integer dtype int32"):
        mg.random_uniform((2,), dtype=mg.int32)
    with pytest.raises(ValueError, match="dtype must be one of float16, float32, float64, int32, int64, got bool"):
        mg.random_uniform((2,), dtype=mg.bool)
    with pytest.raises(ValueError, match="random_normal: dtype must be one of float16, float32, float64, got int32"):
        mg.random_normal((2,), dtype=mg.int32)
    with pytest.raises(ValueError, match=r"shape must be a list of dimensions such as \[2, 3\], got 3"):
        mg.random_normal(3)
    with pytest.raises(ValueError, match=r"non-negative ints, got \(-1, 2\)"):
        mg.random_normal((-1, 2))
    with pytest.raises(TypeError, match="a shape tensor must be int32 or int64"):
        mg.random_normal(mg.constant([2.0, 3.0]))
    with pytest.raises(TypeError, match="^mean: Tensor conversion requested dtype float32 for .*float64"):
        mg.random_normal((2,), mean=mg.placeholder(mg.float64))
    with pytest.raises(TypeError, match="^maxval: Cannot convert 2.5"):
        mg.random_uniform((2,), maxval=2.5, dtype=mg.int32)
    with pytest.raises(ValueError, match=r"logits must be 2-D \[batch_size, num_classes\].*'multinomial/Multinomial'"):
        mg.multinomial([0.0, 1.0], 3)
    with pytest.raises(ValueError, match="num_samples must be >= 0, got -1"):
        mg.multinomial([[0.0, 1.0]], -1)
    with pytest.raises(ValueError, match="dtype must be one of int32, int64, got float32"):
        mg.multinomial([[0.0, 1.0]], 3, output_dtype=mg.float32)
    with pytest.raises(TypeError, match="seed must be a Python int or None, got 1.5"):
        mg.random_normal((2,), seed=1.5)


def test_run_time_refusals_name_the_node(graph):
    low = mg.placeholder(mg.int32, shape=())
    ints = mg.random_uniform((3,), minval=low, maxval=2, dtype=mg.int32)
    shape = mg.placeholder(mg.int32, shape=(2,))
    normal = mg.random_normal(shape)
    no_classes = mg.multinomial(mg.placeholder(mg.float32, shape=(2, None)), 3)
    with mg.Session() as session:
        with pytest.raises(mg.errors.InvalidArgumentError, match=r"Need minval < maxval, got 5 >= 2.*'random_uniform'"):
            session.run(ints, {low: 5})
        with pytest.raises(mg.errors.InvalidArgumentError, match=r"must be >= 0, got \[-1, 2\].*RandomStandardNormal"):
            session.run(normal, {shape: [-1, 2]})
        with pytest.raises(mg.errors.InvalidArgumentError, match="num_classes should be positive, got 0"):
            session.run(no_classes, {no_classes.op.inputs[0]: np.zeros((2, 0), np.float32)})
