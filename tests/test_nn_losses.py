"""tf.nn's losses (minigraph/ops/losses.py) and tf.losses (minigraph/losses.py) against TF 1.x.

The differentiable ops are in the op table (support/op_cases.py), which test_ops.py
checks to second order against central differences and tf.compat.v1; here: names,
errors, in_top_k's ties, TF1's stop_gradient, and tf.losses. tf.losses weighs
in float32 as TF1 does, so it is compared with TF in float32, and with the plain mean
of the per-example loss it reduces.
"""

import numpy as np
import pytest
import tensorflow as tf

import minigraph as mg
from minigraph.errors import InvalidArgumentError
from support.tensorflow import plain_session_config

v1 = tf.compat.v1


def test_op_types_are_tensorflows(graph):
    x = mg.placeholder(mg.float32, (None, 5))
    labels = mg.placeholder(mg.int64, (None,))
    assert mg.nn.l2_loss(x).op.type == "L2Loss"
    loss = mg.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x)
    assert loss.op.type == "SparseSoftmaxCrossEntropyWithLogits"
    assert loss.op.name == "SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits"  # as TF
    hits = mg.nn.in_top_k(x, labels, 1)
    assert (hits.op.type, hits.dtype, hits.shape) == ("InTopKV2", mg.bool, (None,))
    assert mg.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=x).op.name == "logistic_loss"


def test_sigmoid_cross_entropy_is_tf1s_graph():
    """TF's stable formula op for op: the same op types, in the same order."""
    def op_types(lib, graph):
        x = lib.placeholder(lib.float32, (None, 3))
        lib.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=x)
        return [op.type for op in graph.get_operations() if op.type != "Placeholder"]

    with mg.Graph().as_default() as graph:
        ours = op_types(mg, graph)
    with tf.Graph().as_default() as graph:
        theirs = op_types(v1, graph)
    assert ours == theirs  # ZerosLike, GreaterEqual, Select, Neg, Select, Mul, Sub, Exp, Log1p, AddV2


# --- keyword-only, as TF 1.x -----------------------------------------------------------


@pytest.mark.parametrize("function", ["sigmoid_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits"])
def test_cross_entropies_refuse_positional_arguments_with_tf1s_message(graph, function):
    logits = mg.constant(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError) as raised:
        getattr(mg.nn, function)(logits, logits)
    assert str(raised.value) == f"Only call `{function}` with named arguments (labels=..., logits=..., ...)"
    with pytest.raises(ValueError, match="both labels= and logits="):
        getattr(mg.nn, function)(logits=logits)


def test_tf1_name_stops_gradients_into_labels_as_tf1():
    """Labels computed from the logits themselves: TF1's name differentiates only
    through `logits=`, the _v2 name through both; each as tf.compat.v1 does."""
    logits_value = np.random.default_rng(0).normal(size=(3, 4))

    def gradients(lib, gradients_of, name):
        x = lib.constant(logits_value)
        loss = getattr(lib.nn, name)(labels=lib.nn.softmax(0.5 * x), logits=x)
        return gradients_of(lib.reduce_sum(loss), x)[0]

    for name in ("softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_v2"):
        with mg.Graph().as_default():
            ours = mg.Session().run(gradients(mg, mg.gradients, name))
        with tf.Graph().as_default():
            theirs = v1.Session(config=plain_session_config()).run(gradients(v1, v1.gradients, name))
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    with mg.Graph().as_default() as graph:
        labels = mg.placeholder(mg.float32, (None, 4))
        loss = mg.nn.softmax_cross_entropy_with_logits(labels=labels, logits=mg.placeholder(mg.float32, (None, 4)))
        assert loss.op.name == "softmax_cross_entropy_with_logits_sg"
        assert graph.get_operation_by_name("softmax_cross_entropy_with_logits_sg/labels_stop_gradient").type == \
            "StopGradient"
        assert mg.gradients(loss, labels) == [None]


# --- sparse labels: integers, in range, no gradient ---------------------------------------


def test_sparse_labels_get_no_gradient_and_must_be_integers(graph):
    logits = mg.placeholder(mg.float32, (None, 3), name="logits")
    labels = mg.placeholder(mg.int32, (None,), name="labels")
    loss = mg.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    assert mg.gradients(loss, [logits, labels])[1] is None
    with pytest.raises(TypeError, match="labels must be int32 or int64 class indices"):
        mg.nn.sparse_softmax_cross_entropy_with_logits(labels=mg.placeholder(mg.float32, (None,)), logits=logits)
    with pytest.raises(ValueError, match=r"labels must have the shape of logits without its last axis: "
                                         r"logits \(None, 3\), labels \(None, 3\)"):
        mg.nn.sparse_softmax_cross_entropy_with_logits(labels=mg.placeholder(mg.int32, (None, 3)), logits=logits)


@pytest.mark.parametrize("bad", [3, -1])
def test_a_label_out_of_range_is_an_error_naming_the_node(graph, bad):
    logits = mg.placeholder(mg.float32, (None, 3))
    labels = mg.placeholder(mg.int64, (None,))
    loss = mg.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    with pytest.raises(InvalidArgumentError) as raised:
        mg.Session().run(loss, {logits: np.zeros((2, 3)), labels: [0, bad]})
    message = str(raised.value)
    assert "SparseSoftmaxCrossEntropyWithLogits" in message
    assert f"Received a label value of {bad} which is outside the valid range of [0, 3)" in message
    with tf.Graph().as_default():  # TF refuses it too (on the CPU)
        with pytest.raises(tf.errors.InvalidArgumentError, match="outside the valid range"):
            v1.Session().run(v1.nn.sparse_softmax_cross_entropy_with_logits(
                labels=np.array([0, bad]), logits=np.zeros((2, 3), np.float32)))


# --- in_top_k ----------------------------------------------------------------------------

PREDICTIONS = np.array([
    [1.0, 1.0, 1.0, 0.0],   # a three-way tie: each of them is in the top 1
    [0.1, 0.5, 0.5, 0.2],   # tie for first
    [np.nan, 1.0, 2.0, 3.0],  # a NaN anywhere in the row: never in the top k
    [1.0, np.inf, 0.0, 0.0],  # so is inf
    [3.0, 2.0, 1.0, 0.0],   # target out of range: never
    [0.0, 1.0, 2.0, 3.0],
], dtype=np.float32)
TARGETS = np.array([2, 2, 3, 0, 7, 1], dtype=np.int32)


@pytest.mark.parametrize("k", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("target_dtype", [np.int32, np.int64])
def test_in_top_k_matches_tensorflow_ties_and_nonfinite_rows_included(graph, k, target_dtype):
    targets = TARGETS.astype(target_dtype)
    ours = mg.Session().run(mg.nn.in_top_k(PREDICTIONS, targets, k))
    with tf.Graph().as_default():
        theirs = v1.Session().run(v1.nn.in_top_k(PREDICTIONS, targets, k))
    np.testing.assert_array_equal(ours, theirs)


def test_in_top_k_with_a_tensor_k_and_its_errors(graph):
    predictions = mg.placeholder(mg.float32, (None, 4))
    targets = mg.placeholder(mg.int32, (None,))
    k = mg.placeholder(mg.int32, ())
    hits = mg.nn.in_top_k(predictions, targets, k)
    assert mg.gradients(mg.reduce_sum(mg.cast(hits, mg.float32)), predictions) == [None]
    value = mg.Session().run(hits, {predictions: PREDICTIONS[5:], targets: [1], k: 3})
    np.testing.assert_array_equal(value, [True])
    with pytest.raises(TypeError, match="predictions must be float32"):
        mg.nn.in_top_k(mg.placeholder(mg.float64, (None, 4)), targets, 1)
    with pytest.raises(TypeError, match="targets and k must share one integer dtype"):
        mg.nn.in_top_k(predictions, mg.placeholder(mg.float32, (None,)), 1)


# --- tf.losses -----------------------------------------------------------------------------

RNG = np.random.default_rng(7)
LOGITS = RNG.normal(size=(6, 4)).astype(np.float32) * 2
SPARSE = np.array([0, 3, 1, 1, 2, 0])
ONE_HOT = np.eye(4, dtype=np.float32)[SPARSE]
TARGETS_MSE = RNG.normal(size=(6, 4)).astype(np.float32)
WEIGHTS = {
    "default": None,
    "a number": 2.5,
    "zero": 0.0,
    "per example, some zero": np.array([1.0, 0.0, 2.0, 0.5, 0.0, 1.0], np.float32),
}
REDUCTIONS = ["SUM_BY_NONZERO_WEIGHTS", "MEAN", "SUM_OVER_BATCH_SIZE", "SUM", "NONE"]

LOSSES = {
    "softmax_cross_entropy": lambda lib, x, kw: lib.losses.softmax_cross_entropy(ONE_HOT, x, **kw),
    "softmax_cross_entropy label_smoothing=0.1":
        lambda lib, x, kw: lib.losses.softmax_cross_entropy(ONE_HOT, x, label_smoothing=0.1, **kw),
    "sparse_softmax_cross_entropy": lambda lib, x, kw: lib.losses.sparse_softmax_cross_entropy(SPARSE, x, **kw),
    "mean_squared_error": lambda lib, x, kw: lib.losses.mean_squared_error(TARGETS_MSE, x, **kw),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weights", WEIGHTS, ids=list(WEIGHTS))
@pytest.mark.parametrize("name", LOSSES)
def test_tf_losses_match_tensorflow(name, weights, reduction):
    weights = WEIGHTS[weights]
    if name == "mean_squared_error" and weights is not None and not np.isscalar(weights):
        weights = weights[:, None]  # one weight per row, broadcast over its four squared errors
    build = LOSSES[name]

    def run(lib, gradients_of, session):
        x = lib.constant(LOGITS)
        kwargs = {"reduction": getattr(lib.losses.Reduction, reduction)}
        if weights is not None:
            kwargs["weights"] = weights
        loss = build(lib, x, kwargs)
        return session().run([loss, gradients_of(lib.reduce_sum(loss), x)[0]])

    with mg.Graph().as_default():
        ours = run(mg, mg.gradients, mg.Session)
    with tf.Graph().as_default():
        theirs = run(v1, v1.gradients, lambda: v1.Session(config=plain_session_config()))
    for mine, reference in zip(ours, theirs):
        assert np.shape(mine) == np.shape(reference) and mine.dtype == reference.dtype
        np.testing.assert_allclose(mine, reference, rtol=2e-6, atol=1e-7)


def test_default_reduction_with_weights_one_is_the_mean(graph):
    """SUM_BY_NONZERO_WEIGHTS with weights=1.0 divides by the number of losses."""
    logits = mg.constant(LOGITS)
    loss = mg.losses.sparse_softmax_cross_entropy(labels=SPARSE, logits=logits)
    mean = mg.reduce_mean(mg.nn.sparse_softmax_cross_entropy_with_logits(labels=SPARSE, logits=logits))
    assert loss.shape == () and loss.dtype == mg.float32
    ours, expected = mg.Session().run([loss, mean])
    np.testing.assert_allclose(ours, expected, rtol=1e-6)
    assert mg.losses.Reduction.SUM_BY_NONZERO_WEIGHTS == v1.losses.Reduction.SUM_BY_NONZERO_WEIGHTS


def test_tf_losses_scopes_are_tf1s(graph):
    x = mg.placeholder(mg.float32, (None, 4))
    assert mg.losses.softmax_cross_entropy(ONE_HOT, x).op.name == "softmax_cross_entropy_loss/value"
    loss = mg.losses.sparse_softmax_cross_entropy(SPARSE, x)
    assert loss.op.name == "sparse_softmax_cross_entropy_loss/value"
    names = {op.name for op in graph.get_operations()}
    assert "sparse_softmax_cross_entropy_loss/xentropy/SparseSoftmaxCrossEntropyWithLogits" in names
    assert "softmax_cross_entropy_loss/labels_stop_gradient" in names
    assert mg.losses.mean_squared_error(TARGETS_MSE, x).op.name == "mean_squared_error/value"


def test_tf_losses_errors(graph):
    x = mg.placeholder(mg.float32, (None, 4))
    with pytest.raises(ValueError, match="Invalid Reduction Key 'mean'"):
        mg.losses.mean_squared_error(TARGETS_MSE, x, reduction="mean")
    with pytest.raises(ValueError, match=r"Shapes \(6, 3\) and \(6, 4\) are incompatible"):
        mg.losses.mean_squared_error(TARGETS_MSE, mg.placeholder(mg.float32, (6, 3)))
    with pytest.raises(AttributeError, match=r"tf.losses.hinge_loss \(minigraph.losses.hinge_loss\) is not "
                                             "implemented: minigraph implements a subset of TensorFlow 1.x"):
        mg.losses.hinge_loss  # noqa: B018


def test_a_float64_loss_is_weighed_in_float32_as_tf1(graph):
    x = mg.constant(LOGITS.astype(np.float64))
    loss = mg.losses.sparse_softmax_cross_entropy(SPARSE, x)
    assert loss.dtype == mg.float64
    with tf.Graph().as_default():
        theirs = v1.Session().run(v1.losses.sparse_softmax_cross_entropy(SPARSE, LOGITS.astype(np.float64)))
    assert mg.Session().run(loss) == theirs


def test_probabilities_need_the_stable_formula():
    """sigmoid_cross_entropy at logits of -200 and 200: finite, as TF's formula makes it."""
    with mg.Graph().as_default():
        loss = mg.nn.sigmoid_cross_entropy_with_logits(labels=[1.0, 0.0, 1.0], logits=[-200.0, 200.0, 200.0])
        np.testing.assert_allclose(mg.Session().run(loss), [200.0, 200.0, 0.0], atol=1e-30)
