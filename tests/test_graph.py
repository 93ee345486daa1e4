"""minigraph.graph: names, printing, static shapes and dtypes, and the default graph."""

import numpy as np
import pytest
import tensorflow as tf

import minigraph as mg
from support.tensorflow import tensorflow_lib

pytestmark = pytest.mark.usefixtures("graph")


# --- names ------------------------------------------------------------------------


def test_names_are_unique_per_graph():
    x = mg.placeholder(mg.float32, shape=(2, 2))
    y = mg.placeholder(mg.float32, shape=(2, 2))
    assert [x.name, y.name] == ["Placeholder:0", "Placeholder_1:0"]
    assert [(x + y).name, (x + y).name, (x + y).name] == ["add:0", "add_1:0", "add_2:0"]
    assert x.op.name == "Placeholder" and (x * y).op.name == "mul"
    with mg.Graph().as_default():  # another graph counts from the start again
        assert (mg.placeholder(mg.float32) + 1.0).name == "add:0"


def test_name_is_honoured_and_kept_unique():
    x = mg.placeholder(mg.float32, shape=(2,), name="x")
    assert x.name == "x:0"
    assert mg.placeholder(mg.float32, name="x").name == "x_1:0"
    assert mg.add(x, x, name="total").name == "total:0"
    assert mg.add(x, x, name="add_1").name == "add_1:0"
    # the auto-name skips names already taken, as TF's does
    assert [(x + x).name, (x + x).name] == ["add:0", "add_2:0"]


def test_name_scopes_and_gradient_names(graph):
    x = mg.placeholder(mg.float32, shape=(2,))
    with mg.name_scope("layer"):
        y = mg.exp(x)
        assert y.name == "layer/Exp:0"
    with mg.name_scope("layer"):
        assert mg.exp(x).name == "layer_1/Exp:0"
    product = y * y
    before = len(graph.get_operations())
    (grad,) = mg.gradients(product, x)
    new_ops = graph.get_operations()[before:]
    assert new_ops and all(op.name.startswith("gradients/") for op in new_ops)
    assert grad.name.startswith("gradients/")
    assert any(op.name.startswith("gradients/mul_grad/") for op in new_ops)
    (grad_again,) = mg.gradients(y, x)
    assert grad_again.name.startswith("gradients_1/")


def test_get_by_name(graph):
    z = mg.placeholder(mg.float32, shape=(2,)) * 2.0
    assert graph.get_tensor_by_name("mul:0") is z
    assert graph.get_operation_by_name("mul") is z.op
    with pytest.raises(KeyError, match="'nothing'"):
        graph.get_operation_by_name("nothing")


# --- printing -----------------------------------------------------------------------


def test_tensor_prints_as_tensorflow_prints_it():
    x = mg.placeholder(mg.float32, shape=(2, 2))
    y = mg.placeholder(mg.float32, shape=(2, 2))
    assert str(x + y) == 'Tensor("add:0", shape=(2, 2), dtype=float32)'
    assert repr(x + y) == 'Tensor("add_1:0", shape=(2, 2), dtype=float32)'
    batch = mg.placeholder(mg.float32, shape=(None, 784))
    assert str(batch) == 'Tensor("Placeholder_2:0", shape=(None, 784), dtype=float32)'
    assert str(mg.reduce_sum(batch, axis=1)) == 'Tensor("Sum:0", shape=(None,), dtype=float32)'
    assert str(mg.reduce_sum(batch)) == 'Tensor("Sum_1:0", shape=(), dtype=float32)'
    assert str(mg.placeholder(mg.int64)) == 'Tensor("Placeholder_3:0", dtype=int64)'  # unknown rank


def _printed_tensors(lib, placeholder):
    """One expression per op; names, shapes and dtypes printed in creation order."""
    x, y = placeholder("float32", (None, 4)), placeholder("float32", (None, 4))
    w, anything = placeholder("float32", (4, 3)), placeholder("float64", None)
    tensors = [
        x, y, x + y, x - y, x * y, x / y, -x, x + 2.0, 3.0 * x, lib.negative(x), lib.divide(x, y),
        lib.matmul(x, w), lib.exp(x), lib.log(x), lib.square(x), lib.sqrt(x), lib.nn.relu(x),
        lib.nn.sigmoid(x), lib.nn.tanh(x), lib.nn.softmax(x), lib.nn.log_softmax(x), lib.transpose(x),
        lib.reshape(x, (-1,)), lib.clip_by_value(x, 0.0, 1.0), lib.argmax(x, 1), lib.equal(x, y),
        lib.cast(x, "int32"), anything, anything * anything, lib.reduce_sum(x, axis=1, keepdims=True),
        lib.reduce_mean(x, 0), lib.reduce_max(x, -1), lib.reduce_sum(x),
    ]  # fmt: skip
    return [str(t) for t in tensors]


def test_names_and_shapes_match_tensorflow():
    with tf.Graph().as_default():
        expected = _printed_tensors(tensorflow_lib(), tf.compat.v1.placeholder)
    assert _printed_tensors(mg, mg.placeholder) == expected


# --- static shapes and dtypes ---------------------------------------------------------


@pytest.mark.parametrize(
    "build, shape",
    [
        (lambda a, b: a + b, (3, 4)),
        (lambda a, b: a @ mg.transpose(b), (3, 3)),
        (lambda a, b: mg.reshape(a, (-1, 2)), (6, 2)),
        (lambda a, b: mg.reshape(a, (2, -1, 3)), (2, 2, 3)),
        (lambda a, b: mg.reduce_mean(a, axis=(0, 1), keepdims=True), (1, 1)),
        (lambda a, b: mg.argmax(a, axis=1), (3,)),
        (lambda a, b: mg.nn.softmax_cross_entropy_with_logits(labels=b, logits=a), (3,)),
        (lambda a, b: mg.reshape(a, (4, 3)) + mg.placeholder(mg.float32, (None, 1)), (4, 3)),
        (lambda a, b: mg.placeholder(mg.float32, (None, 4)) * b, (3, 4)),
        (lambda a, b: mg.placeholder(mg.float32, (None, 4)) @ mg.placeholder(mg.float32, (4, None)), (None, None)),
        (lambda a, b: mg.placeholder(mg.float32) + a, None),
    ],
)
def test_static_shape_inference(build, shape):
    a = mg.placeholder(mg.float32, shape=(3, 4))
    b = mg.placeholder(mg.float32, shape=(3, 4))
    out = build(a, b)
    assert out.shape == shape and out.get_shape() == shape


def test_static_dtypes():
    x = mg.placeholder(mg.float64, shape=(3, 4))
    assert (x + x).dtype == mg.float64 and mg.exp(x).dtype == mg.float64
    assert mg.argmax(x, 0).dtype == mg.int64
    assert mg.equal(x, x).dtype == mg.bool
    assert mg.cast(x, "int32").dtype == mg.int32 and mg.cast(x, np.float32).dtype == mg.float32


def test_matmul_shape_error_names_both_shapes():
    a = mg.placeholder(mg.float32, shape=(2, 3))
    b = mg.placeholder(mg.float32, shape=(4, 5))
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4, 5\)") as error:
        a @ b
    assert "'MatMul'" in str(error.value)


def test_broadcasting_shape_error_names_both_shapes():
    a = mg.placeholder(mg.float32, shape=(3, 4))
    b = mg.placeholder(mg.float32, shape=(5,))
    with pytest.raises(ValueError, match=r"Incompatible shapes: \(3, 4\) and \(5,\)") as error:
        a + b
    assert "'add'" in str(error.value)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda a: mg.reshape(a, (5, 2)), r"12 elements \(shape \(3, 4\)\)"),
        (lambda a: mg.reshape(a, (5, -1)), r"12 elements \(shape \(3, 4\)\) to shape \(5, -1\)"),
        (lambda a: mg.reduce_sum(a, axis=2), r"axis 2 for a tensor of shape \(3, 4\)"),
        (lambda a: mg.transpose(a, (0, 0)), r"\(0, 0\) is not a permutation"),
        (lambda a: mg.matmul(a, mg.placeholder(mg.float32, (4,))), r"two matrices, got shapes \(3, 4\) and \(4,\)"),
        (
            lambda a: mg.nn.softmax_cross_entropy_with_logits(labels=a, logits=mg.placeholder(mg.float32, (3, 5))),
            r"logits \(3, 5\) and labels \(3, 4\)",
        ),
    ],
)
def test_other_shape_errors_at_creation(build, message):
    with pytest.raises(ValueError, match=message):
        build(mg.placeholder(mg.float32, shape=(3, 4)))


def test_dtype_mismatch_is_an_error():
    x = mg.placeholder(mg.float32, shape=(3,))
    n = mg.placeholder(mg.int32, shape=(3,))
    with pytest.raises(TypeError, match="dtype int32 that does not match dtype float32") as error:
        x + n
    assert "Placeholder_1:0" in str(error.value) and "Placeholder:0" in str(error.value)
    with pytest.raises(TypeError, match="dtypes differ"):
        mg.matmul(mg.placeholder(mg.float64, (2, 2)), mg.placeholder(mg.float32, (2, 2)))
    with pytest.raises(TypeError, match="needs a float input"):
        mg.exp(n)


def test_mixing_two_graphs_is_an_error():
    x = mg.placeholder(mg.float32, shape=(2,))
    with mg.Graph().as_default():
        y = mg.placeholder(mg.float32, shape=(2,))
        with pytest.raises(ValueError, match="must be from the same graph"):
            x + y
    with pytest.raises(ValueError, match="must be from the same graph"):
        mg.matmul(mg.reshape(x, (1, 2)), mg.reshape(y, (2, 1)))
    with pytest.raises(ValueError, match="not in the same graph"):
        mg.gradients(x, y)


@pytest.mark.parametrize(
    "scalar", [2, 2.5, np.float64(2.5), np.int64(2), np.float32(2.5), np.array(2.5)], ids=repr
)
@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_scalars_take_the_tensors_dtype(scalar, dtype):
    x = mg.placeholder(dtype, shape=(2,))
    for result in (x + scalar, scalar + x, x * scalar, scalar - x, x / scalar, scalar / x):
        assert result.dtype == dtype
    value = mg.Session().run(scalar * x, {x: [1.0, 2.0]})
    np.testing.assert_array_equal(value, np.array([1.0, 2.0], dtype) * dtype.type(scalar))
    assert value.dtype == dtype


def test_integer_tensors_take_whole_scalars_only():
    n = mg.placeholder(mg.int32, shape=(2,))
    assert (n + 2).dtype == mg.int32 and (n * 2.0).dtype == mg.int32
    with pytest.raises(TypeError, match="Cannot convert 2.5"):
        n + 2.5


def test_arrays_become_constants_of_the_tensors_dtype(graph):
    x = mg.placeholder(mg.float32, shape=(3, 2))
    y = np.ones(2) + x  # a float64 array on the left: numpy must not take over
    assert y.dtype == mg.float32 and y.shape == (3, 2)
    assert [op.type for op in graph.get_operations()] == ["Placeholder", "Const", "AddV2"]
    np.testing.assert_array_equal(mg.Session().run(y, {x: np.zeros((3, 2))}), np.ones((3, 2)))


def test_python_values_alone_follow_tensorflow():
    assert mg.constant(1.5).dtype == mg.float32  # Python floats: float32
    assert mg.constant([1, 2]).dtype == mg.int32  # Python ints: int32
    assert mg.constant(np.arange(3.0)).dtype == mg.float64  # numpy keeps its dtype
    assert mg.constant(np.arange(3)).dtype == mg.int64


def test_tensors_are_not_python_values():
    x = mg.placeholder(mg.float32, shape=(2,))
    with pytest.raises(TypeError, match="as a Python bool"):
        bool(x)
    with pytest.raises(TypeError, match="not iterable"):
        list(x)


# --- the default graph --------------------------------------------------------------


def test_default_graph_stack(graph):
    assert mg.get_default_graph() is graph
    inner = mg.Graph()
    with inner.as_default() as entered:
        assert entered is inner and mg.get_default_graph() is inner
        with graph.as_default():
            assert mg.get_default_graph() is graph
        assert mg.placeholder(mg.float32).graph is inner
    assert mg.get_default_graph() is graph
    assert len(inner.get_operations()) == 1  # the placeholder went into `inner`
    assert graph.get_operations() == []


def test_reset_default_graph():
    with pytest.raises(AssertionError, match="inside a `with graph.as_default"):
        mg.reset_default_graph()


def test_reset_default_graph_outside_any_block(monkeypatch):
    # the global default graph is the subject: step out of the fixture's graph
    import minigraph.graph as graph_module

    monkeypatch.setattr(graph_module._defaults, "graphs", [])
    monkeypatch.setattr(graph_module._defaults, "global_graph", mg.Graph())
    mg.placeholder(mg.float32)
    before = mg.get_default_graph()
    mg.reset_default_graph()
    after = mg.get_default_graph()
    assert after is not before and after.get_operations() == []
    assert mg.placeholder(mg.float32).name == "Placeholder:0"


# --- bugs the readability review found


def test_group_refuses_ops_of_two_graphs():
    first, second = mg.Graph(), mg.Graph()
    with first.as_default():
        a = mg.no_op(name="a")
    with second.as_default():
        b = mg.no_op(name="b")
    with pytest.raises(ValueError, match="is from another graph"):
        mg.group(a, b)
    assert [op.name for op in first.get_operations()] == ["a"]  # no NoOp left behind
    with second.as_default(), pytest.raises(ValueError, match="is from another graph"):
        with mg.control_dependencies([a]):
            pass


def test_group_and_control_dependencies_refuse_what_is_not_an_op(graph):
    with pytest.raises(TypeError, match="group\\(\\) takes operations or tensors, got None"):
        mg.group(None)
    with pytest.raises(TypeError, match="needs a list of operations or tensors, got 3"):
        with mg.control_dependencies(3):
            pass


def test_a_failed_shape_rule_takes_no_name(graph):
    p = mg.placeholder(mg.float32, shape=(2, 3))
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        p @ p
    assert (p @ mg.transpose(p)).name == "MatMul:0"


def test_operation_constructors_take_tensors_only(graph):
    from minigraph.ops.math import Add

    with pytest.raises(TypeError, match="input 'y' must be a Tensor, got 1.0.*builder functions"):
        Add(mg.constant(1.0), 1.0)


def test_every_op_names_its_inputs(graph):
    x = mg.placeholder(mg.float32, shape=(2, 2))
    w = mg.Variable(np.ones((2, 2), np.float32))
    y = mg.matmul(x, w)
    assert (y.op.input_name(0), y.op.input_name(1)) == ("a", "b")
    assert w.initializer.input_names == ("ref", "value")
    assert mg.add_n([x, x, x]).op.input_name(2) == "inputs[2]"
