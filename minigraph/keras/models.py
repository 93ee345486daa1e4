"""``Sequential``: a stack of layers, and the training loop around it.

A model owns a graph and a session. Adding layers builds the forward graph
(input placeholder -> dense/MatMul -> ... -> the output). ``compile`` chooses the
optimizer, loss and metric; the training graph (labels placeholder, mean loss,
correct count, the optimizer's updates: see training.py) is added once, as soon as
there is an output to train. ``fit`` is then a plain loop::

    for each epoch:
        shuffle the training rows
        for each batch:  step(x, y)    # step = session.make_callable([train_op, loss, correct],
                                       #                              [inputs, targets])
        measure the validation rows

with the callbacks (progress bar, History, yours) told of each batch and epoch.
Every x and y is checked first (data_checks.py); weight files are read and written
by saving.py.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

import minigraph as mg
from minigraph.keras import backend as K
from minigraph.keras import initializers, losses, optimizers, saving
from minigraph.keras.callbacks import CallbackList, History, format_logs
from minigraph.keras.data_checks import as_array, check_x, check_xy, validation_pair
from minigraph.keras.layers import InputLayer, Layer, unique_layer_name
from minigraph.keras.layers.base import history_of
from minigraph.keras.training import TrainingGraph, batches, build_training_graph, check_batch_size
from minigraph.shapes import format_shape

METRICS = ("accuracy", "acc", "categorical_accuracy")  # the names compile() accepts


def check_metrics(metrics) -> str | None:
    """The metric compile() was given ('accuracy'), or None; anything else is refused."""
    if metrics is None:
        return None
    if isinstance(metrics, str):  # list('accuracy') would be 'a', 'c', 'c', ...
        raise ValueError(f"compile(): metrics must be a list, e.g. metrics=[{metrics!r}], got the string {metrics!r}")
    if not isinstance(metrics, (list, tuple)):
        raise ValueError(f"compile(): metrics must be a list such as ['accuracy'], got {metrics!r}")
    for metric in metrics:
        if metric not in METRICS:
            known = ", ".join(repr(name) for name in METRICS)
            raise ValueError(f"compile(): unknown metric {metric!r}; the metrics minigraph knows are {known}")
    return metrics[0] if metrics else None


class Sequential:
    """Layers applied one after the other: Sequential([Dense(128), Activation('relu'), ...])."""

    def __init__(self, layers=None, name: str | None = None):
        self.name = name or unique_layer_name("sequential")
        self.layers: list[Layer] = []
        self.graph = mg.Graph()
        self.session = mg.Session(self.graph)
        self.inputs: mg.Tensor | None = None  # the input placeholder, once built
        self.outputs: mg.Tensor | None = None
        self.optimizer = None
        self.loss = None  # the loss function: None until compile()
        self.metric: str | None = None  # 'accuracy' as compile() was given it, or None
        self._training_graph: TrainingGraph | None = None  # built once compiled and built
        for layer in layers or []:
            self.add(layer)

    # --- building -------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        """Appends a layer (an Input first declares the input shape). A layer that cannot
        be added (its build fails on the current output) leaves the model as it was."""
        if isinstance(layer, mg.Tensor) and isinstance(getattr(history_of(layer), "layer", None), InputLayer):
            layer = history_of(layer).layer  # Input(shape=...) is its layer's placeholder
        if isinstance(layer, InputLayer):
            if self.layers or self.inputs is not None:
                raise ValueError(f"Input {layer.name} must come first in Sequential model {self.name}")
            self.build((None,) + layer.declared_input_shape)
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add() takes a Layer, got {layer!r}")
        if layer.built or layer in self.layers:
            raise ValueError(f"Layer {layer.name} is already part of a model; make a new layer")
        self.layers.append(layer)
        try:
            if self.outputs is not None:
                self._connect(layer)
            elif len(self.layers) == 1 and layer.declared_input_shape is not None:
                self.build((None,) + layer.declared_input_shape)
        except Exception:
            self.layers.pop()
            layer.reset()
            raise
        self._training_graph = None  # the loss must be rebuilt on the new output
        if self.loss is not None and self.outputs is not None:
            self._build_training_graph()

    def build(self, input_shape) -> None:
        """Creates the input placeholder and every layer's weights for `input_shape`.

        All or nothing: if a layer cannot be built on that shape, the model is left
        unbuilt (in a fresh graph, with every layer unbuilt), so a later call with the
        right shape builds it, rather than finding a model with no weights."""
        if self.inputs is not None:
            raise ValueError(f"Model {self.name} is already built with input shape {format_shape(self.input_shape)}")
        input_shape = tuple(input_shape)
        # the inputs take the first layer's dtype (floatx when it was made), as in Keras
        dtype = self.layers[0].dtype if self.layers else K.floatx()
        try:
            with self.graph.as_default():
                first = self.layers[0].name if self.layers else self.name
                self.inputs = mg.placeholder(dtype, shape=input_shape, name=f"{first}_input")
            self.outputs = self.inputs
            for layer in self.layers:
                self._connect(layer)
        except Exception:
            self._unbuild()
            raise

    def _unbuild(self) -> None:
        """Back to the state before build(): no placeholder, no weights, an empty graph."""
        for layer in self.layers:
            layer.reset()
        self.inputs = self.outputs = None
        self._training_graph = None
        self.session.close()
        self.graph = mg.Graph()
        self.session = mg.Session(self.graph)

    def _connect(self, layer: Layer) -> None:
        """Calls `layer` on the current output and initialises its new weights."""
        self.outputs = layer(self.outputs)
        self._initialize(layer.weights)

    def _initialize(self, variables: list) -> None:
        """Gives the variables not yet initialised in the model's session their first values."""
        fresh = [v.initializer for v in variables if not self.session.is_initialized(v)]
        if fresh:
            self.session.run(fresh)

    def _require_built(self, where: str, x=None) -> None:
        if self.inputs is None and x is not None and self.layers:
            shape = (None,) + np.shape(x)[1:]
            try:
                self.build(shape)
            except ValueError as error:
                raise ValueError(
                    f"{where}: model {self.name} cannot be built for x of shape {np.shape(x)}: {error}"
                ) from error
        if self.inputs is None:
            raise ValueError(
                f"{where}: model {self.name} has not been built yet. Give the first layer an input_shape, "
                "start with Input(shape=...), or call build((None, features))"
            )

    @property
    def input_shape(self) -> tuple | None:
        return None if self.inputs is None else self.inputs.shape

    @property
    def output_shape(self) -> tuple | None:
        return None if self.outputs is None else self.outputs.shape

    @property
    def weights(self) -> list[mg.Variable]:
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list[mg.Variable]:
        return [w for layer in self.layers for w in layer.trainable_weights]

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)

    # --- summary --------------------------------------------------------------------
    def summary(self, line_length: int = 65, print_fn=None) -> None:
        """Prints the layer table as Keras 2 does, ending with 'Total params: 9,098'."""
        self._require_built("summary()")
        print_fn = print_fn or print
        stops = [int(line_length * p) for p in (0.45, 0.85, 1.0)]

        def row(cells):
            line = ""
            for cell, stop in zip(cells, stops):
                line = (line + str(cell))[: stop - 1].ljust(stop)
            return line.rstrip()

        print_fn(f'Model: "{self.name}"')
        print_fn("_" * line_length)
        print_fn(row(["Layer (type)", "Output Shape", "Param #"]))
        print_fn("=" * line_length)
        for i, layer in enumerate(self.layers):
            print_fn(row([f"{layer.name} ({type(layer).__name__})", format_shape(layer.output_shape),
                          layer.count_params()]))
            print_fn(("=" if i == len(self.layers) - 1 else "_") * line_length)
        trainable = sum(int(np.prod(w.shape)) for w in self.trainable_weights)
        print_fn(f"Total params: {self.count_params():,}")
        print_fn(f"Trainable params: {trainable:,}")
        print_fn(f"Non-trainable params: {self.count_params() - trainable:,}")
        print_fn("_" * line_length)

    # --- compile ------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss="categorical_crossentropy", metrics=None) -> None:
        """Chooses the optimizer, loss and metrics; the training graph is built once."""
        # every argument is checked before any is kept: a refused compile changes nothing
        metric, optimizer, loss = check_metrics(metrics), optimizers.get(optimizer), losses.get(loss)
        self.optimizer, self.loss, self.metric = optimizer, loss, metric
        self._training_graph = None
        if self.outputs is not None:
            self._build_training_graph()

    def _build_training_graph(self) -> None:
        self._training_graph = build_training_graph(
            self.outputs, self.loss, self.optimizer, self.trainable_weights, name=self.layers[-1].name
        )
        self._initialize(self.optimizer.variables())

    def _require_compiled(self, where: str, x) -> TrainingGraph:
        if self.loss is None:
            raise RuntimeError(f"{where}: you must compile() model {self.name} before using it")
        self._require_built(where, x)
        if self._training_graph is None:
            self._build_training_graph()
        return self._training_graph

    # --- the validation rows ------------------------------------------------------
    def _hold_out(self, x, y, validation_split: float, validation_data):
        """The rows to train on, and the (x, y) to validate on (or None): validation_data,
        or the last `validation_split` of the rows, taken before any shuffling."""
        validation = None
        if validation_data is not None:
            validation = check_xy(self, *validation_pair(validation_data), "fit() validation_data")
            if len(validation[0]) == 0:
                raise ValueError("fit(): validation_data is empty (0 samples); "
                                 "give it at least one sample, or leave validation_data out")
        elif validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"fit(): validation_split must be in [0, 1), got {validation_split!r}")
            split_at = int(len(x) * (1 - validation_split))
            if split_at == 0:
                raise ValueError(f"fit(): validation_split={validation_split!r} holds out all {len(x)} samples; "
                                 "none are left to train on")
            x, y, validation = x[:split_at], y[:split_at], (x[split_at:], y[split_at:])
        return x, y, validation

    # --- fit / evaluate / predict ----------------------------------------------------
    def fit(self, x=None, y=None, batch_size: int = 32, epochs: int = 1, verbose=1, callbacks=None,
            validation_split: float = 0.0, validation_data=None, shuffle: bool = True,
            initial_epoch: int = 0) -> History:
        """Trains for `epochs` passes over (x, y) in batches; returns the History.

        The validation rows are held out first. Each epoch then shuffles the training
        rows (unless shuffle=False), takes one optimizer step per batch, and measures
        the validation rows; the callbacks hear of every batch and every epoch.
        """
        x = as_array(x, "x", "fit()")
        self._require_compiled("fit()", x)
        x, y = check_xy(self, x, y, "fit()")
        if len(x) == 0:
            raise ValueError("fit(): x and y are empty (0 samples); there is nothing to train on")
        batch_size = check_batch_size(batch_size)
        verbose = 1 if verbose == "auto" else verbose
        x, y, validation = self._hold_out(x, y, validation_split, validation_data)
        if not self.trainable_weights:
            warnings.warn(f"fit(): model {self.name} has no trainable weights; "
                          "fit measures the loss but changes nothing", stacklevel=2)
        self.history = History()
        params = {"epochs": epochs, "steps": math.ceil(len(x) / batch_size), "batch_size": batch_size,
                  "samples": len(x), "verbose": verbose}
        # as Keras 2: History, then the progress bar, after the program's callbacks (so the bar shows
        # what they add to the logs, e.g. ReduceLROnPlateau's lr)
        callbacks = CallbackList(list(callbacks or []) + [self.history], add_progbar=verbose != 0, model=self,
                                 **params)
        if verbose:
            validate = f", validate on {len(validation[0])} samples" if validation is not None else ""
            print(f"Train on {len(x)} samples{validate}", flush=True)

        callbacks.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            callbacks.on_epoch_begin(epoch)
            rows = initializers.generator().permutation(len(x)) if shuffle else slice(None)
            for step, (loss, accuracy) in enumerate(self._running_means(x[rows], y[rows], batch_size, train=True)):
                logs = self._logs(loss, accuracy)
                callbacks.on_train_batch_end(step, logs)
            if validation is not None:
                logs.update(self._logs(*self._measure(*validation, batch_size), prefix="val_"))
            callbacks.on_epoch_end(epoch, logs)
        callbacks.on_train_end()
        return self.history

    def _running_means(self, x: np.ndarray, y: np.ndarray, batch_size: int, train: bool = False):
        """Runs the loss (after an optimizer step, when `train`) batch by batch; yields the
        mean loss and accuracy over the rows seen so far (batches weighted by size)."""
        training = self._training_graph
        fetches = ([training.train_op] if train else []) + [training.loss, training.correct]
        run_batch = self.session.make_callable(fetches, [self.inputs, training.targets])  # resolved once
        loss_sum = correct_sum = 0.0
        seen = 0
        for x_batch, y_batch in batches(batch_size, x, y):
            *_, loss, correct = run_batch(x_batch, y_batch)
            seen += len(x_batch)
            loss_sum += float(loss) * len(x_batch)
            correct_sum += float(correct)
            yield loss_sum / seen, correct_sum / seen

    def _measure(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> tuple[float, float]:
        """Mean loss and accuracy over all of (x, y), which holds at least one row."""
        for means in self._running_means(x, y, batch_size):
            pass
        return means

    def _logs(self, loss: float, accuracy: float, prefix: str = "") -> dict:
        """{'loss': ..., 'accuracy': ...} as the callbacks see them (no accuracy without a metric)."""
        logs = {f"{prefix}loss": loss}
        if self.metric:
            logs[f"{prefix}{self.metric}"] = accuracy
        return logs

    def evaluate(self, x=None, y=None, batch_size: int = 32, verbose=1):
        """[loss, accuracy] on (x, y) (just the loss when compiled without metrics)."""
        x = as_array(x, "x", "evaluate()")
        self._require_compiled("evaluate()", x)
        x, y = check_xy(self, x, y, "evaluate()")
        if len(x) == 0:
            raise ValueError("evaluate(): x and y are empty (0 samples); a loss over no samples has no value")
        batch_size = check_batch_size(batch_size)
        started = time.perf_counter()
        loss, accuracy = self._measure(x, y, batch_size)
        if verbose:
            steps = math.ceil(len(x) / batch_size)
            logs = self._logs(loss, accuracy)
            print(f"{steps}/{steps} - {time.perf_counter() - started:.0f}s{format_logs(logs)}", flush=True)
        return [loss, accuracy] if self.metric else loss

    def predict(self, x, batch_size: int = 32, verbose=0) -> np.ndarray:
        """The model's outputs for x, computed batch by batch.

        Each batch's outputs are copied into one array made for all of them, so memory
        holds that array and one batch's values, not a list of every batch's."""
        x = as_array(x, "x", "predict()")
        self._require_built("predict()", x)
        x = check_x(self, x, "predict()")
        batch_size = check_batch_size(batch_size)
        outputs = None
        predict_batch = self.session.make_callable(self.outputs, [self.inputs])
        # an empty x runs once too: its (0, ...) output has the shape the graph gives it
        for start in range(0, len(x), batch_size) or [0]:
            x_batch = x[start:start + batch_size].astype(self.inputs.dtype, copy=False)
            batch = predict_batch(x_batch)
            if outputs is None:  # a None dim of the output shape is known once a batch has run
                outputs = np.empty((len(x),) + batch.shape[1:], dtype=batch.dtype)
            outputs[start:start + len(batch)] = batch
        return outputs

    # --- weights --------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Every weight's value, layer by layer (kernel, then bias)."""
        return [np.array(v) for v in self.session.run([w.read for w in self.weights])]

    def set_weights(self, weights) -> None:
        """Sets every weight; all shapes are checked before any weight changes."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(f"set_weights(): model {self.name} has {len(own)} weights, got {len(weights)} arrays")
        for variable, value in zip(own, weights):
            if np.shape(value) != tuple(variable.shape):
                raise ValueError(
                    f"set_weights(): weight {variable.op.name} has shape {format_shape(variable.shape)}, "
                    f"got an array of shape {np.shape(value)}"
                )
        for variable, value in zip(own, weights):
            self.session.set_variable_value(variable, np.asarray(value, dtype=variable.dtype))

    def save_weights(self, filepath: str) -> None:
        """Writes every weight to an .npz file (see saving.py)."""
        self._require_built("save_weights()")  # an unbuilt model has no weights to write
        saving.save_weights(self, filepath)

    def load_weights(self, filepath: str) -> None:
        """Reads weights saved by save_weights; every name and shape is checked first."""
        self._require_built("load_weights()")  # the weights must exist before a file fills them
        saving.load_weights(self, filepath)

    def __repr__(self) -> str:
        return f"<Sequential name={self.name}, {len(self.layers)} layers>"
