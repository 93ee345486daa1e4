"""``Sequential``: a stack of layers, and the training loop around it.

A model owns a graph and a session. Adding layers builds the forward graph
(input placeholder -> dense/MatMul -> ... -> the output). ``compile`` adds, once,
the training graph: a placeholder for the labels, the loss averaged over the batch,
the accuracy count, and the optimizer's gradient and update nodes. ``fit`` is then a
plain loop::

    for each epoch:
        shuffle the training rows
        for each batch:  session.run([train_op, loss, correct], {inputs: x, targets: y})

Nothing is added to the graph while training runs, so a second ``fit`` continues
where the first stopped, with the same weights and optimizer state.
"""

from __future__ import annotations

import math
import os
import tempfile
import time

import numpy as np

import minigraph as mg
from minigraph.graph import format_shape
from minigraph.keras import initializers, losses, optimizers
from minigraph.keras.callbacks import Callback, History, ProgbarLogger, format_logs
from minigraph.keras.layers import InputLayer, Layer, _snake_case, unique_layer_name


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
        self._training = None  # what compile() builds, made when the model is built
        self._compile_args = None
        for layer in layers or []:
            self.add(layer)

    # --- building -------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        """Appends a layer (an Input first declares the input shape)."""
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
        self._training = None  # the loss must be rebuilt on the new output
        if self.outputs is not None:
            self._connect(layer)
        elif len(self.layers) == 1 and layer.declared_input_shape is not None:
            self.build((None,) + layer.declared_input_shape)
        if self._compile_args is not None and self.outputs is not None:
            self._build_training()

    def build(self, input_shape) -> None:
        """Creates the input placeholder and every layer's weights for `input_shape`."""
        if self.inputs is not None:
            raise ValueError(f"Model {self.name} is already built with input shape {format_shape(self.input_shape)}")
        input_shape = tuple(input_shape)
        with self.graph.as_default():
            first = self.layers[0].name if self.layers else self.name
            self.inputs = mg.placeholder(mg.float32, shape=input_shape, name=f"{first}_input")
        self.outputs = self.inputs
        for layer in self.layers:
            self._connect(layer)

    def _connect(self, layer: Layer) -> None:
        """Calls `layer` on the current output and initialises its new weights."""
        self.outputs = layer(self.outputs)
        if layer.weights:
            self.session.run([w.initializer for w in layer.weights])

    def _require_built(self, where: str, x=None) -> None:
        if self.inputs is None and x is not None and self.layers:
            self.build((None,) + np.shape(x)[1:])
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
        metrics = list(metrics or [])
        for metric in metrics:
            if metric not in ("accuracy", "acc", "categorical_accuracy"):
                raise ValueError(f"Unknown metric {metric!r}; minigraph knows 'accuracy'")
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        self._compile_args = metrics
        self._training = None
        if self.outputs is not None:
            self._build_training()

    def _build_training(self) -> None:
        with self.graph.as_default():
            targets = mg.placeholder(self.outputs.dtype, shape=self.outputs.shape, name=f"{self.layers[-1].name}_target")
            with mg.name_scope("loss"):
                loss = mg.reduce_mean(self.loss(targets, self.outputs), name="mean")
            with mg.name_scope("metrics"):
                correct = _correct_count(targets, self.outputs)
            train_op = self.optimizer.minimize(loss, var_list=self.trainable_weights)
        fresh = [v.initializer for v in self.optimizer.variables() if not self.session.is_initialized(v)]
        if fresh:
            self.session.run(fresh)
        self._training = {"targets": targets, "loss": loss, "correct": correct, "train_op": train_op}

    def _require_compiled(self, where: str, x) -> dict:
        if self._compile_args is None:
            raise RuntimeError(f"{where}: you must compile() model {self.name} before using it")
        self._require_built(where, x)
        if self._training is None:
            self._build_training()
        return self._training

    # --- data checks --------------------------------------------------------------
    def _check_x(self, x, where: str) -> np.ndarray:
        array = np.asarray(x)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{where}: x must hold numbers, got an array of dtype {array.dtype}")
        expected = self.input_shape
        if array.ndim != len(expected) or array.shape[1:] != tuple(expected[1:]):
            raise ValueError(
                f"{where}: model {self.name} expects x of shape {format_shape(expected)} "
                f"({expected[-1]} features per row), got x of shape {array.shape}"
            )
        return array.astype(np.float32, copy=False)

    def _check_xy(self, x, y, where: str) -> tuple[np.ndarray, np.ndarray]:
        x = self._check_x(x, where)
        y = np.asarray(y)
        if len(x) != len(y):
            raise ValueError(f"{where}: x and y have different lengths: x has {len(x)} samples, y has {len(y)}")
        classes = self.output_shape[-1]
        if y.ndim != 2 or y.shape[1] != classes:
            class_indices = y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)  # (N,) or (N, 1)
            hint = f"; convert class indices with to_categorical(y, {classes})" if class_indices else ""
            raise ValueError(
                f"{where}: {losses.name_of(self.loss)} expects y of shape (None, {classes}) "
                f"(one-hot labels), got y of shape {y.shape}{hint}"
            )
        if self.loss is losses.categorical_crossentropy and len(y):
            bad_row = np.flatnonzero((y.min(axis=1) < 0) | (np.abs(y.sum(axis=1) - 1) > 1e-3))
            if bad_row.size:
                i = bad_row[0]
                raise ValueError(
                    f"{where}: categorical_crossentropy expects one-hot labels (each row sums to 1), "
                    f"but y[{i}] = {y[i].tolist()}"
                )
        return x, y.astype(np.float32, copy=False)

    # --- fit / evaluate / predict ----------------------------------------------------
    def fit(self, x=None, y=None, batch_size: int = 32, epochs: int = 1, verbose=1, callbacks=None,
            validation_split: float = 0.0, validation_data=None, shuffle: bool = True,
            initial_epoch: int = 0) -> History:
        """Trains for `epochs` passes over (x, y) in batches; returns the History."""
        training = self._require_compiled("fit()", x)
        x, y = self._check_xy(x, y, "fit()")
        batch_size = _check_batch_size(batch_size)
        verbose = 1 if verbose == "auto" else verbose
        if validation_data is not None:
            x_val, y_val = self._check_xy(validation_data[0], validation_data[1], "fit() validation_data")
        elif validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}")
            split_at = int(len(x) * (1 - validation_split))
            x, x_val, y, y_val = x[:split_at], x[split_at:], y[:split_at], y[split_at:]
        else:
            x_val = y_val = None
        if len(x) == 0:
            raise ValueError("fit(): no training samples left (is validation_split too large?)")

        history = History()
        callback_list = [ProgbarLogger(verbose)] if verbose else []
        callback_list += list(callbacks or []) + [history]
        steps = math.ceil(len(x) / batch_size)
        for callback in callback_list:
            if not isinstance(callback, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {callback!r}")
            callback.set_model(self)
            callback.set_params({"epochs": epochs, "steps": steps, "batch_size": batch_size,
                                 "samples": len(x), "verbose": verbose})
        if verbose and x_val is not None:  # Keras 2 announced the split, and only when validating
            print(f"Train on {len(x)} samples, validate on {len(x_val)} samples", flush=True)

        metric = self._metric_name()
        fetches = [training["train_op"], training["loss"], training["correct"]]
        inputs, targets = self.inputs, training["targets"]
        for callback in callback_list:
            callback.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            for callback in callback_list:
                callback.on_epoch_begin(epoch)
            if shuffle:
                order = initializers.generator().permutation(len(x))
                x_epoch, y_epoch = x[order], y[order]
            else:
                x_epoch, y_epoch = x, y
            loss_sum = correct_sum = 0.0
            for step in range(steps):
                x_batch = x_epoch[step * batch_size:(step + 1) * batch_size]
                y_batch = y_epoch[step * batch_size:(step + 1) * batch_size]
                _, batch_loss, batch_correct = self.session.run(fetches, {inputs: x_batch, targets: y_batch})
                loss_sum += float(batch_loss) * len(x_batch)
                correct_sum += float(batch_correct)
                seen = min((step + 1) * batch_size, len(x))
                logs = {"loss": loss_sum / seen}
                if metric:
                    logs[metric] = correct_sum / seen
                for callback in callback_list:
                    callback.on_train_batch_end(step, logs)
            if x_val is not None:
                val_loss, val_correct = self._loss_and_correct(x_val, y_val, batch_size)
                logs["val_loss"] = val_loss
                if metric:
                    logs[f"val_{metric}"] = val_correct
            for callback in callback_list:
                callback.on_epoch_end(epoch, dict(logs))
        for callback in callback_list:
            callback.on_train_end()
        self.history = history
        return history

    def _metric_name(self) -> str | None:
        return self._compile_args[0] if self._compile_args else None

    def _loss_and_correct(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> tuple[float, float]:
        """Mean loss and accuracy over (x, y), batch by batch (batches weighted by size)."""
        training = self._training
        loss_sum = correct_sum = 0.0
        for start in range(0, len(x), batch_size):
            feed = {self.inputs: x[start:start + batch_size], training["targets"]: y[start:start + batch_size]}
            batch_loss, batch_correct = self.session.run([training["loss"], training["correct"]], feed)
            loss_sum += float(batch_loss) * len(feed[self.inputs])
            correct_sum += float(batch_correct)
        return loss_sum / max(len(x), 1), correct_sum / max(len(x), 1)

    def evaluate(self, x=None, y=None, batch_size: int = 32, verbose=1):
        """[loss, accuracy] on (x, y) (just the loss when compiled without metrics)."""
        self._require_compiled("evaluate()", x)
        x, y = self._check_xy(x, y, "evaluate()")
        batch_size = _check_batch_size(batch_size)
        started = time.perf_counter()
        loss, accuracy = self._loss_and_correct(x, y, batch_size)
        metric = self._metric_name()
        if verbose:
            logs = {"loss": loss, **({metric: accuracy} if metric else {})}
            steps = math.ceil(len(x) / batch_size)
            print(f"{steps}/{steps} - {time.perf_counter() - started:.0f}s{format_logs(logs)}", flush=True)
        return [loss, accuracy] if metric else loss

    def predict(self, x, batch_size: int = 32, verbose=0) -> np.ndarray:
        """The model's outputs for x, computed batch by batch."""
        self._require_built("predict()", x)
        x = self._check_x(x, "predict()")
        batch_size = _check_batch_size(batch_size)
        parts = [self.session.run(self.outputs, {self.inputs: x[i:i + batch_size]})
                 for i in range(0, len(x), batch_size)]
        if not parts:
            return np.zeros((0,) + tuple(self.output_shape[1:]), dtype=np.float32)
        return np.concatenate(parts)

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

    def _weight_keys(self) -> list[tuple[str, mg.Variable]]:
        """Stable names for saved weights: 'layers/dense_1/kernel', counting layers by
        class within this model (not the process-wide layer names), as Keras 3 does."""
        seen: dict[str, int] = {}
        keys = []
        for layer in self.layers:
            base = _snake_case(type(layer).__name__)
            count = seen.get(base, 0)
            seen[base] = count + 1
            path = base if count == 0 else f"{base}_{count}"
            for w in layer.weights:
                keys.append((f"layers/{path}/{w.op.name.rsplit('/', 1)[-1]}", w))
        return keys

    def save_weights(self, filepath: str) -> None:
        """Writes every weight to an .npz file (atomically: a temporary file, then a rename)."""
        if not str(filepath).endswith(".npz"):
            raise ValueError(f"save_weights(): the file name must end in .npz, got {filepath!r}")
        values = dict(zip([k for k, _ in self._weight_keys()], self.get_weights()))
        directory = os.path.dirname(os.path.abspath(filepath))
        handle, temporary = tempfile.mkstemp(suffix=".npz", dir=directory)
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(file, **values)
            os.replace(temporary, filepath)
        except BaseException:
            if os.path.exists(temporary):
                os.remove(temporary)
            raise

    def load_weights(self, filepath: str) -> None:
        """Reads weights saved by save_weights; every name and shape is checked first."""
        with np.load(filepath, allow_pickle=False) as data:
            stored = {key: data[key] for key in data.files}
        expected = self._weight_keys()
        problems = []
        missing = [k for k, _ in expected if k not in stored]
        unexpected = sorted(set(stored) - {k for k, _ in expected})
        if missing:
            problems.append(f"missing weights {missing}")
        if unexpected:
            problems.append(f"unexpected weights {unexpected}")
        for key, variable in expected:
            if key in stored and stored[key].shape != tuple(variable.shape):
                problems.append(
                    f"{key} has shape {stored[key].shape} in the file but {format_shape(variable.shape)} in the model"
                )
        if problems:
            raise ValueError(f"load_weights({filepath!r}) does not fit model {self.name}: " + "; ".join(problems))
        self.set_weights([stored[key] for key, _ in expected])

    def __repr__(self) -> str:
        return f"<Sequential name={self.name}, {len(self.layers)} layers>"


def _correct_count(targets: mg.Tensor, outputs: mg.Tensor) -> mg.Tensor:
    """How many rows of the batch are classified right (categorical accuracy)."""
    if outputs.shape[-1] == 1:  # one unit: right when both sides agree on > 0.5
        hits = mg.equal(mg.greater(outputs, 0.5), mg.greater(targets, 0.5))
    else:
        hits = mg.equal(mg.argmax(outputs, axis=-1), mg.argmax(targets, axis=-1))
    return mg.reduce_sum(mg.cast(hits, mg.float32), name="correct")


def _check_batch_size(batch_size) -> int:
    if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)
