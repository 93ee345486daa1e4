"""What TF1 handles that a student will try: shapes known only at run time, threads,
failed steps, long chains, NaNs. Each test is one case the differential fuzz against
TF1 found (issue 8), checked against TF1 where TF defines the answer."""

import threading
import tracemalloc

import numpy as np
import pytest
import tensorflow as tf

import minigraph as mg
from minigraph.errors import InvalidArgumentError

tf1 = tf.compat.v1

OPTIMIZERS = {
    "sgd": lambda: mg.train.GradientDescentOptimizer(0.1),
    "momentum": lambda: mg.train.MomentumOptimizer(0.1, 0.9),
    "adam": lambda: mg.train.AdamOptimizer(0.1),
}
SHAPES = {"unknown rank": None, "(None, None)": (None, None), "(5, None)": (5, None), "(None, 3)": (None, 3)}


def tf_steps(shape, optimizer, x_value, w0, steps):
    """The same training in TF1 graph mode."""
    with tf.Graph().as_default() as g:
        x = tf1.placeholder(tf.float32, shape=shape)
        w = tf1.Variable(w0, use_resource=False)
        loss = tf.reduce_sum(tf.square(tf.matmul(x, w)))
        make = {"sgd": lambda: tf1.train.GradientDescentOptimizer(0.1),
                "momentum": lambda: tf1.train.MomentumOptimizer(0.1, 0.9),
                "adam": lambda: tf1.train.AdamOptimizer(0.1)}[optimizer]
        train = make().minimize(loss)
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            for _ in range(steps):
                sess.run(train, {x: x_value})
            return sess.run(w)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("shape", SHAPES)
def test_optimizers_train_with_none_dims_and_unknown_rank_as_tf(graph, shape, optimizer):
    rng = np.random.default_rng(0)
    x_value = rng.normal(size=(5, 3)).astype(np.float32)
    w0 = rng.normal(size=(3, 2)).astype(np.float32)
    x = mg.placeholder(mg.float32, shape=SHAPES[shape])
    w = mg.Variable(w0)
    loss = mg.reduce_sum(mg.square(mg.matmul(x, w)))
    train = OPTIMIZERS[optimizer]().minimize(loss)
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    for _ in range(3):
        session.run(train, {x: x_value})
    expected = tf_steps(SHAPES[shape], optimizer, x_value, w0, 3)
    np.testing.assert_allclose(session.run(w), expected, rtol=2e-5, atol=1e-6)


def test_gradients_carry_their_inputs_static_shape(graph):
    x = mg.placeholder(mg.float32)  # unknown rank
    w = mg.Variable(np.ones((3, 2), np.float32))
    (grad_w,) = mg.gradients(mg.reduce_sum(mg.matmul(x, w)), [w])
    assert grad_w.shape == (3, 2)  # TF: set_shape to the variable's shape


def test_an_update_refuses_a_gradient_of_the_wrong_run_time_shape(graph):
    g = mg.placeholder(mg.float32)  # a gradient fed by hand, of unknown shape
    w = mg.Variable(np.zeros((1,), np.float32), name="w")
    step = mg.train.GradientDescentOptimizer(1.0).apply_gradients([(g, w)])
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    with pytest.raises(InvalidArgumentError, match=r"gradient of shape \(4,\) does not fit variable w of shape \(1,\)"):
        session.run(step, {g: np.ones(4, np.float32)})
    assert session.run(w).shape == (1,)


def test_a_failed_step_changes_no_variable(graph):
    a = mg.Variable(np.zeros(2, np.float32), name="a")
    b = mg.Variable(np.zeros(3, np.float32), name="b")
    ga, gb = mg.placeholder(mg.float32, (2,)), mg.placeholder(mg.float32)
    step = mg.train.AdamOptimizer(0.1).apply_gradients([(ga, a), (gb, b)])
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    before = session.run([a, b])
    with pytest.raises(InvalidArgumentError):  # a's update runs first and succeeds, b's fails
        session.run(step, {ga: np.ones(2), gb: np.ones(7)})
    after = session.run([a, b])
    for old, new in zip(before, after):
        np.testing.assert_array_equal(old, new)
    slots = [v for v in mg.global_variables() if "Adam" in v.op.name or "power" in v.op.name]
    assert slots and all(np.all(session.run(v) == session.run(v.initial_value)) for v in slots)


def test_threads_sharing_a_session_lose_no_update(graph):
    counter = mg.Variable(np.int64(0))
    increment = counter.assign_add(np.int64(1))
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    threads, steps = 4, 500

    def work():
        for _ in range(steps):
            session.run(increment)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert session.run(counter) == threads * steps


@pytest.mark.parametrize("read", [lambda v: mg.identity(v), lambda v: v * 1.0, lambda v: v + 0.0])
def test_a_read_inside_control_dependencies_sees_the_write(graph, read):
    with tf.Graph().as_default() as g:
        v = tf1.Variable(1.0, use_resource=False)
        increment = tf1.assign_add(v, 1.0)
        with tf1.control_dependencies([increment]):
            out = tf.identity(v)
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            expected = sess.run(out)
    v = mg.Variable(np.float32(1.0))
    increment = mg.assign_add(v, 1.0)
    with mg.control_dependencies([increment]):
        out = read(v)
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    assert session.run(out) == expected == 2.0


def test_a_long_chain_holds_only_the_values_still_needed(graph):
    x = mg.placeholder(mg.float64, shape=(1000, 1000))  # 8 MB
    y = x
    for _ in range(300):
        y = y * 1.0001
    value = np.ones((1000, 1000))
    session = mg.Session()
    session.run(y, {x: value})  # plan made, warm
    tracemalloc.start()
    session.run(y, {x: value})
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 4 * value.nbytes, f"peak {peak / 1e6:.0f} MB for 8 MB values"  # was 2.4 GB


def test_a_finalized_graph_refuses_new_ops(graph):
    x = mg.placeholder(mg.float32, shape=(2,))
    y = x * 2.0
    graph.finalize()
    np.testing.assert_array_equal(mg.Session().run(y, {x: [1.0, 2.0]}), [2.0, 4.0])  # running is fine
    with pytest.raises(RuntimeError, match="Graph is finalized and cannot be modified: tried to add Mul 'mul'"):
        x * x
    with pytest.raises(RuntimeError, match="finalized"):
        mg.constant(1.0)


def test_check_numerics_names_the_first_node_that_made_a_nan(graph):
    x = mg.placeholder(mg.float32, shape=(3,))
    log = mg.log(x, name="log_of_x")
    loss = mg.reduce_sum(log * 2.0)
    checks = mg.add_check_numerics_ops()
    session = mg.Session()
    assert session.run([loss, checks], {x: [1.0, 2.0, 3.0]})[0] == pytest.approx(2 * np.log(6.0))
    with np.errstate(all="ignore"), pytest.raises(InvalidArgumentError, match=r"log_of_x:0 : Tensor had NaN values"):
        session.run([loss, checks], {x: [1.0, -1.0, 3.0]})


def test_check_numerics_passes_values_and_gradients_through(graph):
    x = mg.placeholder(mg.float64, shape=(2,))
    y = mg.check_numerics(x * x, "square")
    (grad,) = mg.gradients(mg.reduce_sum(y), x)
    value, grad_value = mg.Session().run([y, grad], {x: [1.0, 3.0]})
    np.testing.assert_array_equal(value, [1.0, 9.0])
    np.testing.assert_array_equal(grad_value, [2.0, 6.0])
    assert "CheckNumerics" in {op.type for op in graph.get_operations() if op.role == mg.graph.GRADIENT}
    with pytest.raises(InvalidArgumentError, match="square : Tensor had Inf values"):
        mg.Session().run(y, {x: [1.0, 1e200]})


def test_gradients_of_nothing_is_a_clear_error(graph):
    x = mg.placeholder(mg.float32, shape=(2,))
    with pytest.raises(ValueError, match="gradients\\(\\): ys is empty"):
        mg.gradients([], x)
    with pytest.raises(ValueError, match="gradients\\(\\): xs is empty"):
        mg.gradients(x * 2.0, [])


def test_set_shape_narrows_and_refuses_what_cannot_be(graph):
    x = mg.placeholder(mg.float32, shape=(None, 3))
    x.set_shape((2, None))
    assert x.shape == (2, 3)
    with pytest.raises(ValueError, match=r"Shapes \(2, 3\) and \(4, 3\) are incompatible"):
        x.set_shape((4, 3))


def test_a_cast_between_floats_passes_the_gradient_back_as_tf(graph):
    with tf.Graph().as_default() as g:
        x = tf1.placeholder(tf.float64, shape=(3,))
        y = tf.reduce_sum(tf.square(tf.cast(x, tf.float32)))
        (grad,) = tf1.gradients(y, [x])
        with tf1.Session(graph=g) as sess:
            expected = sess.run(grad, {x: [1.0, 2.0, 3.0]})
    x = mg.placeholder(mg.float64, shape=(3,))
    y = mg.reduce_sum(mg.square(mg.cast(x, mg.float32)))
    (grad,) = mg.gradients(y, [x])
    value = mg.Session().run(grad, {x: [1.0, 2.0, 3.0]})
    assert value.dtype == np.float64
    np.testing.assert_array_equal(value, expected)
    (through_int,) = mg.gradients(mg.reduce_sum(mg.cast(mg.cast(x, mg.int32), mg.float64)), [x])
    assert through_int is None  # no gradient through an integer, as in TF
