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


def test_sgd_without_momentum_is_gradient_descent():
    assert isinstance(mg_keras_optimizers.SGD(0.01), mg.train.GradientDescentOptimizer)
    assert isinstance(mg_keras_optimizers.SGD(0.01, momentum=0.9), mg.train.MomentumOptimizer)


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
    assert isinstance(mg_keras_optimizers.get("SGD"), mg.train.GradientDescentOptimizer)
    assert isinstance(mg_keras_optimizers.get("rmsprop"), mg_keras_optimizers.RMSprop)
    adam = mg_keras_optimizers.Adam()
    assert mg_keras_optimizers.get(adam) is adam
    assert (adam.learning_rate, adam.beta1, adam.beta2, adam.epsilon) == (0.001, 0.9, 0.999, 1e-07)
    with pytest.raises(ValueError, match="Unknown optimizer 'adamw'"):
        mg_keras_optimizers.get("adamw")
