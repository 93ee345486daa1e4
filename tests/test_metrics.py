"""Metrics (minigraph/keras/metrics.py): values against tf_keras (Keras 2) and Keras 3,
and which accuracy 'accuracy' means and the name it is logged under, against a real
tf_keras model compiled with that loss and metric."""

import keras  # noqa: E402  (real Keras 3 on TensorFlow: CI installs it, never skipped)
import numpy as np
import pytest
import tf_keras

import minigraph as mg
from minigraph.keras import losses, metrics

BATCH, CLASSES = 12, 4


def run(function, y_true, y_pred, **arguments):
    graph = mg.Graph()
    with graph.as_default():
        value = function(mg.constant(y_true), mg.constant(y_pred), **arguments)
        assert value.shape[0] in (None, len(y_true)) and len(value.shape) == 1, value.shape
        return mg.Session(graph).run(value)


def data(seed=0):
    rng = np.random.default_rng(seed)
    classes = rng.integers(0, CLASSES, size=BATCH)
    scores = rng.uniform(size=(BATCH, CLASSES)).astype(np.float32)
    scores[0] = [0.5, 0.5, 0.1, 0.1]  # a tie for the largest
    return classes, np.eye(CLASSES, dtype=np.float32)[classes], scores


def test_binary_accuracy_matches_keras():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, size=(BATCH, 3)).astype(np.float32)
    y_pred = rng.uniform(size=(BATCH, 3)).astype(np.float32)
    y_pred[0] = [0.5, 0.50001, 0.49999]  # 0.5 is not above the threshold
    for threshold in (0.5, 0.7):
        expected = tf_keras.metrics.binary_accuracy(y_true, y_pred, threshold=threshold).numpy()
        np.testing.assert_array_equal(run(metrics.binary_accuracy, y_true, y_pred, threshold=threshold), expected)
        assert 0 < expected.mean() < 1
    # Keras 3 keeps one value per entry (its Metric object averages them all); Keras 2 per row
    np.testing.assert_allclose(run(metrics.binary_accuracy, y_true, y_pred),
                               keras.metrics.binary_accuracy(y_true, y_pred).numpy().mean(axis=-1), rtol=1e-6)


def test_categorical_and_sparse_accuracy_match_keras():
    classes, one_hot, scores = data()
    expected = tf_keras.metrics.categorical_accuracy(one_hot, scores).numpy()
    assert 0 < expected.mean() < 1
    np.testing.assert_array_equal(run(metrics.categorical_accuracy, one_hot, scores), expected)
    for labels in (classes, classes[:, None], classes.astype(np.float32), classes[:, None].astype(np.float32)):
        expected = tf_keras.metrics.sparse_categorical_accuracy(labels, scores).numpy().reshape(-1)
        np.testing.assert_array_equal(run(metrics.sparse_categorical_accuracy, labels, scores), expected)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_accuracies_match_keras(k):
    classes, one_hot, scores = data(2)
    expected = tf_keras.metrics.top_k_categorical_accuracy(one_hot, scores, k=k).numpy()
    np.testing.assert_array_equal(run(metrics.top_k_categorical_accuracy, one_hot, scores, k=k), expected)
    expected = tf_keras.metrics.sparse_top_k_categorical_accuracy(classes, scores, k=k).numpy()
    np.testing.assert_array_equal(run(metrics.sparse_top_k_categorical_accuracy, classes, scores, k=k), expected)


def test_cosine_similarity_as_a_metric_is_positive_as_in_tf_keras():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(2, BATCH, 5)).astype(np.float32)
    expected = tf_keras.metrics.get("cosine_similarity")(a, b).numpy()
    np.testing.assert_allclose(run(metrics.cosine_similarity, a, b), expected, rtol=1e-5, atol=1e-6)
    assert metrics.get("cosine_proximity") == ("cosine_proximity", metrics.cosine_similarity)


# --- 'accuracy' resolved, and the names logged, as a real tf_keras model does -------------------------------


# loss, output units, output activation, label form ('one_hot', 'classes', 'column', 'binary'), metric name
RESOLUTIONS = [
    ("categorical_crossentropy", 4, "softmax", "one_hot", "accuracy"),
    ("categorical_crossentropy", 4, "softmax", "one_hot", "acc"),
    ("sparse_categorical_crossentropy", 4, "softmax", "classes", "accuracy"),
    ("sparse_categorical_crossentropy", 4, "softmax", "column", "acc"),
    ("binary_crossentropy", 1, "sigmoid", "binary", "accuracy"),
    ("mse", 1, None, "binary", "acc"),
    ("binary_crossentropy", 4, "sigmoid", "multi_label", "accuracy"),  # tf_keras: categorical_accuracy
    ("categorical_crossentropy", 4, "softmax", "one_hot", "crossentropy"),
    ("sparse_categorical_crossentropy", 4, "softmax", "column", "ce"),
    ("binary_crossentropy", 1, "sigmoid", "binary", "crossentropy"),
    ("categorical_crossentropy", 4, "softmax", "one_hot", "top_k_categorical_accuracy"),
    ("mse", 4, None, "one_hot", "mse"),
    ("mse", 4, None, "one_hot", "mean_absolute_error"),
    ("mse", 4, None, "one_hot", "mape"),
    ("categorical_crossentropy", 4, "softmax", "one_hot", "categorical_accuracy"),
    ("categorical_crossentropy", 4, "softmax", "one_hot", "kullback_leibler_divergence"),  # tf_keras: "kld" fails
]


def labels_for(form, rng):
    classes = rng.integers(0, 4, size=32)
    return {"one_hot": np.eye(4, dtype=np.float32)[classes], "classes": classes, "column": classes[:, None],
            "binary": rng.integers(0, 2, size=(32, 1)).astype(np.float32),
            "multi_label": rng.integers(0, 2, size=(32, 4)).astype(np.float32)}[form]


@pytest.mark.parametrize("loss, units, activation, form, metric", RESOLUTIONS,
                         ids=[f"{r[0]}-{r[3]}-{r[4]}" for r in RESOLUTIONS])
def test_metric_resolution_log_name_and_value_match_tf_keras(loss, units, activation, form, metric):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = labels_for(form, rng)
    model = tf_keras.Sequential([tf_keras.Input(shape=(3,)), tf_keras.layers.Dense(units, activation=activation)])
    model.compile(optimizer="sgd", loss=loss, metrics=[metric])
    history = model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    tf_keras_value = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    predictions = model.predict(x, verbose=0)

    name, function = metrics.get(metric, losses.get(loss), y_true_shape=(None,) + y.shape[1:],
                                 y_pred_shape=(None, units))
    assert set(history.history) == {"loss", name}  # the name fit logs it under
    ours = run(function, y, predictions).mean()
    assert ours == pytest.approx(tf_keras_value[name], rel=1e-5, abs=1e-6)
    # without the label shape, the loss alone leads to the same function
    if form != "multi_label":
        assert metrics.get(metric, loss, y_pred_shape=(None, units))[1] is function


def test_a_metric_function_is_logged_under_its_name():
    def share_positive(y_true, y_pred):
        return mg.reduce_mean(mg.cast(mg.greater(y_pred, 0.0), mg.float32), axis=-1)

    assert metrics.get(share_positive) == ("share_positive", share_positive)
    assert metrics.get(metrics.categorical_accuracy) == ("categorical_accuracy", metrics.categorical_accuracy)
    with pytest.raises(ValueError, match="needs a name to be logged under"):
        metrics.get(lambda y_true, y_pred: y_pred)


def test_an_unknown_metric_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"Unknown metric 'accuracyy'; known: \[.*'binary_accuracy'"):
        metrics.get("accuracyy", "categorical_crossentropy")
