"""``plot_model(model)``: a picture of a Keras-style model, one box per layer.

``mg.viz.draw`` shows every operation of the graph; a model is easier to read one
level up, as Keras draws it: a box per layer with its name, its class and, with
``show_shapes``, the shapes that go in and come out::

    dense_input (InputLayer) | input: (None, 60) | output: (None, 60)
                      │
    dense (Dense)            | input: (None, 60) | output: (None, 128)
                      │
    ...

As in ``viz``, the picture is data first: a ``graphviz.Digraph`` is built from the
model's layers, written to ``to_file`` only when one is named (its extension picks
the format: .png, .svg, .pdf or .dot), and shown inline when it is the last line of
a Jupyter cell.
"""

from __future__ import annotations

import html

import graphviz

from minigraph import viz
from minigraph.graph import Tensor
from minigraph.keras.layers import InputLayer
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


def _boxes(model) -> list[tuple]:
    """(name, class name, input shape, output shape) per box, an InputLayer box first."""
    layers = list(model.layers)
    boxes = []
    if layers and not isinstance(layers[0], InputLayer):
        # A Sequential model's input is a placeholder that Keras 2 draws as an InputLayer
        # named "<first layer>_input"; a built model has that placeholder in `inputs`.
        inputs = getattr(model, "inputs", None)
        name = inputs.op.name if isinstance(inputs, Tensor) else f"{layers[0].name}_input"
        shape = getattr(layers[0], "input_shape", None)
        boxes.append((name, "InputLayer", shape, shape))
    for layer in layers:
        boxes.append((layer.name, type(layer).__name__,
                      getattr(layer, "input_shape", None), getattr(layer, "output_shape", None)))
    return boxes


def model_to_dot(model, show_shapes: bool = True, show_layer_names: bool = True,
                 rankdir: str = "TB", dpi: int = 96) -> graphviz.Digraph:
    """The model as a graphviz.Digraph: one box per layer, in order, top to bottom."""
    digraph = graphviz.Digraph(name=getattr(model, "name", "model"),
                               graph_attr={"rankdir": rankdir, "dpi": str(dpi)},
                               node_attr={"shape": "plaintext", "fontname": "Helvetica", "fontsize": "11"})
    previous = None
    for name, class_name, input_shape, output_shape in _boxes(model):
        digraph.node(name, layer_label(name, class_name, input_shape, output_shape, show_shapes, show_layer_names))
        if previous is not None:
            digraph.edge(previous, name)
        previous = name
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
