"""Layers: reusable pieces of graph that own their weights, and remember where they were used.

A layer is split in two, as in Keras:

- ``build(input_shape)`` creates the weights once the input's shape is known
  (a Dense layer needs the number of input features to shape its kernel);
- ``call(inputs)`` adds the layer's ops to the graph and returns its output tensor.

``layer(x)`` does both: it builds on first use, then calls, inside a name scope, so a
Dense layer's nodes are named ``dense/MatMul``, ``dense/kernel``... A layer that joins
several tensors (Concatenate) is called on a list, ``layer([a, b])``: ``build`` then
gets a list of shapes and ``call`` the list of tensors.

Each call is also *recorded*, as Keras records it, in a ``Node``: the tensors that went
in and the tensors that came out. Every output tensor carries a ``KerasHistory``
(which layer made it, in which call, which of its outputs it is). That is all a
functional model needs: from its output tensors it walks back, node by node, to its
``Input`` tensors, and finds every layer in between (see ``functional.py``).

Besides weights, a layer can hand the model two more things to use while training:
``add_loss(tensor)`` (a regularizer's penalty, added to the loss) and
``add_update(op)`` (BatchNormalization's moving averages, run with each step).
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

import minigraph as mg
from minigraph import dtypes
from minigraph.graph import Tensor
from minigraph.keras import backend as K
from minigraph.keras import initializers
from minigraph.shapes import format_shape, normalize_shape


def unique_layer_name(prefix: str) -> str:
    """'dense', then 'dense_1', 'dense_2'... (per session, as Keras names layers)."""
    uid = K.get_uid(prefix)
    return prefix if uid == 1 else f"{prefix}_{uid - 1}"


def snake_case(name: str) -> str:
    """'Dense' -> 'dense', 'InputLayer' -> 'input_layer', 'MaxPooling2D' -> 'max_pooling2d':
    how Keras turns classes into names (a capital after a digit starts no new word)."""
    words = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", words).lower()


class KerasHistory(NamedTuple):
    """Where a tensor came from: output `tensor_index` of call `node_index` of `layer`."""

    layer: "Layer"
    node_index: int
    tensor_index: int


def history_of(tensor) -> KerasHistory | None:
    """The KerasHistory of a tensor a layer made (or Input), None for any other tensor."""
    return getattr(tensor, "_keras_history", None)


class Node:
    """One call of a layer: ``outputs = layer(inputs, **arguments)``.

    The inputs' own histories link this node to the nodes that made them, so nodes form
    a graph of layers on top of the graph of ops."""

    def __init__(self, layer: "Layer", input_tensors: list, output_tensors: list, arguments: dict,
                 on_list: bool = False):
        self.layer = layer
        self.input_tensors = input_tensors
        self.output_tensors = output_tensors
        self.arguments = arguments  # keyword arguments of the call, e.g. training=True
        self.on_list = on_list  # called on a list (Concatenate), even of one tensor

    def call_again(self, input_tensors: list) -> list:
        """The same call on other tensors (a model applied to new inputs); its outputs as a list."""
        inputs = input_tensors if self.on_list else input_tensors[0]
        return as_list(self.layer(inputs, **self.arguments))

    @property
    def parent_nodes(self) -> list["Node"]:
        """The nodes whose outputs this node took as inputs."""
        histories = [history_of(t) for t in self.input_tensors]
        return [h.layer.inbound_nodes[h.node_index] for h in histories if h is not None]


def as_list(x) -> list:
    """A tensor or a list/tuple of tensors, as a list."""
    return list(x) if isinstance(x, (list, tuple)) else [x]


def unpack(items: list):
    """A one-item list as its item (a layer with one input has `input` a tensor, not a list)."""
    return items[0] if len(items) == 1 else items


class Layer:
    """Base class: weights, a name, a dtype, the build/call split, and the record of calls."""

    def __init__(self, name: str | None = None, input_shape=None, trainable: bool = True, dtype=None,
                 batch_input_shape=None, batch_size: int | None = None):
        self.name = name or unique_layer_name(snake_case(type(self).__name__))
        self.trainable = trainable
        self.dtype = mg.as_dtype(dtype or K.floatx())  # floatx when the layer is made, as in Keras
        if batch_input_shape is not None:  # what get_config writes: the batch size first
            batch_input_shape = normalize_shape(batch_input_shape, "batch_input_shape")
            batch_size, input_shape = batch_input_shape[0], batch_input_shape[1:]
        self.declared_input_shape = None if input_shape is None else normalize_shape(input_shape, "input_shape")
        self.declared_batch_size = batch_size
        self._weights: list[mg.Variable] = []
        self._losses: list[Tensor] = []
        self._updates: list = []
        self.inbound_nodes: list[Node] = []
        self.built = False
        self.input_shape: tuple | list | None = None  # with the batch dimension, e.g. (None, 60)
        self.output_shape: tuple | list | None = None

    # --- what subclasses define --------------------------------------------------
    def build(self, input_shape) -> None:
        """Creates the weights; `input_shape` is a tuple, or a list of them for a list of inputs."""
        self.built = True

    def call(self, inputs, **kwargs):
        raise NotImplementedError

    def get_config(self) -> dict:
        """The constructor's keyword arguments, JSON-able: ``type(layer).from_config(config)``
        makes the same layer (without its weights)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": dtypes.name(self.dtype)}
        if self.declared_input_shape is not None:
            config["batch_input_shape"] = (self.declared_batch_size,) + self.declared_input_shape
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(**config)

    # --- the machinery ------------------------------------------------------------
    def __call__(self, inputs, **kwargs):
        """Builds on the first call, then adds the layer's ops and records the call as a Node."""
        flat_inputs = as_list(inputs)
        for tensor in flat_inputs:
            if not isinstance(tensor, Tensor):
                raise TypeError(f"Layer {self.name} must be called on a tensor or a list of tensors, "
                                f"got {tensor!r}")
        graph = flat_inputs[0].graph
        if any(tensor.graph is not graph for tensor in flat_inputs):
            raise ValueError(f"Layer {self.name} was called on tensors of different graphs: "
                             f"{[tensor.name for tensor in flat_inputs]}")
        first_call = not self.built
        if not first_call and self._weights and self._weights[0].graph is not graph:
            raise ValueError(f"Layer {self.name} was built in another graph (another model); make a new layer")
        shapes = [tensor.shape for tensor in flat_inputs]
        input_shape = shapes if isinstance(inputs, (list, tuple)) else shapes[0]
        try:
            with graph.as_default(), graph.name_scope(self.name):
                if first_call:
                    self.build(input_shape)
                    self.built = True
                outputs = self.call(inputs, **kwargs)
                flat_outputs = [self._fresh(tensor, flat_inputs) for tensor in as_list(outputs)]
        except Exception:
            if first_call:  # a half-built layer would keep weights the next build duplicates
                self.reset()
            raise
        self._record(flat_inputs, flat_outputs, kwargs, isinstance(inputs, (list, tuple)))
        self.input_shape = input_shape
        output_shapes = [tensor.shape for tensor in flat_outputs]
        self.output_shape = output_shapes if isinstance(outputs, (list, tuple)) else output_shapes[0]
        return flat_outputs if isinstance(outputs, (list, tuple)) else flat_outputs[0]

    @staticmethod
    def _fresh(tensor: Tensor, inputs: list) -> Tensor:
        """`tensor`, or an Identity of it when it is an input or another layer's output
        (Activation('linear') returns its input): each tensor has one history, and
        overwriting an input's would make the graph of layers loop."""
        if any(tensor is x for x in inputs) or history_of(tensor) is not None:
            return mg.identity(tensor)
        return tensor

    def _record(self, inputs: list, outputs: list, arguments: dict, on_list: bool = False) -> None:
        node_index = len(self.inbound_nodes)
        self.inbound_nodes.append(Node(self, inputs, outputs, arguments, on_list))
        for tensor_index, tensor in enumerate(outputs):
            tensor._keras_history = KerasHistory(self, node_index, tensor_index)

    def reset(self) -> None:
        """Forgets the build: no weights, losses or updates, not built (after a failed
        build, or for a new model). The calls recorded so far are kept."""
        self._weights, self._losses, self._updates = [], [], []
        self.built = False
        self.input_shape = self.output_shape = None

    def add_weight(self, name: str, shape: tuple, initializer="glorot_uniform", trainable: bool = True,
                   dtype=None) -> mg.Variable:
        dtype = mg.as_dtype(dtype or self.dtype)
        value = initializers.get(initializer)(tuple(shape), dtype)
        variable = mg.Variable(value, name=name, trainable=trainable and self.trainable, dtype=dtype)
        self._weights.append(variable)
        return variable

    def add_loss(self, loss: Tensor) -> None:
        """A scalar the model adds to its loss (a regularizer's penalty on the kernel)."""
        self._losses.append(loss)

    def add_update(self, update) -> None:
        """An op the model runs with every training step (a moving average's assign)."""
        self._updates.extend(as_list(update))

    # --- what a model collects --------------------------------------------------------
    @property
    def trainable_weights(self) -> list[mg.Variable]:
        return [w for w in self._weights if w.trainable] if self.trainable else []

    @property
    def non_trainable_weights(self) -> list[mg.Variable]:
        trainable = self.trainable_weights
        return [w for w in self._weights if not any(w is t for t in trainable)]

    @property
    def weights(self) -> list[mg.Variable]:
        """Trainable weights first, then the others, as Keras lists them."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def losses(self) -> list[Tensor]:
        return list(self._losses)

    @property
    def updates(self) -> list:
        return list(self._updates)

    def count_params(self) -> int:
        return sum(int(np.prod(w.shape)) for w in self._weights)

    def get_weights(self) -> list[np.ndarray]:
        """The weights' values, in the order of ``weights``: Dense gives [kernel, bias]."""
        return get_values(self.weights)

    def set_weights(self, weights) -> None:
        """Sets every weight, in the order of ``weights``; all shapes are checked first."""
        set_values(self.weights, weights, f"layer {self.name}")

    # --- where the layer was called -------------------------------------------------
    def _only_node(self, what: str) -> Node:
        if not self.inbound_nodes:
            raise AttributeError(f"Layer {self.name} has not been called yet, so it has no {what}")
        if len(self.inbound_nodes) > 1:
            raise AttributeError(f"Layer {self.name} has been called {len(self.inbound_nodes)} times, so its "
                                 f"{what} is ill-defined; use get_{what}_at(node_index)")
        return self.inbound_nodes[0]

    @property
    def input(self):
        """The tensor (or list of tensors) the layer was called on."""
        return unpack(self._only_node("input").input_tensors)

    @property
    def output(self):
        """The tensor (or list of tensors) the layer's call returned."""
        return unpack(self._only_node("output").output_tensors)

    def get_input_at(self, node_index: int):
        return unpack(self.inbound_nodes[node_index].input_tensors)

    def get_output_at(self, node_index: int):
        return unpack(self.inbound_nodes[node_index].output_tensors)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def get_values(variables: list) -> list[np.ndarray]:
    """The variables' values in Keras's session, as new arrays the caller may change."""
    return [np.array(value) for value in K.batch_get_value(variables)]


def set_values(variables: list, values, owner: str) -> None:
    """Gives each variable its value, in Keras's session. Every count and shape is
    checked before any variable changes, so a wrong list changes nothing."""
    values = list(values)
    if len(values) != len(variables):
        raise ValueError(f"set_weights(): {owner} has {len(variables)} weights, got {len(values)} arrays")
    for variable, value in zip(variables, values):
        if np.shape(value) != tuple(variable.shape):
            raise ValueError(f"set_weights(): weight {variable.op.name} has shape {format_shape(variable.shape)}, "
                             f"got an array of shape {np.shape(value)} ({owner})")
    K.batch_set_value(zip(variables, values))


class InputLayer(Layer):
    """A model's entry: it makes the placeholder the data is fed to.

    ``Input(shape=(60,))`` makes one and returns its placeholder, of shape (None, 60);
    layers are called on that tensor to build a functional model. Named 'input_1',
    'input_2'... as Keras 2 names them; a Sequential model names its own after its first
    layer ('dense_input')."""

    def __init__(self, input_shape=None, batch_size: int | None = None, dtype=None, name: str | None = None,
                 batch_input_shape=None, shape=None, sparse: bool = False, ragged: bool = False, **kwargs):
        input_shape = input_shape if input_shape is not None else shape
        if input_shape is None and batch_input_shape is None:
            raise ValueError("InputLayer needs shape=, e.g. Input(shape=(784,))")
        if sparse or ragged:
            raise NotImplementedError("Input(sparse=True) and Input(ragged=True) are not implemented in minigraph")
        name = name or f"input_{K.get_uid('input')}"
        super().__init__(name=name, input_shape=input_shape, batch_size=batch_size, dtype=dtype,
                         batch_input_shape=batch_input_shape, **kwargs)
        batch_shape = (self.declared_batch_size,) + self.declared_input_shape
        with K.get_graph().as_default():
            placeholder = mg.placeholder(self.dtype, shape=batch_shape, name=self.name)
        self.built = True
        self.input_shape = self.output_shape = batch_shape
        self._record([], [placeholder], {})

    def call(self, inputs):
        return inputs

    def get_config(self) -> dict:
        return {"batch_input_shape": (self.declared_batch_size,) + self.declared_input_shape,
                "dtype": dtypes.name(self.dtype), "sparse": False, "ragged": False, "name": self.name}


def Input(shape=None, batch_size: int | None = None, name: str | None = None, dtype=None, batch_shape=None,
          **kwargs) -> Tensor:
    """``x = Input(shape=(60,))``: the placeholder a functional model starts from (in a
    Sequential model, its first entry)."""
    layer = InputLayer(input_shape=shape, batch_size=batch_size, name=name, dtype=dtype,
                       batch_input_shape=batch_shape, **kwargs)
    return layer.output
