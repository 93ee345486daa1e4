"""minigraph.testing: central differences, and a gradient check that names what is wrong."""

import numpy as np
import pytest

import minigraph as mg
from minigraph.testing import check_gradients, numeric_gradient

pytestmark = pytest.mark.usefixtures("graph")


def test_numeric_gradient_of_a_scalar_function():
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    grad = numeric_gradient(lambda v: np.sum(v**3), x)
    assert grad.shape == x.shape and grad.dtype == np.float64
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)


def test_numeric_gradient_of_an_array_function_is_the_jacobian():
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x = np.array([0.1, 0.2, 0.3])
    jacobian = numeric_gradient(lambda v: a @ v, x)
    assert jacobian.shape == (2, 3)  # f(x).shape + x.shape
    np.testing.assert_allclose(jacobian, a, rtol=1e-8)


def test_numeric_gradient_works_in_float64_and_leaves_x_alone():
    x = np.array([1.0, 2.0], dtype=np.float32)
    seen = []
    grad = numeric_gradient(lambda v: seen.append(v.dtype) or float(np.sum(np.sin(v))), x, eps=1e-7)
    assert set(seen) == {np.dtype(np.float64)}
    np.testing.assert_array_equal(x, np.array([1.0, 2.0], dtype=np.float32))
    np.testing.assert_allclose(grad, np.cos([1.0, 2.0]), rtol=1e-7)


def test_check_gradients_passes_for_a_right_gradient():
    x = mg.placeholder(mg.float64, shape=(2, 3))
    w = mg.placeholder(mg.float64, shape=(3,))
    y = mg.nn.softmax(mg.nn.tanh(x * w))  # an array: the check differentiates sum(y)
    rng = np.random.default_rng(0)
    check_gradients([y, mg.reduce_sum(x * x)], [x, w], {x: rng.normal(size=(2, 3)), w: rng.normal(size=3)})


def test_check_gradients_names_the_worst_input_and_element():
    # stop_gradient hides one path: the symbolic gradient of x * stop_gradient(x) is x,
    # the numbers say 2x; the worst element is the largest |x|, in the second input
    a = mg.placeholder(mg.float64, shape=(3,), name="a")
    b = mg.placeholder(mg.float64, shape=(2, 2), name="b")
    y = mg.reduce_sum(a * a) + mg.reduce_sum(b * mg.stop_gradient(b))
    feed = {a: np.array([1.0, 2.0, 3.0]), b: np.array([[0.5, -4.0], [1.0, 2.0]])}
    with pytest.raises(AssertionError) as error:
        check_gradients(y, [a, b], feed)
    message = str(error.value)
    assert message.startswith(f"gradient of sum({y.name}) with respect to b:0[0, 1]: symbolic -4, numeric -8 ")
    assert "difference 4 > tolerance" in message


def test_check_gradients_reports_a_missing_path():
    x = mg.placeholder(mg.float64, shape=(2,), name="x")
    y = mg.stop_gradient(x) * 3.0
    with pytest.raises(AssertionError, match=r"with respect to x:0\[0\]: symbolic 0, numeric 3 .*"
                                             r"mg.gradients found no path from it to ys"):
        check_gradients(y, x, {x: np.array([1.0, 2.0])})


def test_check_gradients_checks_second_derivatives_too():
    """A Hessian-vector product is the gradient of s = sum(grad * v)."""
    x = mg.placeholder(mg.float64, shape=(3,))
    (grad,) = mg.gradients(mg.reduce_sum(mg.exp(x) * x), x)
    s = mg.reduce_sum(grad * mg.constant(np.array([1.0, -2.0, 0.5])))
    check_gradients(s, x, {x: np.array([0.1, -0.3, 0.7])})


def test_check_gradients_with_variables_in_the_graph():
    x = mg.placeholder(mg.float64, shape=(2,))
    w = mg.Variable(np.array([2.0, -1.0]))
    check_gradients(mg.reduce_sum(mg.square(x * w)), x, {x: np.array([0.5, 1.5])})


def test_check_gradients_wants_each_x_fed():
    x = mg.placeholder(mg.float64, shape=(2,), name="x")
    w = mg.Variable(np.ones(2), name="w")
    with pytest.raises(ValueError, match="check_gradients: w:0 must be fed: it is not a key of feed_dict"):
        check_gradients(mg.reduce_sum(x * w), [x, w], {x: np.ones(2)})
