"""Deep and wide graphs: nothing in minigraph walks a graph by recursion, so chains of
20,000 and 100,000 ops build, run and differentiate (Python's recursion limit is 1,000
frames), and 10,000 variables train a step. The times are in benchmarks/long_chain.py;
here only the values are checked."""

import numpy as np
import pytest

import minigraph as mg

pytestmark = pytest.mark.usefixtures("graph")

STEPS = 10_000  # x = x * a + b: two ops per step
X0 = np.linspace(-1.0, 1.0, 4)
A, B = 1.0001, 1e-4


def numpy_chain():
    """x_N, dx_N/dx0 and d sum(x_N)/da, step by step in the same float64 arithmetic."""
    x, dx_dx0, dx_da = X0.copy(), np.ones(4), np.zeros(4)
    for _ in range(STEPS):
        dx_da = dx_da * A + x  # d(x a + b)/da = x + a dx/da
        dx_dx0 = dx_dx0 * A
        x = x * A + B
    return x, dx_dx0, dx_da.sum()


def test_a_chain_of_20000_ops_builds_runs_and_differentiates(graph):
    x0 = mg.placeholder(mg.float64, shape=(4,))
    a = mg.placeholder(mg.float64, shape=())
    b = mg.constant(np.float64(B))
    x = x0
    for _ in range(STEPS):
        x = x * a + b
    assert len(graph.get_operations()) == 2 * STEPS + 3
    grad_x0, grad_a = mg.gradients(mg.reduce_sum(x), [x0, a])

    session = mg.Session()
    feed = {x0: X0, a: A}
    value, dx0, da = session.run([x, grad_x0, grad_a], feed)
    expected_value, expected_dx0, expected_da = numpy_chain()
    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    np.testing.assert_allclose(dx0, expected_dx0, rtol=1e-12)
    np.testing.assert_allclose(da, expected_da, rtol=1e-10)
    np.testing.assert_allclose(dx0, np.full(4, A**STEPS), rtol=1e-10)  # the closed form


def test_a_chain_of_20000_unary_ops():
    x = start = mg.placeholder(mg.float32, shape=(2, 3))
    for i in range(20_000):
        x = mg.negative(x) if i % 2 else mg.transpose(x)
    (grad,) = mg.gradients(mg.reduce_sum(x * mg.constant(np.arange(6.0, dtype=np.float32).reshape(2, 3))), start)
    value, grad_value = mg.Session().run([x, grad], {start: np.ones((2, 3))})
    np.testing.assert_array_equal(value, np.ones((2, 3)))  # 10,000 negations and transposes
    np.testing.assert_array_equal(grad_value, np.arange(6.0).reshape(2, 3))


def test_a_wide_graph_sums_10000_paths():
    x = mg.placeholder(mg.float64, shape=(3,))
    total = mg.add_n([x * float(i) for i in range(1, 10_001)])
    (grad,) = mg.gradients(total, x)
    np.testing.assert_allclose(mg.Session().run(grad, {x: np.zeros(3)}), np.full(3, 10_000 * 10_001 / 2))


@pytest.mark.slow
def test_a_chain_of_100000_ops_builds_runs_and_differentiates(graph):
    x0 = mg.placeholder(mg.float64, shape=(4,))
    a = mg.placeholder(mg.float64, shape=())
    x = x0
    for _ in range(50_000):
        x = mg.multiply(x, a)
        x = mg.negative(x)
    assert len(graph.get_operations()) == 100_002
    (grad,) = mg.gradients(mg.reduce_sum(x), x0)
    value, grad_value = mg.Session().run([x, grad], {x0: X0, a: 1.00001})
    # 50,000 negations cancel; the product of a's is a**50000
    np.testing.assert_allclose(value, X0 * 1.00001**50_000, rtol=1e-9)
    np.testing.assert_allclose(grad_value, np.full(4, 1.00001**50_000), rtol=1e-9)


@pytest.mark.slow
def test_10000_variables_initialise_and_train_a_step(graph):
    variables = [mg.Variable(np.full(3, float(i), np.float32)) for i in range(10_000)]
    loss = mg.add_n([mg.reduce_sum(v * v) for v in variables])
    step = mg.train.GradientDescentOptimizer(0.25).minimize(loss)
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    session.run(step)
    values = session.run(variables)
    for i in (0, 1, 9_999):  # w - 0.25 * 2w = w / 2
        np.testing.assert_array_equal(values[i], np.full(3, i / 2.0, np.float32))
