"""Optimizers (minigraph/train/): golden numbers, and parity with TF1 and Keras 3.

The golden numbers need no reference framework: Adam's first step moves every weight
by learning_rate * sign(gradient), and a gradient-descent step is w - lr * g exactly.
The parity tests run the same problem in TensorFlow's TF1 graph mode and in Keras 3.
Where the gradients are exact (the loss is sum(w * G), so dL/dw = G), the updates
must agree bit for bit: what is left to differ is only how each rule rounds.
"""

import keras  # noqa: E402  (real Keras 3 on TensorFlow: CI installs it, never skipped)
import numpy as np
import pytest
import tensorflow as tf

import minigraph as mg
from minigraph.keras import optimizers as mg_keras_optimizers

STEPS = 20


def linear_problem(graph, w0):
    """loss = sum(w * G): the gradient for w is exactly the fed G."""
    G = mg.placeholder(mg.float32, shape=w0.shape, name="G")
    w = mg.Variable(w0, name="w")
    return G, w, mg.reduce_sum(w * G)


def gradients_sequence(steps, size, seed=0):
    """Gradients of mixed signs and magnitudes (1e-3 to 100), none near zero."""
    rng = np.random.default_rng(seed)
    magnitude = rng.choice([1e-3, 1.0, 100.0], size=(steps, size)) * rng.uniform(1, 2, size=(steps, size))
    return (magnitude * rng.choice([-1, 1], size=(steps, size))).astype(np.float32)


def run_minigraph(optimizer, w0, gradients_to_feed):
    """Runs one update per row of `gradients_to_feed`; returns the final weights."""
    graph = mg.Graph()
    with graph.as_default():
        G, w, loss = linear_problem(graph, w0)
        train_op = optimizer.minimize(loss)
        session = mg.Session(graph)
        session.run(mg.global_variables_initializer())
        for gradient in gradients_to_feed:
            session.run(train_op, {G: gradient})
        return session.run(w)


# --- golden numbers ---------------------------------------------------------------


def big_gradient(rng, shape):
    """|g| in [1, 100]: epsilon / sqrt(1 - beta2) is then < 1e-5 of |g|."""
    return (rng.uniform(1, 100, size=shape) * rng.choice([-1, 1], size=shape)).astype(np.float32)


ADAMS = {
    "mg.train.AdamOptimizer": lambda lr: mg.train.AdamOptimizer(learning_rate=lr),
    "minigraph.keras.optimizers.Adam": lambda lr: mg_keras_optimizers.Adam(learning_rate=lr),
}


@pytest.mark.parametrize("make_adam", ADAMS.values(), ids=ADAMS.keys())
@pytest.mark.parametrize("learning_rate", [0.001, 0.1])
def test_adam_first_step_moves_every_weight_by_learning_rate_times_sign_of_gradient(make_adam, learning_rate):
    # m = (1 - b1) g, v = (1 - b2) g^2, alpha = lr sqrt(1 - b2) / (1 - b1), so the step is
    # lr * g / (|g| + epsilon / sqrt(1 - b2)): lr * sign(g) once |g| >> epsilon.
    rng = np.random.default_rng(1)
    w0 = rng.uniform(-0.01, 0.01, size=(4, 5)).astype(np.float32)
    gradient = big_gradient(rng, (4, 5))
    w1 = run_minigraph(make_adam(learning_rate), w0, [gradient])
    np.testing.assert_allclose(w0 - w1, learning_rate * np.sign(gradient), rtol=1e-4)


def test_keras_own_adam_obeys_the_same_golden_rule():
    w0 = np.zeros(20, np.float32)
    gradient = big_gradient(np.random.default_rng(1), (20,))
    w = keras.Variable(w0)
    keras.optimizers.Adam(learning_rate=0.01).apply_gradients([(gradient, w)])
    np.testing.assert_allclose(w0 - w.numpy(), 0.01 * np.sign(gradient), rtol=1e-4)


def test_one_gradient_descent_step_is_exact():
    rng = np.random.default_rng(2)
    w0 = rng.normal(size=(3, 4)).astype(np.float32)
    gradient = rng.normal(size=(3, 4)).astype(np.float32)
    w1 = run_minigraph(mg.train.GradientDescentOptimizer(0.1), w0, [gradient])
    np.testing.assert_array_equal(w1, w0 - np.float32(0.1) * gradient)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_follows_the_keras_rule(nesterov):
    """m := momentum m - lr g;  w := w + m  (nesterov: w := w + (momentum m - lr g))."""
    rng = np.random.default_rng(3)
    w0 = rng.normal(size=10).astype(np.float32)
    feeds = gradients_sequence(3, 10, seed=3)
    lr, momentum = np.float32(0.01), np.float32(0.9)
    w, m = w0.copy(), np.zeros_like(w0)
    for gradient in feeds:
        m = m * momentum - gradient * lr
        w = w + (m * momentum - gradient * lr if nesterov else m)
    optimizer = mg_keras_optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=nesterov)
    np.testing.assert_array_equal(run_minigraph(optimizer, w0, feeds), w)


@pytest.mark.parametrize("momentum, update", [(0.0, "ApplyGradientDescent"), (0.9, "ApplyMomentum")])
def test_sgd_without_momentum_is_gradient_descent(momentum, update):
    graph = mg.Graph()
    with graph.as_default():
        _, _, loss = linear_problem(graph, np.ones(3, np.float32))
        mg_keras_optimizers.SGD(0.01, momentum=momentum).minimize(loss)
        assert update in {op.type for op in graph.get_operations()}


# --- parity with Keras 3, exact gradients -------------------------------------------


KERAS_PAIRS = {
    "Adam": (lambda: keras.optimizers.Adam(), lambda: mg_keras_optimizers.Adam()),
    "SGD": (lambda: keras.optimizers.SGD(0.01), lambda: mg_keras_optimizers.SGD(0.01)),
    "SGD momentum": (lambda: keras.optimizers.SGD(0.01, momentum=0.9),
                     lambda: mg_keras_optimizers.SGD(0.01, momentum=0.9)),
    "SGD nesterov": (lambda: keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True),
                     lambda: mg_keras_optimizers.SGD(0.01, momentum=0.9, nesterov=True)),
    "RMSprop": (lambda: keras.optimizers.RMSprop(), lambda: mg_keras_optimizers.RMSprop()),
}


@pytest.mark.parametrize("make_keras, make_minigraph", KERAS_PAIRS.values(), ids=KERAS_PAIRS.keys())
def test_keras_optimizers_match_keras_3(make_keras, make_minigraph):
    w0 = np.random.default_rng(4).normal(size=200).astype(np.float32)
    feeds = gradients_sequence(STEPS, 200, seed=4)
    w = keras.Variable(w0)
    optimizer = make_keras()
    for gradient in feeds:
        optimizer.apply_gradients([(gradient, w)])
    expected = w.numpy()
    # SGD is the same arithmetic in the same order: bit for bit. Adam's beta^t is
    # pow(beta, t), and numpy's float32 pow and Eigen's can differ in the last bit.
    atol = 1e-6 if isinstance(optimizer, keras.optimizers.Adam) else 0
    np.testing.assert_allclose(run_minigraph(make_minigraph(), w0, feeds), expected, rtol=0, atol=atol)


# --- parity with TF1, graph mode -------------------------------------------------------


TF1_PAIRS = {
    "Adam": (lambda: tf.compat.v1.train.AdamOptimizer(0.05), lambda: mg.train.AdamOptimizer(0.05)),
    "GradientDescent": (lambda: tf.compat.v1.train.GradientDescentOptimizer(0.1),
                        lambda: mg.train.GradientDescentOptimizer(0.1)),
}


@pytest.mark.parametrize("make_tf, make_minigraph", TF1_PAIRS.values(), ids=TF1_PAIRS.keys())
def test_tf1_optimizers_match_tf1_bit_for_bit_on_exact_gradients(make_tf, make_minigraph):
    # TF1's Adam kernel: m += (g - m)(1 - beta1) with 1 - beta1 in float32, and beta^t
    # kept in float32 variables multiplied by beta after each step.
    w0 = np.random.default_rng(5).normal(size=300).astype(np.float32)
    feeds = gradients_sequence(STEPS, 300, seed=5)
    with tf.Graph().as_default() as graph:
        G = tf.compat.v1.placeholder(tf.float32, shape=w0.shape)
        w = tf.compat.v1.Variable(w0)
        train_op = make_tf().minimize(tf.reduce_sum(w * G))
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            for gradient in feeds:
                session.run(train_op, {G: gradient})
            expected = session.run(w)
    np.testing.assert_array_equal(run_minigraph(make_minigraph(), w0, feeds), expected)


def softmax_regression_data():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(64, 5)).astype(np.float32)
    labels = np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=64)]
    kernel = rng.normal(size=(5, 3)).astype(np.float32)
    return x, labels, kernel, np.zeros(3, np.float32)


def train_tf1(make_optimizer, steps=STEPS):
    x, labels, kernel0, bias0 = softmax_regression_data()
    with tf.Graph().as_default() as graph:
        inputs = tf.compat.v1.placeholder(tf.float32, shape=(None, 5))
        targets = tf.compat.v1.placeholder(tf.float32, shape=(None, 3))
        kernel, bias = tf.compat.v1.Variable(kernel0), tf.compat.v1.Variable(bias0)
        logits = tf.matmul(inputs, kernel) + bias
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=targets, logits=logits))
        train_op = make_optimizer().minimize(loss)
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            losses = [session.run([train_op, loss], {inputs: x, targets: labels})[1] for _ in range(steps)]
            return session.run([kernel, bias]), losses


def train_minigraph(make_optimizer, steps=STEPS):
    x, labels, kernel0, bias0 = softmax_regression_data()
    graph = mg.Graph()
    with graph.as_default():
        inputs = mg.placeholder(mg.float32, shape=(None, 5))
        targets = mg.placeholder(mg.float32, shape=(None, 3))
        kernel, bias = mg.Variable(kernel0), mg.Variable(bias0)
        logits = mg.matmul(inputs, kernel) + bias
        loss = mg.reduce_mean(mg.nn.softmax_cross_entropy_with_logits(labels=targets, logits=logits))
        train_op = make_optimizer().minimize(loss)
        session = mg.Session(graph)
        session.run(mg.global_variables_initializer())
        losses = [session.run([train_op, loss], {inputs: x, targets: labels})[1] for _ in range(steps)]
        return session.run([kernel, bias]), losses


TF1_SOFTMAX_PAIRS = {
    **TF1_PAIRS,
    "Momentum": (lambda: tf.compat.v1.train.MomentumOptimizer(0.1, 0.9), lambda: mg.train.MomentumOptimizer(0.1, 0.9)),
    "Adagrad": (lambda: tf.compat.v1.train.AdagradOptimizer(0.5), lambda: mg.train.AdagradOptimizer(0.5)),
    "RMSProp": (lambda: tf.compat.v1.train.RMSPropOptimizer(0.05, momentum=0.5, centered=True),
                lambda: mg.train.RMSPropOptimizer(0.05, momentum=0.5, centered=True)),
}


@pytest.mark.parametrize("make_tf, make_minigraph", TF1_SOFTMAX_PAIRS.values(), ids=TF1_SOFTMAX_PAIRS.keys())
def test_tf1_parity_on_softmax_regression(make_tf, make_minigraph):
    (tf_kernel, tf_bias), tf_losses = train_tf1(make_tf)
    (mg_kernel, mg_bias), mg_losses = train_minigraph(make_minigraph)
    assert tf_losses[-1] < 0.8 * tf_losses[0]  # it learns something
    np.testing.assert_allclose(mg_losses, tf_losses, rtol=1e-5)
    # the gradients round a little differently (matmul order), nothing more
    np.testing.assert_allclose(mg_kernel, tf_kernel, rtol=0, atol=1e-6)
    np.testing.assert_allclose(mg_bias, tf_bias, rtol=0, atol=1e-6)


# --- TF1's optimizers in float32 and float64, exact gradients ------------------------------

# TF1 turns every Python hyper-parameter into a float32 tensor and casts it to the
# variable's dtype, so a float64 model trains with 0.1 rounded to float32: matching it
# in float64 checks that minigraph rounds the same way.
TF1_RULES = {
    "Adagrad": (lambda lib: lib.train.AdagradOptimizer(0.1)),
    "Adagrad accumulator 0.5": (lambda lib: lib.train.AdagradOptimizer(0.05, initial_accumulator_value=0.5)),
    "RMSProp": (lambda lib: lib.train.RMSPropOptimizer(0.01)),
    "RMSProp momentum": (lambda lib: lib.train.RMSPropOptimizer(0.01, decay=0.8, momentum=0.9, epsilon=1e-6)),
    "RMSProp centered": (lambda lib: lib.train.RMSPropOptimizer(0.01, centered=True)),
    "RMSProp centered momentum": (lambda lib: lib.train.RMSPropOptimizer(0.003, momentum=0.5, centered=True)),
    "GradientDescent": (lambda lib: lib.train.GradientDescentOptimizer(0.1)),
    "Adam": (lambda lib: lib.train.AdamOptimizer(0.05)),
}
# Bit for bit, but for Adagrad, where TF's kernel uses Eigen's rsqrt (not correctly
# rounded) and minigraph 1/sqrt: an ulp of the step apart. Where a step cancels a weight
# almost to 0, that is not an ulp of the result, so the tolerance is relative to the
# largest weight.
TOLERANCE = {"float32": 1e-6, "float64": 1e-12}


def train_linear(lib, make_optimizer, w0, feeds):
    """loss = sum(w * G) with `lib` (minigraph or tf.compat.v1) in graph mode: the
    gradient is exactly the fed G, so only the update rule is compared."""
    with lib.Graph().as_default() as graph:
        G = lib.placeholder(w0.dtype, shape=w0.shape)
        w = lib.Variable(w0)
        train_op = make_optimizer(lib).minimize(lib.reduce_sum(w * G))
        with lib.Session(graph=graph) as session:
            session.run(lib.global_variables_initializer())
            trajectory = []
            for gradient in feeds:
                session.run(train_op, {G: gradient})
                trajectory.append(session.run(w))
            return np.array(trajectory)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("make_optimizer", TF1_RULES.values(), ids=TF1_RULES.keys())
def test_tf1_rules_match_tf1_step_by_step(make_optimizer, dtype):
    w0 = np.random.default_rng(7).normal(size=100).astype(dtype)
    feeds = gradients_sequence(10, 100, seed=7).astype(dtype)
    expected = train_linear(tf.compat.v1, make_optimizer, w0, feeds)
    actual = train_linear(mg, make_optimizer, w0, feeds)
    assert actual.dtype == dtype
    assert np.all(np.abs(expected[-1] - w0) > 1e-4)  # every weight moved
    np.testing.assert_allclose(actual, expected, rtol=0, atol=TOLERANCE[dtype] * np.abs(expected).max())
    if not isinstance(make_optimizer(mg), mg.train.AdagradOptimizer):
        np.testing.assert_array_equal(actual, expected)  # the same arithmetic in the same order


def test_adagrad_steps_by_hand():
    """accum := accum + g^2 (from 0.1);  w := w - lr g / sqrt(accum)."""
    w0 = np.array([1.0, -2.0, 0.5], np.float64)
    feeds = np.array([[3.0, -0.5, 0.0], [1.0, 2.0, -4.0]])
    accum, w, expected = np.full(3, 0.1), w0.copy(), []
    lr = float(np.float32(0.2))  # TF1 rounds the learning rate to float32 first
    for g in feeds:
        accum = accum + g * g
        w = w - lr * g / np.sqrt(accum)
        expected.append(w)
    actual = train_linear(mg, lambda lib: lib.train.AdagradOptimizer(0.2), w0, feeds)
    np.testing.assert_allclose(actual, expected, rtol=1e-15)


def test_rmsprop_first_step_by_hand():
    """ms starts at 1: ms = 1 + (g^2 - 1)(1 - decay), then w := w - lr g / sqrt(ms + epsilon)."""
    g = np.array([2.0, -1.0, 0.0, 10.0])
    w1 = train_linear(mg, lambda lib: lib.train.RMSPropOptimizer(0.5), np.zeros(4), [g])[0]
    ms = 1 + (g * g - 1) * (1 - float(np.float32(0.9)))
    np.testing.assert_allclose(w1, -float(np.float32(0.5)) * g / np.sqrt(ms + float(np.float32(1e-10))), rtol=1e-15)
    assert w1[2] == 0.0


def test_adagrad_refuses_a_non_positive_accumulator():
    with pytest.raises(ValueError, match="^initial_accumulator_value must be positive: 0.0$"):
        mg.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)


@pytest.mark.parametrize("optimizer, slots", [
    (lambda: mg.train.AdagradOptimizer(0.1), {"accumulator": 0.1}),
    (lambda: mg.train.RMSPropOptimizer(0.1), {"rms": 1.0, "momentum": 0.0}),
    (lambda: mg.train.RMSPropOptimizer(0.1, centered=True), {"rms": 1.0, "mg": 0.0, "momentum": 0.0}),
])
def test_slots_start_where_tf1_starts_them(optimizer, slots):
    graph = mg.Graph()
    with graph.as_default():
        G, w, loss = linear_problem(graph, np.ones((2, 3), np.float32))
        made = optimizer()
        made.minimize(loss)
        session = mg.Session(graph)
        session.run(mg.global_variables_initializer())
        assert made.get_slot_names() == sorted(slots) and made.get_slot(w, "nothing") is None
        for name, start in slots.items():
            value = session.run(made.get_slot(w, name))
            assert value.shape == (2, 3) and value.dtype == np.float32
            np.testing.assert_array_equal(value, np.float32(start))
        assert len(made.variables()) == 1 + len(slots)  # iterations, then the slots


# --- the learning rate is a tensor; the global step counts ------------------------------


def test_learning_rate_can_be_a_fed_tensor_or_a_variable(graph):
    rate = mg.placeholder(mg.float32, shape=())
    G, w, loss = linear_problem(graph, np.zeros(2, np.float32))
    train_op = mg.train.GradientDescentOptimizer(rate).minimize(loss)
    session = mg.Session(graph)
    session.run(mg.global_variables_initializer())
    session.run(train_op, {G: [1.0, 2.0], rate: 0.5})
    session.run(train_op, {G: [1.0, 2.0], rate: 0.25})
    np.testing.assert_array_equal(session.run(w), [-0.75, -1.5])

    rate_variable = mg.Variable(np.float32(0.1), trainable=False, name="learning_rate")
    momentum_op = mg.train.MomentumOptimizer(rate_variable, 0.9).minimize(loss, var_list=[w])
    session.run(mg.variables_initializer([rate_variable] + [v for v in mg.global_variables() if "Momentum" in v.name]))
    rate_variable.load(0.0, session)  # what a callback would do: no step at all
    session.run(momentum_op, {G: [1.0, 2.0]})
    np.testing.assert_array_equal(session.run(w), [-0.75, -1.5])


def test_a_learning_rate_that_is_not_a_scalar_is_refused(graph):
    G, w, loss = linear_problem(graph, np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="GradientDescent's learning rate must be a number or a scalar tensor"):
        mg.train.GradientDescentOptimizer([0.1, 0.2]).minimize(loss)


def test_global_step_counts_after_the_updates(graph):
    assert mg.train.get_global_step() is None
    step = mg.train.get_or_create_global_step()
    assert (step.op.name, step.dtype, step.shape, step.trainable) == ("global_step", np.int64, (), False)
    assert mg.train.get_or_create_global_step() is step and mg.train.get_global_step(graph) is step
    with pytest.raises(ValueError, match='"global_step" already exists.'):
        mg.train.create_global_step()
    assert step in mg.global_variables() and step not in mg.trainable_variables()
    G, w, loss = linear_problem(graph, np.zeros(2, np.float32))
    # the update reads the step as it was before the increment (the decayed rate of step 0 is 1)
    rate = mg.cast(mg.equal(step, mg.constant(np.int64(0))), mg.float32)
    train_op = mg.train.GradientDescentOptimizer(rate).minimize(loss, global_step=step)
    session = mg.Session(graph)
    session.run(mg.global_variables_initializer())
    for expected in (1, 2, 3):
        session.run(train_op, {G: [1.0, 1.0]})
        assert session.run(step) == expected
    np.testing.assert_array_equal(session.run(w), [-1.0, -1.0])  # only the first step moved w


def test_a_variable_named_global_step_is_the_global_step(graph):
    step = mg.Variable(np.int64(0), name="global_step", trainable=False)
    assert mg.train.get_global_step() is step and mg.train.get_or_create_global_step() is step


def test_global_step_must_be_a_variable(graph):
    G, w, loss = linear_problem(graph, np.zeros(2, np.float32))
    with pytest.raises(TypeError, match=r"global_step must be the step Variable"):
        mg.train.AdamOptimizer().minimize(loss, global_step=5)


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay_matches_tf1(staircase):
    """The rate each step trains with, and the weights after the steps, against TF1."""

    def run(lib):
        with lib.Graph().as_default() as graph:
            step = lib.train.get_or_create_global_step()
            rate = lib.train.exponential_decay(0.5, step, decay_steps=3, decay_rate=0.7, staircase=staircase)
            G = lib.placeholder(lib.float32, shape=(4,))
            w = lib.Variable(np.zeros(4, np.float32))
            train_op = lib.train.GradientDescentOptimizer(rate).minimize(lib.reduce_sum(w * G), global_step=step)
            with lib.Session(graph=graph) as session:
                session.run(lib.global_variables_initializer())
                rates = []
                for gradient in gradients_sequence(8, 4, seed=8):
                    rates.append(session.run(rate))
                    session.run(train_op, {G: gradient})
                return np.array(rates), session.run(w), session.run(step)

    (mg_rates, mg_w, mg_step), (tf_rates, tf_w, tf_step) = run(mg), run(tf.compat.v1)
    assert mg_step == tf_step == 8
    np.testing.assert_allclose(mg_rates, tf_rates, rtol=1e-6)
    assert mg_rates[0] == np.float32(0.5) and mg_rates[-1] < 0.5 * 0.7**2 * 1.0001
    np.testing.assert_allclose(mg_w, tf_w, rtol=1e-6)
    if staircase:
        np.testing.assert_array_equal(mg_rates[:3], np.float32(0.5))


def test_exponential_decay_needs_a_global_step(graph):
    with pytest.raises(ValueError, match="global_step is required for exponential_decay."):
        mg.train.exponential_decay(0.1, None, 10, 0.9)


# --- the training graph --------------------------------------------------------------


@pytest.mark.parametrize("make_optimizer", [
    lambda: mg.train.GradientDescentOptimizer(0.1),
    lambda: mg.train.AdamOptimizer(),
    lambda: mg.train.MomentumOptimizer(0.1, 0.9),
    lambda: mg_keras_optimizers.Adam(),
])
def test_minimize_adds_nodes_once_and_counts_steps_in_the_graph(make_optimizer):
    graph = mg.Graph()
    with graph.as_default():
        G, w, loss = linear_problem(graph, np.ones(3, np.float32))
        optimizer = make_optimizer()
        train_op = optimizer.minimize(loss)
        assert isinstance(train_op, mg.Operation)
        assert optimizer.iterations in graph.variables and not optimizer.iterations.trainable
        assert all(v in graph.variables and not v.trainable for v in optimizer.variables())
        session = mg.Session(graph)
        session.run(mg.global_variables_initializer())
        count = len(graph.get_operations())
        for step in range(1, 6):
            session.run(train_op, {G: np.ones(3, np.float32)})
            assert session.run(optimizer.iterations) == step
        assert len(graph.get_operations()) == count


def test_the_trainable_variables_are_the_ones_updated():
    graph = mg.Graph()
    with graph.as_default():
        w = mg.Variable(np.float32(1.0), name="w")
        frozen = mg.Variable(np.float32(2.0), name="frozen", trainable=False)
        train_op = mg.train.GradientDescentOptimizer(0.5).minimize(w * frozen)
        session = mg.Session(graph)
        session.run(mg.global_variables_initializer())
        session.run(train_op)
        assert session.run([w, frozen]) == [0.0, 2.0]


def test_minimize_without_variables_is_refused(graph):
    x = mg.placeholder(mg.float32, shape=(3,))
    with pytest.raises(ValueError, match=r"No variables to optimize: create mg.Variable\(...\)s or pass var_list"):
        mg.train.GradientDescentOptimizer(0.1).minimize(mg.reduce_sum(x * x))


def test_minimize_without_a_gradient_path_names_the_variables(graph):
    x = mg.placeholder(mg.float32, shape=(3,))
    mg.Variable(np.ones(3, np.float32), name="w")
    with pytest.raises(ValueError, match=r"No gradients provided for any variable: \['w'\]; "
                                         r"is the loss connected to them\?"):
        mg.train.AdamOptimizer().minimize(mg.reduce_sum(x * x))


def test_minimize_needs_a_float_loss_tensor(graph):
    x = mg.placeholder(mg.float32, shape=(3,))
    w = mg.Variable(np.ones(3, np.float32), name="w")
    with pytest.raises(TypeError, match=r'The loss Tensor\("ArgMax:0", shape=\(\), dtype=int64\) must be a float'):
        mg.train.AdamOptimizer().minimize(mg.argmax(x * w, axis=0))
    with pytest.raises(TypeError, match="minimize.. needs a loss tensor, got 3.0"):
        mg.train.AdamOptimizer().minimize(3.0)


@pytest.mark.parametrize("arguments, message", [
    ({"beta1": 1.0}, "Adam's beta1 must be in [0, 1), got 1.0"),
    ({"learning_rate": 0}, "Adam's learning_rate must be > 0, got 0"),
])
def test_adam_refuses_bad_hyperparameters(arguments, message):
    with pytest.raises(ValueError) as error:
        mg.train.AdamOptimizer(**arguments)
    assert str(error.value) == message


def test_keras_optimizers_by_name():
    assert isinstance(mg_keras_optimizers.get("adam"), mg_keras_optimizers.Adam)
    assert isinstance(mg_keras_optimizers.get("SGD"), mg_keras_optimizers.SGD)
    assert isinstance(mg_keras_optimizers.get("rmsprop"), mg_keras_optimizers.RMSprop)
    adam = mg_keras_optimizers.Adam()
    assert mg_keras_optimizers.get(adam) is adam
    config = adam.get_config()  # the learning rate itself is a variable (tests/test_keras_optimizers.py)
    assert (config["learning_rate"], adam.beta_1, adam.beta_2, adam.epsilon) == (0.001, 0.9, 0.999, 1e-07)
    with pytest.raises(ValueError, match="Unknown optimizer 'adamw'"):
        mg_keras_optimizers.get("adamw")
