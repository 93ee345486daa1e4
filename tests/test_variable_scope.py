"""get_variable and variable_scope (minigraph/variable_scope.py): TF1's names, graphs,
reuse rules and error messages, and variables shared between two uses of a layer.

The same program is built with minigraph and with TF's tf.compat.v1 in graph mode and
compared node for node (TF told to make TF 1.x's ref variables, the kind minigraph's
Variable mirrors). Error messages are compared with TF's word for word.
"""

import contextlib

import numpy as np
import pytest
import tensorflow as tf

import minigraph as mg
from support.graph_defs import assert_same_nodes, tensorflow_graph_def

v1 = tf.compat.v1


TF1 = v1


@contextlib.contextmanager
def tf1_variables():
    """TF's variables as TF 1.x made them (VariableV2 and its ref edges, the kind
    minigraph's Variable mirrors), not TF 2's resource variables, inside the block."""
    enabled = v1.resource_variables_enabled()
    v1.disable_resource_variables()
    try:
        yield
    finally:
        if enabled:
            v1.enable_resource_variables()


def dense(lib, x, units):
    """A layer as TF1 courses write it: its weights by name, made or reused by the scope."""
    w = lib.get_variable("w", shape=(x.shape[1], units))
    b = lib.get_variable("b", shape=(units,), initializer=lib.zeros_initializer())
    return lib.matmul(x, w) + b


def program(lib):
    x = lib.placeholder(lib.float32, shape=(None, 4), name="x")
    with lib.variable_scope("layer1"):
        dense(lib, x, 3)
    with lib.variable_scope("layer1", reuse=True):  # new ops (layer1_1/...), the same variables
        dense(lib, x, 3)
    for _ in range(2):
        with lib.variable_scope(None, default_name="dense"):  # dense, then dense_1
            dense(lib, x, 2)
    with lib.variable_scope("outer"):
        with lib.variable_scope("inner", initializer=lib.ones_initializer()):
            lib.get_variable("v", shape=(2,))  # the scope's initializer
    with lib.name_scope("ns"):  # a name scope names ops, not variables
        lib.get_variable("c", shape=(2, 2), initializer=lib.constant_initializer([1, 2, 3]))
        lib.get_variable("t", shape=(3,), initializer=lib.truncated_normal_initializer(stddev=0.1, seed=1))
    lib.get_variable("n", shape=(2,), dtype=lib.float64, initializer=lib.random_normal_initializer(1.0, 2.0))
    lib.get_variable("u", shape=(5,), initializer=lib.random_uniform_initializer(-1.0, 1.0))
    lib.get_variable("kernel", shape=(3, 3, 2, 8))  # glorot's fans: 3*3*2 and 3*3*8
    lib.get_variable("counts", shape=(2,), dtype=lib.int32)  # integers: zeros
    lib.get_variable("from_tensor", initializer=lib.constant([1.0, 2.0]))
    lib.get_variable("from_list", initializer=[1, 2])
    lib.Variable(1.0, name="plain")
    lib.get_variable("plain", shape=())  # get_variable does not know plain Variables: plain_1
    lib.train.get_or_create_global_step()


def graph_def(lib):
    graph = lib.Graph()
    with graph.as_default(), tf1_variables():
        program(lib)
    return tensorflow_graph_def(graph)


def placement_and_newer_attrs(node) -> tuple:
    """What TF adds that minigraph need not: TF places a variable and its initializer's ops
    with the variable (`_class`; minigraph has no devices), and newer TF gives MatMul
    attributes of its own (grad_a, grad_b: ops/linalg.py's business)."""
    if node.op == "MatMul":
        return ("grad_a", "grad_b")
    return ("_class",) if node.op == "VariableV2" or "/Initializer/" in node.name else ()


def test_graph_def_matches_tensorflows_node_for_node():
    assert_same_nodes(graph_def(mg), graph_def(TF1), skip_attrs=placement_and_newer_attrs)


def variables_by_name(lib):
    with lib.Graph().as_default(), tf1_variables():
        program(lib)
        return {v.op.name: (tuple(v.shape), np.dtype(v.dtype.base_dtype.name if lib is TF1 else v.dtype))
                for v in lib.global_variables()}, [v.op.name for v in lib.trainable_variables()]


def test_the_same_variables_in_the_same_order():
    ours, theirs = variables_by_name(mg), variables_by_name(TF1)
    assert ours == theirs
    assert "layer1/w" in ours[0] and "dense_1/b" in ours[0] and "outer/inner/v" in ours[0]
    assert "global_step" not in ours[1]


# --- reuse ---------------------------------------------------------------------------------


def test_reuse_returns_the_same_variable(graph):
    with mg.variable_scope("layer") as scope:
        w = mg.get_variable("w", shape=(2, 3))
        assert scope.name == "layer" and scope.reuse is False and scope.original_name_scope == "layer/"
    with mg.variable_scope("layer", reuse=True):
        assert mg.get_variable("w", shape=(2, 3)) is w
        assert mg.get_variable("w") is w  # the shape may be left out when reusing
        with mg.variable_scope("inner", reuse=False):  # reuse is inherited, False changes nothing
            assert mg.get_variable_scope().reuse is True
    with mg.variable_scope(scope, reuse=True):  # a scope object enters the same names
        assert mg.get_variable("w") is w
    assert mg.global_variables() == [w]


def test_reuse_variables_and_auto_reuse(graph):
    with mg.variable_scope("shared") as scope:
        a = mg.get_variable("a", shape=(1,))
        scope.reuse_variables()
        assert mg.get_variable("a") is a
    with mg.variable_scope("auto", reuse=mg.AUTO_REUSE):
        b = mg.get_variable("b", shape=(1,))  # made
        assert mg.get_variable("b", shape=(1,)) is b  # then found
    assert repr(mg.AUTO_REUSE) == repr(v1.AUTO_REUSE) and bool(mg.AUTO_REUSE)
    assert mg.get_variable_scope().name == "" and mg.get_variable_scope().reuse is False


def test_a_layer_built_twice_shares_its_weights_through_training(graph):
    """Training through the first use moves the weights the second use reads."""
    x = mg.placeholder(mg.float32, shape=(None, 4))
    with mg.variable_scope("model"):
        train_output = dense(mg, x, 1)
    with mg.variable_scope("model", reuse=True):
        test_output = dense(mg, x, 1)
    assert len(mg.trainable_variables()) == 2
    loss = mg.reduce_mean(mg.square(train_output - 1.0))
    train_op = mg.train.GradientDescentOptimizer(0.1).minimize(loss)
    batch = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    with mg.Session() as session:
        session.run(mg.initialize_all_variables())  # TF1's old name
        before = session.run(test_output, {x: batch})
        for _ in range(50):
            session.run(train_op, {x: batch})
        after_train, after_test = session.run([train_output, test_output], {x: batch})
    np.testing.assert_array_equal(after_train, after_test)
    assert np.abs(after_test - 1.0).mean() < 0.5 * np.abs(before - 1.0).mean()


# --- TF's error messages, word for word ------------------------------------------------------


def error_of(lib, build):
    with lib.Graph().as_default(), tf1_variables():
        try:
            build(lib)
        except (ValueError, TypeError) as error:
            return type(error), str(error).split(" Originally defined at:")[0]  # TF adds a traceback
    raise AssertionError(f"{lib} raised nothing")


def made_twice(lib):
    lib.get_variable("w", shape=(2,))
    lib.get_variable("w", shape=(2,))


def made_twice_in_a_scope(lib):
    with lib.variable_scope("s"):
        lib.get_variable("w", shape=(2,))
    with lib.variable_scope("s"):
        lib.get_variable("w", shape=(2,))


def reused_but_missing(lib):
    with lib.variable_scope("s", reuse=True):
        lib.get_variable("x", shape=(2,))


def shared_with_another_shape(lib):
    with lib.variable_scope("s", reuse=lib.AUTO_REUSE):
        lib.get_variable("w", shape=(2, 3))
        lib.get_variable("w", shape=(3, 3))


def shared_with_another_dtype(lib):
    with lib.variable_scope("s", reuse=lib.AUTO_REUSE):
        lib.get_variable("w", shape=(2,))
        lib.get_variable("w", shape=(2,), dtype=lib.float64)


def scope_without_a_name(lib):
    with lib.variable_scope(None):
        pass


def reuse_without_a_name(lib):
    with lib.variable_scope(None, default_name="d", reuse=True):
        pass


MISUSES = {
    "made twice": made_twice,
    "made twice in a scope": made_twice_in_a_scope,
    "reused but missing": reused_but_missing,
    "another shape": shared_with_another_shape,
    "another dtype": shared_with_another_dtype,
    "a value and a shape": lambda lib: lib.get_variable("c", shape=(2,), initializer=lib.constant([1.0, 2.0])),
    "a value and another dtype": lambda lib: lib.get_variable("c", initializer=[1, 2], dtype=lib.float32),
    "no shape": lambda lib: lib.get_variable("s"),
    "scope without a name": scope_without_a_name,
    "reuse without a name": reuse_without_a_name,
}


@pytest.mark.parametrize("build", MISUSES.values(), ids=MISUSES.keys())
def test_misuse_raises_tensorflows_error(build):
    expected_type, expected_message = error_of(TF1, build)
    actual_type, actual_message = error_of(mg, build)
    assert actual_type is expected_type
    # TF prints a dtype as <dtype: 'int32'> and a ref variable's as float32_ref
    assert actual_message == expected_message.replace("<dtype: '", "").replace("'>'", "'").replace("_ref.", ".")


def test_unsupported_arguments_say_so(graph):
    with pytest.raises(NotImplementedError, match=r"get_variable\(regularizer=...\) is not implemented: minigraph "
                                                  r"implements a subset of TensorFlow 1.x"):
        mg.get_variable("w", shape=(2,), regularizer=lambda w: w)
    with pytest.raises(NotImplementedError, match=r"variable_scope\(custom_getter=...\) is not implemented"):
        with mg.variable_scope("s", custom_getter=lambda getter, *args, **kwargs: None):
            pass
    with pytest.raises(TypeError, match="name_or_scope must be a string or VariableScope, got 3"):
        with mg.variable_scope(3):
            pass


# --- the variables' values -------------------------------------------------------------------


def test_initial_values(graph):
    c = mg.get_variable("c", shape=(2, 2), initializer=mg.constant_initializer([1, 2, 3]))  # padded with 3
    o = mg.get_variable("o", shape=(3,), dtype=mg.float64, initializer=mg.ones_initializer)  # a class works too
    i = mg.get_variable("i", shape=(2,), dtype=mg.int64)
    f = mg.get_variable("f", initializer=lambda: mg.constant([5.0, 6.0]))  # a function of no arguments
    k = mg.get_variable("k", shape=(30, 70))
    own = mg.get_variable("own", shape=(2,), initializer=lambda shape, dtype=None, partition_info=None: np.ones(shape))
    with mg.Session() as session:
        session.run(mg.global_variables_initializer())
        values = session.run([c, o, i, f, k])
        assert session.run(own).dtype == np.float32  # a function's numpy array takes get_variable's dtype
    np.testing.assert_array_equal(values[0], [[1.0, 2.0], [3.0, 3.0]])
    assert values[1].dtype == np.float64 and values[1].tolist() == [1.0, 1.0, 1.0]
    assert values[2].dtype == np.int64 and values[2].tolist() == [0, 0]
    assert values[3].tolist() == [5.0, 6.0]
    limit = np.sqrt(6 / (30 + 70))  # glorot_uniform, get_variable's default for floats
    assert np.abs(values[4]).max() <= limit and np.abs(values[4]).max() > 0.95 * limit
    assert abs(values[4].std() - limit / np.sqrt(3)) < 0.05 * limit


def test_an_initializer_draws_once_and_seeds_repeat_across_sessions(graph):
    w = mg.get_variable("w", shape=(4, 4), initializer=mg.truncated_normal_initializer(stddev=0.1, seed=3))
    runs = []
    for _ in range(2):
        with mg.Session() as session:
            session.run(mg.global_variables_initializer())
            runs.append([session.run(w), session.run(w)])
    np.testing.assert_array_equal(runs[0][0], runs[0][1])  # reading does not draw again
    np.testing.assert_array_equal(runs[0][0], runs[1][0])  # the op seed gives the same draw
    assert np.all(np.abs(runs[0][0]) <= 0.2) and runs[0][0].std() > 0.03


def test_local_variables_are_none(graph):
    mg.get_variable("w", shape=(1,))
    assert mg.local_variables() == []
    init = mg.local_variables_initializer()
    assert init.type == "NoOp" and init.control_inputs == ()
    with mg.Session() as session:
        session.run([mg.global_variables_initializer(), init])
