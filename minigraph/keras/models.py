"""``Model`` and ``Sequential``: a graph of layers, and the training loop around it.

A functional ``Model(inputs, outputs)`` is the layers between Input placeholders and
output tensors (functional.py finds them). A ``Sequential`` model is the same thing
built for you (sequential.py): its first layer's input shape makes an Input, each
added layer is called on the last output. Both live in Keras's one graph and session (backend.py),
so ``K.get_value(model.layers[0].kernel)`` reads what ``fit`` trained.

``compile`` chooses the optimizer, a loss per output and the metrics; the training
graph (labels and sample-weight placeholders, the weighted loss, the metrics' sums, the
optimizer's updates: see training.py) is added once, as soon as the model is built.
``fit`` is then a plain loop::

    for each epoch:
        shuffle the training rows
        for each batch:  step(x, y, w)         # step = session.make_callable(
                                               #   [loss, metric sums..., train_op],
                                               #   [inputs, targets, sample weights, learning phase])
        measure the validation rows

where the sample weights (w) are fed only when fit is given some (sample_weight or
class_weight): without, the step is ``step(x, y)``, the weights' placeholder keeps its
default of ones, and the graph passes drop the multiplications by it, so an unweighted
step does no weighting at all (as Keras 3's step, traced without weights). The callbacks
(progress bar, History, yours) are told of each batch and epoch.
Every x and y is checked first (data_checks.py); weight files are read and written
by saving.py.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import minigraph as mg
from minigraph.keras import backend as K
from minigraph.keras import initializers, interop, losses, optimizers, saving
from minigraph.keras import metrics as keras_metrics
from minigraph.keras.callbacks import CallbackList, History
from minigraph.keras.data_checks import check_sample_weight, check_x, check_xy, validation_triple
from minigraph.keras.functional import LayerGraph, functional_config, rebuild, trace
from minigraph.keras.layers import InputLayer, Layer, unique_layer_name
from minigraph.keras.layers.base import as_list, get_values, history_of, set_values, unpack
from minigraph.keras.model_summary import print_summary
from minigraph.keras.saving import load_model  # noqa: F401  (keras.models.load_model, as Keras 2 programs import it)
from minigraph.keras.training import (
    RunningMeans,
    TrainingGraph,
    batches,
    build_training_graph,
    check_batch_size,
    class_weights_of,
    target_shape,
)


def check_metrics(metrics) -> None:
    """Refuses metrics that are not a list (or a dict by output): a string would be read
    letter by letter, list('accuracy') being 'a', 'c', 'c', ..."""
    if metrics is None or isinstance(metrics, (list, tuple, dict)):
        return
    if isinstance(metrics, str):
        raise ValueError(f"compile(): metrics must be a list, e.g. metrics=[{metrics!r}], got the string {metrics!r}")
    raise ValueError(f"compile(): metrics must be a list such as ['accuracy'], got {metrics!r}")


def per_output(value, names: list[str], what: str) -> list:
    """compile()'s loss, metrics or loss_weights as one entry per output: the same for
    all, a list in output order, or a dict by output layer name."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"compile(): {what} names {unknown}, which are not outputs of the model ({names})")
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and len(names) > 1:
        if len(value) != len(names):
            raise ValueError(f"compile(): the model has {len(names)} outputs {names}, but {what} has "
                             f"{len(value)} entries")
        return list(value)
    return [value] * len(names)


def as_result(logs: dict, return_dict: bool):
    """What evaluate and the *_on_batch calls return: the logs (return_dict), else the loss
    alone when there is nothing else, else every value in the order of model.metrics_names."""
    if return_dict:
        return logs
    return list(logs.values()) if len(logs) > 1 else logs["loss"]


class Model:
    """A graph of layers from Input tensors to output tensors: Model(inputs, outputs)."""

    default_name = "model"  # 'model', 'model_1', ...
    builds_itself = False  # True for Sequential, which makes its Input once it knows the shape

    def __init__(self, inputs=None, outputs=None, name: str | None = None, **kwargs):
        if inputs is None and "input" in kwargs:  # Keras 1's spelling, still in old examples
            inputs, outputs = kwargs.pop("input"), kwargs.pop("output", outputs)
        if kwargs:
            raise TypeError(f"Model() got unexpected keyword arguments {sorted(kwargs)}")
        self.name = name or unique_layer_name(self.default_name)
        self.inputs: list | None = None
        self.outputs: list | None = None
        self._layer_graph: LayerGraph | None = None
        self._layers: list[Layer] = []
        self.optimizer = None
        self.loss = None  # the loss function(s): None until compile()
        self.stop_training = False
        self._compiled: dict | None = None  # compile()'s choices, per output
        self._training_graph: TrainingGraph | None = None  # built once compiled and built
        self._steps: dict = {}  # the session callables fit/evaluate/predict run, made once
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model(inputs, outputs) needs both the Input tensors and the output tensors")
            self._connect_graph(inputs, outputs)
        elif not self.builds_itself:
            raise NotImplementedError("Subclassed models (a Model with its own call()) are not implemented in "
                                      "minigraph; build the model with Model(inputs, outputs) or Sequential")

    def _connect_graph(self, inputs, outputs) -> None:
        """Finds the layers between `inputs` and `outputs` (functional.trace) and keeps them."""
        self._nest_inputs, self._nest_outputs = isinstance(inputs, (list, tuple)), isinstance(outputs, (list, tuple))
        inputs, outputs = as_list(inputs), as_list(outputs)
        self._layer_graph = trace(inputs, outputs)
        self.inputs, self.outputs = inputs, outputs
        self._layers = self._layer_graph.layers
        self._steps = {}
        self._initialize(self.weights)

    def __call__(self, inputs, **kwargs):
        """The model applied to other tensors, as a layer is: each of its layer calls made
        again, in order, on the new tensors (the same layers, so the same weights). The
        calls keep their own keyword arguments; those given here (training=...) are not used."""
        self._require_built("calling a model")
        new_inputs = as_list(inputs)
        if len(new_inputs) != len(self.inputs):
            raise ValueError(f"Model {self.name} takes {len(self.inputs)} inputs {self.input_names}, "
                             f"got {len(new_inputs)} tensors")
        tensors = {id(old): new for old, new in zip(self.inputs, new_inputs)}
        for node in self._layer_graph.nodes:  # each node after the nodes that feed it
            if not isinstance(node.layer, InputLayer):
                outputs = node.call_again([tensors[id(t)] for t in node.input_tensors])
                tensors.update((id(old), new) for old, new in zip(node.output_tensors, outputs))
        outputs = [tensors[id(t)] for t in self.outputs]
        return outputs if self._nest_outputs else outputs[0]

    # --- what the model is made of -------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    @property
    def built(self) -> bool:
        return self.inputs is not None

    @property
    def input(self):
        """The Input tensor (a list of them for a model with several)."""
        self._require_built("input")
        return self.inputs if self._nest_inputs else self.inputs[0]

    @property
    def output(self):
        self._require_built("output")
        return self.outputs if self._nest_outputs else self.outputs[0]

    @property
    def input_names(self) -> list[str]:
        return [history_of(t).layer.name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [history_of(t).layer.name for t in self.outputs]

    @property
    def input_shape(self):
        return None if self.inputs is None else unpack([t.shape for t in self.inputs])

    @property
    def output_shape(self):
        return None if self.outputs is None else unpack([t.shape for t in self.outputs])

    @property
    def graph(self) -> mg.Graph:
        """The graph the model's nodes are in: Keras's graph when it was built."""
        return self.inputs[0].graph if self.inputs else K.get_graph()

    @property
    def session(self) -> mg.Session:
        """Keras's session of the model's graph (K.get_session() while that graph is the default)."""
        return K.session_of(self.graph)

    def _unique(self, items) -> list:
        seen, unique = set(), []
        for item in items:
            if id(item) not in seen:
                seen.add(id(item))
                unique.append(item)
        return unique

    @property
    def trainable_weights(self) -> list[mg.Variable]:
        return self._unique(w for layer in self._layers for w in layer.trainable_weights)

    @property
    def non_trainable_weights(self) -> list[mg.Variable]:
        return self._unique(w for layer in self._layers for w in layer.non_trainable_weights)

    @property
    def weights(self) -> list[mg.Variable]:
        """Every weight, layer by layer (kernel, then bias), each once."""
        return self._unique(w for layer in self._layers for w in layer.weights)

    @property
    def losses(self) -> list:
        """The layers' own losses (regularizers), added to the loss fit minimises."""
        return [loss for layer in self._layers for loss in layer.losses]

    @property
    def updates(self) -> list:
        """The layers' updates (moving averages), run with each training step."""
        return [update for layer in self._layers for update in layer.updates]

    def count_params(self) -> int:
        return sum(int(np.prod(w.shape)) for w in self.weights)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by its name or by its index in model.layers."""
        if index is not None:
            if not -len(self._layers) <= index < len(self._layers):
                raise ValueError(f"get_layer(): model {self.name} has {len(self._layers)} layers, "
                                 f"so there is no layer at index {index}")
            return self._layers[index]
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ValueError(f"get_layer(): model {self.name} has no layer named {name!r}; "
                         f"its layers are {[layer.name for layer in self._layers]}")

    def _initialize(self, variables: list) -> None:
        """Gives the variables not yet initialised in Keras's session their first values."""
        session = self.session
        fresh = [v.initializer for v in variables if not session.is_initialized(v)]
        if fresh:
            session.run(fresh)

    def _require_built_from(self, x, where: str) -> None:
        """A functional model is built when it is made; a Sequential model without an input
        shape is built from the first x it gets (Sequential overrides this)."""

    def _require_built(self, where: str) -> None:
        if self.inputs is None:
            raise ValueError(f"{where}: model {self.name} has not been built yet. Give the first layer an "
                             "input_shape, start with Input(shape=...), or call build((None, features))")

    # --- summary, drawing, config ----------------------------------------------------
    def summary(self, line_length: int | None = None, positions=None, print_fn=None) -> None:
        """Prints the layer table as Keras 2 (tf-keras) does: see model_summary.py."""
        self._require_built("summary()")
        print_summary(self, line_length, positions, print_fn)

    def get_config(self) -> dict:
        """The architecture as JSON-able data: each layer's config and its connections."""
        self._require_built("get_config()")
        return functional_config(self.name, self._layer_graph, self.inputs, self.outputs)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Model":
        """The model get_config described, with new weights, in Keras's graph."""
        inputs, outputs, _ = rebuild(config, custom_objects)
        return cls(unpack(inputs) if len(inputs) == 1 else inputs,
                   unpack(outputs) if len(outputs) == 1 else outputs, name=config.get("name"))

    def to_json(self, **kwargs) -> str:
        import json

        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)

    # --- compile ------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, **kwargs) -> None:
        """Chooses the optimizer, the loss of each output and the metrics; the training
        graph is built once. `loss`, `metrics` and `loss_weights` may be one for all
        outputs, a list in output order or a dict by output name."""
        unknown = sorted(set(kwargs) - {"run_eagerly", "steps_per_execution", "jit_compile", "sample_weight_mode"})
        if unknown:
            raise TypeError(f"compile() got unexpected keyword arguments {unknown}")
        if loss is None:
            raise ValueError("compile(): give a loss, e.g. loss='categorical_crossentropy'")
        # every argument is checked before any is kept: a refused compile changes nothing
        check_metrics(metrics)
        check_metrics(weighted_metrics)
        for identifier in flat_metrics(metrics) + flat_metrics(weighted_metrics):
            keras_metrics.get(identifier)  # an unknown name is refused now, not when the model is built
        optimizer = optimizers.get(optimizer)
        loss_items = loss.values() if isinstance(loss, dict) else loss if isinstance(loss, (list, tuple)) else [loss]
        loss_fns = [losses.get(item) for item in loss_items]
        before = self._compiled, self.optimizer, self.loss, self._training_graph, self._steps
        self._compiled = {"loss": loss, "metrics": metrics, "loss_weights": loss_weights,
                          "weighted_metrics": weighted_metrics}
        self.optimizer = optimizer
        self.loss = loss_fns[0] if len(loss_fns) == 1 and not isinstance(loss, (list, dict)) else loss
        self._training_graph = None
        self._steps = {}
        if self.outputs is not None:
            try:  # what only the outputs can check (names, one loss each) is checked here
                self._build_training_graph()
            except Exception:
                self._compiled, self.optimizer, self.loss, self._training_graph, self._steps = before
                raise

    def _heads(self) -> list:
        """(name, output, loss_fn, [(log name, metric_fn, weighted)]) per output."""
        names = self.output_names
        compiled = self._compiled
        loss_fns = [losses.get(item) for item in per_output(compiled["loss"], names, "loss")]
        plain = metrics_per_output(compiled["metrics"], names)
        weighted = metrics_per_output(compiled["weighted_metrics"], names)
        heads = []
        for name, output, loss_fn, plain_ids, weighted_ids in zip(names, self.outputs, loss_fns, plain, weighted):
            shapes = (target_shape(output, loss_fn), tuple(output.shape))
            metrics = [(*keras_metrics.get(identifier, loss_fn, *shapes), False) for identifier in plain_ids]
            taken = {log_name for log_name, _, _ in metrics}
            for identifier in weighted_ids:
                log_name, fn = keras_metrics.get(identifier, loss_fn, *shapes)
                # 'weighted_' only tells apart a metric asked for both ways, as Keras 2 names it
                metrics.append((f"weighted_{log_name}" if log_name in taken else log_name, fn, True))
            if len(names) > 1:
                metrics = [(f"{name}_{log_name}", fn, weighs) for log_name, fn, weighs in metrics]
            heads.append((name, output, loss_fn, metrics))
        return heads

    def _label_specs(self) -> list:
        """(output, loss_fn, labels' shape) per output, for checking y."""
        return [(output, loss_fn, target_shape(output, loss_fn)) for _, output, loss_fn, _ in self._heads()]

    def _build_training_graph(self) -> None:
        names = self.output_names
        weights = per_output(self._compiled["loss_weights"], names, "loss_weights")
        self._training_graph = build_training_graph(
            self._heads(), [1.0 if w is None else float(w) for w in weights], self.losses, self.updates,
            self.optimizer, self.trainable_weights, self.graph)
        self._steps = {}
        self._initialize(self.optimizer.variables())

    def _require_compiled(self, where: str) -> TrainingGraph:
        if self._compiled is None:
            raise RuntimeError(f"{where}: you must compile() model {self.name} before using it")
        self._require_built(where)
        if self._training_graph is None:
            self._build_training_graph()
        return self._training_graph

    @property
    def metrics_names(self) -> list[str]:
        """'loss', each output's loss (with several outputs), then each metric, as evaluate returns them."""
        if self._training_graph is None:
            return []
        return [name for name, _, _ in self._log_fetches()]

    def _log_fetches(self) -> list:
        """(log name, numerator, denominator) of each number fit logs: a loss is averaged
        over rows (denominator None: the batch size), a metric over its weights."""
        training = self._training_graph
        fetches = [("loss", training.loss, None)]
        if len(training.heads) > 1:
            fetches += [(f"{head.name}_loss", head.loss, None) for head in training.heads]
        fetches += [(m.name, m.weighted_sum, m.weight_sum) for head in training.heads for m in head.metrics]
        return fetches

    # --- the callables fit, evaluate and predict run ---------------------------------
    def _step(self, kind: str, weighted: bool):
        """The session callable for 'train' or 'test' batches, made once per training graph
        and kind of batch: it takes the batch's x, y and, when `weighted`, sample weights
        (one array each per input/output, in that order) and returns the logged fetches'
        values (see _log_fetches). Unweighted, the weights keep their default of ones, and
        the passes drop the multiplications by them, as Keras 3 traces its step without."""
        key = (kind, weighted)
        if key not in self._steps:
            training = self._training_graph
            feeds = self.inputs + [head.target for head in training.heads]
            if weighted:
                feeds += [head.sample_weight for head in training.heads]
            fetches = [tensor for _, numerator, denominator in self._log_fetches()
                       for tensor in (numerator, denominator) if tensor is not None]
            phase = K.learning_phase_placeholder(self.graph)
            # training: Dropout drops, BatchNormalization uses the batch's statistics
            with_phase = kind == "train" and phase is not None
            if kind == "train":
                fetches = fetches + [training.train_op]  # its value is None: the caller ignores it
            run = self.session.make_callable(fetches, feeds + [phase] if with_phase else feeds)
            self._steps[key] = (lambda *batch: run(*batch, np.True_)) if with_phase else run
        return self._steps[key]

    def _running_means(self, xs, ys, ws, batch_size: int, train: bool = False, callbacks=None, hooks: str = "test"):
        """Runs the batches (each after an optimizer step, when `train`), yielding after
        each a RunningMeans: the loss averaged over rows, each metric over its weights
        (Keras's Mean). The callbacks hear of each batch (on_train_batch_end or
        on_test_batch_end) with the logs so far."""
        step = self._step("train" if train else "test", weighted=bool(ws))
        means = RunningMeans(self._log_fetches())
        begin, end = (callbacks.batch_hook(f"on_{hooks}_batch_{edge}") if callbacks is not None else None
                      for edge in ("begin", "end"))
        for index, batch in enumerate(batches(batch_size, *xs, *ys, *ws)):
            if begin is not None:
                begin(index, {})
            means.add(step(*batch), len(batch[0]))
            if end is not None:
                end(index, means.logs())
            yield means

    def _measure(self, xs, ys, ws, batch_size: int, callbacks=None) -> dict:
        """The logs over all of (x, y), which holds at least one row (the test hooks told)."""
        if callbacks is not None:
            callbacks.on_test_begin()
        for means in self._running_means(xs, ys, ws, batch_size, callbacks=callbacks):
            pass
        logs = means.logs()
        if callbacks is not None:
            callbacks.on_test_end(dict(logs))
        return logs

    def _sample_weights(self, ys: list, sample_weight, class_weight, where: str) -> list[np.ndarray]:
        """One weight per row for each output: sample_weight times the class's weight
        (ones for an output given neither); an empty list when no output is given any."""
        weights = check_sample_weight(sample_weight, len(ys[0]), self.output_names, where)
        if class_weight is not None:
            if len(ys) > 1:
                raise ValueError(f"{where}: class_weight is only supported for models with a single output; "
                                 f"model {self.name} has {len(ys)}")
            by_class = class_weights_of(ys[0], class_weight)
            weights = [by_class if weights[0] is None else weights[0] * by_class]
        if all(w is None for w in weights):
            return []  # the batches carry no weights: see _step
        return [np.ones(len(y), dtype=y.dtype) if w is None else w.astype(y.dtype) for w, y in zip(weights, ys)]

    # --- the validation rows ------------------------------------------------------
    def _hold_out(self, data, validation_split: float, validation_data):
        """The rows to train on (x, y, w lists), and the (x, y, w) to validate on (or None):
        validation_data, or the last `validation_split` of the rows, taken before any shuffling."""
        xs, ys, ws = data
        validation = None
        if validation_data is not None:
            x_val, y_val, w_val = validation_triple(validation_data)
            x_val, y_val = check_xy(self, x_val, y_val, "fit() validation_data")
            if len(x_val[0]) == 0:
                raise ValueError("fit(): validation_data is empty (0 samples); "
                                 "give it at least one sample, or leave validation_data out")
            validation = (x_val, y_val, self._sample_weights(y_val, w_val, None, "fit() validation_data"))
        elif validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"fit(): validation_split must be in [0, 1), got {validation_split!r}")
            rows = len(xs[0])
            split_at = int(rows * (1 - validation_split))
            if split_at == 0:
                raise ValueError(f"fit(): validation_split={validation_split!r} holds out all {rows} samples; "
                                 "none are left to train on")
            validation = tuple([a[split_at:] for a in arrays] for arrays in (xs, ys, ws))
            xs, ys, ws = ([a[:split_at] for a in arrays] for arrays in (xs, ys, ws))
        return (xs, ys, ws), validation

    # --- fit / evaluate / predict ----------------------------------------------------
    def fit(self, x=None, y=None, batch_size: int | None = None, epochs: int = 1, verbose="auto", callbacks=None,
            validation_split: float = 0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch: int = 0, steps_per_epoch=None, **kwargs) -> History:
        """Trains for `epochs` passes over (x, y) in batches; returns the History.

        The validation rows are held out first. Each epoch then shuffles the training
        rows (unless shuffle=False), takes one optimizer step per batch, and measures
        the validation rows; the callbacks hear of every batch and every epoch.
        """
        if steps_per_epoch is not None:
            raise NotImplementedError("fit(steps_per_epoch=...) is not implemented in minigraph: fit takes arrays "
                                      "and runs ceil(samples / batch_size) steps an epoch")
        xs, ys, ws = self._labelled("fit()", x, y, sample_weight, class_weight, "; there is nothing to train on")
        batch_size = check_batch_size(32 if batch_size is None else batch_size)
        verbose = 1 if verbose == "auto" else verbose
        (xs, ys, ws), validation = self._hold_out((xs, ys, ws), validation_split, validation_data)
        if not self.trainable_weights:
            warnings.warn(f"fit(): model {self.name} has no trainable weights; "
                          "fit measures the loss but changes nothing", stacklevel=2)
        rows = len(xs[0])
        self.stop_training = False
        # as Keras 2: History, then the progress bar, after the program's callbacks (so the bar
        # shows what they add to the logs, e.g. ReduceLROnPlateau's lr)
        callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self, epochs=epochs,
                                 steps=math.ceil(rows / batch_size), batch_size=batch_size, samples=rows,
                                 verbose=verbose)
        if verbose:
            validate = f", validate on {len(validation[0][0])} samples" if validation is not None else ""
            print(f"Train on {rows} samples{validate}", flush=True)

        callbacks.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            callbacks.on_epoch_begin(epoch)
            if shuffle:  # take() copies whole rows: four times as fast as a[order] (indexing's general path)
                order = initializers.generator().permutation(rows)
                shuffled = [[a.take(order, axis=0) for a in arrays] for arrays in (xs, ys, ws)]
            else:
                shuffled = [xs, ys, ws]
            for means in self._running_means(*shuffled, batch_size, train=True, callbacks=callbacks, hooks="train"):
                if self.stop_training:  # the callbacks hear of each batch; TerminateOnNaN stops mid-epoch
                    break
            epoch_logs = means.logs()
            if validation is not None:
                val_logs = self._measure(*validation, batch_size, callbacks)
                epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callbacks.on_train_end()
        return self.history

    def evaluate(self, x=None, y=None, batch_size: int | None = None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict: bool = False, **kwargs):
        """The loss and metrics on (x, y): a number when there is only the loss, else a
        list in the order of model.metrics_names (a dict with return_dict=True)."""
        xs, ys, ws = self._labelled("evaluate()", x, y, sample_weight, None, "; a loss over no samples has no value")
        batch_size = check_batch_size(32 if batch_size is None else batch_size)
        verbose = 1 if verbose == "auto" else verbose
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                                 steps=math.ceil(len(xs[0]) / batch_size))
        return as_result(self._measure(xs, ys, ws, batch_size, callbacks), return_dict)

    def predict(self, x, batch_size: int | None = None, verbose=0, steps=None, callbacks=None, **kwargs):
        """The model's outputs for x, computed batch by batch (a list of arrays for a model
        with several outputs).

        Each batch's outputs are copied into arrays made for all of them, so memory holds
        those arrays and one batch's values, not a list of every batch's."""
        self._require_built_from(x, "predict()")
        self._require_built("predict()")
        xs = check_x(self, x, "predict()")
        batch_size = check_batch_size(32 if batch_size is None else batch_size)
        verbose = 1 if verbose == "auto" else verbose
        rows = len(xs[0])
        if "predict" not in self._steps:
            self._steps["predict"] = self.session.make_callable(self.outputs, self.inputs)
        predict_batch = self._steps["predict"]
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0 and rows > 0, model=self, verbose=verbose,
                                 steps=math.ceil(rows / batch_size))
        callbacks.on_predict_begin()
        results = None
        # an empty x runs once too: its (0, ...) output has the shape the graph gives it
        for step, start in enumerate(range(0, rows, batch_size) or [0]):
            callbacks.on_predict_batch_begin(step)
            outputs = predict_batch(*[array[start:start + batch_size].astype(tensor.dtype, copy=False)
                                      for array, tensor in zip(xs, self.inputs)])
            if results is None:  # a None dim of an output shape is known once a batch has run
                results = [np.empty((rows,) + out.shape[1:], dtype=out.dtype) for out in outputs]
            for result, out in zip(results, outputs):
                result[start:start + len(out)] = out
            callbacks.on_predict_batch_end(step, {"outputs": outputs})
        callbacks.on_predict_end()
        return results if self._nest_outputs else results[0]

    def predict_on_batch(self, x):
        return self.predict(x, batch_size=max(len(as_list(x)[0]), 1))

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None, return_dict: bool = False):
        """One optimizer step on (x, y), all of it one batch; the loss (and metrics) of that batch."""
        return self._one_batch("train_on_batch()", x, y, sample_weight, class_weight, return_dict, train=True)

    def test_on_batch(self, x, y, sample_weight=None, return_dict: bool = False):
        """The loss (and metrics) of (x, y) as one batch, without a step."""
        return self._one_batch("test_on_batch()", x, y, sample_weight, None, return_dict, train=False)

    def _one_batch(self, where: str, x, y, sample_weight, class_weight, return_dict: bool, train: bool):
        xs, ys, ws = self._labelled(where, x, y, sample_weight, class_weight)
        for means in self._running_means(xs, ys, ws, len(xs[0]), train=train):
            pass
        return as_result(means.logs(), return_dict)

    def _labelled(self, where: str, x, y, sample_weight, class_weight, why_not_empty: str = ""):
        """(xs, ys, ws): the checked inputs, labels and per-row weights of fit, evaluate and
        the *_on_batch calls, once the model is built (from x if need be) and compiled."""
        self._require_built_from(x, where)
        self._require_compiled(where)
        xs, ys = check_xy(self, x, y, where)
        if len(xs[0]) == 0:
            raise ValueError(f"{where}: x and y are empty (0 samples){why_not_empty}")
        return xs, ys, self._sample_weights(ys, sample_weight, class_weight, where)

    # --- weights --------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Every weight's value, layer by layer (kernel, then bias)."""
        return get_values(self.weights)

    def set_weights(self, weights) -> None:
        """Sets every weight; all shapes are checked before any weight changes."""
        set_values(self.weights, weights, f"model {self.name}")

    def save_weights(self, filepath: str) -> None:
        """Writes every weight to an .npz file (see saving.py)."""
        self._require_built("save_weights()")  # an unbuilt model has no weights to write
        saving.save_weights(self, filepath)

    def load_weights(self, filepath: str) -> None:
        """Reads weights saved by save_weights; every name and shape is checked first."""
        self._require_built("load_weights()")  # the weights must exist before a file fills them
        saving.load_weights(self, filepath)

    def save(self, filepath: str, **kwargs) -> None:
        """Saves the architecture, the weights and the optimizer's state (see saving.py)."""
        self._require_built("save()")
        saving.save_model(self, filepath, **kwargs)

    def to_keras(self):
        """This model in Keras 3: the same layers, connections and weights (keras/interop.py)."""
        self._require_built("to_keras()")
        return interop.to_keras(self)

    @staticmethod
    def from_keras(keras_model) -> "Model":
        """The minigraph model of a Keras 3 model made of the layers minigraph has."""
        return interop.from_keras(keras_model)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, {len(self.layers)} layers>"


def metrics_per_output(metrics, names: list[str]) -> list[list]:
    """compile()'s metrics as a list of identifiers per output: one list for every output,
    a dict by output name, or a list of lists (one per output)."""
    if isinstance(metrics, dict):
        per_output(metrics, names, "metrics")  # refuses a name that is not an output's
        return [as_list(metrics.get(name) or []) for name in names]
    metrics = list(metrics or [])
    if len(names) > 1 and len(metrics) == len(names) and all(isinstance(m, (list, tuple)) for m in metrics):
        return [list(m) for m in metrics]
    return [metrics for _ in names]


def flat_metrics(metrics) -> list:
    """Every metric identifier compile() was given, from a list, a dict or a list of lists."""
    items = metrics.values() if isinstance(metrics, dict) else metrics or []
    return [m for item in items for m in (item if isinstance(item, (list, tuple)) else [item])]


# Sequential lives in its own file and subclasses Model, so it is imported once Model
# exists; the package's __init__ imports this module first, so this order always holds.
from minigraph.keras.sequential import Sequential  # noqa: E402,F401

from_keras = Model.from_keras  # minigraph.keras.models.from_keras(keras_model), Sequential.from_keras too
