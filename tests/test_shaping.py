"""The shape and joining ops (ops/shaping.py, slicing.py, joining.py) beyond the op table:

- static shapes with None dims and unknown ranks, against TF1's own shape rules, and the
  op type each builder makes, against TF's;
- shape/size/rank: a constant when the static shape answers, a run-time op otherwise;
- dynamic parameters: tile's multiples and slice's begin as tensors;
- errors for bad axes and shapes, asserted by their words: at build time when the static
  shapes tell, at run time (InvalidArgumentError naming the node) when only the values do.

Values, gradients and second derivatives against TF are the op table's (tests/test_ops.py).
"""

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigraph as mg
from minigraph.errors import InvalidArgumentError
from minigraph.graph import Operation
from minigraph.ops import batch_matmul, indexing, joining, shaping, slicing
from support.derivatives import gradient_check
from support.op_cases import CASES, NO_GRADIENT_CASES, Case, case_arrays

# --- static shapes and op types against TF1 ------------------------------------------------

# (id, build(lib, x, y), x's shape, y's shape): placeholders with None dims or no shape at all
STATIC = [
    ("concat (None,3)+(2,3) axis 0", lambda lib, x, y: lib.concat([x, y], 0), (None, 3), (2, 3)),
    ("concat (None,3)+(2,3) axis 1", lambda lib, x, y: lib.concat([x, y], 1), (None, 3), (2, 3)),
    ("concat unknown rank + (2,3)", lambda lib, x, y: lib.concat([x, y], -1), None, (2, 3)),
    ("stack (None,3) and (2,None)", lambda lib, x, y: lib.stack([x, y], axis=1), (None, 3), (2, None)),
    ("unstack of (None,4)", lambda lib, x, y: lib.unstack(x, axis=1)[0], (None, 4), (1,)),
    ("split (None,6) 3 ways on axis 1", lambda lib, x, y: lib.split(x, 3, axis=1)[2], (None, 6), (1,)),
    ("split (None,6) on axis 0", lambda lib, x, y: lib.split(x, 2)[0], (None, 6), (1,)),
    ("split sizes [2,-1] of (5,None)", lambda lib, x, y: lib.split(x, [2, -1])[1], (5, None), (1,)),
    ("squeeze (None,1,3) axis 1", lambda lib, x, y: lib.squeeze(x, [1]), (None, 1, 3), (1,)),
    ("squeeze (None,1,3)", lambda lib, x, y: lib.squeeze(x), (None, 1, 3), (1,)),
    ("squeeze (2,1,3)", lambda lib, x, y: lib.squeeze(x), (2, 1, 3), (1,)),
    ("expand_dims (None,3) at -1", lambda lib, x, y: lib.expand_dims(x, -1), (None, 3), (1,)),
    ("expand_dims unknown rank", lambda lib, x, y: lib.expand_dims(x, 0), None, (1,)),
    ("tile (None,3) by [2,2]", lambda lib, x, y: lib.tile(x, [2, 2]), (None, 3), (1,)),
    ("tile unknown rank by [2,2]", lambda lib, x, y: lib.tile(x, [2, 2]), None, (1,)),
    ("tile (None,3) by [shape(x)[0], 1]", lambda lib, x, y: lib.tile(x, [lib.shape(x)[0], 1]), (None, 3), (1,)),
    ("tile (None,3) by a fed vector", lambda lib, x, y: lib.tile(x, lib.cast(y, lib.int32)), (None, 3), (2,)),
    ("slice (None,3) at [shape(x)[0] - 1, 0]",
     lambda lib, x, y: lib.slice(x, [lib.shape(x)[0] - 1, 0], [1, -1]), (None, 3), (1,)),
    ("pad (None,3)", lambda lib, x, y: lib.pad(x, [[1, 1], [0, 2]]), (None, 3), (1,)),
    ("pad unknown rank", lambda lib, x, y: lib.pad(x, [[1, 1], [0, 2]]), None, (1,)),
    ("reverse (None,3)", lambda lib, x, y: lib.reverse(x, [0]), (None, 3), (1,)),
    ("slice (None,4)", lambda lib, x, y: lib.slice(x, [1, 1], [-1, 2]), (None, 4), (1,)),
    ("slice unknown rank", lambda lib, x, y: lib.slice(x, [1, 1], [2, -1]), None, (1,)),
    ("gather (None,4) axis 1", lambda lib, x, y: lib.gather(x, [[0, 1, 1]], axis=1), (None, 4), (1,)),
    ("where (None,3)", lambda lib, x, y: lib.where(lib.equal(x, y)), (None, 3), (None, 3)),
    ("select (None,3)", lambda lib, x, y: lib.where(lib.equal(x, y), x, y), (None, 3), (2, None)),
    ("batched matmul (None,2,3) @ (3,4)", lambda lib, x, y: lib.matmul(x, y), (None, 2, 3), (3, 4)),
    ("batched matmul (5,1,2,3) @ (None,3,4)", lambda lib, x, y: lib.matmul(x, y), (5, 1, 2, 3), (None, 3, 4)),
    ("matmul transpose_a (3,None)", lambda lib, x, y: lib.matmul(x, y, transpose_a=True), (3, None), (3, 4)),
]


def _tensorflow_static(build, x_shape, y_shape):
    import tensorflow as tf

    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float32, x_shape)
        y = tf.compat.v1.placeholder(tf.float32, y_shape)
        out = build(tf.compat.v1, x, y)
        dims = None if out.shape.rank is None else tuple(out.shape.as_list())
        return dims, out.op.type


@pytest.mark.parametrize("build, x_shape, y_shape", [case[1:] for case in STATIC], ids=[case[0] for case in STATIC])
def test_static_shape_and_op_type_are_tensorflows(graph, build, x_shape, y_shape):
    x, y = mg.placeholder(mg.float32, x_shape), mg.placeholder(mg.float32, y_shape)
    out = build(mg, x, y)
    assert (out.shape, out.op.type) == _tensorflow_static(build, x_shape, y_shape)


def test_a_tf_op_with_several_outputs_is_one_node_per_output(graph):
    """TF's Split has outputs split:0, split:1, ...; minigraph's ops have one output each."""
    x = mg.placeholder(mg.float32, (4, 6))
    pieces = mg.split(x, 3, axis=1)
    rows = mg.unstack(x)
    assert [p.name for p in pieces] == ["split:0", "split_1:0", "split_2:0"]
    assert [p.op.attrs["index"] for p in pieces] == [0, 1, 2]
    assert {p.op.type for p in pieces} == {"Split"} and {r.op.type for r in rows} == {"Unpack"}
    values = np.arange(24.0).reshape(4, 6)
    np.testing.assert_array_equal(mg.Session().run(pieces[1] + rows[2][:2], {x: values}),
                                  values[:, 2:4] + values[2, :2])


# --- shape, size, rank --------------------------------------------------------------------


def test_shape_is_a_constant_when_known_and_an_op_when_not(graph):
    known = mg.placeholder(mg.float32, (2, 3))
    batch = mg.placeholder(mg.float32, (None, 3))
    anything = mg.placeholder(mg.float32)
    folded = [mg.shape(known), mg.size(known), mg.rank(batch)]
    assert [t.op.type for t in folded] == ["Const"] * 3
    assert [t.op.name for t in folded] == ["Shape", "Size", "Rank"]  # named as TF names them
    dynamic = [mg.shape(batch), mg.size(batch), mg.rank(anything), mg.shape(anything, out_type=mg.int64)]
    assert [t.op.type for t in dynamic] == ["Shape", "Size", "Rank", "Shape"]
    assert [t.shape for t in dynamic] == [(2,), (), (), (None,)]
    assert [t.dtype for t in dynamic] == [mg.int32, mg.int32, mg.int32, mg.int64]
    value = np.zeros((5, 3), np.float32)
    results = mg.Session().run(dynamic, {batch: value, anything: value[None]})
    assert [np.asarray(r).tolist() for r in results] == [[5, 3], 15, 3, [1, 5, 3]]
    assert results[3].dtype == np.int64
    assert mg.size(mg.placeholder(mg.float32, (None, 0))).op.type == "Const"  # no elements, whatever the batch


def test_a_shape_feeds_other_ops_at_run_time(graph):
    x = mg.placeholder(mg.float32, (None, 3))
    squared = mg.tile(x, mg.stack([mg.shape(x)[0], 1]))  # as many copies as rows: a mixed list is packed
    rows = mg.slice(x, mg.stack([mg.shape(x)[0] - 1, 0]), [1, -1])
    assert squared.op.inputs[1].op.type == "Pack" and (squared.shape, rows.shape) == ((None, 3), (1, 3))
    value = np.arange(6, dtype=np.float32).reshape(2, 3)
    tiled, last = mg.Session().run([squared, rows], {x: value})
    np.testing.assert_array_equal(tiled, np.tile(value, (2, 1)))
    np.testing.assert_array_equal(last, value[-1:])


def test_tile_by_a_multiples_tensor_and_its_gradient(graph):
    x = mg.placeholder(mg.float64, (2, 3))
    multiples = mg.placeholder(mg.int32, (2,))
    y = mg.tile(x, multiples)
    assert y.shape == (None, None)
    (grad,) = mg.gradients(mg.reduce_sum(y), x)
    value = np.ones((2, 3))
    tiled, g = mg.Session().run([y, grad], {x: value, multiples: [3, 2]})
    assert tiled.shape == (6, 6)
    np.testing.assert_array_equal(g, np.full((2, 3), 6.0))  # every element was copied 3 x 2 times


def test_tile_by_zero_has_a_zero_gradient(graph):
    x = mg.placeholder(mg.float64, (2, 3))
    y = mg.tile(x, [0, 1])
    (grad,) = mg.gradients(mg.reduce_sum(y), x)
    assert y.shape == (0, 3) and grad.shape == (2, 3)
    np.testing.assert_array_equal(mg.Session().run(grad, {x: np.ones((2, 3))}), np.zeros((2, 3)))


# --- errors while building: the static shapes tell ----------------------------------------

BUILD_ERRORS = [
    ("concat axis out of range", lambda: mg.concat([mg.zeros((2, 3)), mg.zeros((2, 3))], 2),
     ValueError, r"axis 2 is out of range for a tensor of shape \(2, 3\): expected -2 <= axis < 2 "
                 r"\(node 'concat', op ConcatV2\)"),
    ("concat dims disagree", lambda: mg.concat([mg.zeros((2, 3)), mg.zeros((2, 4))], 0),
     ValueError, r"Dimensions must agree except along axis 0: values\[0\] is \(2, 3\) and values\[1\] \(2, 4\)"),
    ("concat ranks differ", lambda: mg.concat([mg.zeros((2, 3)), mg.zeros((2, 3, 1))], 0),
     ValueError, r"values must have one rank: .* has rank 2 and values\[1\] .* rank 3"),
    ("concat scalars", lambda: mg.concat([1.0, 2.0], 0), ValueError, r"Can't concatenate scalars \(use tf.stack"),
    ("concat dtypes", lambda: mg.concat([mg.zeros((2,)), mg.zeros((2,), mg.int32)], 0),
     TypeError, r"values must share one dtype, but values\[0\] .* is float32 and values\[1\] .* is int32"),
    ("concat axis tensor", lambda: mg.concat([mg.zeros((2,))] * 2, mg.constant(0)),
     TypeError, r"concat's axis must be a Python int in minigraph, got the tensor"),
    ("stack shapes differ", lambda: mg.stack([mg.zeros((2, 3)), mg.zeros((3, 2))]),
     ValueError, r"Shapes of all inputs must match: values\[0\] .*\(2, 3\).* and values\[1\] .*\(3, 2\)"),
    ("stack axis out of range", lambda: mg.stack([mg.zeros((2, 3))] * 2, axis=3),
     ValueError, r"axis 3 is out of range for stacking tensors of shape \(2, 3\): expected -3 <= axis <= 2"),
    ("unstack without num", lambda: mg.unstack(mg.placeholder(mg.float32, (None, 2))),
     ValueError, r"Cannot infer num from shape \(None, 2\) of .*: pass num="),
    ("split does not divide", lambda: mg.split(mg.zeros((2, 5)), 2, axis=1),
     ValueError, r"Number of ways to split should evenly divide the split dimension, but got 2 ways for a "
                 r"dimension of size 5"),
    ("split sizes do not add up", lambda: mg.split(mg.zeros((2, 5)), [2, 2], axis=1),
     ValueError, r"size_splits \[2, 2\] must add up to the split dimension's size 5"),
    ("split sizes two -1", lambda: mg.split(mg.zeros((2, 5)), [-1, -1], axis=1),
     ValueError, r"size_splits \[-1, -1\] may hold one -1"),
    ("squeeze a dim of 3", lambda: mg.squeeze(mg.zeros((2, 1, 3)), axis=2),
     ValueError, r"Can not squeeze dim\[2\], expected a dimension of 1, got 3 \(input shape \(2, 1, 3\)\)"),
    ("squeeze axis out of range", lambda: mg.squeeze(mg.zeros((2, 1)), axis=-3),
     ValueError, r"squeeze axis -3 is out of range for a tensor of shape \(2, 1\)"),
    ("squeeze both names", lambda: mg.squeeze(mg.zeros((1,)), axis=0, squeeze_dims=[0]),
     ValueError, r"Cannot specify both 'squeeze_dims' and 'axis'"),
    ("expand_dims out of range", lambda: mg.expand_dims(mg.zeros((2, 3)), 3),
     ValueError, r"Tried to expand dim index 3 for tensor with 2 dimensions \(shape \(2, 3\)\): expected -3 <= "
                 r"axis <= 2"),
    ("expand_dims without axis", lambda: mg.expand_dims(mg.zeros((2, 3))),
     ValueError, r"Must specify an axis argument to tf.expand_dims\(\)"),
    ("expand_dims both names", lambda: mg.expand_dims(mg.zeros((2, 3)), 0, dim=0),
     ValueError, r"Cannot specify both 'axis' and 'dim'"),
    ("tile multiples too short", lambda: mg.tile(mg.zeros((2, 3)), [2]),
     ValueError, r"Expected multiples argument to be a vector of length 2 but got length 1"),
    ("tile negative multiples", lambda: mg.tile(mg.zeros((2, 3)), [2, -1]),
     ValueError, r"Expected multiples to be non-negative, got \[2, -1\]"),
    ("tile float multiples", lambda: mg.tile(mg.zeros((2, 3)), mg.constant([2.0, 1.0])),
     TypeError, r"multiples must be int32 or int64"),
    ("reverse one axis twice", lambda: mg.reverse(mg.zeros((2, 3)), [1, -1]),
     ValueError, r"axis \[1, -1\] names one axis twice \(shape \(2, 3\)\)"),
    ("pad wrong paddings", lambda: mg.pad(mg.zeros((2, 3)), [[1, 1]]),
     ValueError, r"paddings must be a matrix of shape \(2, 2\): one \(before, after\) pair per axis"),
    ("pad negative", lambda: mg.pad(mg.zeros((2, 3)), [[1, 1], [0, -1]]),
     ValueError, r"paddings must be non-negative, got \[\[1, 1\], \[0, -1\]\]"),
    ("pad mode", lambda: mg.pad(mg.zeros((2, 3)), [[1, 1], [0, 1]], mode="REFLECT"),
     NotImplementedError, r"pad mode 'REFLECT': minigraph pads with a constant only"),
    ("slice past the end", lambda: mg.slice(mg.zeros((2, 3)), [1, 1], [2, 1]),
     ValueError, r"Expected begin\[0\] in \[0, 2\] and size\[0\] in \[0, 1\] for an input of shape \(2, 3\), but "
                 r"got begin \[1, 1\] and size \[2, 1\] \(node 'Slice', op Slice\)"),
    ("slice begin too long", lambda: mg.slice(mg.zeros((2, 3)), [1, 1, 0], [1, 1, 1]),
     ValueError, r"begin must hold one entry per axis of the input \(2\)"),
    ("batched matmul inner dims", lambda: mg.matmul(mg.zeros((2, 3, 4)), mg.zeros((2, 5, 6))),
     ValueError, r"Dimensions must be equal, but are 4 and 5: cannot multiply the matrices of shapes \(2, 3, 4\) "
                 r"and \(2, 5, 6\) \(adj_x=False, adj_y=False\)"),
    ("batched matmul batch dims", lambda: mg.matmul(mg.zeros((2, 3, 4)), mg.zeros((3, 4, 6))),
     ValueError, r"Incompatible shapes: \(2,\) and \(3,\) cannot be broadcast"),
    ("batched matmul of a vector", lambda: mg.matmul(mg.zeros((2, 3, 4)), mg.zeros((4,))),
     ValueError, r"In\[1\] \('y'\) must have rank >= 2 \(a stack of matrices\)"),
    ("matmul transpose and adjoint", lambda: mg.matmul(mg.zeros((2, 2)), mg.zeros((2, 2)), transpose_a=True,
                                                       adjoint_a=True),
     ValueError, r"Only one of transpose_a and adjoint_a"),
]


@pytest.mark.parametrize("build, kind, message", [case[1:] for case in BUILD_ERRORS],
                         ids=[case[0] for case in BUILD_ERRORS])
def test_building_refuses_what_the_static_shapes_rule_out(graph, build, kind, message):
    with pytest.raises(kind, match=message):
        build()


# --- errors at run time: only the values tell ----------------------------------------------

RUN_ERRORS = [
    ("concat", lambda x, y: mg.concat([x, y], 0), (2, 3), (2, 4),
     r"ConcatV2 of shapes \(2, 3\), \(2, 4\) along axis 0"),
    ("concat axis", lambda x, y: mg.concat([x, y], 2), (2, 3), (2, 3),
     r"axis 2 is out of range for a tensor of shape \(2, 3\)"),
    ("stack", lambda x, y: mg.stack([x, y]), (2, 3), (3, 2),
     r"Shapes of all inputs must match, got \(2, 3\), \(3, 2\)"),
    ("squeeze", lambda x, y: mg.squeeze(x, [1]), (2, 3), (1,), r"Can not squeeze dim\[1\], expected a dimension of "
                                                                 r"1, got 3 \(input shape \(2, 3\)\)"),
    ("expand_dims", lambda x, y: mg.expand_dims(x, 5), (2, 3), (1,), r"Tried to expand dim index 5 for tensor with 2"),
    ("tile", lambda x, y: mg.tile(x, [1, 2, 3]), (2, 3), (1,), r"multiples \[1, 2, 3\] must hold one non-negative "
                                                                r"count per axis of an input of shape \(2, 3\)"),
    ("pad", lambda x, y: mg.pad(x, [[1, 1]]), (2, 3), (1,), r"paddings \[\[1, 1\]\] must hold one non-negative"),
    ("split", lambda x, y: mg.split(x, 2)[0], (3, 2), (1,), r"Number of ways to split should evenly divide"),
    ("unstack", lambda x, y: mg.unstack(x, num=3)[0], (2, 3), (1,), r"Input shape axis 0 must equal 3, got shape "
                                                                     r"\(2, 3\)"),
    ("slice", lambda x, y: mg.slice(x, [0, 2], [1, 2]), (2, 3), (1,), r"Expected begin\[1\] in \[0, 3\] and "
                                                                       r"size\[1\] in \[0, 1\]"),
    ("strided slice index", lambda x, y: x[:, 3], (2, 3), (1,), r"slice index 3 of dimension 1 out of bounds"),
    ("batched matmul", lambda x, y: mg.matmul(x, mg.reshape(y, (-1, 2, 2))), (2, 3, 3), (2, 2, 2),
     r"cannot multiply the matrices of shapes \(2, 3, 3\) and \(2, 2, 2\)"),
]


@pytest.mark.parametrize("build, x_shape, y_shape, message", [case[1:] for case in RUN_ERRORS],
                         ids=[case[0] for case in RUN_ERRORS])
def test_unknown_shapes_are_checked_when_the_graph_runs(graph, build, x_shape, y_shape, message):
    x, y = mg.placeholder(mg.float32), mg.placeholder(mg.float32)
    out = build(x, y)
    with pytest.raises(InvalidArgumentError, match=message + rf".*\(node '{out.op.name}', op {out.op.type}\)"):
        mg.Session().run(out, {x: np.ones(x_shape), y: np.ones(y_shape)})


def test_unknown_rank_works_at_run_time(graph):
    """With no static shape at all, every op learns its shape from the values."""
    x = mg.placeholder(mg.float64)
    outs = [mg.squeeze(x), mg.expand_dims(x, -1), mg.concat([x, x], -1), mg.stack([x, x], -1),
            mg.split(x, 2, axis=-1)[1], mg.unstack(x, num=6, axis=-1)[2], mg.reverse(x, [-1]), mg.tile(x, [1, 1, 2])]
    assert all(out.shape is None for out in outs[:2]) and outs[7].shape == (None, None, None)
    value = np.arange(12.0).reshape(2, 1, 6)
    results = mg.Session().run(outs, {x: value})
    expected = [value.reshape(2, 6), value[..., None], np.concatenate([value, value], -1), np.stack([value, value], -1),
                value[..., 3:], value[..., 2], value[..., ::-1], np.tile(value, (1, 1, 2))]
    for result, wanted in zip(results, expected):
        np.testing.assert_array_equal(result, wanted)


def test_gradients_of_unknown_rank_have_the_inputs_shape(graph):
    x = mg.placeholder(mg.float64)
    y = mg.concat([mg.pad(x, [[1, 0], [0, 0]]), mg.tile(x[::-1], [2, 1])], axis=0)
    (grad,) = mg.gradients(mg.reduce_sum(y * y), x)
    value = np.arange(6.0).reshape(2, 3)
    # each element appears once padded and twice tiled (reversed): d/dx sum(y^2) = 2x + 2 * 2x
    np.testing.assert_allclose(mg.Session().run(grad, {x: value}), 6 * value)


# --- the op table covers these modules ------------------------------------------------------------


def test_the_op_table_builds_every_op_of_these_modules():
    """Each op class of the shape and indexing modules is built by some case of the op table
    (its forward, or its gradient of first or second order), so TF parity covers it."""
    seen = set()
    for case in CASES + NO_GRADIENT_CASES:
        xs, _, _ = case_arrays(case)
        with mg.Graph().as_default() as g:
            placeholders = [mg.placeholder(x.dtype, None) for x in xs]  # unknown rank: shapes found at run time
            y = case.build(mg, *placeholders)
            if case.differentiable:
                first = [t for t in mg.gradients(mg.reduce_sum(y), placeholders) if t is not None]
                mg.gradients(mg.add_n([mg.reduce_sum(t * t) for t in first]), placeholders)
        seen |= {op.type for op in g.get_operations()}
    defined = {cls.type_name for module in (shaping, slicing, joining, indexing, batch_matmul)
               for _, cls in inspect.getmembers(module, inspect.isclass)
               if issubclass(cls, Operation) and cls.__module__ == module.__name__ and "type_name" in vars(cls)}
    pieces_grads = {"StridedSliceGrad", "SliceGrad", "SplitGrad", "SplitVGrad", "UnpackGrad"}  # PieceGrad's names
    # Where's output length depends on the values (no fixed weights for a loss): test_indexing checks it against
    # TF; Size and Rank of a known shape are constants, of an unknown one test_shape_is_a_constant_... runs them
    elsewhere = {"Where", "Size", "Rank"}
    assert (defined | pieces_grads) - elsewhere <= seen, sorted((defined | pieces_grads) - elsewhere - seen)


# --- random shapes and axes against numpy --------------------------------------------------------

# each op that keeps or moves values, built by minigraph and by numpy from x, y and the drawn parameters p
MINIGRAPH = {
    "concat": lambda x, y, p: mg.concat([x, y], p["axis"]),
    "stack": lambda x, y, p: mg.stack([x, y], p["axis"]),
    "split": lambda x, y, p: mg.split(x, 2, p["axis"])[p["piece"]],
    "tile": lambda x, y, p: mg.tile(x, p["multiples"]),
    "pad": lambda x, y, p: mg.pad(x, p["paddings"]),
    "reverse": lambda x, y, p: mg.reverse(x, p["axes"]),
    "expand_dims": lambda x, y, p: mg.expand_dims(x, p["axis"]),
}
NUMPY = {
    "concat": lambda x, y, p: np.concatenate([x, y], p["axis"]),
    "stack": lambda x, y, p: np.stack([x, y], p["axis"]),
    "split": lambda x, y, p: np.split(x, 2, p["axis"])[p["piece"]],
    "tile": lambda x, y, p: np.tile(x, p["multiples"]),
    "pad": lambda x, y, p: np.pad(x, p["paddings"]),
    "reverse": lambda x, y, p: np.flip(x, p["axes"]),
    "expand_dims": lambda x, y, p: np.expand_dims(x, p["axis"]),
}


@st.composite
def shaping_programs(draw):
    """An op, the shapes of its two inputs (y only for concat and stack) and its parameters."""
    name = draw(st.sampled_from(sorted(MINIGRAPH)))
    rank = draw(st.integers(1, 3))
    shape = draw(st.lists(st.integers(1, 3), min_size=rank, max_size=rank))
    axis = draw(st.integers(-rank, rank - 1))
    params = {"axis": axis}
    other = list(shape)
    if name == "concat":
        other[axis] = draw(st.integers(1, 3))
    if name == "stack":
        params["axis"] = draw(st.integers(-rank - 1, rank))
    if name == "split":
        shape[axis] *= 2
        params["piece"] = draw(st.integers(0, 1))
    if name == "expand_dims":
        params["axis"] = draw(st.integers(-rank - 1, rank))
    params["multiples"] = draw(st.lists(st.integers(0, 2), min_size=rank, max_size=rank))
    params["paddings"] = [draw(st.lists(st.integers(0, 2), min_size=2, max_size=2)) for _ in range(rank)]
    params["axes"] = draw(st.lists(st.integers(0, rank - 1), unique=True, max_size=rank))
    return name, tuple(shape), tuple(other), params


@settings(max_examples=30, deadline=None)
@given(program=shaping_programs(), seed=st.integers(0, 2**16))
def test_random_shapes_and_axes_match_numpy(program, seed):
    """numpy's value and shape for any shape and axis; first and second derivatives by central differences."""
    name, x_shape, y_shape, params = program
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=x_shape), rng.normal(size=y_shape)
    expected = NUMPY[name](x, y, params)
    with mg.Graph().as_default():
        a, b = mg.placeholder(mg.float64, x.shape), mg.placeholder(mg.float64, y.shape)
        out = MINIGRAPH[name](a, b, params)
        assert out.shape == expected.shape
        np.testing.assert_array_equal(mg.Session().run(out, {a: x, b: y}), expected)
    if expected.size and name in ("concat", "stack"):
        gradient_check(Case(name, lambda lib, a, b: MINIGRAPH[name](a, b, params), ()), xs=[x, y])
    elif expected.size:
        gradient_check(Case(name, lambda lib, a: MINIGRAPH[name](a, None, params), ()), xs=[x])
