"""``model.summary()``: the table of layers Keras 2 prints, as the worksheet shows it.

    _________________________________________________________________
    Layer (type)                 Output Shape              Param #
    =================================================================
    dense_7 (Dense)              (None, 128)               7808
    _________________________________________________________________
    activation_7 (Activation)    (None, 128)               0
    ...
    Total params: 9,098

A functional model that is not a plain chain gets a fourth column, "Connected to":
where each input of each of the layer's calls came from, as ``layer[call][output]``.
The first connection shares the layer's line; each further one gets a line of its
own, under it::

    concatenate_1 (Concatenate)     (None, 10)           0           dense_1[0][0]
                                                                     dense_2[0][0]

Each column ends at a fixed fraction of the line (Keras 2's positions); a cell too
long for its column is cut, leaving one space before the next column.

This is the layout of the worksheet's Keras (2.2, standalone, as "Using TensorFlow
backend." says). tf-keras 2.21 later changed it: a leading space, wrapped cells,
blank lines between layers and the weights' size in bytes. The contents (names,
shapes, counts, connections) are the same.
"""

from __future__ import annotations

import numpy as np

from minigraph.keras.functional import connections, is_sequential_like
from minigraph.keras.layers.base import Layer


def table_row(cells: list, stops: list[int]) -> str:
    """The cells, each cut to end one space before the next column's start."""
    line = ""
    for cell, stop in zip(cells, stops):
        line = (line + str(cell))[: stop - 1].ljust(stop)
    return line.rstrip()


def shape_text(layer: Layer, nodes) -> str:
    """'(None, 10)'; 'multiple' for a layer whose calls gave different shapes."""
    shapes = {repr(node_shape(node)) for node in layer.inbound_nodes if node in nodes}
    if len(shapes) != 1:
        return "multiple"
    return str(node_shape(next(node for node in layer.inbound_nodes if node in nodes)))


def node_shape(node):
    shapes = [tuple(tensor.shape) if tensor.shape is not None else None for tensor in node.output_tensors]
    return shapes[0] if len(shapes) == 1 else shapes


def print_summary(model, line_length: int | None = None, positions=None, print_fn=None) -> None:
    """Prints `model`'s table (see the module docstring)."""
    print_fn = print_fn or print
    graph = model._layer_graph
    chain = type(model).__name__ == "Sequential" or is_sequential_like(graph)
    if chain:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.33, 0.55, 0.67, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    stops = [int(line_length * p) for p in positions] if positions[-1] <= 1 else list(positions)

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    print_fn(table_row(header, stops))
    print_fn("=" * line_length)
    nodes = graph.node_depths
    for i, layer in enumerate(model.layers):
        cells = [f"{layer.name} ({type(layer).__name__})", shape_text(layer, nodes), layer.count_params()]
        if chain:
            print_fn(table_row(cells, stops))
        else:
            sources = connections(graph, layer) or [""]
            print_fn(table_row(cells + sources[:1], stops))
            for source in sources[1:]:
                print_fn(table_row(["", "", "", source], stops))
        print_fn(("=" if i == len(model.layers) - 1 else "_") * line_length)
    count = sum(int(np.prod(w.shape)) for w in model.weights)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    print_fn(f"Total params: {count:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {count - trainable:,}")
    print_fn("_" * line_length)
