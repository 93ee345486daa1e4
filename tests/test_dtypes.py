"""dtypes: every name TF 1.x accepts for a dtype means the same dtype in minigraph, and
the names TF prints (GraphDef enums) are TF's. Includes issue 9's bug 1: "float" and
Python's float are float32, as in TF, not numpy's float64."""

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import types_pb2

import minigraph as mg

v1 = tf.compat.v1

NAMES = [
    "float", "double", "half", "float16", "float32", "float64",
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool",
]  # fmt: skip
PYTHON_AND_NUMPY_TYPES = [float, bool, np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_]


@pytest.mark.parametrize("name", NAMES + PYTHON_AND_NUMPY_TYPES, ids=str)
def test_as_dtype_matches_tensorflow(name):
    ours, theirs = mg.as_dtype(name), tf.as_dtype(name)
    assert ours.name == theirs.name
    assert mg.dtypes.as_datatype_enum(ours) == theirs.as_datatype_enum
    assert mg.dtypes.tf_enum(ours) == types_pb2.DataType.Name(theirs.as_datatype_enum)


@pytest.mark.parametrize("name", [name for name in NAMES if name != "float"])  # tf.float does not exist
def test_every_tf_dtype_name_is_exported(name):
    """mg.float16, mg.half, mg.double, mg.uint8, ... exist and are numpy dtypes."""
    ours = getattr(mg, name)
    assert ours == np.dtype(getattr(v1, name).as_numpy_dtype)
    assert isinstance(ours, mg.DType) and isinstance(ours, np.dtype)


@pytest.mark.parametrize("value", [int, "int", None, "nonsense"], ids=str)
def test_refuses_what_tensorflow_refuses(value):
    with pytest.raises(TypeError):
        tf.as_dtype(value)
    with pytest.raises(TypeError, match="Cannot convert"):
        mg.as_dtype(value)


@pytest.mark.parametrize("value", ["complex64", np.complex128])
def test_tf_dtypes_minigraph_lacks_are_refused_with_the_list(value):
    tf.as_dtype(value)  # TF has it
    with pytest.raises(TypeError, match=r"to a dtype minigraph supports: float16, float32, .*, bool$"):
        mg.as_dtype(value)


def test_python_int_is_refused_with_the_way_out():
    with pytest.raises(TypeError, match="write mg.int32 or mg.int64"):
        mg.as_dtype(int)


def test_bug_1_float_is_float32(graph):
    """tf.placeholder("float"), tf.cast(x, "float") and as_dtype(float) are float32 in TF;
    an earlier minigraph made them float64, and the first float32 variable they met
    stopped the program with a dtype mismatch."""
    with tf.Graph().as_default():
        theirs = [v1.placeholder("float").dtype, v1.cast(v1.constant([1, 2]), "float").dtype, tf.as_dtype(float)]
    x = mg.placeholder("float", shape=(None, 2))
    ours = [x.dtype, mg.cast(mg.constant([1, 2]), "float").dtype, mg.as_dtype(float)]
    assert [d.name for d in ours] == [d.name for d in theirs] == ["float32"] * 3
    w = mg.Variable(mg.zeros([2, 1]))  # float32, as TF's tutorials write it
    y = mg.matmul(x, w) + mg.constant(1.0)
    with mg.Session() as session:
        session.run(mg.global_variables_initializer())
        assert session.run(y, {x: [[1.0, 2.0]]}).tolist() == [[1.0]]


def test_graph_def_names_every_dtype(graph):
    for name in ["float16", "int8", "uint16", "bool"]:
        mg.placeholder(name, name=f"x_{name}")
    text = str(graph.as_graph_def())
    for enum in ["DT_HALF", "DT_INT8", "DT_UINT16", "DT_BOOL"]:
        assert f"type: {enum}" in text
