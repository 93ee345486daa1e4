"""mg.summary (minigraph/summary/): summary ops give the Summary messages TF1's give,
FileWriter writes event files that TensorBoard's own loader reads back (scalars at
their steps, histogram buckets, the graph's nodes), and, slow, a real `tensorboard`
server on localhost serves minigraph's runs, curves and graph."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import numpy as np
import pytest
from google.protobuf import text_format
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.compat.proto import graph_pb2, summary_pb2

import minigraph as mg
from minigraph.errors import InvalidArgumentError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# values of every size a histogram meets: zeros, tiny ones, negatives, and a huge one
VALUES = np.array([-2.0, -1e-13, 0.0, 0.0, 1e-13, 0.5, 0.5, 3.0, 100.0, 7e5, -3e9], np.float32)


def load(logdir) -> event_accumulator.EventAccumulator:
    """TensorBoard's own reader over `logdir`, keeping every event."""
    accumulator = event_accumulator.EventAccumulator(
        str(logdir), size_guidance={event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0})
    accumulator.Reload()
    return accumulator


def summaries_program(api):
    """The same summaries, built with TF1's API or minigraph's: returns (x, merged)."""
    x = api.placeholder(api.float32, shape=(None,), name="x")
    loss = api.reduce_mean(x * x)
    api.summary.scalar("loss", loss)
    api.summary.scalar("loss", loss * 2.0)  # the same name twice: TF makes the second 'loss_1'
    api.summary.scalar("accuracy", api.reduce_max(x), family="eval")
    api.summary.histogram("activations", x)
    api.summary.scalar("kept out", loss, collections=[])  # not in merge_all
    return x, api.summary.merge_all()


def parsed(serialized: bytes) -> summary_pb2.Summary:
    return summary_pb2.Summary.FromString(serialized)


def test_summaries_match_tensorflow(graph):
    """Run side by side with tf.compat.v1.summary: the same tags, scalars, histogram buckets
    (TF's 1.1-spaced default buckets, empty runs collapsed) and node names."""
    import tensorflow as tf

    v1 = tf.compat.v1
    tf_graph = tf.Graph()
    with tf_graph.as_default():
        their_x, their_merged = summaries_program(v1)
        with v1.Session() as session:
            theirs = parsed(session.run(their_merged, {their_x: VALUES}))
        their_nodes = [(op.name, op.type) for op in tf_graph.get_operations() if "Summary" in op.type]
    our_x, our_merged = summaries_program(mg)
    with mg.Session() as session:
        fetched = session.run(our_merged, {our_x: VALUES})
    assert isinstance(fetched, bytes)  # as TF1's run gives a string tensor's value
    ours = parsed(fetched)
    assert [(op.name, op.type) for op in graph.operations if "Summary" in op.type] == their_nodes

    assert [v.tag for v in ours.value] == [v.tag for v in theirs.value] == [
        "loss", "loss_1", "eval/eval/accuracy", "activations"]
    for our_value, their_value in zip(ours.value, theirs.value):
        assert our_value.simple_value == pytest.approx(their_value.simple_value, rel=1e-6)
        ours_histo, theirs_histo = our_value.histo, their_value.histo
        assert list(ours_histo.bucket_limit) == list(theirs_histo.bucket_limit)  # the same doubles
        assert list(ours_histo.bucket) == list(theirs_histo.bucket)
        assert (ours_histo.min, ours_histo.max, ours_histo.num) == (theirs_histo.min, theirs_histo.max,
                                                                     theirs_histo.num)
        assert ours_histo.sum == pytest.approx(theirs_histo.sum, rel=1e-12)
        assert ours_histo.sum_squares == pytest.approx(theirs_histo.sum_squares, rel=1e-12)
    histo = ours.value[3].histo
    assert sum(histo.bucket) == len(VALUES) and len(histo.bucket) < 30  # ~1550 buckets, collapsed


def test_an_empty_histogram_matches_tensorflow(graph):
    import tensorflow as tf

    v1 = tf.compat.v1
    with tf.Graph().as_default(), v1.Session() as session:
        theirs = parsed(session.run(v1.summary.histogram("h", tf.zeros([0])))).value[0].histo
    with mg.Session() as session:
        ours = parsed(session.run(mg.summary.histogram("h", mg.zeros([0])))).value[0].histo
    assert text_format.MessageToString(ours) == text_format.MessageToString(theirs)


def test_summary_nodes_in_the_graph_def_are_tensorflows(graph):
    """`loss/tags` is a string constant (string_val), `loss` a ScalarSummary of T=float."""
    mg.summary.scalar("loss", mg.constant(1.0))
    text = str(graph.as_graph_def())
    assert 'string_val: "loss"' in text and "type: DT_STRING" in text
    nodes = {node.name: node for node in text_format.Parse(text, graph_pb2.GraphDef()).node}
    assert list(nodes["loss"].input) == ["loss/tags", "Const"]
    assert nodes["loss"].attr["T"].type == 1  # DT_FLOAT
    assert nodes["loss/tags"].attr["value"].tensor.string_val == [b"loss"]
    assert mg.as_dtype("string") is mg.string and mg.dtypes.as_datatype_enum(mg.string) == 7


def test_file_writer_round_trip_through_tensorboards_loader(graph, tmp_path):
    x = mg.placeholder(mg.float32, shape=(None, 3), name="x")
    w = mg.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
    loss = mg.reduce_mean(mg.square(mg.matmul(x, w)), name="loss_value")
    train = mg.train.GradientDescentOptimizer(0.01).minimize(loss)
    mg.summary.scalar("loss", loss)
    mg.summary.histogram("weights", w)
    merged = mg.summary.merge_all()
    init = mg.global_variables_initializer()
    batch = np.ones((4, 3), np.float32)
    losses, weights = {}, {}
    with mg.Session() as session, mg.summary.FileWriter(str(tmp_path), session.graph) as writer:
        session.run(init)
        for step in (0, 10, 20):
            weights[step] = session.variable_value(w)
            summary, losses[step], _ = session.run([merged, loss, train], {x: batch})
            writer.add_summary(summary, global_step=step)
        assert writer.get_logdir() == str(tmp_path)
    assert len([f for f in os.listdir(tmp_path) if f.startswith("events.out.tfevents.")]) == 1

    accumulator = load(tmp_path)
    assert accumulator.Tags()["scalars"] == ["loss"] and accumulator.Tags()["histograms"] == ["weights"]
    scalars = accumulator.Scalars("loss")
    assert [event.step for event in scalars] == [0, 10, 20]
    assert [event.value for event in scalars] == [np.float32(losses[s]) for s in (0, 10, 20)]
    for event in accumulator.Histograms("weights"):
        value = event.histogram_value
        expected = weights[event.step].astype(np.float64)
        assert (value.min, value.max, value.num) == (expected.min(), expected.max(), 6)
        assert value.sum == pytest.approx(expected.sum())
        # each bucket counts the weights in [previous limit, limit)
        lower = [-np.inf] + list(value.bucket_limit[:-1])
        assert value.bucket == [float(np.sum((expected >= lo) & (expected < hi)))
                                for lo, hi in zip(lower, value.bucket_limit)]

    graph_def = accumulator.Graph()  # the graph tab's data: minigraph's nodes and TF op types
    assert [(node.name, node.op) for node in graph_def.node] == [(op.name, op.type) for op in graph.operations]
    nodes = {node.name: node for node in graph_def.node}
    assert nodes["loss_value"].op == "Mean" and list(nodes["MatMul"].input) == ["x", "w/read"]
    shape = nodes["x"].attr["_output_shapes"].list.shape[0]
    assert [dim.size for dim in shape.dim] == [-1, 3]  # (None, 3): TensorBoard labels the edge ?x3


def test_add_graph_and_step_counters(graph, tmp_path):
    """A graph added later, a summary built as a message, a step from a variable's value."""
    mg.Variable(1.0, name="v")
    message = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="lr", simple_value=0.5)])
    writer = mg.summary.FileWriter(str(tmp_path))
    writer.add_summary(message, np.int64(3))
    writer.add_graph(graph)
    writer.flush()  # readable before close
    accumulator = load(tmp_path)
    assert [(e.step, e.value) for e in accumulator.Scalars("lr")] == [(3, 0.5)]
    assert [node.name for node in accumulator.Graph().node] == ["v/initial_value", "v", "v/Assign", "v/read"]
    writer.close()
    writer.close()  # twice is fine
    with pytest.raises(RuntimeError, match="FileWriter for .* is closed"):
        writer.add_summary(message, 4)
    with pytest.raises(TypeError, match="add_summary\\(\\) takes what a summary op gives when run"):
        mg.summary.FileWriter(str(tmp_path / "other")).add_summary(0.5, 1)


def test_merge_all_and_merge(graph):
    assert mg.summary.merge_all() is None  # nothing to merge, as TF
    a = mg.summary.scalar("a", 1.0)
    b = mg.summary.scalar("b", mg.constant(2, mg.int32))
    kept_out = mg.summary.scalar("c", 3.0, collections=["mine"])
    with mg.Session() as session:
        both = parsed(session.run(mg.summary.merge_all()))
        mine = parsed(session.run(mg.summary.merge_all(key="mine")))
        explicit = parsed(session.run(mg.summary.merge([b, kept_out])))
        with pytest.raises(InvalidArgumentError, match="Duplicate tag a found in summary inputs"):
            session.run(mg.summary.merge([a, a]))
    assert [(v.tag, v.simple_value) for v in both.value] == [("a", 1.0), ("b", 2.0)]
    assert [v.tag for v in mine.value] == ["c"] and [v.tag for v in explicit.value] == ["b", "c"]


def test_tags_are_cleaned_as_tf_cleans_them(graph):
    summary = mg.summary.scalar("/train loss (avg)", 1.0)
    with mg.Session() as session:
        assert parsed(session.run(summary)).value[0].tag == "train_loss__avg_"


def test_a_summary_joins_its_tensors_graph(graph):
    other = mg.Graph()
    with other.as_default():
        x = mg.constant(2.0, name="x")
    summary = mg.summary.scalar("x", x)  # built while `graph` is the default
    assert summary.graph is other and graph.operations == []
    with other.as_default(), mg.Session(other) as session:
        assert parsed(session.run(mg.summary.merge_all())).value[0].simple_value == 2.0


def test_refusals_name_the_node_and_the_value(graph):
    with pytest.raises(ValueError, match=r"scalar\(\) needs a tensor with a single value; Tensor\(\"v.*shape "
                                         r"\(2,\).*node 'v_1', op ScalarSummary"):
        mg.summary.scalar("v", mg.constant([1.0, 2.0], name="v"))
    with pytest.raises(TypeError, match="a HistogramSummary summarizes real numbers; .* has dtype bool"):
        mg.summary.histogram("flags", mg.constant([True, False]))
    unknown = mg.placeholder(mg.float32, name="unknown")  # its shape is known only when fed
    loose = mg.summary.scalar("loose", unknown)
    weights = mg.placeholder(mg.float32, shape=(3,), name="weights")
    histogram = mg.summary.histogram("weights", weights)
    with mg.Session() as session:
        with pytest.raises(InvalidArgumentError, match=r"tags and values are not the same shape: \[\] != \[2\] "
                                                       r"\(tag 'loose', node 'loose'\)"):
            session.run(loose, {unknown: [1.0, 2.0]})
        with pytest.raises(InvalidArgumentError, match="Nan in summary histogram for: weights_1"):
            session.run(histogram, {weights: [1.0, np.nan, 2.0]})


def test_import_minigraph_needs_no_tensorboard_and_says_which_extra():
    """With tensorboard unimportable, minigraph still imports; building a summary names the extra."""
    program = (
        "import sys; sys.modules['tensorboard'] = None\n"  # what Python does for a missing package
        "import minigraph as mg\n"
        "try:\n"
        "    mg.summary.scalar('loss', 1.0)\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "mg.summary writes TensorBoard files with the tensorboard package, which is not installed" in result.stdout
    assert "pip install -e .[tensorboard]" in result.stdout


# --- a real TensorBoard, on localhost -----------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port: int, path: str, **query) -> bytes:
    url = f"http://127.0.0.1:{port}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def wait_for(what: str, ask, deadline: float, server: subprocess.Popen):
    """Asks `ask()` until it returns something truthy; fails at `deadline` or if the server died."""
    while True:
        assert server.poll() is None, f"tensorboard exited while waiting for {what}"
        try:
            answer = ask()
            if answer:
                return answer
        except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
            pass  # not listening yet, or the run not loaded yet
        assert time.monotonic() < deadline, f"tensorboard gave no {what} in time"
        time.sleep(0.5)


@pytest.mark.slow
def test_tensorboard_serves_minigraphs_run(graph, tmp_path):
    x = mg.placeholder(mg.float32, shape=(None,), name="x")
    loss = mg.reduce_mean(x * x, name="loss_value")
    merged = mg.summary.merge([mg.summary.scalar("loss", loss)])
    with mg.Session() as session, mg.summary.FileWriter(str(tmp_path / "train"), session.graph) as writer:
        for step in range(5):
            writer.add_summary(session.run(merged, {x: [float(step), 1.0]}), step)
    expected = [(step, (step * step + 1.0) / 2) for step in range(5)]

    port = free_port()
    command = [sys.executable, "-m", "tensorboard.main", "--logdir", str(tmp_path), "--host", "127.0.0.1",
               "--port", str(port), "--load_fast", "false", "--reload_interval", "1"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180  # it imports TensorFlow: slow on a busy machine
        runs = wait_for("runs", lambda: json.loads(get(port, "/data/runs")), deadline, server)
        assert runs == ["train"]
        points = wait_for("scalars", lambda: len(json.loads(
            get(port, "/data/plugin/scalars/scalars", run="train", tag="loss"))) == 5 and json.loads(
            get(port, "/data/plugin/scalars/scalars", run="train", tag="loss")), deadline, server)
        assert [(step, value) for _, step, value in points] == expected  # [wall_time, step, value] each
        text = get(port, "/data/plugin/graphs/graph", run="train").decode()
        served = text_format.Parse(text, graph_pb2.GraphDef())
        assert [(node.name, node.op) for node in served.node] == [(op.name, op.type) for op in graph.operations]
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)
