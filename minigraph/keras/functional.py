"""The functional API: how a graph of layers becomes a model.

Calling a layer adds its ops to the graph at once, so after

    inputs = Input(shape=(60,))                        # a placeholder
    hidden = Dense(128, activation="relu")(inputs)     # dense/MatMul, dense/BiasAdd, dense/Relu
    outputs = Dense(10, activation="softmax")(hidden)
    model = Model(inputs, outputs)

the graph of *ops* that computes ``outputs`` from ``inputs`` already exists: running
the model is feeding the placeholder and fetching the output tensor. What ``Model``
still needs is the graph of *layers* on top of it, to list its layers, count its
weights, print its summary, draw it and save its architecture.

Every layer call left a ``Node`` (layer.inbound_nodes) and marked each output tensor
with its ``KerasHistory`` (layer, node index, tensor index): see layers/base.py. So
``trace`` starts at the model's output tensors and walks back, node by node, to the
Input placeholders (an explicit stack, no recursion). It returns the nodes in an order
where every node comes after the nodes that feed it, and each node's *depth*: 0 for
the nodes that make the outputs, one more than the deepest node it feeds. Layers are
listed deepest first (the inputs), as Keras lists them.

``get_config`` writes that graph as data: each layer's config plus, for each of its
calls, where its inputs came from (``[["dense", 0, 0, {}]]``: output 0 of call 0 of
layer 'dense'). ``from_config`` makes the layers again and calls them in the same
order on the same connections, which builds the same graph of ops.
"""

from __future__ import annotations

from dataclasses import dataclass

from minigraph.graph import Tensor
from minigraph.keras.layers.base import InputLayer, Layer, Node, history_of


@dataclass
class LayerGraph:
    """The layers between a model's inputs and outputs, and how they connect."""

    nodes: list[Node]  # every call, each after the calls that feed it
    node_depths: dict[Node, int]
    layers: list[Layer]  # deepest first (the InputLayers), then in the order they were first called
    layer_depths: dict[Layer, int]

    def node_index(self, node: Node) -> int:
        """The node's index among the calls of its layer that belong to this graph."""
        return [n for n in node.layer.inbound_nodes if n in self.node_depths].index(node)


def check_inputs(inputs: list) -> None:
    for tensor in inputs:
        history = history_of(tensor)
        if not isinstance(tensor, Tensor) or history is None or not isinstance(history.layer, InputLayer):
            raise ValueError(f"The inputs of a functional Model must be tensors made by Input(shape=...), "
                             f"got {tensor!r}")


def check_outputs(outputs: list) -> None:
    for tensor in outputs:
        if not isinstance(tensor, Tensor) or history_of(tensor) is None:
            raise ValueError(f"The outputs of a functional Model must be tensors returned by a layer "
                             f"(a layer called on the Input tensors), got {tensor!r}")


def trace(inputs: list[Tensor], outputs: list[Tensor]) -> LayerGraph:
    """Walks back from `outputs` to `inputs` through the layers' nodes (see the module
    docstring); refuses a graph where an output needs an input the model was not given."""
    check_inputs(inputs)
    check_outputs(outputs)
    ordered = post_order([history_of(t).layer.inbound_nodes[history_of(t).node_index] for t in outputs])
    given = {id(t) for t in inputs}
    for node in ordered:
        if isinstance(node.layer, InputLayer) and id(node.output_tensors[0]) not in given:
            needed_by = [n.layer.name for n in ordered if node in n.parent_nodes]
            raise ValueError(f"Graph disconnected: cannot obtain value for tensor {node.output_tensors[0]!r} "
                             f"(Input {node.layer.name}, needed by layer {needed_by}): "
                             f"add it to the model's inputs")

    for node in ordered:
        strays = [t for t in node.input_tensors if history_of(t) is None]
        if strays:
            raise ValueError(f"Layer {node.layer.name} was called on {strays[0]!r}, which no layer made (an op "
                             "applied to a layer's output outside any layer?); a functional model is made of "
                             "layers only: wrap the op in a Lambda layer")
    names = [layer.name for layer in dict.fromkeys(node.layer for node in ordered)]
    doubles = sorted({name for name in names if names.count(name) > 1})
    if doubles:
        raise ValueError(f"All layer names should be unique: the model has several layers named {doubles}")

    # depth: 0 for the nodes that make the outputs, one more than the deepest node each feeds
    node_depths: dict[Node, int] = {}
    for node in reversed(ordered):  # consumers before the nodes that feed them
        depth = node_depths.setdefault(node, 0)
        for parent in node.parent_nodes:
            node_depths[parent] = max(node_depths.get(parent, 0), depth + 1)
    layer_depths: dict[Layer, int] = {}
    first_seen: dict[Layer, int] = {}
    for index, node in enumerate(ordered):
        layer_depths[node.layer] = max(layer_depths.get(node.layer, 0), node_depths[node])
        first_seen.setdefault(node.layer, index)
    layers = sorted(first_seen, key=lambda layer: (-layer_depths[layer], first_seen[layer]))
    nodes = sorted(ordered, key=lambda node: -node_depths[node])  # stable: ties keep the walk's order
    return LayerGraph(nodes, node_depths, layers, layer_depths)


def post_order(last_nodes: list[Node]) -> list[Node]:
    """Every node `last_nodes` depend on, each after the nodes that feed it (a depth-first
    walk with an explicit stack, so a chain of thousands of layers is no problem)."""
    ordered: list[Node] = []
    done: set[int] = set()
    for last in last_nodes:
        stack = [(last, False)]
        while stack:
            node, parents_done = stack.pop()
            if id(node) in done:
                continue
            if parents_done:
                done.add(id(node))
                ordered.append(node)
                continue
            stack.append((node, True))
            for parent in reversed(node.parent_nodes):  # the first input is walked first
                if id(parent) not in done:
                    stack.append((parent, False))
    return ordered


# --- the architecture as data ------------------------------------------------------


def inbound_spec(graph: LayerGraph, node: Node) -> list:
    """[[layer name, node index, tensor index, call kwargs], ...] for each input of `node`."""
    spec = []
    for tensor in node.input_tensors:
        history = history_of(tensor)
        parent = history.layer.inbound_nodes[history.node_index]
        spec.append([history.layer.name, graph.node_index(parent), history.tensor_index, dict(node.arguments)])
    return spec


def tensor_spec(graph: LayerGraph, tensor: Tensor) -> list:
    history = history_of(tensor)
    return [history.layer.name, graph.node_index(history.layer.inbound_nodes[history.node_index]),
            history.tensor_index]


def layer_entry(graph: LayerGraph, layer: Layer) -> dict:
    return {"class_name": type(layer).__name__, "config": jsonable(layer.get_config()), "name": layer.name,
            "inbound_nodes": [inbound_spec(graph, node) for node in layer.inbound_nodes
                              if node in graph.node_depths and not isinstance(layer, InputLayer)]}


def functional_config(name: str, graph: LayerGraph, inputs: list, outputs: list) -> dict:
    """The model's architecture as JSON-able data (Keras 2's layout)."""
    return {"name": name,
            "layers": [layer_entry(graph, layer) for layer in graph.layers],
            "input_layers": [tensor_spec(graph, t) for t in inputs],
            "output_layers": [tensor_spec(graph, t) for t in outputs]}


def jsonable(value):
    """Tuples as lists, numpy scalars as Python numbers: what json.dumps takes."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return value.item()
    return value


def layer_class(class_name: str, custom_objects: dict | None):
    from minigraph.keras import layers  # every layer class, B's included, by its Keras name

    found = (custom_objects or {}).get(class_name) or getattr(layers, class_name, None)
    if not (isinstance(found, type) and issubclass(found, Layer)):
        raise ValueError(f"Unknown layer class {class_name!r} in the model config; pass custom "
                         f"layers as custom_objects={{{class_name!r}: {class_name}}}")
    return found


def layer_from_config(entry: dict, custom_objects: dict | None = None) -> Layer:
    """A layer from its {'class_name': ..., 'config': ...} entry."""
    return layer_class(entry["class_name"], custom_objects).from_config(dict(entry["config"]))


def rebuild(config: dict, custom_objects: dict | None = None) -> tuple[list, list, list]:
    """Makes the layers of a functional config and calls them on the same connections,
    in the current default graph. Returns (inputs, outputs, layers)."""
    layers = {entry["name"]: layer_from_config(entry, custom_objects) for entry in config["layers"]}
    pending = [(layers[entry["name"]], spec) for entry in config["layers"] for spec in entry["inbound_nodes"]]

    def tensor(name: str, node_index: int, tensor_index: int) -> Tensor | None:
        nodes = layers[name].inbound_nodes
        return nodes[node_index].output_tensors[tensor_index] if node_index < len(nodes) else None

    # a call can be made once the calls that feed it are made; each pass makes at least one
    while pending:
        waiting = []
        for layer, spec in pending:
            args = [tensor(name, node_index, tensor_index) for name, node_index, tensor_index, *_ in spec]
            earlier_calls_pending = any(other is layer for other, _ in waiting)
            if any(arg is None for arg in args) or earlier_calls_pending:
                waiting.append((layer, spec))
                continue
            kwargs = spec[0][3] if spec and len(spec[0]) > 3 else {}
            layer(args if len(args) > 1 else args[0], **kwargs)
        if len(waiting) == len(pending):
            names = sorted({layer.name for layer, _ in waiting})
            raise ValueError(f"The model config cannot be rebuilt: layers {names} wait for inputs no layer makes")
        pending = waiting
    inputs = [tensor(*spec) for spec in config["input_layers"]]
    outputs = [tensor(*spec) for spec in config["output_layers"]]
    return inputs, outputs, list(layers.values())


def is_sequential_like(graph: LayerGraph) -> bool:
    """A chain: one node at each depth, each with one input, no layer called twice
    (summary() then leaves out the 'Connected to' column, as Keras does)."""
    by_depth: dict[int, list[Node]] = {}
    for node, depth in graph.node_depths.items():
        by_depth.setdefault(depth, []).append(node)
    if any(len(nodes) > 1 or len(nodes[0].input_tensors) > 1 for nodes in by_depth.values()):
        return False
    return len({node.layer for node in graph.nodes}) == len(graph.nodes)


def connections(graph: LayerGraph, layer: Layer) -> list[str]:
    """['dense[0][0]', ...]: where each input of each of the layer's calls came from."""
    return [f"{name}[{node_index}][{tensor_index}]"
            for node in layer.inbound_nodes if node in graph.node_depths
            for name, node_index, tensor_index, _ in inbound_spec(graph, node)]
