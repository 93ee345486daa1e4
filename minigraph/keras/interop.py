"""A model moved between minigraph and Keras 3: ``model.to_keras()`` and ``from_keras``.

A Keras model is its layers, how they connect, and their weights. The layers
minigraph has take the same arguments under the same names in Keras (``Dense(units,
activation, use_bias)``, ``Conv2D(filters, kernel_size, strides, padding)``...), so a
layer moves as its class name and those arguments (``LAYER_ARGUMENTS``), its weights
as arrays in the order both libraries keep them (kernel, then bias):

    keras_model = model.to_keras()          # predicts what `model` predicts
    keras_model.compile(...); keras_model.fit(...)   # and trains on, in Keras
    model = from_keras(keras_model)         # and back

A Sequential model becomes a ``keras.Sequential``; a functional one is called again,
node by node in the order minigraph traced it (functional.py), on Keras tensors. The
other way, a Keras functional model's connections are read from its ``get_config()``.
A layer minigraph lacks (or a Keras layer with no minigraph counterpart) is refused by
name: nothing is approximated.
"""

from __future__ import annotations

import minigraph as mg
from minigraph.keras import layers as mg_layers
from minigraph.keras.layers.base import InputLayer, as_list, unpack
from minigraph.keras.layers.merge import Merge

# each layer both libraries have, and the constructor arguments it moves with
LAYER_ARGUMENTS = {
    "Dense": ("units", "activation", "use_bias"),
    "Activation": ("activation",),
    "Conv2D": ("filters", "kernel_size", "strides", "padding", "activation", "use_bias"),
    "MaxPooling2D": ("pool_size", "strides", "padding"),
    "AveragePooling2D": ("pool_size", "strides", "padding"),
    "Flatten": (),
    "Reshape": ("target_shape",),
    "Dropout": ("rate", "noise_shape", "seed"),
    "ReLU": ("max_value", "negative_slope", "threshold"),
    "LeakyReLU": ("negative_slope",),
    "ELU": ("alpha",),
    "Softmax": ("axis",),
    "Add": (), "Subtract": (), "Multiply": (), "Average": (), "Maximum": (), "Minimum": (),
    "Concatenate": ("axis",),
}  # fmt: skip


def _arguments(layer, destination: str) -> dict:
    """The constructor arguments `layer` moves to `destination` with; a layer that cannot move is refused."""
    kind = type(layer).__name__
    if kind not in LAYER_ARGUMENTS:
        raise ValueError(f"Layer '{layer.name}' ({kind}) has no counterpart in {destination}'s move: the layers "
                         f"that move are {', '.join(LAYER_ARGUMENTS)}")
    config = layer.get_config()
    return {key: config[key] for key in LAYER_ARGUMENTS[kind] if key in config}


# --- minigraph -> Keras -------------------------------------------------------------------


def to_keras(model):
    """A Keras 3 model with `model`'s layers, connections and weights."""
    import keras

    from minigraph.keras.models import Sequential

    session = model.session
    made: dict = {}  # minigraph layer -> its Keras twin

    def twin(layer):
        if layer not in made:
            arguments = _arguments(layer, "Keras")
            made[layer] = getattr(keras.layers, type(layer).__name__)(name=layer.name, **arguments)
        return made[layer]

    if isinstance(model, Sequential):
        keras_model = keras.Sequential([keras.Input(shape=model.input_shape[1:], dtype=model.input.dtype.name)]
                                       + [twin(layer) for layer in model.layers], name=model.name)
    else:
        tensors: dict[int, object] = {}  # id(minigraph tensor) -> Keras tensor
        for node in model._layer_graph.nodes:
            layer = node.layer
            if isinstance(layer, InputLayer):
                tensor = node.output_tensors[0]
                tensors[id(tensor)] = keras.Input(shape=tensor.shape[1:], dtype=tensor.dtype.name, name=layer.name)
                continue
            inputs = [tensors[id(t)] for t in node.input_tensors]
            outputs = twin(layer)(inputs if isinstance(layer, Merge) else unpack(inputs))
            for tensor, keras_tensor in zip(node.output_tensors, as_list(outputs)):
                tensors[id(tensor)] = keras_tensor
        keras_model = keras.Model([tensors[id(t)] for t in model.inputs],
                                  unpack([tensors[id(t)] for t in model.outputs]), name=model.name)
    for layer, keras_layer in made.items():
        keras_layer.set_weights(session.run(list(layer.weights)) if layer.weights else [])
    return keras_model


# --- Keras -> minigraph -------------------------------------------------------------------


def _from_keras_layer(keras_layer):
    arguments = _arguments(keras_layer, "minigraph")
    return getattr(mg_layers, type(keras_layer).__name__)(name=keras_layer.name, **arguments)


def _history(argument) -> tuple:
    """(layer name, node index, tensor index) of a Keras 3 config's tensor argument."""
    return tuple(argument["config"]["keras_history"])


def from_keras(keras_model):
    """The minigraph model of a Keras 3 model made of the layers minigraph has (Sequential
    or functional), with its weights: it predicts what `keras_model` predicts."""
    import keras

    from minigraph.keras.models import Model, Sequential

    made: dict = {}  # Keras layer -> its minigraph twin
    if isinstance(keras_model, keras.Sequential):
        for keras_layer in keras_model.layers:
            made[keras_layer] = _from_keras_layer(keras_layer)
        model = Sequential([mg_layers.Input(shape=keras_model.input_shape[1:])] + list(made.values()),
                           name=keras_model.name)
    else:
        config = keras_model.get_config()
        tensors: dict[tuple, mg.Tensor] = {}
        for entry in config["layers"]:
            keras_layer = keras_model.get_layer(entry["name"])
            if entry["class_name"] == "InputLayer":
                tensors[(entry["name"], 0, 0)] = mg_layers.Input(shape=keras_layer.batch_shape[1:], name=entry["name"])
                continue
            layer = made.setdefault(keras_layer, _from_keras_layer(keras_layer))
            for index, node in enumerate(entry["inbound_nodes"]):
                first = node["args"][0]
                inputs = [tensors[_history(a)] for a in (first if isinstance(first, list) else [first])]
                outputs = layer(inputs if isinstance(first, list) else inputs[0])
                for position, tensor in enumerate(as_list(outputs)):
                    tensors[(entry["name"], index, position)] = tensor

        def ends(key):
            specs = config[key]
            specs = [specs] if specs and not isinstance(specs[0], list) else specs
            return unpack([tensors[tuple(spec)] for spec in specs])

        model = Model(ends("input_layers"), ends("output_layers"), name=keras_model.name)
    for keras_layer, layer in made.items():
        values = keras_layer.get_weights()
        if len(values) != len(layer.weights):
            raise ValueError(f"Layer '{layer.name}': Keras holds {len(values)} weights, minigraph's layer "
                             f"{len(layer.weights)}")
        for variable, value in zip(layer.weights, values):
            variable.load(value, model.session)
    return model
