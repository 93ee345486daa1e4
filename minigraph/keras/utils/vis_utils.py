"""``plot_model(model)``: a picture of a Keras-style model, one box per layer.

``mg.viz.draw`` shows every operation of the graph; a model is easier to read one
level up, as Keras draws it: a box per layer with its name, its class and, with
``show_shapes``, the shapes that go in and come out::

    dense_input (InputLayer) | input: (None, 60) | output: (None, 60)
                      │
    dense (Dense)            | input: (None, 60) | output: (None, 128)
                      │
    ...

A functional model is drawn as the graph of layers it is: an arrow from each layer to
each layer that takes its output (two Inputs into a Concatenate, a layer called twice
pointing at itself).

As in ``viz``, the picture is data first: a ``graphviz.Digraph`` is built from the
model's layers, written to ``to_file`` only when one is named (its extension picks
the format: .png, .svg, .pdf or .dot), and shown inline when it is the last line of
a Jupyter cell.
"""

from __future__ import annotations

import html

import graphviz

from minigraph import viz
from minigraph.shapes import format_shape


def _shape_text(shape) -> str:
    """(None, 60) -> '(None, 60)'; a list of shapes (several inputs) -> '[(...), (...)]'."""
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_text(s) for s in shape) + "]"
    return format_shape(tuple(shape))


def layer_label(name: str, class_name: str, input_shape, output_shape,
                show_shapes: bool = True, show_layer_names: bool = True) -> str:
    """The HTML-like table Keras draws for a layer: title row, then input and output shapes."""
    title = f"{name} ({class_name})" if show_layer_names else class_name
    colour = "#cfe2f3" if class_name == "InputLayer" else "#d9ead3"  # viz's placeholder and op colours
    rows = [f'<tr><td colspan="2" bgcolor="{colour}"><b>{html.escape(title)}</b></td></tr>']
    if show_shapes:
        for what, shape in (("input:", input_shape), ("output:", output_shape)):
            rows.append(f'<tr><td align="left">{what}</td><td>{html.escape(_shape_text(shape))}</td></tr>')
    return '<<table border="0" cellborder="1" cellspacing="0" cellpadding="4">' + "".join(rows) + "</table>>"


def drawn_layers(model) -> list:
    """The layers drawn: a Sequential model's InputLayer (left out of model.layers) first."""
    input_layer = getattr(model, "_input_layer", None)
    return ([input_layer] if input_layer is not None else []) + list(model.layers)


def edges(model, layers: list) -> list[tuple[str, str]]:
    """(from layer, to layer) for each input of each call inside the model; an unbuilt
    Sequential model is drawn as the chain it will be."""
    graph = getattr(model, "_layer_graph", None)
    if graph is None:
        return [(a.name, b.name) for a, b in zip(layers, layers[1:])]
    return [(parent.layer.name, layer.name) for layer in layers for node in layer.inbound_nodes
            if node in graph.node_depths for parent in node.parent_nodes]


def model_to_dot(model, show_shapes: bool = True, show_layer_names: bool = True,
                 rankdir: str = "TB", dpi: int = 96) -> graphviz.Digraph:
    """The model as a graphviz.Digraph: one box per layer, an arrow per connection."""
    digraph = graphviz.Digraph(name=getattr(model, "name", "model"),
                               graph_attr={"rankdir": rankdir, "dpi": str(dpi)},
                               node_attr={"shape": "plaintext", "fontname": "Helvetica", "fontsize": "11"})
    layers = drawn_layers(model)
    for layer in layers:
        label = layer_label(layer.name, type(layer).__name__, layer.input_shape, layer.output_shape,
                            show_shapes, show_layer_names)
        digraph.node(layer.name, label)
    for tail, head in edges(model, layers):
        digraph.edge(tail, head)
    return digraph


def plot_model(model, to_file: str | None = None, show_shapes: bool = True,
               show_layer_names: bool = True, rankdir: str = "TB", dpi: int = 96) -> graphviz.Digraph:
    """Draws `model` layer by layer; writes `to_file` (format from its extension) if given.

    Returns the graphviz.Digraph, which Jupyter shows inline.
    """
    digraph = model_to_dot(model, show_shapes, show_layer_names, rankdir, dpi)
    if to_file is not None:
        viz.save(digraph, to_file)
    return digraph
