"""``Sequential``: a stack of layers, built on the functional machinery.

``Sequential([Dense(128, input_shape=(60,)), Activation('relu'), Dense(10)])`` is a
functional model made for you. Once the input shape is known (the first layer's
``input_shape``, an ``Input`` first, or the first x given to ``fit``), an InputLayer
named '{first layer}_input' makes the placeholder, each layer is called on the output
of the one before, and the chain is traced as any Model's graph of layers
(functional.py). ``add`` calls one more layer on the last output; ``pop`` ends the
model where its last layer began. ``model.layers`` leaves the InputLayer out, as in
Keras.

Building is all or nothing: a layer that cannot be built on the shape leaves the
model as it was (unbuilt, or without that layer), so a later call can still build it.
"""

from __future__ import annotations

import minigraph as mg
from minigraph.keras import backend as K
from minigraph.keras.data_checks import as_array
from minigraph.keras.functional import jsonable, layer_from_config
from minigraph.keras.layers import InputLayer, Layer
from minigraph.keras.layers.base import history_of
from minigraph.keras.models import Model
from minigraph.shapes import format_shape


class Sequential(Model):
    """Layers applied one after the other: Sequential([Dense(128), Activation('relu'), ...])."""

    default_name = "sequential"
    builds_itself = True

    def __init__(self, layers=None, name: str | None = None):
        super().__init__(name=name)
        self._nest_inputs = self._nest_outputs = False
        self._input_layer: InputLayer | None = None
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list[Layer]:
        return [layer for layer in self._layers if layer is not self._input_layer]

    # --- building -------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        """Appends a layer (an Input first declares the input shape). A layer that cannot
        be added (its build fails on the current output) leaves the model as it was."""
        if isinstance(layer, mg.Tensor) and isinstance(getattr(history_of(layer), "layer", None), InputLayer):
            layer = history_of(layer).layer  # Input(shape=...) is its layer's placeholder
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError(f"Input {layer.name} must come first in Sequential model {self.name}")
            self._input_layer = layer
            self._layers = [layer]
            self._connect_graph([layer.output], [layer.output])
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add() takes a Layer, got {layer!r}")
        if layer.built or any(layer is other for other in self._layers):
            raise ValueError(f"Layer {layer.name} is already part of a model; make a new layer")
        self._layers.append(layer)
        try:
            if self.outputs is not None:
                self._call_layers(self.inputs, self.outputs[0], [layer])
            elif len(self._layers) == 1 and layer.declared_input_shape is not None:
                self.build((layer.declared_batch_size,) + layer.declared_input_shape)
        except Exception:
            self._layers.pop()
            layer.reset()
            raise
        self._training_graph = None  # the loss must be rebuilt on the new output
        if self._compiled is not None and self.outputs is not None:
            self._build_training_graph()

    def pop(self) -> None:
        """Removes the last layer: the model ends where that layer began (Keras 2's, to put
        a new head on a trained network)."""
        layers = self.layers
        if not layers:
            raise TypeError(f"pop(): there are no layers in model {self.name}")
        last = layers[-1]
        self._layers = [layer for layer in self._layers if layer is not last]
        if self.inputs is not None:
            (node,) = [node for node in last.inbound_nodes if node in self._layer_graph.node_depths]
            self._connect_graph(self.inputs, node.input_tensors)
        self._training_graph = None
        self._steps = {}
        if self._compiled is not None and self.outputs is not None:
            self._build_training_graph()

    def build(self, input_shape) -> None:
        """Makes the Input for `input_shape` and calls every layer in turn.

        All or nothing: if a layer cannot be built on that shape, the model is left
        unbuilt, with every layer unbuilt, so a later call with the right shape builds
        it, rather than finding a model with no weights."""
        if self.inputs is not None:
            raise ValueError(f"Model {self.name} is already built with input shape {format_shape(self.input_shape)}")
        input_shape = tuple(input_shape)
        # the inputs take the first layer's dtype (floatx when it was made), as in Keras
        dtype = self._layers[0].dtype if self._layers else K.floatx()
        first = self._layers[0].name if self._layers else self.name
        self._input_layer = InputLayer(batch_input_shape=input_shape, dtype=dtype, name=f"{first}_input")
        layers = list(self._layers)
        self._layers = [self._input_layer] + layers
        try:
            self._call_layers([self._input_layer.output], self._input_layer.output, layers)
        except Exception:
            for layer in layers:
                layer.reset()
            self._layers, self._input_layer = layers, None
            self.inputs = self.outputs = None
            raise

    def _call_layers(self, inputs: list, output, layers: list) -> None:
        """Calls `layers` one after the other from `output`, then traces the new graph."""
        for layer in layers:
            output = layer(output)
        self._connect_graph(inputs, [output])

    def _connect_graph(self, inputs, outputs) -> None:
        super()._connect_graph(inputs, outputs)
        self._nest_inputs = self._nest_outputs = False  # one input, one output: never lists
        # the traced order is the order added (a chain); keep the user's list as it is
        self._layers = [self._input_layer] + [layer for layer in self._layer_graph.layers
                                              if layer is not self._input_layer]

    def _require_built_from(self, x, where: str) -> None:
        if self.inputs is None and x is not None and self._layers:
            x = as_array(x, "x", where)
            try:
                self.build((None,) + x.shape[1:])
            except ValueError as error:
                raise ValueError(f"{where}: model {self.name} cannot be built for x of shape {x.shape}: "
                                 f"{error}") from error

    def get_config(self) -> dict:
        """{'name': ..., 'layers': [InputLayer's config, then each layer's]} as Keras 2 writes it."""
        layers = ([{"class_name": "InputLayer", "config": self._input_layer.get_config()}]
                  if self._input_layer is not None else [])
        layers += [{"class_name": type(layer).__name__, "config": jsonable(layer.get_config())}
                   for layer in self.layers]
        return {"name": self.name, "layers": jsonable(layers)}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Sequential":
        model = cls(name=config.get("name"))
        for entry in config["layers"]:
            model.add(layer_from_config(entry, custom_objects))
        return model
