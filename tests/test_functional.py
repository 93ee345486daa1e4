"""The functional API (minigraph/keras/functional.py, models.Model) against Keras 2 (tf-keras).

The same graph of layers is built in both, with the same names and initial weights:
two Inputs, a Dense on each, a Concatenate, and two outputs (a softmax classifier and
a linear regressor). Then:

- the layers, their order, shapes, counts and connections are tf-keras's (read from
  its summary text);
- fit with a loss per output, loss_weights and sample weights ends on tf-keras's
  weights and logs tf-keras's numbers under tf-keras's names; evaluate and predict
  take lists and dicts;
- class_weight weighs the loss as tf-keras does;
- get_config / from_config rebuild the same model (JSON-able, a shared layer too);
- a graph that misses an Input is refused by name.
"""

import ast
import json
import os
from types import SimpleNamespace

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tf_keras  # noqa: E402  (Keras 2, the Keras of the worksheet)

import minigraph as mg  # noqa: E402
from minigraph.keras import backend as K  # noqa: E402
from minigraph.keras.layers import Concatenate, Dense, Dropout, Input, InputLayer  # noqa: E402
from minigraph.keras.models import Model, Sequential  # noqa: E402
from minigraph.keras.optimizers import SGD  # noqa: E402


def two_headed(kind):
    """inputs left (4,) and right (3,) -> Dense each -> Concatenate -> softmax 'label' and linear 'value'."""
    layers = kind.layers
    left, right = kind.Input(shape=(4,), name="left"), kind.Input(shape=(3,), name="right")
    joined = layers.Concatenate(name="joined")([layers.Dense(5, activation="relu", name="left_dense")(left),
                                                layers.Dense(6, activation="tanh", name="right_dense")(right)])
    label = layers.Dense(3, activation="softmax", name="label")(joined)
    value = layers.Dense(1, name="value")(joined)
    return kind.Model([left, right], [label, value])


OURS = SimpleNamespace(Input=Input, Model=Model, layers=SimpleNamespace(Dense=Dense, Concatenate=Concatenate))


def data(rows=12, seed=0):
    rng = np.random.default_rng(seed)
    x = [rng.normal(size=(rows, 4)).astype(np.float32), rng.normal(size=(rows, 3)).astype(np.float32)]
    labels = np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=rows)]
    values = rng.normal(size=(rows, 1)).astype(np.float32)
    return x, [labels, values]


@pytest.fixture
def pair():
    ours, theirs = two_headed(OURS), two_headed(tf_keras)
    theirs.set_weights(ours.get_weights())
    return ours, theirs


# --- the graph of layers ------------------------------------------------------------------


def summary_rows(lines: list[str], stops: list[int]) -> list[tuple]:
    """(name (type), shape, count, [pieces of 'Connected to']) per layer, read from a
    summary's text: a row's lines (a wrapped or continued cell) joined column by column."""
    body = lines[lines.index(next(line for line in lines if line.startswith("="))) + 1:]
    body = body[:next(i for i, line in enumerate(body) if line.startswith("Total params"))]
    rows, current = [], None
    for line in body:
        if not line.strip() or set(line.strip()) <= set("_="):  # between two layers
            current = None
            continue
        cells = [line[start:stop].strip() for start, stop in zip([0] + stops[:-1], stops)]
        if current is None:
            current = ["", "", "", []]
            rows.append(current)
        for i in range(3):
            current[i] += cells[i]
        current[3] += [cells[3]] if cells[3] else []
    # tf-keras shows an Input's one shape in a list: [(None, 4)]
    return [(name, shape.strip("[]") if "InputLayer" in name else shape, int(count), pieces)
            for name, shape, count, pieces in rows]


def test_layers_shapes_counts_and_connections_are_tf_keras_s(pair):
    ours, theirs = pair
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert [type(layer).__name__ for layer in ours.layers] == [type(layer).__name__ for layer in theirs.layers]
    our_lines, their_lines = [], []
    ours.summary(print_fn=our_lines.append)
    theirs.summary(print_fn=their_lines.append)
    # the worksheet's Keras 2 layout (see model_summary.py) puts each connection on a line of
    # its own; tf-keras wraps the list they make
    merged = summary_rows(our_lines, [32, 53, 65, 98])
    their_rows = [row[:3] + (ast.literal_eval("".join(row[3])),) for row in summary_rows(their_lines, [29, 58, 68, 98])]
    assert merged == their_rows
    assert merged[4] == ("joined (Concatenate)", "(None, 11)", 0, ["left_dense[0][0]", "right_dense[0][0]"])
    assert our_lines[-4:-1] == ["Total params: 97", "Trainable params: 97", "Non-trainable params: 0"]
    assert ours.count_params() == theirs.count_params() == 97


def test_model_inputs_outputs_and_get_layer(pair):
    ours, theirs = pair
    assert [t.shape for t in ours.inputs] == [tuple(t.shape) for t in theirs.inputs] == [(None, 4), (None, 3)]
    assert ours.input == ours.inputs and ours.output == ours.outputs  # given as lists, they stay lists
    assert ours.input_names == theirs.input_names == ["left", "right"]
    assert ours.output_names == theirs.output_names == ["label", "value"]
    assert ours.get_layer("joined") is ours.layers[4] and ours.get_layer(index=-1).name == "value"
    joined = ours.get_layer("joined")
    assert joined.input == [ours.get_layer("left_dense").output, ours.get_layer("right_dense").output]
    assert joined.input_shape == [(None, 5), (None, 6)] and joined.output_shape == (None, 11)
    with pytest.raises(ValueError, match=r"get_layer\(\): model .* has no layer named 'nope'; its layers are "):
        ours.get_layer("nope")
    single = Model(inputs=ours.inputs[0], outputs=ours.get_layer("left_dense").output, name="left_only")
    assert single.input is ours.inputs[0] and single.name == "left_only"
    assert [layer.name for layer in single.layers] == ["left", "left_dense"]


def test_a_model_missing_one_of_its_inputs_is_refused_by_name(pair):
    ours, _ = pair
    with pytest.raises(ValueError, match=r"Graph disconnected: cannot obtain value for tensor .*right.* "
                                         r"needed by layer \['right_dense'\]"):
        Model(ours.inputs[0], ours.outputs)
    with pytest.raises(ValueError, match="The inputs of a functional Model must be tensors made by Input"):
        Model(ours.get_layer("joined").output, ours.outputs)
    doubled = Dense(2, name="value")(ours.get_layer("joined").output)
    with pytest.raises(ValueError, match=r"All layer names should be unique: .* several layers named \['value'\]"):
        Model(ours.inputs, [ours.outputs[1], doubled])
    stray = Dense(2, name="after_an_op")(ours.outputs[1] * 2.0)
    with pytest.raises(ValueError, match=r"Layer after_an_op was called on Tensor\(\"mul.*which no layer made .* "
                                         r"wrap the op in a Lambda layer"):
        Model(ours.inputs, stray)


# --- training with several inputs and outputs ------------------------------------------------


def compile_both(ours, theirs, **kwargs):
    ours.compile(optimizer=SGD(learning_rate=0.1), **kwargs)
    theirs.compile(optimizer=tf_keras.optimizers.SGD(learning_rate=0.1), **kwargs)


def test_fit_with_a_loss_per_output_weights_and_sample_weights_is_tf_keras_s(pair):
    ours, theirs = pair
    compile_both(ours, theirs, loss=["categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5],
                 metrics={"label": ["accuracy"]})
    x, y = data()
    weights = np.linspace(0.5, 2.0, 12).astype(np.float32)
    arguments = dict(batch_size=5, epochs=3, shuffle=False, verbose=0, sample_weight=weights,
                     validation_data=(x, y))
    history = ours.fit(x, y, **arguments).history
    reference = theirs.fit(x, y, **arguments).history
    assert set(history) == set(reference) == {
        "loss", "label_loss", "value_loss", "label_accuracy",
        "val_loss", "val_label_loss", "val_value_loss", "val_label_accuracy"}
    for key in reference:
        np.testing.assert_allclose(history[key], reference[key], rtol=1e-5, err_msg=key)
    for mine, theirs_ in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, theirs_, rtol=1e-5, atol=1e-6)
    # the same numbers from evaluate, with x and y as dicts by name
    by_name = ours.evaluate({"left": x[0], "right": x[1]}, {"label": y[0], "value": y[1]}, verbose=0)
    assert ours.metrics_names == ["loss", "label_loss", "value_loss", "label_accuracy"]
    np.testing.assert_allclose(by_name, theirs.evaluate(x, y, verbose=0), rtol=1e-5)
    label, value = ours.predict(x, batch_size=5)
    their_label, their_value = theirs.predict(x, verbose=0)
    np.testing.assert_allclose(label, their_label, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(value, their_value, rtol=1e-5, atol=1e-6)


def test_x_for_several_inputs_must_name_or_order_each():
    ours = two_headed(OURS)
    ours.compile(optimizer="sgd", loss=["categorical_crossentropy", "mse"])
    x, y = data()
    with pytest.raises(ValueError, match=r"predict\(\): model .* has 2 inputs \['left', 'right'\], so x must be "
                                         r"a list of 2 arrays \(or a dict by name\), got ndarray"):
        ours.predict(x[0])
    with pytest.raises(ValueError, match=r"x has no data for \['right'\]"):
        ours.predict({"left": x[0]})
    with pytest.raises(ValueError, match=r"expects x\['right'\] of shape \(None, 3\) \(3 features per row\), "
                                         r"got x\['right'\] of shape \(12, 4\)"):
        ours.evaluate([x[0], x[0]], y, verbose=0)


def test_class_weight_weighs_the_loss_as_tf_keras_does():
    inputs = Input(shape=(4,), name="features")
    ours = Model(inputs, Dense(3, activation="softmax", name="classes")(inputs))
    their_inputs = tf_keras.Input(shape=(4,), name="features")
    theirs = tf_keras.Model(their_inputs, tf_keras.layers.Dense(3, activation="softmax", name="classes")(their_inputs))
    theirs.set_weights(ours.get_weights())
    compile_both(ours, theirs, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(20, 4)).astype(np.float32), rng.integers(0, 3, size=20)
    class_weight = {0: 1.0, 1: 3.0, 2: 0.25}
    history = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, class_weight=class_weight).history
    reference = theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, class_weight=class_weight).history
    assert set(history) == set(reference) == {"loss", "accuracy"}
    np.testing.assert_allclose(history["loss"], reference["loss"], rtol=1e-5)
    np.testing.assert_allclose(history["accuracy"], reference["accuracy"])  # metrics are not weighted
    with pytest.raises(ValueError, match=r"class_weight has no weight for class 2"):
        ours.fit(x, y, verbose=0, class_weight={0: 1.0, 1: 1.0})


def test_fit_feeds_the_learning_phase_true_so_dropout_drops_only_there():
    inputs = Input(shape=(50,))
    model = Model(inputs, Dropout(0.9)(Dense(1, kernel_initializer="ones", name="total")(inputs)))
    model.compile(optimizer=SGD(learning_rate=0.0), loss="mse")  # a step that changes nothing
    x, y = np.ones((64, 50), np.float32), np.full((64, 1), 50.0, np.float32)
    assert model.evaluate(x, y, verbose=0) == 0.0  # inference: the whole sum, exactly the label
    assert model.fit(x, y, batch_size=64, verbose=0).history["loss"][0] > 100  # 90% of rows zeroed, or x10
    np.testing.assert_array_equal(model.predict(x), y)
    run = K.function([model.input, K.learning_phase()], [model.output])
    assert (run([x, False])[0] == 50).all() and not (run([x, True])[0] == 50).all()


# --- the architecture as data ------------------------------------------------------------


def test_get_config_is_json_and_from_config_rebuilds_the_same_model(pair):
    ours, theirs = pair
    config = json.loads(json.dumps(ours.get_config()))
    their_config = theirs.get_config()
    assert [entry["name"] for entry in config["layers"]] == [entry["name"] for entry in their_config["layers"]]
    assert [entry["inbound_nodes"] for entry in config["layers"]] == [
        [[list(connection) for connection in node] for node in entry["inbound_nodes"]]
        for entry in their_config["layers"]]
    assert config["input_layers"] == [["left", 0, 0], ["right", 0, 0]]
    assert config["output_layers"] == [["label", 0, 0], ["value", 0, 0]]
    with mg.Graph().as_default():
        copy = Model.from_config(config)
        copy.set_weights(ours.get_weights())
        x, _ = data()
        for mine, theirs_ in zip(copy.predict(x), ours.predict(x)):
            np.testing.assert_array_equal(mine, theirs_)
    assert [layer.name for layer in copy.layers] == [layer.name for layer in ours.layers]


def test_a_shared_layer_is_one_layer_with_two_calls():
    inputs = Input(shape=(3,), name="x")
    shared = Dense(3, name="shared")
    model = Model(inputs, shared(shared(inputs)))
    assert model.layers == [model.get_layer("x"), shared] and len(model.weights) == 2
    assert shared.get_output_at(1) is model.output
    with pytest.raises(AttributeError, match="Layer shared has been called 2 times, so its output is ill-defined"):
        shared.output  # noqa: B018
    lines = []
    model.summary(print_fn=lines.append)
    assert [line.split() for line in lines if line.startswith(("shared", " " * 60))] == [
        ["shared", "(Dense)", "(None,", "3)", "12", "x[0][0]"], ["shared[0][0]"]]
    config = json.loads(json.dumps(model.get_config()))
    assert config["layers"][1]["inbound_nodes"] == [[["x", 0, 0, {}]], [["shared", 0, 0, {}]]]
    assert config["output_layers"] == [["shared", 1, 0]]
    with mg.Graph().as_default():
        copy = Model.from_config(config)
        copy.set_weights(model.get_weights())
        x = np.arange(6, dtype=np.float32).reshape(2, 3)
        np.testing.assert_array_equal(copy.predict(x), model.predict(x))


def test_sequential_has_no_input_layer_in_its_layers_but_an_input():
    model = Sequential([Dense(4, input_shape=(3,), name="first"), Dense(2, name="second")])
    assert [layer.name for layer in model.layers] == ["first", "second"]
    assert model.input.name == "first_input:0" and model.output is model.get_layer("second").output
    assert model.inputs == [model.input]
    assert isinstance(model._input_layer, InputLayer)
    config = json.loads(json.dumps(model.get_config()))
    assert [entry["class_name"] for entry in config["layers"]] == ["InputLayer", "Dense", "Dense"]
    assert config["layers"][0]["config"]["batch_input_shape"] == [None, 3]
    with mg.Graph().as_default():
        copy = Sequential.from_config(config)
        copy.set_weights(model.get_weights())
        x = np.ones((2, 3), np.float32)
        np.testing.assert_array_equal(copy.predict(x), model.predict(x))


def test_train_on_batch_and_test_on_batch_are_one_step_of_fit():
    inputs = Input(shape=(4,))
    model = Model(inputs, Dense(2, activation="softmax")(inputs))
    twin = Model.from_config(model.get_config())
    twin.set_weights(model.get_weights())
    for each in (model, twin):
        each.compile(optimizer=SGD(learning_rate=0.5), loss="categorical_crossentropy", metrics=["accuracy"])
    x, y = np.eye(4, dtype=np.float32), np.eye(2, dtype=np.float32)[[0, 1, 1, 0]]
    before = model.test_on_batch(x, y)
    loss, accuracy = model.train_on_batch(x, y)
    assert [loss, accuracy] == before  # measured in the step, before the update
    history = twin.fit(x, y, batch_size=4, verbose=0, shuffle=False).history
    assert history == {"loss": [loss], "accuracy": [accuracy]}
    for mine, theirs in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    assert model.test_on_batch(x, y, return_dict=True)["loss"] < loss


@pytest.mark.parametrize("metrics, weighted_metrics", [
    (None, ["accuracy"]), (["accuracy"], ["accuracy"]), (["accuracy"], ["mse"]),
])
def test_weighted_metrics_are_named_and_weighed_as_tf_keras_does(metrics, weighted_metrics):
    inputs, their_inputs = Input(shape=(3,)), tf_keras.Input(shape=(3,))
    ours = Model(inputs, Dense(2, activation="softmax")(inputs))
    theirs = tf_keras.Model(their_inputs, tf_keras.layers.Dense(2, activation="softmax")(their_inputs))
    theirs.set_weights(ours.get_weights())
    compile_both(ours, theirs, loss="categorical_crossentropy", metrics=metrics, weighted_metrics=weighted_metrics)
    x = np.random.default_rng(2).normal(size=(8, 3)).astype(np.float32)
    y, weights = np.eye(2, dtype=np.float32)[[0, 1, 0, 1, 1, 1, 0, 0]], np.arange(8.0)
    history = ours.fit(x, y, batch_size=3, epochs=2, shuffle=False, sample_weight=weights, verbose=0).history
    reference = theirs.fit(x, y, batch_size=3, epochs=2, shuffle=False, sample_weight=weights, verbose=0).history
    assert list(history) == list(reference)
    for key in reference:
        np.testing.assert_allclose(history[key], reference[key], rtol=1e-5, err_msg=key)


def test_metrics_per_output_as_a_list_of_lists_or_a_dict(pair):
    ours, _ = pair
    ours.compile(optimizer="sgd", loss=["categorical_crossentropy", "mse"], metrics=[["accuracy"], ["mae"]])
    assert ours.metrics_names == ["loss", "label_loss", "value_loss", "label_accuracy", "value_mae"]
    ours.compile(optimizer="sgd", loss={"label": "categorical_crossentropy", "value": "mse"},
                 metrics={"value": "mae"})
    assert ours.metrics_names == ["loss", "label_loss", "value_loss", "value_mae"]
    with pytest.raises(ValueError, match=r"compile\(\): metrics names \['nope'\], which are not outputs of the "
                                         r"model \(\['label', 'value'\]\)"):
        ours.compile(optimizer="sgd", loss="mse", metrics={"nope": ["mae"]})
    assert ours.metrics_names == ["loss", "label_loss", "value_loss", "value_mae"]  # the compile before stands


def test_validation_split_of_several_inputs_and_initial_epoch(pair):
    ours, theirs = pair
    compile_both(ours, theirs, loss=["categorical_crossentropy", "mse"])
    x, y = data(rows=10)
    arguments = dict(batch_size=4, epochs=3, initial_epoch=1, shuffle=False, validation_split=0.3, verbose=0)
    history, reference = ours.fit(x, y, **arguments), theirs.fit(x, y, **arguments)
    assert history.epoch == reference.epoch == [1, 2]
    for key in reference.history:  # the last 3 rows of each input and output validate
        np.testing.assert_allclose(history.history[key], reference.history[key], rtol=1e-5, err_msg=key)


def test_a_model_called_on_a_tensor_applies_its_layers_with_their_weights():
    inputs = Input(shape=(3,), name="code_in")
    encoder = Model(inputs, Dense(2, activation="tanh", name="code")(inputs), name="encoder")
    outer_inputs = Input(shape=(3,), name="outer_in")
    outer = Model(outer_inputs, Dense(1, name="score")(encoder(outer_inputs)))
    assert [layer.name for layer in outer.layers] == ["outer_in", "code", "score"]  # the encoder's layers, shared
    x = np.random.default_rng(3).normal(size=(6, 3)).astype(np.float32)
    (codes,) = K.function([outer_inputs], [outer.get_layer("code").get_output_at(1)])([x])
    np.testing.assert_array_equal(codes, encoder.predict(x))
    outer.compile(optimizer=SGD(learning_rate=0.5), loss="mse")
    before = encoder.get_weights()
    outer.fit(x, np.ones((6, 1), np.float32), verbose=0)
    assert not np.allclose(encoder.get_weights()[0], before[0])  # training the outer model trains the encoder
    with pytest.raises(ValueError, match=r"Model encoder takes 1 inputs \['code_in'\], got 2 tensors"):
        encoder([outer_inputs, outer_inputs])


def test_sequential_pop_ends_the_model_where_its_last_layer_began():
    model = Sequential([Dense(4, input_shape=(3,), name="body"), Dense(2, name="head")])
    model.compile(optimizer="sgd", loss="mse")
    model.pop()
    assert [layer.name for layer in model.layers] == ["body"] and model.output_shape == (None, 4)
    assert model.output is model.get_layer("body").output
    model.add(Dense(1, name="new_head"))
    model.fit(np.ones((4, 3), np.float32), np.ones((4, 1), np.float32), verbose=0)  # trains with the new head
    assert model.predict(np.ones((2, 3), np.float32)).shape == (2, 1)
    model.pop(), model.pop()
    with pytest.raises(TypeError, match=r"pop\(\): there are no layers in model"):
        model.pop()
