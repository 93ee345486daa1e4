"""minigraph.keras.backend: the worksheet's first half, cell by cell, through K and
mg.Session, each printed tensor held next to what TensorFlow 1's graph mode prints
for the same cell (Keras 2's K.placeholder was tf.placeholder in float32, K.variable
a tf.Variable, K.dot a tf.matmul)."""

import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import text_format

import minigraph as mg
from minigraph.keras import backend as K

tf1 = tf.compat.v1
pytestmark = pytest.mark.usefixtures("graph")

X = [[1, 2], [3, 4]]
Y = [[10, 20], [30, 40]]
WEIGHTS = np.eye(2) * 2


@pytest.fixture(scope="module")
def tensorflow_cells():
    """The same cells in TF1 graph mode: what each printed, and the values."""
    with tf.Graph().as_default() as graph:
        x = tf1.placeholder(tf.float32, shape=(2, 2))
        y = tf1.placeholder(tf.float32, shape=(2, 2))
        z = x + y
        graph_def = graph.as_graph_def()
        weights = tf1.Variable(WEIGHTS, dtype=tf.float32, use_resource=False)
        product = tf.matmul(x, weights)
        with tf1.Session(graph=graph) as session:
            z_value = session.run(z, feed_dict={x: X, y: Y})
            session.run(tf1.global_variables_initializer())
            product_value = session.run(product, feed_dict={x: X})
    return {
        "x": str(x), "y": str(y), "z": str(z), "product": str(product), "graph_def": graph_def,
        "z_value": z_value, "product_value": product_value,
    }  # fmt: skip


def test_the_worksheets_first_half(tensorflow_cells, capsys):
    # cell: two placeholders
    x = K.placeholder(shape=(2, 2))
    y = K.placeholder(shape=(2, 2))
    assert (str(x), str(y)) == (tensorflow_cells["x"], tensorflow_cells["y"])
    assert str(x) == 'Tensor("Placeholder:0", shape=(2, 2), dtype=float32)'

    # cell: z = x + y; print(z)
    z = x + y
    print(z)
    assert capsys.readouterr().out == 'Tensor("add:0", shape=(2, 2), dtype=float32)\n'
    assert str(z) == tensorflow_cells["z"]

    # cell: the graph behind z
    graph_def = z.graph.as_graph_def()
    assert z.graph is mg.get_default_graph()
    assert [(n.name, n.op, n.input) for n in graph_def.node] == [
        ("Placeholder", "Placeholder", []),
        ("Placeholder_1", "Placeholder", []),
        ("add", "AddV2", ["Placeholder", "Placeholder_1"]),
    ]
    theirs = tensorflow_cells["graph_def"]
    ours = text_format.Parse(str(graph_def), tf1.GraphDef())
    ours.versions.CopyFrom(theirs.versions)
    assert ours == theirs

    # cell: run z
    with mg.Session() as session:
        z_value = session.run(z, feed_dict={x: X, y: Y})
        np.testing.assert_array_equal(z_value, tensorflow_cells["z_value"])
        np.testing.assert_array_equal(z_value, np.add(X, Y))
        assert z_value.dtype == np.float32

        # cell: a variable and K.dot
        weights = K.variable(WEIGHTS)
        product = K.dot(x, weights)
        assert str(product) == tensorflow_cells["product"] == 'Tensor("MatMul:0", shape=(2, 2), dtype=float32)'
        assert weights.dtype == mg.float32 and weights.name == "Variable:0"
        session.run(mg.global_variables_initializer())
        product_value = session.run(product, feed_dict={x: X})
        np.testing.assert_array_equal(product_value, tensorflow_cells["product_value"])
        np.testing.assert_array_equal(product_value, np.dot(X, WEIGHTS))
        np.testing.assert_array_equal(session.run(weights), WEIGHTS)


def test_floatx_is_the_default_dtype():
    assert K.floatx() == "float32"
    assert K.placeholder(shape=(None, 3)).dtype == mg.float32
    assert K.variable([[1, 2]]).dtype == mg.float32  # ints too, as Keras
    assert K.constant(1).dtype == mg.float32
    assert K.variable(np.ones(2), dtype="float64").dtype == mg.float64
    assert K.placeholder(ndim=3).shape == (None, None, None)


def test_shapes_and_dtypes():
    x = K.placeholder(shape=(None, 784))
    assert K.int_shape(x) == (None, 784) and K.ndim(x) == 2 and K.dtype(x) == "float32"
    assert K.int_shape(K.variable(np.zeros((3, 2)))) == (3, 2)
    assert K.is_placeholder(x) and not K.is_placeholder(x * 2.0)


def test_eval_initialises_what_it_needs():
    w = K.variable(WEIGHTS)
    np.testing.assert_array_equal(K.eval(w), WEIGHTS)
    np.testing.assert_array_equal(K.eval(K.dot(K.constant([[1.0, 1.0]]), w)), [[2.0, 2.0]])
    K.set_value(w, np.ones((2, 2)))
    np.testing.assert_array_equal(K.get_value(w), np.ones((2, 2)))


def test_function_and_gradients():
    x = K.placeholder(shape=(None, 2))
    w = K.variable(WEIGHTS)
    loss = K.sum(K.square(K.dot(x, w)))
    (grad,) = K.gradients(loss, [w])
    f = K.function([x], [loss, grad])
    loss_value, grad_value = f([np.array([[1.0, 2.0]])])
    assert loss_value == pytest.approx(4.0 + 16.0)
    np.testing.assert_allclose(grad_value, 2 * np.array([[1.0], [2.0]]) @ np.array([[2.0, 4.0]]))


@pytest.mark.parametrize(
    "name, args, numpy",
    [
        ("transpose", (), lambda a: a.T),
        ("exp", (), np.exp),
        ("square", (), np.square),
        ("relu", (), lambda a: np.maximum(a, 0)),
        ("sum", (1,), lambda a: a.sum(axis=1)),
        ("mean", (0,), lambda a: a.mean(axis=0)),
        ("max", (), np.max),
        ("argmax", (), lambda a: a.argmax(axis=-1)),
        ("clip", (0.0, 1.0), lambda a: np.clip(a, 0.0, 1.0)),
        ("reshape", ((4,),), lambda a: a.reshape(4)),
        ("softmax", (), lambda a: np.exp(a) / np.exp(a).sum(axis=-1, keepdims=True)),
    ],
)
def test_math_matches_numpy(name, args, numpy):
    a = np.array([[0.5, -1.5], [2.0, 0.25]], np.float32)
    value = K.eval(getattr(K, name)(K.constant(a), *args))
    np.testing.assert_allclose(value, numpy(a), rtol=1e-6)


# --- the session Keras keeps (Keras 2: K.set_session, K.batch_set_value) ----------------


def test_set_session_makes_keras_use_that_session():
    w = K.variable(WEIGHTS)
    with mg.Session() as session:
        K.set_session(session)
        assert K.get_session() is session
        np.testing.assert_array_equal(K.eval(w), WEIGHTS)  # initialised in the session given
        assert session.is_initialized(w)
        K.set_value(w, np.zeros((2, 2)))
        np.testing.assert_array_equal(session.run(w), np.zeros((2, 2)))
    # a closed session, or one of another graph, is not the default graph's session
    assert K.get_session() is not session and not K.get_session().closed
    with mg.Graph().as_default() as other:
        assert K.get_session().graph is other


def test_batch_set_value_sets_each_variable_in_its_own_dtype():
    a = K.variable(np.zeros((2, 2)))
    b = K.variable(np.zeros(3), dtype="float64")
    K.batch_set_value([(a, [[1, 2], [3, 4]]), (b, np.arange(3))])
    a_value, b_value = K.batch_get_value([a, b])
    np.testing.assert_array_equal(a_value, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(b_value, [0, 1, 2])
    assert (a_value.dtype, b_value.dtype) == (np.float32, np.float64)
    with pytest.raises(ValueError, match=r"Cannot set variable Variable of shape \(2, 2\) to a value of shape \(3,\)"):
        K.batch_set_value([(a, np.zeros(3))])
    np.testing.assert_array_equal(K.get_value(a), [[1, 2], [3, 4]])
