"""minigraph.gradients: how gradients() builds the backward graph (the op-by-op
numbers are in test_ops.py)."""

import numpy as np
import pytest
import tensorflow as tf

import minigraph as mg

pytestmark = pytest.mark.usefixtures("graph")

X = np.array([0.5, -1.0, 2.0])


def run(tensors, feed=None):
    return mg.Session().run(tensors, feed)


def test_paths_are_summed(graph):
    x = mg.placeholder(mg.float64, shape=(3,))
    a = mg.exp(x)
    y = mg.reduce_sum(a * x + mg.square(a) + 3.0 * x)  # x reaches y along four paths
    (grad,) = mg.gradients(y, x)
    expected = np.exp(X) * X + np.exp(X) + 2 * np.exp(2 * X) + 3.0
    np.testing.assert_allclose(run(grad, {x: X}), expected, rtol=1e-14)
    assert "AddN" in {op.type for op in graph.get_operations() if op.role == mg.graph.GRADIENT}


def test_several_ys_are_summed():
    x = mg.placeholder(mg.float64, shape=(3,))
    grads = mg.gradients([mg.reduce_sum(x * x), mg.reduce_sum(2.0 * x)], [x])
    np.testing.assert_allclose(run(grads[0], {x: X}), 2 * X + 2.0)


def test_disconnected_inputs_get_none():
    x = mg.placeholder(mg.float64, shape=(3,))
    unused = mg.placeholder(mg.float64, shape=(3,))
    upstream = mg.placeholder(mg.float64, shape=(3,))
    y = mg.reduce_sum(mg.exp(x) + mg.stop_gradient(upstream * 2.0))
    other = mg.exp(unused)  # reaches nothing that y needs
    grad_x, grad_unused, grad_upstream, grad_other = mg.gradients(y, [x, unused, upstream, other])
    assert grad_x is not None and grad_unused is None and grad_upstream is None and grad_other is None


def test_gradient_with_respect_to_an_intermediate_tensor_and_to_y_itself(graph):
    x = mg.placeholder(mg.float64, shape=(3,))
    h = mg.exp(x)
    y = mg.reduce_sum(h * 2.0)
    before = len(graph.get_operations())
    grad_h, grad_y = mg.gradients(y, [h, y])
    value_h, value_y = run([grad_h, grad_y], {x: X})
    np.testing.assert_array_equal(value_h, np.full(3, 2.0))
    assert value_y == 1.0
    # nothing upstream of h is differentiated
    assert not any("Exp_grad" in op.name for op in graph.get_operations()[before:])


def test_grad_ys_weigh_the_ys():
    x = mg.placeholder(mg.float64, shape=(3,))
    y = mg.square(x)
    weights = np.array([1.0, 10.0, 100.0])
    (from_array,) = mg.gradients(y, x, grad_ys=weights)
    (from_tensor,) = mg.gradients(y, x, grad_ys=mg.constant(weights))
    (from_list,) = mg.gradients([y], [x], grad_ys=[weights])
    for grad in (from_array, from_tensor, from_list):
        np.testing.assert_allclose(run(grad, {x: X}), 2 * X * weights)


def test_grad_ys_must_fit_the_ys():
    x = mg.placeholder(mg.float64, shape=(3,))
    with pytest.raises(ValueError, match="2 grad_ys given for 1 ys"):
        mg.gradients(x * 2.0, x, grad_ys=[np.ones(3), np.ones(3)])
    with pytest.raises(ValueError, match=r"grad_ys\[0\] .* does not fit ys\[0\] .*: expected shape \(3,\)"):
        mg.gradients(x * 2.0, x, grad_ys=np.ones(4))
    with pytest.raises(TypeError, match="must be a Tensor or Variable"):
        mg.gradients(x * 2.0, [np.ones(3)])


def test_gradients_of_gradients():
    """The gradient is a graph like any other: differentiate it again (and again)."""
    x = mg.placeholder(mg.float64, shape=(3,))
    y = mg.reduce_sum(x**2 * mg.exp(x))  # y' = (2x + x^2) e^x per element
    (first,) = mg.gradients(y, x)
    (second,) = mg.gradients(first, x)  # d/dx of sum(y'): (2 + 4x + x^2) e^x
    (third,) = mg.gradients(second, x)  # (6 + 6x + x^2) e^x
    values = run([first, second, third], {x: X})
    e = np.exp(X)
    np.testing.assert_allclose(values[0], (2 * X + X**2) * e, rtol=1e-13)
    np.testing.assert_allclose(values[1], (2 + 4 * X + X**2) * e, rtol=1e-13)
    np.testing.assert_allclose(values[2], (6 + 6 * X + X**2) * e, rtol=1e-13)


def test_hessian_vector_product_matches_tensorflow():
    a = np.array([[2.0, 0.5, -1.0], [0.3, 1.5, 0.2]])
    v = np.array([0.1, -0.2, 0.3])

    def hvp(lib, gradients, placeholder):
        x = placeholder("float64", (3,))
        logits = lib.matmul(lib.constant(a), lib.reshape(x, (3, 1)))
        y = lib.reduce_sum(lib.nn.log_softmax(lib.reshape(logits, (1, 2))) * lib.constant(np.array([[0.25, 0.75]])))
        (grad,) = gradients(y, [x])
        return x, gradients(lib.reduce_sum(grad * lib.constant(v)), [x])[0]

    with tf.Graph().as_default() as graph:
        x, result = hvp(tf, tf.compat.v1.gradients, tf.compat.v1.placeholder)
        expected = tf.compat.v1.Session(graph=graph).run(result, {x: X})
    x, result = hvp(mg, mg.gradients, mg.placeholder)
    np.testing.assert_allclose(run(result, {x: X}), expected, rtol=1e-12)


def test_gradient_nodes_are_named_and_marked(graph):
    x = mg.placeholder(mg.float32, shape=(2, 2))
    w = mg.Variable(np.ones((2, 2)), dtype=mg.float32)
    y = mg.reduce_mean(mg.nn.relu(mg.matmul(x, w)))
    forward = set(graph.get_operations())
    grads = mg.gradients(y, [x, w])
    backward = [op for op in graph.get_operations() if op not in forward]
    assert backward and all(op.role == mg.graph.GRADIENT for op in backward)
    assert all(op.role == mg.graph.FORWARD for op in forward)
    assert all(op.name.startswith("gradients/") for op in backward)
    names = {op.name for op in backward}
    assert {"gradients/MatMul_grad/MatMul", "gradients/MatMul_grad/MatMul_1"} <= names
    assert any(name.startswith("gradients/Relu_grad/") for name in names)
    assert all(g.name.startswith("gradients/") for g in grads)
    (again,) = mg.gradients(grads[0], x)
    assert again is None or again.name.startswith("gradients_1/")


def test_gradient_with_respect_to_a_variable():
    w = mg.Variable(np.array([[1.0, 2.0], [3.0, 4.0]]))
    x = mg.constant(np.array([[1.0, -1.0]]))
    loss = mg.reduce_sum(mg.square(mg.matmul(x, w)))
    (grad,) = mg.gradients(loss, w)  # 2 x^T (x w)
    assert grad.shape == (2, 2)
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    xw = np.array([[1.0, -1.0]]) @ np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(session.run(grad), 2 * np.array([[1.0], [-1.0]]) @ xw)


def test_integers_get_no_gradient():
    n = mg.placeholder(mg.int32, shape=(3,))
    x = mg.placeholder(mg.float64, shape=(3,))
    y = mg.reduce_sum(mg.cast(n, mg.float64) * x + mg.cast(n * 2, mg.float64))
    grad_n, grad_x = mg.gradients(y, [n, x])
    assert grad_n is None
    np.testing.assert_array_equal(run(grad_x, {n: [1, 2, 3], x: X}), [1.0, 2.0, 3.0])
    assert mg.gradients(mg.reduce_sum(n * n), n) == [None]


@pytest.mark.parametrize(
    "build",
    [lambda x: mg.argmax(x, 0), lambda x: mg.equal(x, x), lambda x: mg.cast(x, mg.int32), lambda x: x > 0.0],
    ids=["argmax", "equal", "cast", "greater"],
)
def test_ops_without_a_gradient(build):
    x = mg.placeholder(mg.float64, shape=(3,))
    assert mg.gradients(build(x), x) == [None]
    assert mg.gradients(mg.reduce_sum(mg.cast(build(x), mg.float64)) + mg.reduce_sum(x), x)[0] is not None


def test_gradient_of_a_long_sum_of_paths_has_the_inputs_shape():
    x = mg.placeholder(mg.float32, shape=(None, 4))
    b = mg.placeholder(mg.float32, shape=(4,))
    y = mg.reduce_sum(x + b) + mg.reduce_sum(x * b) + mg.reduce_mean(b)
    grad_x, grad_b = mg.gradients(y, [x, b])
    assert grad_x.shape == (None, 4) and grad_b.shape == (4,)
    values = run([grad_x, grad_b], {x: np.ones((5, 4)), b: np.arange(4.0)})
    np.testing.assert_allclose(values[0], np.ones((5, 4)) + np.arange(4.0))
    np.testing.assert_allclose(values[1], np.full(4, 5.0) + 5.0 + 0.25)


@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
def test_matmul_gradients_use_the_transpose_flags_as_tensorflow(graph, transpose_a, transpose_b):
    rng = np.random.default_rng(0)
    a_value = rng.normal(size=(4, 3) if transpose_a else (3, 4))
    b_value = rng.normal(size=(5, 4) if transpose_b else (4, 5))
    a, b = mg.placeholder(mg.float64, a_value.shape), mg.placeholder(mg.float64, b_value.shape)
    c = mg.matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b)
    grads = mg.gradients(mg.reduce_sum(c * c), [a, b])
    built = [op.type for op in graph.get_operations()]
    assert "Transpose" not in built  # the flags, not transposed copies
    assert c.op.graph_def_attrs()["transpose_a"] == transpose_a
    ours = mg.Session().run([c] + grads, {a: a_value, b: b_value})

    with tf.Graph().as_default() as g:
        ta, tb = (tf.compat.v1.placeholder(tf.float64, v.shape) for v in (a_value, b_value))
        tc = tf.matmul(ta, tb, transpose_a=transpose_a, transpose_b=transpose_b)
        tgrads = tf.compat.v1.gradients(tf.reduce_sum(tc * tc), [ta, tb])
        with tf.compat.v1.Session(graph=g) as sess:
            theirs = sess.run([tc] + tgrads, {ta: a_value, tb: b_value})
    for mine, expected in zip(ours, theirs):
        np.testing.assert_allclose(mine, expected, rtol=1e-12)
