"""minigraph.graph_util: frozen graphs that TensorFlow itself imports and runs.

Each graph is built and run in minigraph, frozen, written as text (parsed by
protobuf into TF's GraphDef) or as a binary .pb (read by TF's GraphDef), imported
with tf.compat.v1.import_graph_def and run by TensorFlow on the same inputs:

- every case of the op table (support/op_cases.py), in float32;
- the forward ops the table does not hold (conv2d, pools, range, where, ...);
- the backward ops TF also has (Conv2DBackpropInput, MaxPoolGrad, ...);
- a small CNN and the worksheet's network, each trained a little first.

Ops that are not frozen are named below with the reason (NOT_FROZEN); a test walks
every op class minigraph defines and finds each one either run in TF here or there.
The worst relative difference is recorded as "frozen graph run in TF, <dtype>".
"""

import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import text_format

import minigraph as mg
from minigraph import atomic_files, graph_util
from minigraph.graph import Operation
from minigraph.tf_graph_def import MINIGRAPH_ONLY
from support.graph_defs import assert_same_nodes
from support.interop import (
    assert_close,
    case_in_minigraph,
    cnn_data,
    recorder,
    run_in_tensorflow,
    trained_small_cnn,
    trained_worksheet_model,
)
from support.op_cases import CASES, NO_GRADIENT_CASES, case_arrays
from support.parity import relative_error

tf1 = tf.compat.v1
ALL_CASES = CASES + NO_GRADIENT_CASES
SEEN_TYPES: set[str] = set()  # the op types frozen and run in TF by this module's tests

# ops that write variables (Assign, the optimizers' Apply* updates) are left out too: a frozen
# graph has no variables (the test below leaves out every class with writes_variables)
NOT_FROZEN = {
    **{name: "minigraph's gradient helper: TF builds that gradient from other ops" for name in MINIGRAPH_ONLY},
    "VariableV2": "frozen into a Const holding its value (test_variables_become_constants)",
    "ScalarSummary": "a summary for TensorBoard (a string), written by FileWriter, not run for values",
    "HistogramSummary": "a summary for TensorBoard", "MergeSummary": "a summary for TensorBoard",
    "ConcatOffset": "only inside concat's gradient, with minigraph's SumLike helpers beside it",
    "TileGrad": "minigraph's gradient helper",
    "Op": "an abstract base class, not an op type",
}  # fmt: skip

# random ops run in TF with the shapes and dtypes minigraph gives, but TF draws with its own
# generator (Philox), minigraph with numpy's: the same distribution, other numbers
RANDOM = {"RandomUniform", "RandomStandardNormal", "TruncatedNormal", "RandomUniformInt", "Multinomial",
          "RandomShuffle"}  # fmt: skip


def freeze_and_compare(graph, session, outputs, feeds, record, tolerance=1e-5, random=False):
    """Runs `outputs` in minigraph, freezes them, runs the frozen graph in TF, compares."""
    ours = session.run(outputs, feeds)
    frozen = graph_util.convert_variables_to_constants(session, graph.as_graph_def(), [t.op.name for t in outputs])
    theirs = run_in_tensorflow(frozen, [t.name for t in outputs], {p.name: v for p, v in feeds.items()})
    # the op types run in TF: the frozen nodes' minigraph ops (a piece of split is minigraph's Split)
    ours_by_name = {op.name: op for op in graph.get_operations()}
    SEEN_TYPES.update(ours_by_name[node.name].type_name for node in frozen.node if node.name in ours_by_name)
    for t, mine, reference in zip(outputs, ours, theirs):
        if random:  # TF's numbers are its own: the same dtype and shape
            assert (mine.dtype, mine.shape) == (reference.dtype, reference.shape), t
        else:
            assert_close(mine, reference, record, t.name, tolerance)
    return frozen


@pytest.fixture
def record(parity_errors):
    return recorder(parity_errors, "frozen graph run in TF")


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.id for case in ALL_CASES])
def test_op_table_frozen_runs_in_tensorflow(case, record):
    graph, feeds, y = case_in_minigraph(case)
    freeze_and_compare(graph, mg.Session(graph=graph), [y], feeds, record)


# forward ops the op table does not hold; inputs of unknown shape, so Shape, Size and Rank are
# computed when the graph runs, not folded into constants when it is built
OUTSIDE_THE_TABLE = {
    "range": lambda x: mg.range(0.0, mg.reduce_sum(x), 0.5),
    "fill": lambda x: mg.fill(mg.shape(x), 2.0),
    "linspace": lambda x: mg.linspace(0.0, mg.reduce_sum(x), 5),
    "where(condition)": lambda x: mg.where(x > 0.5),
    "in_top_k": lambda x: mg.nn.in_top_k(x, mg.constant([0, 1, 2]), 2),
    "stop_gradient": lambda x: mg.stop_gradient(x),
    "check_numerics": lambda x: mg.check_numerics(x, "bad"),
    "identity": lambda x: mg.identity(x),
    "zeros_like": lambda x: mg.zeros_like(x),
    "placeholder_with_default": lambda x: mg.placeholder_with_default(x, (None, None)),
    "shape, size, rank": lambda x: mg.shape(x) * mg.size(x) * mg.rank(mg.placeholder_with_default(x, None)),
    "where_v2": lambda x: mg.where_v2(x > 0.5, x, 0.0),
    "sigmoid": lambda x: mg.sigmoid(x),
    "l2_loss": lambda x: mg.nn.l2_loss(x),
}


@pytest.mark.parametrize("name", OUTSIDE_THE_TABLE)
def test_forward_ops_outside_the_table(name, record):
    x = np.random.default_rng(0).uniform(size=(3, 4)).astype("float32")
    with mg.Graph().as_default() as graph:
        placeholder = mg.placeholder(mg.float32, (None, None))
        y = OUTSIDE_THE_TABLE[name](placeholder)
        freeze_and_compare(graph, mg.Session(graph=graph), [y], {placeholder: x}, record)


@pytest.mark.parametrize("name, build", [
    ("random_uniform", lambda x: mg.random_uniform(mg.shape(x), seed=1)),
    ("random_normal", lambda x: mg.random_normal(mg.shape(x), seed=1)),
    ("truncated_normal", lambda x: mg.truncated_normal(mg.shape(x), seed=1)),
    ("random_uniform int32", lambda x: mg.random_uniform(mg.shape(x), 0, 10, dtype=mg.int32, seed=1)),
    ("multinomial", lambda x: mg.multinomial(x, 3, seed=1)),
    ("random_shuffle", lambda x: mg.random_shuffle(x, seed=1)),
])  # fmt: skip
def test_random_ops_run_in_tensorflow(name, build, record):
    """Same shapes and dtypes; the numbers are each library's own (see RANDOM)."""
    x = np.random.default_rng(0).uniform(size=(3, 4)).astype("float32")
    with mg.Graph().as_default() as graph:
        placeholder = mg.placeholder(mg.float32, (None, None))
        y = build(placeholder)
        assert {op.type_name for op in graph.get_operations()} & RANDOM
        freeze_and_compare(graph, mg.Session(graph=graph), [y], {placeholder: x}, record, random=True)


def test_backward_ops_run_in_tensorflow(record):
    """The gradient ops TF has too (Conv2DBackpropInput, MaxPoolGrad, ...), frozen from
    gradients() with grad_ys given, so no reduce_sum's helper (BroadcastLike) is needed."""
    rng = np.random.default_rng(0)
    x_value = rng.normal(size=(2, 6, 6, 2)).astype("float32")
    with mg.Graph().as_default() as graph:
        x = mg.placeholder(mg.float32, (2, 6, 6, 2))
        w = mg.Variable(rng.normal(size=(3, 3, 2, 4)).astype("float32"))
        b = mg.Variable(rng.normal(size=4).astype("float32"))
        # no relu before the pools: its zeros would tie in max_pool's windows, where the two
        # libraries' MaxPoolGradGrad may pick different (equally right) maxima
        y = mg.nn.bias_add(mg.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"), b)
        pooled = [mg.nn.max_pool(y, [1, 2, 2, 1], [1, 1, 1, 1], "SAME"),
                  mg.nn.avg_pool(y, [1, 2, 2, 1], [1, 1, 1, 1], "VALID"), mg.nn.relu(y)]
        # grad_ys that depend on x, so the second derivative passes through MaxPoolGrad (MaxPoolGradGrad)
        grad_ys = [p * mg.constant(rng.normal(size=p.shape).astype("float32")) for p in pooled]
        roots = mg.sqrt(mg.abs(y) + 1.0)
        grads = mg.gradients(pooled + [roots], [x, w, b], grad_ys=grad_ys + [mg.ones_like(roots)])
        second = mg.gradients(grads[0], [x], grad_ys=[mg.constant(rng.normal(size=(2, 6, 6, 2)).astype("float32"))])
        session = mg.Session(graph=graph)
        session.run(mg.global_variables_initializer())
        frozen = freeze_and_compare(graph, session, grads + second, {x: x_value}, record, tolerance=1e-4)
    wanted = {"Conv2DBackpropInput", "Conv2DBackpropFilter", "BiasAddGrad", "ReluGrad", "MaxPoolGrad",
              "AvgPoolGrad", "MaxPoolGradGrad", "SqrtGrad"}  # fmt: skip
    assert wanted <= {node.op for node in frozen.node}


def test_small_cnn_trained_then_frozen(record):
    images, labels = cnn_data()
    session, x, probabilities = trained_small_cnn(images, labels)
    frozen = freeze_and_compare(session.graph, session, [probabilities], {x: images}, record)
    kinds = {node.op for node in frozen.node}
    assert {"Conv2D", "BiasAdd", "Relu", "MaxPool", "AvgPool", "Reshape", "MatMul", "Softmax"} <= kinds
    assert not kinds & {"VariableV2", "Assign", "ApplyGradientDescent"}
    assert not [node.name for node in frozen.node if node.name.startswith("gradients")]


def test_worksheet_network_as_a_binary_pb(tmp_path, record):
    """Trained a little, frozen, written as TF writes a .pb, read by TF's GraphDef, run by TF."""
    model, x = trained_worksheet_model()
    output = model.output.op.name
    frozen = graph_util.convert_variables_to_constants(model.session, model.graph.as_graph_def(), [output])
    path = mg.train.write_graph(frozen, str(tmp_path), "worksheet.pb", as_text=False)
    graph_def = tf1.GraphDef()
    with open(path, "rb") as file:
        graph_def.ParseFromString(file.read())
    assert [node.op for node in graph_def.node].count("Const") >= 4  # two kernels and two biases
    assert not {node.op for node in graph_def.node} & {"VariableV2", "ApplyKerasAdam", "Assign"}
    (theirs,) = run_in_tensorflow(graph_def, [model.output.name], {model.input.name: x})
    ours = model.predict(x)
    error = relative_error(ours, theirs)
    record("float32", error, "worksheet network")
    assert error <= 1e-5
    np.testing.assert_array_equal(np.argmax(ours, 1), np.argmax(theirs, 1))


def test_write_graph_replaces_a_file_whole_or_not_at_all(tmp_path, monkeypatch):
    """A graph written over an old one by a program that dies mid-write leaves the old file."""
    with mg.Graph().as_default() as graph:
        mg.add(mg.placeholder(mg.float32, (2,), name="x"), 1.0, name="y")
    path = mg.io.write_graph(graph, str(tmp_path), "graph.pbtxt")
    before = open(path).read()
    assert 'name: "y"' in before
    with graph.as_default():
        mg.multiply(graph.get_tensor_by_name("y:0"), 2.0, name="z")

    def dies(handle):
        raise KeyboardInterrupt  # the new bytes are written, not yet on disk nor renamed

    monkeypatch.setattr(atomic_files.os, "fsync", dies)
    with pytest.raises(KeyboardInterrupt):
        mg.io.write_graph(graph, str(tmp_path), "graph.pbtxt")
    assert open(path).read() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.pbtxt"]  # no temporary file left


def test_text_pbtxt_is_what_tensorflow_parses(tmp_path):
    model, x = trained_worksheet_model(samples=64)
    frozen = graph_util.convert_variables_to_constants(model.session, model.graph.as_graph_def(),
                                                       [model.output.op.name])
    path = mg.io.write_graph(frozen, str(tmp_path), "worksheet.pbtxt")
    with open(path) as file:
        graph_def = text_format.Parse(file.read(), tf1.GraphDef())
    binary = tf1.GraphDef()
    binary.ParseFromString(frozen.SerializeToString())
    assert graph_def == binary  # the text and the binary form are one GraphDef
    (theirs,) = run_in_tensorflow(graph_def, [model.output.name], {model.input.name: x})
    assert relative_error(model.predict(x), theirs) <= 1e-5


def test_variables_become_constants(graph):
    x = mg.placeholder(mg.float32, (None, 2), name="x")
    w = mg.Variable([[1.0, 2.0], [3.0, 4.0]], name="w")
    y = mg.nn.relu(mg.matmul(x, w), name="y")
    loss = mg.reduce_sum(y)
    train = mg.train.GradientDescentOptimizer(0.5).minimize(loss)
    with mg.Session() as session:
        session.run(mg.global_variables_initializer())
        session.run(train, {x: [[1.0, 1.0]]})
        frozen = graph_util.convert_variables_to_constants(session, graph.as_graph_def(), ["y"])
    assert [(node.name, node.op) for node in frozen.node] == [
        ("x", "Placeholder"), ("w", "Const"), ("w/read", "Identity"), ("MatMul", "MatMul"), ("y", "Relu"),
    ]  # fmt: skip
    np.testing.assert_array_equal(frozen.node[1].attr["value"].value, [[0.5, 1.5], [2.5, 3.5]])
    kept = graph_util.convert_variables_to_constants(session, graph.as_graph_def(), ["y"],
                                                     variable_names_blacklist=["w"])
    assert kept.node[1].op == "VariableV2"


def test_extract_sub_graph_follows_inputs_and_control_inputs(graph):
    a = mg.placeholder(mg.float32, name="a")
    b = mg.placeholder(mg.float32, name="b")
    with mg.control_dependencies([mg.no_op(name="first")]):
        mg.add(a, a, name="c")
    mg.multiply(b, b, name="unused")
    sub = graph_util.extract_sub_graph(graph.as_graph_def(), ["c"])
    assert [node.name for node in sub.node] == ["a", "first", "c"]
    with pytest.raises(ValueError, match=r"'c:0' is not in graph: the output node names are op names"):
        graph_util.extract_sub_graph(graph.as_graph_def(), ["c:0"])
    with pytest.raises(TypeError, match="a list of node names"):
        graph_util.extract_sub_graph(graph.as_graph_def(), "c")


def test_gradient_helpers_are_refused_by_name(graph):
    x = mg.placeholder(mg.float32, (2, 3))
    (grad,) = mg.gradients(mg.reduce_sum(x), [x])
    with pytest.raises(ValueError, match=r"BroadcastLike 'gradients/Sum_grad/BroadcastLike' is one of "
                                         r"minigraph's gradient helpers: TensorFlow has no such op"):
        graph_util.convert_variables_to_constants(mg.Session(), graph.as_graph_def(), [grad.op.name])


def test_unknown_rank_reduction_is_refused_with_its_name(graph):
    x = mg.placeholder(mg.float32)  # unknown rank: which axes "all" means is unknown when freezing
    total = mg.reduce_sum(x, name="total")
    with pytest.raises(ValueError, match=r"Sum 'total' works on every axis of an input of unknown rank"):
        graph_util.convert_variables_to_constants(mg.Session(), graph.as_graph_def(), [total.op.name])


def test_graph_def_binary_round_trip_through_tensorflow():
    """minigraph's SerializeToString is read by TF; TF's bytes are read by ParseFromString."""
    with tf.Graph().as_default() as tf_graph:
        x = tf1.placeholder(tf.float32, (None, 3), name="x")
        tf.reduce_mean(tf.nn.softmax(tf.matmul(x, tf.constant(np.eye(3, dtype="float32")))), axis=1)
    theirs = tf_graph.as_graph_def()
    ours = mg.GraphDef()
    ours.ParseFromString(theirs.SerializeToString())
    assert [node.op for node in ours.node] == [node.op for node in theirs.node]
    again = tf1.GraphDef()
    again.ParseFromString(ours.SerializeToString())
    # the same nodes and attributes; TF keeps constants as tensor_content bytes, minigraph as values
    assert_same_nodes(again, theirs)


def test_every_op_type_is_run_in_tensorflow_or_named(record):
    """Each op class minigraph defines (core, train, summary) is either frozen and run in TF
    by a test above, or in NOT_FROZEN with the reason."""
    for case in ALL_CASES:  # what the op table builds (the table test may run in another process)
        xs, _, _ = case_arrays(case, "float32")
        with mg.Graph().as_default() as graph:
            case.build(mg, *[mg.placeholder(x.dtype, x.shape) for x in xs])
        SEEN_TYPES.update(op.type_name for op in graph.get_operations())
    test_backward_ops_run_in_tensorflow(record)
    for name in OUTSIDE_THE_TABLE:
        test_forward_ops_outside_the_table(name, record)
    test_small_cnn_trained_then_frozen(record)
    import minigraph.summary  # noqa: F401  (their op classes)
    import minigraph.train  # noqa: F401

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    defined = {cls.type_name for cls in subclasses(Operation)
               if cls.__module__.startswith("minigraph.") and not cls.writes_variables}
    unaccounted = defined - SEEN_TYPES - set(NOT_FROZEN) - RANDOM - {"Placeholder", "NoOp", "Const"}
    assert not unaccounted, f"op types neither frozen and run in TF nor named in NOT_FROZEN: {sorted(unaccounted)}"
