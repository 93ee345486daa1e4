"""Pictures of graphs: ``mg.viz.draw(target)`` returns a ``graphviz.Digraph``.

A graph is data, so a drawing of it is data too. ``draw`` walks the graph and builds
a ``graphviz.Digraph`` object: one node per operation, one edge per input. Nothing is
rendered until you ask: ``digraph.pipe(format="svg")``, ``digraph.render(...)``,
``save(target, "graph.png")``, or just leaving the digraph as the last line of a
Jupyter cell (graphviz draws it inline). Rendering runs the ``dot`` program through
the graphviz package, never through a shell.

How to read a drawing:

- an ellipse is a placeholder (fed at run time), a cylinder a variable (memory that
  lasts between runs), a grey box a constant, a rounded box an operation, labelled
  with its name and its op type;
- each node shows the static shape and dtype of what it produces: ``(None, 784)
  float32``, where ``None`` is a dimension known only when the graph runs;
- when an op has several inputs, each edge is labelled with the argument it fills
  (``a`` and ``b`` for ``MatMul``, ``x`` and ``y`` for ``Sub``): order matters;
- an orange edge reaches a variable's storage node itself (a *ref* input):
  ``Variable/read`` reads it there and ``Assign`` writes it there;
- a dashed edge is a control dependency: "run that first", no value flows;
- the nodes ``gradients()`` and optimizers add sit in a red "backward" box, so the
  backward graph is seen next to the forward graph it was built from.

Given a session (and a feed_dict), ``draw`` also runs the drawn tensors once and
writes their values on the nodes, as micrograd's drawings do: small arrays in full,
large ones as their shape and min/mean/max.
"""

from __future__ import annotations

import html
import os
import warnings

import graphviz
import numpy as np

from minigraph import dtypes
from minigraph.graph import FORWARD, Graph, Operation, Tensor, every_producer, walk
from minigraph.ops.array import Const, Placeholder
from minigraph.ops.state import VariableOp
from minigraph.passes.program import Node
from minigraph.session import Session
from minigraph.shapes import format_shape

# kind -> (shape, style, fill colour); gradient ops get GRADIENT_FILL instead
NODE_LOOKS = {
    "placeholder": ("ellipse", "filled", "#cfe2f3"),
    "variable": ("cylinder", "filled", "#fce5cd"),
    "constant": ("box", "filled", "#eeeeee"),
    "op": ("box", "filled,rounded", "#d9ead3"),
}
GRADIENT_FILL = "#f4cccc"
GRADIENT_CLUSTER = {"label": "backward (gradients)", "style": "filled,rounded",
                    "fillcolor": "#fdf1f1", "color": "#cc4125", "fontcolor": "#cc4125"}
REF_EDGE_COLOR = "#b45f06"
FORWARD_VALUE_COLOR = "#999999"
CONTROL_EDGE = {"style": "dashed", "color": "#888888", "arrowhead": "odot"}
LARGEST_VALUE_SHOWN = 16  # arrays with more elements are summarised by statistics


# --- what to draw ---------------------------------------------------------------


def target_ops(target) -> list[Operation]:
    """The operations a target names: a Graph's all, or the producers of tensors."""
    if isinstance(target, Graph):
        return list(target.operations)
    items = list(target) if isinstance(target, (list, tuple)) else [target]
    if not items:
        raise ValueError("draw() needs something to draw, got an empty list")
    ops = []
    for item in items:
        if isinstance(item, Operation):
            ops.append(item)
        elif isinstance(item, Tensor):  # a Variable is a Tensor: its op is the storage node
            ops.append(item.op)
        else:
            raise TypeError(f"draw() draws a Graph, Tensor, Variable or Operation, got {item!r}")
    graphs = {op.graph for op in ops}
    if len(graphs) > 1:
        raise ValueError(f"draw(): {items!r} come from {len(graphs)} different graphs")
    return ops


def needed_ops(targets: list[Operation]) -> list[Operation]:
    """The targets and every op they need (inputs, ref inputs, control inputs)."""
    return sorted(walk(targets, every_producer), key=lambda op: op.index)


# --- how a node and an edge look (pure functions) ---------------------------------


def node_kind(op: Operation) -> str:
    if isinstance(op, Placeholder):
        return "placeholder"
    if isinstance(op, VariableOp):
        return "variable"
    if isinstance(op, Const):
        return "constant"
    return "op"


def node_style(op: Operation) -> dict:
    shape, style, fill = NODE_LOOKS[node_kind(op)]
    if op.role != FORWARD and node_kind(op) == "op":
        fill = GRADIENT_FILL
    return {"shape": shape, "style": style, "fillcolor": fill}


def format_value(value) -> str:
    """A value as text: in full (rounded) when small, else shape and min/mean/max."""
    array = np.asarray(value)
    if array.ndim == 0 and dtypes.is_floating(array.dtype):
        return f"{array.item():.4g}"  # 2 and 0.25, not numpy's "2." and "0.25"
    if array.size <= LARGEST_VALUE_SHOWN:
        return np.array2string(array, precision=4, suppress_small=True)
    numbers = array.astype(np.float64)
    return (f"shape {array.shape}\nmin {numbers.min():.4g}  mean {numbers.mean():.4g}"
            f"  max {numbers.max():.4g}")


def node_label(op: Operation, show_shapes: bool, value=None) -> str:
    """An HTML-like label: name in bold, op type, then shape/dtype and value."""
    scope, _, base = op.name.rpartition("/")
    rows = [f'<font point-size="8" color="#666666">{html.escape(scope)}/</font>'] if scope else []
    rows += [f"<b>{html.escape(base)}</b>", f'<font point-size="9">{html.escape(op.type_name)}</font>']
    if show_shapes and op.outputs:
        output = op.outputs[0]
        rows.append(f'<font point-size="9" color="#444444">{format_shape(output.shape)} '
                    f"{output.dtype.name}</font>")
    if value is not None:
        lines = [html.escape(line) for line in format_value(value).splitlines()]
        if len(lines) > 1:  # rows of a matrix line up on the left
            lines = [line + '<br align="left"/>' for line in lines]
        rows.append(f'<font face="Courier" point-size="9">{"".join(lines)}</font>')
    return "<" + "<br/>".join(rows) + ">"


def edge_style(op: Operation, position: int) -> dict:
    """An input edge: labelled by argument when order matters; orange when a ref;
    grey when the backward graph reads a forward value (so the backward chain stands out)."""
    style = {}
    if len(op.inputs) > 1:
        style["label"] = op.input_name(position)
    if position in op.ref_inputs:
        style.update(color=REF_EDGE_COLOR, fontcolor=REF_EDGE_COLOR)
    elif op.role != FORWARD and op.inputs[position].op.role == FORWARD:
        style.update(color=FORWARD_VALUE_COLOR, fontcolor=FORWARD_VALUE_COLOR)
    return style


# --- values, when a session is given ----------------------------------------------


def _fed_tensors(graph: Graph, feed_dict) -> set[Tensor]:
    return {graph.as_graph_element(key, allow_operation=False) for key in feed_dict or {}}


def computable_ops(ops: list[Operation], session, feed_dict) -> list[Operation]:
    """The ops whose output a run can give without failing or changing a variable.

    Skipped: unfed placeholders, uninitialised variables, ops that write a variable
    (drawing must not train the model), and everything that depends on those.
    """
    fed = _fed_tensors(session.graph, feed_dict)
    ok: dict[Operation, bool] = {}
    for op in needed_ops(ops):  # creation order: an op's inputs are decided first
        if op.outputs and op.outputs[0] in fed:
            ok[op] = True
        elif isinstance(op, Placeholder):
            ok[op] = False
        elif isinstance(op, VariableOp):
            ok[op] = session.is_initialized(op.outputs[0])
        elif op.writes_variables:
            ok[op] = False  # Assign, AssignAdd, optimizer updates
        else:
            ok[op] = all(ok[t.op] for t in op.inputs) and all(ok[c] for c in op.control_inputs)
    return [op for op in ops if ok[op] and op.outputs]


def run_values(ops: list[Operation], session, feed_dict) -> dict[Operation, np.ndarray]:
    """One session.run of every computable drawn tensor; {} (and a warning) if it fails."""
    ops = computable_ops(ops, session, feed_dict)
    try:
        values = session.run([op.outputs[0] for op in ops], feed_dict=feed_dict)
    except Exception as error:  # a drawing should not die on a bad feed: say why instead
        warnings.warn(f"draw(): values not shown, the run failed: {error}", stacklevel=3)
        return {}
    return dict(zip(ops, values))


# --- the drawing ------------------------------------------------------------------


def draw(target, show_shapes: bool = True, show_gradients: bool = True, session=None,
         feed_dict=None, rankdir: str = "TB") -> graphviz.Digraph:
    """A graphviz.Digraph of a Graph, or of the subgraph that tensors/ops need.

    target: a Graph (all its ops), a Tensor, Variable or Operation, or a list of them.
    show_shapes: write each node's static shape and dtype.
    show_gradients: False leaves out the nodes gradients() and optimizers added.
    session, feed_dict: run the drawn tensors and write their values on the nodes
        (without a session, a fresh one is used: constants and fed values only).
    rankdir: "TB" (inputs on top) or "LR" (inputs on the left).
    """
    ops = target_ops(target)
    graph = target if isinstance(target, Graph) else ops[0].graph
    ops = ops if isinstance(target, Graph) else needed_ops(ops)
    if not show_gradients:
        ops = [op for op in ops if op.role == FORWARD]
    values = {}
    if session is not None and session.graph is not graph:
        raise ValueError("draw(): the session runs another graph than the one drawn")
    if session is not None:
        values = run_values(ops, session, feed_dict)
    elif feed_dict is not None:
        with Session(graph) as fresh:
            values = run_values(ops, fresh, feed_dict)

    # ordering=in asks dot to place a node's inputs left to right in argument order
    # (when the layout allows; the edge labels say it anyway)
    digraph = graphviz.Digraph(name="minigraph",
                               graph_attr={"rankdir": rankdir, "ordering": "in", "fontname": "Helvetica"},
                               node_attr={"fontname": "Helvetica", "fontsize": "11"},
                               edge_attr={"fontname": "Helvetica", "fontsize": "9"})
    backward = graphviz.Digraph(name="cluster_gradients", graph_attr=GRADIENT_CLUSTER)
    for op in ops:
        where = backward if op.role != FORWARD else digraph
        where.node(op.name, node_label(op, show_shapes, values.get(op)), **node_style(op))
    if backward.body:
        digraph.subgraph(backward)

    drawn = set(ops)
    for op in ops:
        for position, tensor in enumerate(op.inputs):
            if tensor.op in drawn:
                digraph.edge(tensor.op.name, op.name, **edge_style(op, position))
        for control in op.control_inputs:
            if control in drawn:
                digraph.edge(control.name, op.name, **CONTROL_EDGE)
    return digraph


def save(target, path: str, **draw_options) -> graphviz.Digraph:
    """Draws `target` (or takes a Digraph) and writes `path` in the format its extension
    names: .svg, .png, .pdf, ... or .dot/.gv for the DOT source itself."""
    if isinstance(target, graphviz.Digraph) and draw_options:
        raise TypeError(f"save(): {sorted(draw_options)} are options of draw(), not of an existing Digraph")
    digraph = target if isinstance(target, graphviz.Digraph) else draw(target, **draw_options)
    extension = os.path.splitext(path)[1].lstrip(".").lower()
    if extension in ("dot", "gv"):
        data = digraph.source.encode()
    elif extension in graphviz.FORMATS:
        data = digraph.pipe(format=extension)  # runs dot as a subprocess, not a shell
    else:
        raise ValueError(f"Cannot tell a picture format from the path {path!r}: use .svg, .png, .pdf or .dot")
    with open(path, "wb") as file:
        file.write(data)
    return digraph


# --- drawing a compiled plan --------------------------------------------------------

FUSED_FILL = "#f9cb9c"  # a step that runs several graph ops in one kernel
REWRITTEN_FILL = "#fff2cc"  # a step whose op a pass changed (a MatMul with a folded transpose)
REMOVED_CLUSTER = {"label": "removed by the passes", "style": "dashed,rounded", "color": "#999999",
                   "fontcolor": "#666666"}


def removed_ops(explanation) -> dict[Operation, str]:
    """{graph op: the pass that removed it} over the stages of an ``mg.passes.explain``
    (a folded op became a constant, a merged or fused one lives on in another step)."""
    def ops_of(program) -> set:
        return {op for node in program.nodes for op in node.ops}

    removed, present = {}, ops_of(explanation.before)
    for name, program in explanation.stages:
        now = ops_of(program)
        for op in present - now:
            removed[op] = name
        present = now
    return removed


def draw_plan(explanation, rankdir: str = "TB") -> graphviz.Digraph:
    """The plan a session runs after its passes (``mg.passes.explain(fetches, feeds)``):
    one numbered box per step, in order; orange for a fused step, yellow for one a pass
    rewrote; ellipses for fed values, grey boxes for constants (folded ones say so),
    cylinders for variables; dashed arrows for "run after". The ops the passes removed
    sit apart, each with the pass that removed it. Pass a Program to draw it alone."""
    program = getattr(explanation, "after", explanation)
    digraph = graphviz.Digraph(name="plan", graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
                               node_attr={"fontname": "Helvetica", "fontsize": "11"},
                               edge_attr={"fontname": "Helvetica", "fontsize": "9"})
    names: dict = {}  # a step or a source -> its node id in the drawing

    def source_id(source) -> str:
        if source not in names:
            names[source] = f"source{len(names)}"
            kind = type(source).__name__
            label = html.escape(source.describe())
            if kind == "Feed":
                digraph.node(names[source], f"<{label}>", shape="ellipse", style="filled",
                             fillcolor=NODE_LOOKS["placeholder"][2])
            elif kind == "VariableHandle":
                digraph.node(names[source], f"<{html.escape(source.storage.name)}>", shape="cylinder",
                             style="filled", fillcolor=NODE_LOOKS["variable"][2])
            else:
                digraph.node(names[source], f"<{label}<br/>{html.escape(format_value(source.value))}>",
                             shape="box", style="filled", fillcolor=NODE_LOOKS["constant"][2])
        return names[source]

    for number, node in enumerate(program.nodes, 1):
        names[node] = f"step{number}"
        fill = FUSED_FILL if node.fused else REWRITTEN_FILL if node.note else NODE_LOOKS["op"][2]
        rows = [f"<b>{number}. {html.escape(node.type_name)}</b>", html.escape(node.name)]
        if node.note:
            rows.append(f'<font point-size="9">{html.escape(node.note)}</font>')
        digraph.node(names[node], "<" + "<br/>".join(rows) + ">", shape="box", style="filled,rounded",
                     fillcolor=fill)
    for node in program.nodes:
        for source in node.arguments:
            digraph.edge(names[source] if isinstance(source, Node) else source_id(source), names[node])
        for waited in node.after:
            if waited in names:
                digraph.edge(names[waited], names[node], **CONTROL_EDGE)

    if hasattr(explanation, "stages"):
        removed = graphviz.Digraph(name="cluster_removed", graph_attr=REMOVED_CLUSTER)
        for op, by in sorted(removed_ops(explanation).items(), key=lambda item: item[0].index):
            removed.node(f"removed_{op.name}", f"<{html.escape(op.name)}<br/>"
                         f'<font point-size="9">{html.escape(op.type_name)}: {html.escape(by)}</font>>',
                         shape="box", style="dashed,rounded", color="#999999", fontcolor="#666666")
        if removed.body:
            digraph.subgraph(removed)
    return digraph
