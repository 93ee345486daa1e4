"""Tests for minigraph.viz: what draw() puts in the DOT source, and that dot renders it."""

import re
import warnings
import xml.etree.ElementTree as ElementTree

import graphviz
import numpy as np
import pytest

import minigraph as mg

SVG = "{http://www.w3.org/2000/svg}"


# --- reading DOT source back (independent of viz's own code) ----------------------

NODE_LINE = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[\w.]+) \[(.*)\]$')
EDGE_LINE = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[\w.]+) -> ("(?:[^"\\]|\\.)*"|[\w.]+)(?: \[(.*)\])?$')


def unquote(name: str) -> str:
    return name[1:-1] if name.startswith('"') else name


def node_lines(source: str) -> dict:
    """{node id: its attribute text} for each node statement."""
    nodes = {}
    for line in source.splitlines():
        match = NODE_LINE.match(line)
        if match and "->" not in line and unquote(match.group(1)) not in ("graph", "node", "edge"):
            nodes[unquote(match.group(1))] = match.group(2)
    return nodes


def edges(source: str) -> list:
    """[(tail, head, attribute text)] in source order."""
    found = []
    for line in source.splitlines():
        match = EDGE_LINE.match(line)
        if match:
            found.append((unquote(match.group(1)), unquote(match.group(2)), match.group(3) or ""))
    return found


def cluster_nodes(source: str, cluster: str = "cluster_gradients") -> set:
    """The nodes declared inside `subgraph <cluster> { ... }`."""
    lines = source.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == f"subgraph {cluster} {{"), None)
    if start is None:
        return set()
    end = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == "}")
    return set(node_lines("\n".join(lines[start + 1:end])))


def attribute(attributes: str, key: str) -> str | None:
    match = re.search(rf'\b{key}=("(?:[^"\\]|\\.)*"|[^\s\]]+)', attributes)
    return unquote(match.group(1)) if match else None


def walk_back(ops) -> set:
    """The names of `ops` and of everything they need: inputs and control inputs."""
    names, stack = set(), list(ops)
    while stack:
        op = stack.pop()
        if op.name not in names:
            names.add(op.name)
            stack += [t.op for t in op.inputs] + list(op.control_inputs)
    return names


def svg_node_titles(svg: str) -> set:
    root = ElementTree.fromstring(svg)
    return {g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "node"}


# --- a small model to draw ------------------------------------------------------------


@pytest.fixture
def model():
    graph = mg.Graph()
    with graph.as_default():
        x = mg.placeholder(mg.float32, shape=(None, 3), name="x")
        W = mg.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, name="W")
        b = mg.Variable(np.zeros(2, np.float32), name="b")
        y = mg.nn.relu(mg.matmul(x, W) + b)
        loss = mg.reduce_mean(mg.square(y - 1.0), name="loss")
        grad_W, grad_b = mg.gradients(loss, [W, b])
        unused = mg.exp(x, name="unused")
    return dict(graph=graph, x=x, W=W, b=b, y=y, loss=loss, grad_W=grad_W, grad_b=grad_b, unused=unused)


# --- which nodes are drawn ------------------------------------------------------------


def test_a_tensor_draws_exactly_the_subgraph_it_needs(model):
    source = mg.viz.draw(model["loss"]).source
    expected = walk_back([model["loss"].op])
    assert set(node_lines(source)) == expected
    # spelled out, so the walk above is checked too
    assert expected == {"x", "W", "W/read", "b", "b/read", "MatMul", "add", "Relu", "Const", "sub",
                        "Square", "loss"}


def test_a_list_draws_the_union_and_nothing_else(model):
    targets = [model["grad_W"], model["grad_b"]]
    source = mg.viz.draw(targets).source
    assert set(node_lines(source)) == walk_back([t.op for t in targets])
    assert "unused" not in node_lines(source)
    assert "W/Assign" not in node_lines(source)  # the initializer is not needed to compute


def test_a_graph_draws_every_op(model):
    source = mg.viz.draw(model["graph"]).source
    assert set(node_lines(source)) == {op.name for op in model["graph"].operations}
    assert {"unused", "W/Assign", "W/initial_value"} <= set(node_lines(source))


def test_a_variable_draws_its_slot_and_reads_reach_it(model):
    assert set(node_lines(mg.viz.draw(model["W"]).source)) == {"W"}
    source = mg.viz.draw(model["W"].read).source
    assert set(node_lines(source)) == {"W", "W/read"}
    assert [(tail, head) for tail, head, _ in edges(source)] == [("W", "W/read")]


def test_an_operation_and_control_inputs(model):
    graph = model["graph"]
    with graph.as_default():
        init = mg.global_variables_initializer()
    source = mg.viz.draw(init).source
    assert set(node_lines(source)) == walk_back([init])
    assert set(node_lines(source)) == {"init", "W", "W/initial_value", "W/Assign", "b", "b/initial_value", "b/Assign"}
    control = [(tail, head) for tail, head, attrs in edges(source) if "dashed" in attrs]
    assert sorted(control) == [("W/Assign", "init"), ("b/Assign", "init")]


def test_every_edge_of_the_subgraph_is_drawn(model):
    source = mg.viz.draw(model["loss"]).source
    drawn = {(tail, head) for tail, head, _ in edges(source)}
    ops = [model["graph"].get_operation_by_name(name) for name in walk_back([model["loss"].op])]
    assert drawn == {(t.op.name, op.name) for op in ops for t in op.inputs}


def test_a_long_chain_draws_without_recursion():
    graph = mg.Graph()
    with graph.as_default():
        y = mg.placeholder(mg.float32, shape=(), name="x")
        for _ in range(5000):
            y = y + 1.0
    assert len(node_lines(mg.viz.draw(y).source)) == 1 + 2 * 5000  # x, and an add and a Const per step


def test_bad_targets_are_named():
    with pytest.raises(TypeError, match=r"draw\(\) draws a Graph, Tensor, Variable or Operation, got 3"):
        mg.viz.draw(3)
    with pytest.raises(ValueError, match="empty list"):
        mg.viz.draw([])
    with mg.Graph().as_default():
        a = mg.constant(1.0)
    with mg.Graph().as_default():
        b = mg.constant(2.0)
    with pytest.raises(ValueError, match="2 different graphs"):
        mg.viz.draw([a, b])


# --- how nodes and edges look ---------------------------------------------------------


def test_placeholders_variables_constants_and_ops_look_different(model):
    nodes = node_lines(mg.viz.draw(model["loss"]).source)

    def look(name):
        return attribute(nodes[name], "shape"), attribute(nodes[name], "style"), attribute(nodes[name], "fillcolor")

    looks = {name: look(name) for name in ("x", "W", "Const", "MatMul")}
    assert len(set(looks.values())) == 4, looks
    assert looks["x"][0] == "ellipse" and looks["W"][0] == "cylinder"
    assert look("b") == look("W") and look("Relu") == look("MatMul")  # one look per kind


def test_labels_show_name_type_shape_and_dtype(model):
    nodes = node_lines(mg.viz.draw(model["loss"]).source)
    assert "<b>MatMul</b>" in nodes["MatMul"] and ">MatMul<" in nodes["MatMul"]
    assert "(None, 2) float32" in nodes["MatMul"]
    assert "(None, 3) float32" in nodes["x"] and "Placeholder" in nodes["x"]
    assert "<b>loss</b>" in nodes["loss"] and ">Mean<" in nodes["loss"] and "() float32" in nodes["loss"]
    assert "<b>read</b>" in nodes["W/read"] and ">W/<" in nodes["W/read"]  # scope above the name
    bare = node_lines(mg.viz.draw(model["loss"], show_shapes=False).source)
    assert "float32" not in bare["MatMul"]


def test_edges_keep_argument_order(model):
    graph = model["graph"]
    with graph.as_default():
        c = mg.constant(2.0, name="c")
        backwards = mg.subtract(c, model["x"], name="backwards")
        same = mg.subtract(model["x"], model["x"], name="same")
    found = edges(mg.viz.draw([model["loss"], backwards, same]).source)
    labels = {(tail, head): attribute(attrs, "label") for tail, head, attrs in found}
    assert labels[("x", "MatMul")] == "a" and labels[("W/read", "MatMul")] == "b"
    assert labels[("Relu", "sub")] == "x" and labels[("Const", "sub")] == "y"
    assert labels[("c", "backwards")] == "x" and labels[("x", "backwards")] == "y"
    assert [attribute(attrs, "label") for tail, head, attrs in found if head == "same"] == ["x", "y"]
    assert labels[("add", "Relu")] is None  # one input: nothing to order


def test_ref_edges_are_marked(model):
    found = edges(mg.viz.draw(model["graph"]).source)
    ref = {(tail, head) for tail, head, attrs in found if attribute(attrs, "color") == mg.viz.REF_EDGE_COLOR}
    assert ref == {("W", "W/read"), ("W", "W/Assign"), ("b", "b/read"), ("b", "b/Assign")}


# --- gradients apart --------------------------------------------------------------


def test_gradient_nodes_are_in_the_gradient_cluster(model):
    source = mg.viz.draw(model["graph"]).source
    gradient_names = {op.name for op in model["graph"].operations if op.role != mg.graph.FORWARD}
    assert gradient_names and all(name.startswith("gradients/") for name in gradient_names)
    assert cluster_nodes(source) == gradient_names
    assert 'label="backward (gradients)"' in source
    nodes = node_lines(source)
    assert attribute(nodes["gradients/Relu_grad/ReluGrad"], "fillcolor") == mg.viz.GRADIENT_FILL
    assert attribute(nodes["Relu"], "fillcolor") != mg.viz.GRADIENT_FILL


def test_show_gradients_false_leaves_them_out(model):
    source = mg.viz.draw(model["graph"], show_gradients=False).source
    forward = {op.name for op in model["graph"].operations if op.role == mg.graph.FORWARD}
    assert set(node_lines(source)) == forward
    assert "cluster" not in source
    assert all(not tail.startswith("gradients/") and not head.startswith("gradients/")
               for tail, head, _ in edges(source))
    # asked for a gradient: the forward ops it needs, without the backward ones
    source = mg.viz.draw(model["grad_W"], show_gradients=False).source
    assert set(node_lines(source)) == {name for name in walk_back([model["grad_W"].op])
                                       if not name.startswith("gradients/")}


def test_optimizer_nodes_are_gradient_nodes_too(model):
    graph = model["graph"]
    with graph.as_default():
        train = mg.train.AdamOptimizer(0.1).minimize(model["loss"])
    source = mg.viz.draw(train).source
    drawn = walk_back([train])
    gradient_names = {name for name in drawn if graph.get_operation_by_name(name).role != mg.graph.FORWARD}
    assert set(node_lines(source)) == drawn
    assert cluster_nodes(source) == gradient_names
    assert {"Adam", "W/Adam_m", "gradients_1/MatMul_grad/MatMul_1"} <= gradient_names  # 2nd gradients() call


# --- values after a run ---------------------------------------------------------------


def test_values_are_shown_from_one_run(model):
    sess = mg.Session(model["graph"])
    with model["graph"].as_default():
        sess.run(mg.global_variables_initializer())
    feed = {model["x"]: [[1, 2, 3], [4, 5, 6]]}
    nodes = node_lines(mg.viz.draw(model["loss"], session=sess, feed_dict=feed).source)
    expected_loss = sess.run(model["loss"], feed)
    assert f"{expected_loss:.4g}" in nodes["loss"]
    assert "[[1. 2. 3.]" in nodes["x"]
    assert "[[0.  0.1]" in nodes["W"]  # the variable's value, rounded
    assert "Courier" in nodes["MatMul"]


def test_large_values_are_summarised():
    graph = mg.Graph()
    with graph.as_default():
        x = mg.placeholder(mg.float32, shape=(None, 784), name="x")
        y = mg.nn.relu(x)
    data = np.linspace(-1, 1, 100 * 784, dtype=np.float32).reshape(100, 784)
    nodes = node_lines(mg.viz.draw(y, feed_dict={x: data}).source)  # no session: a fresh one
    assert "shape (100, 784)" in nodes["x"] and "min -1" in nodes["x"] and "max 1" in nodes["x"]
    assert "min 0" in nodes["Relu"]
    assert mg.viz.format_value(np.array([0.123456, 2.0])) == "[0.1235 2.    ]"
    assert mg.viz.format_value(np.float32(3.0)) == "3"
    assert mg.viz.format_value(np.float64(1 / 3)) == "0.3333"
    assert mg.viz.format_value(np.int64(7)) == "7"
    assert mg.viz.format_value(np.zeros((4, 5), bool)).startswith("shape (4, 5)\nmin 0  mean 0  max 0")


def test_what_cannot_be_computed_is_skipped(model):
    sess = mg.Session(model["graph"])  # variables not initialised, x not fed
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nodes = node_lines(mg.viz.draw(model["graph"], session=sess).source)
    assert "Courier" in nodes["Const"] and '>1</font>' in nodes["Const"]  # a constant can always be computed
    assert "Courier" in nodes["W/initial_value"]
    for name in ("x", "W", "W/read", "MatMul", "loss", "W/Assign"):
        assert "Courier" not in nodes[name], name
    assert not sess.is_initialized(model["W"])  # drawing ran no initializer


def test_drawing_never_writes_a_variable(model):
    graph = model["graph"]
    with graph.as_default():
        train = mg.train.GradientDescentOptimizer(0.5).minimize(model["loss"])
        sess = mg.Session(graph)
        sess.run(mg.global_variables_initializer())
    before = sess.run(model["W"])
    feed = {model["x"]: np.ones((4, 3))}
    nodes = node_lines(mg.viz.draw(train, session=sess, feed_dict=feed).source)
    np.testing.assert_array_equal(sess.run(model["W"]), before)
    assert "Courier" in nodes["gradients_1/MatMul_grad/MatMul_1"]  # gradients are values: shown
    assert "Courier" not in nodes["GradientDescent/update_W/ApplyGradientDescent"]  # updates are not run


def test_a_failing_run_warns_and_draws_without_values(model):
    sess = mg.Session(model["graph"])
    with pytest.warns(UserWarning, match=r"values not shown, the run failed: Cannot feed value of shape \(2,\)"):
        digraph = mg.viz.draw(model["y"], session=sess, feed_dict={model["x"]: [1.0, 2.0]})
    assert "Courier" not in digraph.source
    with mg.Graph().as_default():
        other = mg.Session()
    with pytest.raises(ValueError, match="another graph"):
        mg.viz.draw(model["y"], session=other)


# --- rendering through dot -----------------------------------------------------------


def test_svg_renders_and_names_every_node(model):
    digraph = mg.viz.draw([model["grad_W"], model["grad_b"]])
    svg = digraph.pipe(format="svg", encoding="utf-8")
    assert svg_node_titles(svg) == walk_back([model["grad_W"].op, model["grad_b"].op])
    assert "backward (gradients)" in svg


def test_png_pdf_and_dot_files(model, tmp_path):
    for suffix, magic in ((".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF"), (".svg", b"<?xml"), (".dot", b"digraph")):
        path = tmp_path / f"graph{suffix}"
        digraph = mg.viz.save(model["loss"], str(path), show_gradients=False)
        assert isinstance(digraph, graphviz.Digraph)
        data = path.read_bytes()
        assert data.startswith(magic), suffix
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.dot", "graph.pdf", "graph.png", "graph.svg"]
    with pytest.raises(ValueError, match=r"Cannot tell a picture format from the path 'graph\.txt'"):
        mg.viz.save(model["loss"], "graph.txt")


def test_jupyter_shows_it_inline(model):
    bundle = mg.viz.draw(model["loss"])._repr_mimebundle_()
    assert set(svg_node_titles(bundle["image/svg+xml"])) == walk_back([model["loss"].op])


def test_rankdir(model):
    assert "rankdir=LR" in mg.viz.draw(model["loss"], rankdir="LR").source
