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


# --- K's functions against Keras 2's backend (tf-keras) -----------------------------------

A = np.array([[0.5, -1.5, 2.0], [2.0, 0.25, -0.75]], np.float32)
B = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
POSITIVE = np.abs(A) + 0.5

KERAS_2_CASES = [  # (name, how K is called on constants a, b, p) as a program calls it
    ("l2_normalize", lambda K, a, b, p: K.l2_normalize(a, axis=1)),
    ("l2_normalize all", lambda K, a, b, p: K.l2_normalize(a)),
    ("concatenate", lambda K, a, b, p: K.concatenate([a, b])),
    ("concatenate axis 0", lambda K, a, b, p: K.concatenate([K.transpose(a), b], axis=0)),
    ("mean", lambda K, a, b, p: K.mean(a, axis=1)),
    ("mean keepdims", lambda K, a, b, p: K.mean(a, axis=-1, keepdims=True)),
    ("mean of bools", lambda K, a, b, p: K.mean(K.equal(K.argmax(a), K.argmax(p)))),
    ("sum", lambda K, a, b, p: K.sum(a, axis=0, keepdims=True)),
    ("sum all", lambda K, a, b, p: K.sum(a)),
    ("max", lambda K, a, b, p: K.max(a, axis=1)),
    ("min", lambda K, a, b, p: K.min(a, axis=0)),
    ("square", lambda K, a, b, p: K.square(a)),
    ("sqrt", lambda K, a, b, p: K.sqrt(p)),
    ("abs", lambda K, a, b, p: K.abs(a)),
    ("exp", lambda K, a, b, p: K.exp(a)),
    ("log", lambda K, a, b, p: K.log(p)),
    ("pow", lambda K, a, b, p: K.pow(a, 3)),
    ("clip", lambda K, a, b, p: K.clip(a, -0.5, 0.6)),
    ("shape", lambda K, a, b, p: K.shape(a)),
    ("zeros", lambda K, a, b, p: K.zeros((2, 3))),
    ("ones", lambda K, a, b, p: K.ones((3,))),
    ("reshape", lambda K, a, b, p: K.reshape(a, (3, 2))),
    ("transpose", lambda K, a, b, p: K.transpose(a)),
    ("expand_dims", lambda K, a, b, p: K.expand_dims(a)),
    ("expand_dims 0", lambda K, a, b, p: K.expand_dims(a, 0)),
    ("argmax", lambda K, a, b, p: K.argmax(a)),
    ("argmax 0", lambda K, a, b, p: K.argmax(a, axis=0)),
    ("cast", lambda K, a, b, p: K.cast(a, "int32")),
    ("stop_gradient", lambda K, a, b, p: K.stop_gradient(a)),
    ("relu", lambda K, a, b, p: K.relu(a)),
    ("relu alpha max", lambda K, a, b, p: K.relu(a, alpha=0.1, max_value=1.0)),
    ("relu threshold", lambda K, a, b, p: K.relu(a, threshold=0.3)),
    ("softmax", lambda K, a, b, p: K.softmax(a)),
    ("sigmoid", lambda K, a, b, p: K.sigmoid(a)),
    ("dot", lambda K, a, b, p: K.dot(b, b)),
    ("epsilon", lambda K, a, b, p: K.constant(K.epsilon())),
]


@pytest.mark.parametrize("name, call", KERAS_2_CASES, ids=[case[0] for case in KERAS_2_CASES])
def test_backend_functions_match_keras_2(name, call):
    import tf_keras

    theirs = np.asarray(call(tf_keras.backend, *(tf_keras.backend.constant(v) for v in (A, B, POSITIVE))))
    ours = K.eval(call(K, *(K.constant(v) for v in (A, B, POSITIVE))))
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, (ours, theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_static_facts_match_keras_2():
    import tf_keras

    theirs = tf_keras.backend
    for x_ours, x_theirs in [(K.constant(A), theirs.constant(A)), (K.placeholder(shape=(None, 3)), None)]:
        if x_theirs is not None:
            assert K.int_shape(x_ours) == theirs.int_shape(x_theirs) and K.ndim(x_ours) == theirs.ndim(x_theirs)
            assert K.dtype(x_ours) == theirs.dtype(x_theirs) == "float32"
    assert K.int_shape(K.placeholder(shape=(None, 3))) == (None, 3)
    assert K.epsilon() == theirs.epsilon() and K.floatx() == theirs.floatx()
    assert K.image_data_format() == theirs.image_data_format() == "channels_last"


def test_keras_version_reads_as_a_keras_2_version():
    from packaging.version import Version

    import minigraph.keras as keras

    version = Version(keras.__version__)  # a PEP 440 version: packaging and pip parse it
    assert version.major == 2 and version.local == "minigraph"
    assert keras.__version__.startswith("2.") and keras.__version__ >= "2.0"


# --- the learning phase ----------------------------------------------------------------


def test_the_learning_phase_is_a_bool_input_that_defaults_to_false():
    phase = K.learning_phase()
    assert phase is K.learning_phase()  # one per graph
    assert phase.op.name == "keras_learning_phase" and phase.dtype == mg.bool and phase.shape == ()
    assert K.eval(phase) == np.False_
    doubled = K.in_train_phase(K.constant(2.0), K.constant(1.0))
    f = K.function([phase], [doubled])
    assert f([True]) == [2.0] and f([False]) == [1.0] and K.eval(doubled) == 1.0
    assert f([1]) == [2.0] and f([0]) == [1.0]  # as Keras 2 programs feed it
    assert K.in_train_phase(lambda: "built", lambda: "other", training=1) == "built"
    with pytest.raises(ValueError, match="Expected learning phase to be 0 or 1, got 2"):
        K.set_learning_phase(2)
    K.set_learning_phase(1)
    assert K.learning_phase() == 1 and K.in_train_phase("train", "test") == "train"


# --- one graph, one session: issue 10's point 4 ---------------------------------------------


def test_the_backend_reads_the_weights_fit_trained():
    """Before, each model had its own graph: K.get_value(kernel) raised "not an element of
    this session's graph", and inside the model's graph silently gave the initial weights."""
    from minigraph.keras.layers import Dense
    from minigraph.keras.models import Sequential

    model = Sequential([Dense(3, input_shape=(4,)), Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    assert model.graph is K.get_graph() and model.session is K.get_session()
    initial = K.get_value(model.layers[0].kernel)
    x = np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32)
    model.fit(x, np.eye(2, dtype=np.float32)[np.arange(32) % 2], epochs=3, verbose=0)
    trained = model.get_weights()[0]
    assert not np.allclose(trained, initial)
    np.testing.assert_array_equal(K.get_value(model.layers[0].kernel), trained)
    np.testing.assert_array_equal(K.eval(model.layers[0].kernel), trained)
    with model.graph.as_default():
        np.testing.assert_array_equal(K.get_value(model.layers[0].kernel), trained)
    (output,) = K.function([model.input], [model.output])([x])
    np.testing.assert_allclose(output, model.predict(x), rtol=1e-6)
    K.set_value(model.layers[0].kernel, np.zeros((4, 3)))
    assert (model.get_weights()[0] == 0).all()  # and what K sets, the model uses
