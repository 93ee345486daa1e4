"""Keras's optimizers (minigraph/keras/optimizers/) against Keras 3, and Keras 2's
arguments (lr=, decay=) against tf_keras's legacy optimizers.

Two problems are used. On ``loss = sum(w * G)`` the gradient is exactly the fed G, so
what is left to differ is how each update rule rounds: twenty steps must agree to the
last bit or two. On a small network (tanh layer, then a linear one, mean squared
error) the gradients come from each framework's own graph, and the weights after
twenty steps must still agree within 1e-6 of each weight tensor's largest entry.
"""

import keras  # noqa: E402  (real Keras 3 on TensorFlow: CI installs it, never skipped)
import numpy as np
import pytest
import tensorflow as tf
import tf_keras  # real Keras 2 (tf-keras), for what Keras 3 dropped: decay=
from test_train import STEPS, gradients_sequence  # gradients of mixed signs, 1e-3 to 100
from test_train import run_minigraph as run_linear  # steps on loss = sum(w * G), the final weights

import minigraph as mg
from minigraph.keras import backend as K
from minigraph.keras import optimizers


def run_reference_linear(optimizer, w0, feeds):
    """The same steps by a Keras optimizer (Keras 3 or tf_keras) on a tf.Variable."""
    w = tf.Variable(w0)
    for gradient in feeds:
        optimizer.apply_gradients([(tf.constant(gradient), w)])
    return w.numpy()


# Keras 3's constructor and ours, with the same arguments
PAIRS = {
    "SGD": dict(cls="SGD", learning_rate=0.01),
    "SGD momentum": dict(cls="SGD", learning_rate=0.01, momentum=0.9),
    "SGD nesterov": dict(cls="SGD", learning_rate=0.01, momentum=0.9, nesterov=True),
    "RMSprop": dict(cls="RMSprop"),
    "RMSprop rho": dict(cls="RMSprop", learning_rate=0.01, rho=0.8, epsilon=1e-4),
    "RMSprop momentum": dict(cls="RMSprop", learning_rate=0.01, momentum=0.9),
    "RMSprop centered": dict(cls="RMSprop", learning_rate=0.01, centered=True),
    "RMSprop centered momentum": dict(cls="RMSprop", learning_rate=0.01, momentum=0.5, centered=True),
    "Adagrad": dict(cls="Adagrad", learning_rate=0.01),
    "Adagrad start 0": dict(cls="Adagrad", learning_rate=0.01, initial_accumulator_value=0.0),
    "Adadelta": dict(cls="Adadelta", learning_rate=1.0),
    "Adam": dict(cls="Adam"),
    "Adam amsgrad": dict(cls="Adam", learning_rate=0.01, amsgrad=True),
    "Adamax": dict(cls="Adamax", learning_rate=0.01),
    "Nadam": dict(cls="Nadam", learning_rate=0.01),
    "SGD clipnorm": dict(cls="SGD", learning_rate=0.01, clipnorm=5.0),
    "Adam clipvalue": dict(cls="Adam", learning_rate=0.01, clipvalue=2.0),
}


def make(module, arguments):
    arguments = dict(arguments)
    return getattr(module, arguments.pop("cls"))(**arguments)


@pytest.mark.parametrize("arguments", PAIRS.values(), ids=PAIRS.keys())
def test_twenty_steps_on_exact_gradients_match_keras_3(arguments):
    w0 = np.random.default_rng(4).normal(size=200).astype(np.float32)
    feeds = gradients_sequence(STEPS, 200, seed=4)
    expected = run_reference_linear(make(keras.optimizers, arguments), w0, feeds)
    ours = run_linear(make(optimizers, arguments), w0, feeds)
    assert np.abs(ours - w0).max() > 1e-3  # the steps moved the weights
    # The same arithmetic in the same order; where a rule takes pow(beta, t), numpy's
    # float32 pow and Eigen's may differ in the last bit.
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-7)


# --- a small network: gradients from each framework's own graph --------------------------------


def network_data(seed=7):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(16, 5)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)
    weights = [rng.normal(size=(5, 4)).astype(np.float32) * 0.5, np.zeros(4, np.float32),
               rng.normal(size=(4, 2)).astype(np.float32) * 0.5, np.zeros(2, np.float32)]
    return x, y, weights


def train_network_minigraph(optimizer, x, y, weights):
    graph = mg.Graph()
    with graph.as_default():
        kernel_1, bias_1, kernel_2, bias_2 = (mg.Variable(w) for w in weights)
        output = mg.matmul(mg.tanh(mg.matmul(x, kernel_1) + bias_1), kernel_2) + bias_2
        train_op = optimizer.minimize(mg.reduce_mean(mg.square(output - y)))
        session = mg.Session(graph)
        session.run(mg.global_variables_initializer())
        for _ in range(STEPS):
            session.run(train_op)
        return session.run([kernel_1, bias_1, kernel_2, bias_2])


def train_network_keras(optimizer, x, y, weights):
    variables = [tf.Variable(w) for w in weights]
    kernel_1, bias_1, kernel_2, bias_2 = variables
    for _ in range(STEPS):
        with tf.GradientTape() as tape:
            output = tf.matmul(tf.tanh(tf.matmul(x, kernel_1) + bias_1), kernel_2) + bias_2
            loss = tf.reduce_mean(tf.square(output - y))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return [v.numpy() for v in variables]


NETWORK_PAIRS = {name: arguments for name, arguments in PAIRS.items() if "clip" not in name}


@pytest.mark.parametrize("arguments", NETWORK_PAIRS.values(), ids=NETWORK_PAIRS.keys())
def test_a_small_network_after_twenty_steps_has_keras_3s_weights(arguments, record_property, parity_errors):
    x, y, weights = network_data()
    ours = train_network_minigraph(make(optimizers, arguments), x, y, weights)
    theirs = train_network_keras(make(keras.optimizers, arguments), x, y, weights)
    moved = max(np.abs(after - before).max() for after, before in zip(ours, weights))
    # relative to each weight tensor's scale: the gradients themselves differ in the last
    # bit between the two graphs, so an entry near 0 can differ more than 1e-6 of itself
    worst = max(np.abs(a - b).max() / np.abs(b).max() for a, b in zip(ours, theirs))
    record_property("worst_relative_difference", float(worst))
    parity_errors.record("float32, Keras optimizers, 20 steps", float(worst), str(arguments))
    assert moved > 1e-3
    # centred RMSprop divides by a variance estimate E[g^2] - E[g]^2, which magnifies the
    # gradients' last-bit differences
    tolerance = 1e-5 if arguments.get("centered") else 1e-6
    assert worst < tolerance, f"worst relative difference against Keras 3: {worst:.3g}"


# --- Keras 2's arguments, against tf_keras's legacy optimizers -----------------------------------


LEGACY = {
    "SGD decay": dict(learning_rate=0.1, decay=0.05),
    "SGD lr decay momentum": dict(lr=0.1, decay=0.05, momentum=0.9),
    "SGD lr decay nesterov": dict(lr=0.1, decay=0.5, momentum=0.5, nesterov=True),
}


@pytest.mark.parametrize("arguments", LEGACY.values(), ids=LEGACY.keys())
def test_time_based_decay_matches_tf_keras_legacy_sgd(arguments):
    w0 = np.random.default_rng(5).normal(size=100).astype(np.float32)
    feeds = gradients_sequence(STEPS, 100, seed=5)
    legacy_arguments = dict(arguments)
    if "lr" in legacy_arguments:  # tf_keras still takes lr= (with a warning); learning_rate= is its name
        legacy_arguments["learning_rate"] = legacy_arguments.pop("lr")
    expected = run_reference_linear(tf_keras.optimizers.legacy.SGD(**legacy_arguments), w0, feeds)
    ours = run_linear(optimizers.SGD(**arguments), w0, feeds)
    undecayed = run_linear(optimizers.SGD(**{**arguments, "decay": 0.0}), w0, feeds)
    assert np.abs(undecayed - ours).max() > 1e-3  # the decay changed the result
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("arguments", PAIRS.values(), ids=PAIRS.keys())
def test_decay_is_keras_3s_inverse_time_decay_with_one_step(arguments):
    """lr / (1 + decay * iterations): Keras 3 has it as a schedule, InverseTimeDecay."""
    arguments = {**arguments, "learning_rate": arguments.get("learning_rate", 0.001)}
    w0 = np.random.default_rng(6).normal(size=100).astype(np.float32)
    feeds = gradients_sequence(STEPS, 100, seed=6)
    schedule = keras.optimizers.schedules.InverseTimeDecay(arguments["learning_rate"], decay_steps=1, decay_rate=0.2)
    expected = run_reference_linear(make(keras.optimizers, {**arguments, "learning_rate": schedule}), w0, feeds)
    ours = run_linear(make(optimizers, {**arguments, "decay": 0.2}), w0, feeds)
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-7)


def test_adam_decay_is_tf_keras_legacy_adams_within_its_own_rounding():
    """tf_keras's legacy Adam runs TF's fused ApplyAdam kernel, which rounds differently
    from Keras 3's Adam (1.2e-6 apart here without any decay); with decay, minigraph is
    as close to it as Keras 3 is."""
    w0 = np.random.default_rng(5).normal(size=100).astype(np.float32)
    feeds = gradients_sequence(STEPS, 100, seed=5)
    expected = run_reference_linear(tf_keras.optimizers.legacy.Adam(learning_rate=0.01, decay=0.1), w0, feeds)
    ours = run_linear(optimizers.Adam(learning_rate=0.01, decay=0.1), w0, feeds)
    undecayed = run_linear(optimizers.Adam(learning_rate=0.01), w0, feeds)
    assert np.abs(undecayed - expected).max() > 1e-3
    np.testing.assert_allclose(ours, expected, rtol=0, atol=2e-6)


def test_lr_is_keras_2s_name_of_learning_rate():
    optimizer = optimizers.SGD(lr=0.02, momentum=0.5)
    assert optimizer.lr is optimizer.learning_rate
    assert K.get_value(optimizer.lr) == np.float32(0.02)
    assert optimizer.get_config()["learning_rate"] == 0.02


def test_the_learning_rate_is_a_variable_a_step_reads():
    graph = mg.Graph()
    with graph.as_default():
        optimizer = optimizers.SGD(learning_rate=0.5)
        w = mg.Variable(np.float32(1.0), name="w")
        train_op = optimizer.minimize(w * 2.0)  # gradient 2
        assert isinstance(optimizer.learning_rate, mg.Variable) and optimizer.learning_rate.graph is graph
        assert optimizer.learning_rate in optimizer.variables()
        session = K.get_session()
        session.run(train_op)
        assert session.run(w) == np.float32(0.0)
        K.set_value(optimizer.lr, 0.25)  # as a callback does it, between two steps
        count = len(graph.get_operations())
        session.run(train_op)
        assert session.run(w) == np.float32(-0.5)
        assert len(graph.get_operations()) == count  # nothing rebuilt
        optimizer.learning_rate = 0.125  # Keras 2's setter writes the variable too
        assert K.get_value(optimizer.lr) == np.float32(0.125)
    assert optimizer.lr.graph is graph  # outside the graph's block: still the variable the updates read
    assert [float(value) for value in optimizer.get_weights()] == [2, 0.125]  # iterations, learning rate
    optimizer.set_weights([np.int64(7), np.float32(0.5)])
    assert K.get_value(optimizer.iterations) == 7 and optimizer.weights == optimizer.variables()
    with pytest.raises(ValueError, match=r"SGD.set_weights\(\): the optimizer has 2 variables"):
        optimizer.set_weights([0.5])


def test_set_value_after_compile_changes_the_next_fit_step():
    """As ReduceLROnPlateau does: K.set_value(model.optimizer.lr, ...) between compile and fit."""
    from minigraph.keras.layers import Dense
    from minigraph.keras.models import Sequential

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)).astype(np.float32), rng.normal(size=(8, 1)).astype(np.float32)
    start = [rng.normal(size=(3, 1)).astype(np.float32), np.zeros(1, np.float32)]

    def one_step(compiled_rate, rate_after_compile=None):
        model = Sequential([Dense(1, input_shape=(3,))])
        model.compile(optimizer=optimizers.SGD(lr=compiled_rate), loss="mse")
        model.set_weights(start)
        if rate_after_compile is not None:
            K.set_value(model.optimizer.lr, rate_after_compile)
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        return model.get_weights()

    for kernel, before in zip(one_step(0.5, 0.0), start):
        np.testing.assert_array_equal(kernel, before)  # a rate of 0: no step at all
    changed, compiled_so = one_step(0.5, 0.1), one_step(0.1)
    assert np.abs(changed[0] - start[0]).max() > 1e-3
    for ours, expected in zip(changed, compiled_so):
        np.testing.assert_array_equal(ours, expected)


# --- configuration and names ----------------------------------------------------------------------------


@pytest.mark.parametrize("arguments", PAIRS.values(), ids=PAIRS.keys())
def test_get_config_rebuilds_the_optimizer(arguments):
    optimizer = make(optimizers, arguments)
    config = optimizer.get_config()
    rebuilt = type(optimizer).from_config(config)
    assert rebuilt.get_config() == config
    assert optimizers.deserialize(optimizers.serialize(optimizer)).get_config() == config
    reference = make(keras.optimizers, arguments).get_config()
    for key, value in config.items():  # the names Keras 3 uses, with Keras 3's values
        if key in reference and key != "name":
            assert value == pytest.approx(reference[key]), key


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam"])
def test_by_name_with_keras_defaults(name):
    ours, theirs = optimizers.get(name).get_config(), keras.optimizers.get(name).get_config()
    if name == "adadelta":  # Keras 2's default (the paper's rule), which mnist_cnn.py's Adadelta() relies on
        assert ours["learning_rate"] == 1.0 and theirs["learning_rate"] == pytest.approx(0.001)
        theirs["learning_rate"] = 1.0
    for key in ("learning_rate", "beta_1", "beta_2", "epsilon", "rho", "momentum", "nesterov", "amsgrad",
                "initial_accumulator_value"):
        assert ours.get(key) == pytest.approx(theirs.get(key)), key


def test_unknown_names_and_arguments_are_refused_by_name():
    with pytest.raises(ValueError, match="Unknown optimizer 'adamw'"):
        optimizers.get("adamw")
    with pytest.raises(TypeError, match=r"Adam\(\) got unexpected keyword arguments \['beta1'\]"):
        optimizers.Adam(beta1=0.9)
    with pytest.raises(ValueError, match=r"SGD's decay must be >= 0, got -1"):
        optimizers.SGD(decay=-1)
    with pytest.raises(ValueError, match=r"RMSprop's rho must be in \[0, 1\), got 1.5"):
        optimizers.RMSprop(rho=1.5)
