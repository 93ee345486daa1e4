"""The rewrites that make fewer, fatter steps (minigraph/passes/fused_matmul.py and
broadcasts.py), and the Keras metric graph built without weights of one: each gives
the plain plan's values bit for bit, and leaves alone what it must.

(The op table with passes on and off, and the worksheet trained both ways, are in
test_passes.py: they run these rewrites too.)
"""

import numpy as np
import pytest

import minigraph as mg
from minigraph.keras import backend as K
from minigraph.keras.layers import Dense
from minigraph.keras.models import Sequential
from minigraph.passes import RewriterConfig, plain_config
from minigraph.passes.fused_count import holds_no_nan
from minigraph.plan import COMPILE_ON_RUN

PLAIN = plain_config()


def explained(fetches, feed_list=(), **switches):
    return mg.passes.explain(fetches, feed_list, mg.ConfigProto(mg.GraphOptions(RewriterConfig(**switches))))


def step_types(explanation) -> list[str]:
    return [node.type_name for node in explanation.after.nodes]


def both_ways(fetches: list, feed_dict):
    """The values with every pass, and with none. Each session runs the plan until it is
    compiled (plan.py): the values returned with the passes are the compiled plan's,
    checked first against the same plan read step by step, bit for bit."""
    values = []
    for session in (mg.Session(), mg.Session(config=PLAIN)):
        session.run(mg.global_variables_initializer())
        runs = [session.run(fetches, feed_dict) for _ in range(COMPILE_ON_RUN)]
        assert_bitwise(runs[0], runs[-1])
        values.append(runs[-1])
    return values


def assert_bitwise(ours, theirs):
    """Equal to the last bit: dtype, shape and bytes (so -0.0 is not 0.0, and NaN is NaN)."""
    for a, b in zip(ours, theirs, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert (a.dtype, a.shape) == (b.dtype, b.shape)
        assert a.tobytes() == b.tobytes()


def dense_network(bias_add=lambda product, bias: product + bias):
    """x -> relu(x @ w + b) -> @ w_1 + b_1, its loss, and the gradients of both layers."""
    rng = np.random.default_rng(0)
    x = mg.placeholder(mg.float32, (None, 4), name="x")
    w = mg.Variable(rng.standard_normal((4, 5)).astype(np.float32), name="w")
    b = mg.Variable(rng.standard_normal(5).astype(np.float32), name="b")
    w_1 = mg.Variable(rng.standard_normal((5, 3)).astype(np.float32), name="w_1")
    b_1 = mg.Variable(rng.standard_normal(3).astype(np.float32), name="b_1")
    hidden = mg.nn.relu(bias_add(mg.matmul(x, w), b))
    logits = bias_add(mg.matmul(hidden, w_1), b_1)
    loss = mg.reduce_mean(mg.square(logits))
    grads = mg.gradients(loss, [w, b, w_1, b_1])
    value = rng.standard_normal((6, 4)).astype(np.float32)
    return x, logits, loss, grads, {x: value}


# --- MatMul + bias add (+ Relu) ---------------------------------------------------------


@pytest.mark.parametrize("bias_add", [
    lambda product, bias: product + bias,  # Keras's Dense and TF1's x @ w + b: AddV2
    lambda product, bias: bias + product,  # the bias first: the same sum
    lambda product, bias: mg.nn.bias_add(product, bias),  # tf.nn.bias_add
], ids=["AddV2", "bias + product", "BiasAdd"])
def test_dense_layers_fuse_into_fused_matmul_steps_with_the_same_values(graph, bias_add):
    x, logits, loss, grads, feed = dense_network(bias_add)
    e = explained([loss] + grads, [x])
    fused = [node for node in e.after.nodes if node.type_name == "_FusedMatMul"]
    assert [node.note for node in fused] == ["MatMul + BiasAdd + Relu in one kernel", "MatMul + BiasAdd in one kernel"]
    assert fused[0].name == "Relu" and [op.type_name for op in fused[0].fused][::2] == ["MatMul", "Relu"]
    assert "Relu" not in step_types(e) and step_types(e).count("MatMul") == 3  # the gradient's three stay
    assert any(line.startswith("fused MatMul MatMul, ") and "(fused_ops BiasAdd, Relu), named Relu" in line
               for line in e.stages[-2][1].log)
    # ReluGrad reads the fused step's output: Relu's value
    relu_grad = next(node for node in e.after.nodes if node.type_name == "ReluGrad")
    assert fused[0] in relu_grad.arguments
    assert_bitwise(*both_ways([logits, loss] + grads, feed))


def test_a_fused_relu_keeps_the_bits_of_negative_zero_nan_and_inf(graph):
    x = mg.placeholder(mg.float32, (None, 1))
    w = mg.constant(np.float32([[1.0, 1.0, 1.0, 1.0]]))
    bias = mg.constant(np.float32([-0.0, 0.0, -1.0, np.inf]))
    y = mg.nn.relu(mg.matmul(x, w) + bias)
    assert step_types(explained(y, [x])) == ["_FusedMatMul"]
    value = np.float32([[-0.0], [0.0], [np.nan], [-np.inf], [1.0], [-2.0]])
    (ours,), (theirs,) = both_ways([y], {x: value})
    np.testing.assert_array_equal(ours.view(np.int32), theirs.view(np.int32))  # -0.0 is not 0.0 here


def test_a_fused_relu_run_again_on_other_batches_gives_the_plain_bits(graph):
    """Its zeros are kept between runs (ops/nn.py, zeros_for_max): batch after batch, of
    other sizes too, each result is the plain plan's, and a fetched value is the caller's."""
    x, logits, loss, grads, feed = dense_network()
    hidden = logits.op.inputs[0].op.inputs[0]  # the first layer's relu: a fused step's value
    assert "_FusedMatMul" in step_types(explained(hidden, [x]))
    session, plain = mg.Session(), mg.Session(config=PLAIN)
    for each in (session, plain):
        each.run(mg.global_variables_initializer())
    rng = np.random.default_rng(11)
    kept = []
    for rows in (5, 5, 3, 5, 1, 5):
        value = rng.standard_normal((rows, feed[x].shape[1])).astype(np.float32)
        value[0, :2] = [np.nan, -0.0]
        ours = session.run(hidden, {x: value})
        assert ours.tobytes() == plain.run(hidden, {x: value}).tobytes()
        kept.append((ours, ours.copy()))
    for ours, copy in kept:  # no later run wrote into an earlier result
        assert ours.tobytes() == copy.tobytes()


def test_a_product_or_sum_read_elsewhere_is_not_fused(graph):
    x, logits, loss, grads, feed = dense_network()
    product = logits.op.inputs[0]  # the second layer's MatMul
    e = explained([loss, product], [x])  # the product is fetched: it must exist on its own
    assert [node.note for node in e.after.nodes if node.type_name == "_FusedMatMul"] == [
        "MatMul + BiasAdd + Relu in one kernel"]
    hidden_sum = e.before.nodes[[n.type_name for n in e.before.nodes].index("Relu")].op.inputs[0]
    e = explained([loss, hidden_sum], [x])  # the first layer's sum is fetched: no Relu joins
    assert [node.note for node in e.after.nodes if node.type_name == "_FusedMatMul"] == [
        "MatMul + BiasAdd in one kernel", "MatMul + BiasAdd in one kernel"]
    assert "Relu" in step_types(e)
    assert_bitwise(*both_ways([loss, product, hidden_sum], feed))


def test_a_bias_that_could_stretch_the_product_is_not_fused(graph):
    x = mg.placeholder(mg.float32, (None, 3))
    w = mg.constant(np.eye(3, dtype=np.float32))
    wide = mg.placeholder(mg.float32, (None, 3))  # a (rows, 3) "bias": its rows may be more than x's
    unknown = mg.placeholder(mg.float32, None)  # of unknown shape
    product = mg.matmul(x, w)
    for other in (wide, unknown):
        assert "_FusedMatMul" not in step_types(explained(mg.nn.relu(product + other), [x, other]))
    stretched = mg.Session().run(product + wide, {x: np.ones((1, 3), np.float32), wide: np.ones((2, 3), np.float32)})
    assert stretched.shape == (2, 3)


def test_a_fused_matmul_with_transpose_flags_and_its_errors_are_matmuls(graph):
    x = mg.placeholder(mg.float32, (None, None))
    w = mg.constant(np.arange(12, dtype=np.float32).reshape(4, 3))
    y = mg.nn.relu(mg.matmul(x, w, transpose_b=True) + mg.constant(np.float32([1, -50, 2, 0])))
    assert "_FusedMatMul" in step_types(explained(y, [x]))
    value = np.float32([[1, -2, 3], [0, 1, -1]])
    assert_bitwise(*both_ways([y], {x: value}))
    with pytest.raises(mg.errors.InvalidArgumentError, match="Matrix size-incompatible: In\\[0\\]: \\[2, 2\\]"):
        mg.Session().run(y, {x: value[:, :2]})


def test_remapping_off_leaves_dense_layers_alone(graph):
    x, logits, loss, grads, feed = dense_network()
    assert "_FusedMatMul" not in step_types(explained([loss] + grads, [x], remapping=False))


# --- broadcasts made late ---------------------------------------------------------------


def weighted_mean(rows=None):
    x = mg.placeholder(mg.float32, (rows, 3), name="x")
    weights = mg.placeholder(mg.float32, (None,), name="weights")
    per_row = mg.reduce_sum(mg.square(x), axis=1)
    loss = mg.reduce_mean(per_row * weights)
    return x, weights, loss, mg.gradients(loss, [x])[0]


def test_a_mean_gradient_divides_once_and_its_readers_broadcast_into_their_result(graph):
    x, weights, loss, grad = weighted_mean()
    e = explained(grad, [x, weights])
    text = str(e)
    assert "divided before broadcasting: BroadcastLike gradients/Mean_grad/BroadcastLike and RealDiv " \
           "gradients/Mean_grad/truediv in one step" in text
    assert "broadcast into the result: BroadcastLike gradients/Mean_grad/BroadcastLike and RealDiv " \
           "gradients/Mean_grad/truediv and Mul gradients/mul_grad/mul in one step" in text
    assert step_types(e).count("BroadcastLike") == 0 and "RealDiv" not in step_types(e)
    rng = np.random.default_rng(1)
    value = rng.standard_normal((5, 3)).astype(np.float32)
    assert_bitwise(*both_ways([loss, grad], {x: value, weights: rng.uniform(size=5).astype(np.float32)}))


@pytest.mark.parametrize("weight_rows", [1, 5], ids=["weights broadcast", "weights per row"])
@pytest.mark.parametrize("x_rows", [1, 5])
def test_broadcasts_made_late_check_shapes_at_run_time(graph, x_rows, weight_rows):
    """A None rows dim on both sides: the folded step must find at run time which one
    broadcasts (both give the plain plan's values and shapes)."""
    x, weights, loss, grad = weighted_mean()
    rng = np.random.default_rng(2)
    feed = {x: rng.standard_normal((x_rows, 3)).astype(np.float32),
            weights: rng.uniform(size=weight_rows).astype(np.float32)}
    assert_bitwise(*both_ways([loss, grad], feed))


def test_a_broadcast_that_fails_fails_as_in_the_plain_plan(graph):
    a = mg.placeholder(mg.float32, (None,))
    like = mg.placeholder(mg.float32, (None, None))
    other = mg.placeholder(mg.float32, (None, None))
    from minigraph.ops.array import broadcast_like
    y = broadcast_like(a, like, axes=(-1,)) * other
    assert step_types(explained(y, [a, like, other])) == ["Mul"]
    good = {a: np.float32([1, 2]), like: np.zeros((2, 3), np.float32), other: np.ones((2, 3), np.float32)}
    assert_bitwise(*both_ways([y], good))
    bad = {a: np.float32([1, 2, 3]), like: np.zeros((2, 3), np.float32), other: np.ones((2, 3), np.float32)}
    for config in (None, PLAIN):
        with pytest.raises(mg.errors.InvalidArgumentError, match="failed on inputs of shape"):
            mg.Session(config=config).run(y, bad)


def test_a_fetched_broadcast_stays_a_step(graph):
    x, weights, loss, grad = weighted_mean()
    broadcast = next(op for op in graph.get_operations() if op.type_name == "BroadcastLike").outputs[0]
    e = explained([grad, broadcast], [x, weights])
    assert "BroadcastLike" in step_types(e) and "RealDiv" in step_types(e)


def test_arithmetic_optimization_off_keeps_the_broadcasts(graph):
    x, weights, loss, grad = weighted_mean()
    assert step_types(explained(grad, [x, weights], arithmetic_optimization=False)).count("BroadcastLike") == 2


# --- the Keras metric graph and the worksheet's step ------------------------------------


def worksheet_model(rows=96, seed=3, weighted_metrics=("accuracy",)):
    K.clear_session()
    mg.keras.utils.set_random_seed(seed)
    model = Sequential([Dense(16, activation="relu", input_shape=(6,)), Dense(4, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"],
                  weighted_metrics=list(weighted_metrics))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, 6)).astype(np.float32)
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, rows)]
    return model, x, y


def test_unweighted_accuracy_is_a_plain_sum_and_a_count_with_keras_numbers():
    model, x, y = worksheet_model()
    weights = np.random.default_rng(4).uniform(size=len(x)).astype(np.float32)
    logs = model.evaluate(x, y, batch_size=32, sample_weight=weights, verbose=0, return_dict=True)
    hits = (np.argmax(model.predict(x, verbose=0), axis=-1) == np.argmax(y, axis=-1)).astype(np.float32)
    # Keras's Mean: the batches' sums added up, divided by the rows; weighted: by the weights
    batch_sums = [float(np.sum(hits[i:i + 32])) for i in range(0, len(x), 32)]
    assert logs["accuracy"] == sum(batch_sums) / len(x)
    weighted_sums = [float(np.sum(hits[i:i + 32] * weights[i:i + 32])) for i in range(0, len(x), 32)]
    weight_sums = [float(np.sum(weights[i:i + 32])) for i in range(0, len(x), 32)]
    assert logs["weighted_accuracy"] == sum(weighted_sums) / sum(weight_sums)
    assert 0 < logs["accuracy"] < 1 and logs["accuracy"] != logs["weighted_accuracy"]
    metric_ops = [op.type_name for op in model.graph.get_operations() if op.name.startswith("metrics")]
    assert "OnesLike" not in metric_ops and metric_ops.count("ReducedSize") == 1
    K.clear_session()


def test_the_fit_step_runs_fused_steps_and_trains_as_without_passes(monkeypatch):
    results = {}
    for passes in ("on", "off"):
        monkeypatch.setenv("MINIGRAPH_GRAPH_PASSES", passes)
        model, x, y = worksheet_model(weighted_metrics=())  # the worksheet's: metrics=['accuracy']
        model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
        train_plan = max(model.session._plans.values(), key=lambda plan: len(plan.steps))
        results[passes] = ([step.node.type_name for step in train_plan.steps], model.get_weights(),
                           model.evaluate(x, y, verbose=0))
    K.clear_session()
    compiled, plain = results["on"][0], results["off"][0]
    assert compiled.count("_FusedMatMul") == 2 and "_FusedMatMul" not in plain
    assert compiled.count("_FusedArgMaxCount") == 1 and "Equal" not in compiled and "Equal" in plain
    assert "ArgMax" not in compiled and compiled.count("_FusedSoftmaxCrossEntropy") == 1
    assert "BroadcastLike" not in compiled and plain.count("BroadcastLike") == 2
    assert len(compiled) < len(plain)
    assert_bitwise(results["on"][1], results["off"][1])
    assert results["on"][2] == results["off"][2]


# --- a comparison cast to numbers and summed: a count -----------------------------------


@pytest.mark.parametrize("dtype", [mg.float32, mg.float16, mg.int32])
def test_a_summed_cast_comparison_is_counted(graph, dtype):
    scores = mg.placeholder(mg.float32, (None, 4), name="scores")
    labels = mg.placeholder(mg.float32, (None, 4), name="labels")
    hits = mg.equal(mg.argmax(scores, axis=1), mg.argmax(labels, axis=1))
    correct = mg.reduce_sum(mg.cast(hits, dtype), name="correct")
    e = explained(correct, [scores, labels])
    assert step_types(e) == ["_FusedArgMaxCount"] and e.after.nodes[0].name == "correct"  # the Sum's value
    assert "fused Equal Equal, Cast Cast, Sum correct into one _FusedCount step: np.count_nonzero" in str(e)
    assert "folded ArgMax ArgMax, ArgMax ArgMax_1 into correct's count: one correct step" in str(e)
    rng = np.random.default_rng(5)
    for rows in (0, 7, 3000):  # float16 holds whole numbers exactly up to 2048: 3000 rows sum as the graph says
        feed = {scores: rng.standard_normal((rows, 4)).astype(np.float32),
                labels: np.eye(4, dtype=np.float32)[rng.integers(0, 4, rows)]}
        ours, theirs = both_ways([correct], feed)
        assert type(ours[0]) is type(theirs[0])
        assert_bitwise(ours, theirs)
    assert 0 < ours[0] < 3000


def test_a_count_read_partly_or_kept_per_row_is_not_fused(graph):
    a, b = mg.placeholder(mg.float32, (None, 2)), mg.placeholder(mg.float32, (None, 2))
    as_numbers = mg.cast(mg.greater(a, b), mg.float32)
    per_row = mg.reduce_sum(as_numbers, axis=1)  # not every axis
    kept = mg.reduce_sum(as_numbers, keepdims=True)
    assert "_FusedCount" not in step_types(explained([per_row, kept], [a, b]))
    total = mg.reduce_sum(as_numbers)
    assert "_FusedCount" not in step_types(explained([total, as_numbers], [a, b]))  # the 0/1s are fetched
    assert step_types(explained(total, [a, b])) == ["_FusedCount"]


@pytest.mark.parametrize("rows", [(5, 5), (1, 5), (5, 1)])
def test_a_count_and_its_size_as_keras_metrics_take_them(graph, rows):
    """sum(values) and ReducedSize(values), a Keras metric's two numbers: the size then
    comes from the comparison's inputs, broadcast or not."""
    from minigraph.ops.reduction import ReducedSize
    a, b = mg.placeholder(mg.int64, (None,)), mg.placeholder(mg.int64, (None,))
    values = mg.cast(mg.equal(a, b), mg.float32)
    total, size = mg.reduce_sum(values), ReducedSize(values, axis=None).output
    e = explained([total, size], [a, b])
    assert step_types(e) == ["_FusedCount", "ReducedSize"]
    assert e.after.nodes[1].arguments == e.after.nodes[0].arguments  # both read a and b
    feed = {a: np.arange(rows[0]) % 2, b: np.zeros(rows[1], np.int64)}
    ours, theirs = both_ways([total, size], feed)
    assert_bitwise(ours, theirs)
    assert ours[1] == 5


def accuracy_count(reduction=mg.argmax, output_type=mg.int64, shape=(None, 4)):
    """A Keras metric's two numbers for the accuracy: how many argmaxes agree, and of how many."""
    from minigraph.ops.reduction import ReducedSize
    scores = mg.placeholder(mg.float32, shape, name="scores")
    labels = mg.placeholder(mg.float32, shape, name="labels")
    agree = mg.cast(mg.equal(reduction(labels, axis=1, output_type=output_type),
                             reduction(scores, axis=1, output_type=output_type)), mg.float32)
    return scores, labels, mg.reduce_sum(agree, name="correct"), ReducedSize(agree, axis=None, name="rows").output


@pytest.mark.parametrize("reduction, output_type", [(mg.argmax, mg.int64), (mg.argmax, mg.int32),
                                                     (mg.argmin, mg.int64)], ids=["argmax", "int32", "argmin"])
def test_the_accuracy_metric_is_one_step_with_the_same_numbers(graph, reduction, output_type):
    scores, labels, correct, rows = accuracy_count(reduction, output_type)
    e = explained([correct, rows], [scores, labels])
    assert step_types(e) == ["_FusedArgMaxCount", "itemgetter", "itemgetter"]
    fused, count, size = e.after.nodes
    assert fused.arguments == e.after.fed[::-1] and e.after.fetches == (count, size)  # (labels, scores)
    assert (count.name, size.name) == ("correct", "rows")
    kind = reduction.__name__.replace("arg", "Arg").replace("max", "Max").replace("min", "Min")
    assert f"folded {kind} {kind}, {kind} {kind}_1 into correct's count and rows: one _FusedArgMaxCount step" in str(e)
    rng = np.random.default_rng(9)
    values = rng.standard_normal((40, 4)).astype(np.float32)
    hot = rng.integers(0, 4, 40)
    missed = int(np.flatnonzero(values[1:39].argmax(1) != hot[1:39])[0]) + 1  # a row the scores miss
    # a NaN is never the largest (nor the smallest), as in TF; numpy's argmax would pick it, and
    # count a hit in each of these rows: at the label's class in the scores, at the scores' in the labels
    for nan_in in ((), ("scores",), ("labels",), ("scores", "labels")):
        feed = {scores: values.copy(), labels: np.eye(4, dtype=np.float32)[hot]}
        if "scores" in nan_in:
            feed[scores][[0, 39], hot[[0, 39]]] = np.nan
        if "labels" in nan_in:
            feed[labels][missed, values[missed].argmax()] = np.nan
        naive = np.count_nonzero(np.argmax(feed[labels], 1) == np.argmax(feed[scores], 1))
        session = mg.Session()
        for _ in range(3):  # read step by step, then compiled
            ours = session.run([correct, rows], feed)
            theirs = mg.Session(config=PLAIN).run([correct, rows], feed)
            assert [type(v) for v in ours] == [type(v) for v in theirs]
            assert_bitwise(ours, theirs)
        assert ours[1] == 40 and 0 < ours[0] < 40
        if reduction is mg.argmax:
            assert naive - ours[0] == 2 * ("scores" in nan_in) + ("labels" in nan_in)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_the_nan_test_of_the_folded_argmax_finds_every_nan_and_only_nans(dtype):
    """holds_no_nan: one dot product for both inputs, each input alone when that product is
    NaN. A NaN anywhere, in either, of either sign, in arrays of sizes about BLAS's blocks
    and laid out in any way, is found; inf * 0 (a NaN product from no NaN) is not a NaN."""
    rng = np.random.default_rng(12)
    for size in (1, 3, 8, 17, 32, 100, 320, 1000, 4099):
        a, b = (rng.standard_normal(size).astype(dtype) for _ in range(2))
        assert holds_no_nan(a, b)
        for where in {0, size // 2, size - 1}:
            for nan in (np.nan, -np.nan):
                for target in (a, b):
                    spoilt = target.copy()
                    spoilt[where] = nan
                    pair = (spoilt, b) if target is a else (a, spoilt)
                    assert not holds_no_nan(*pair)
                    assert not holds_no_nan(pair[0].reshape(1, -1)[:, ::-1], pair[1])  # another layout
        inf_times_zero = a.copy(), b.copy()
        inf_times_zero[0][0], inf_times_zero[1][0] = np.inf, 0.0
        assert np.isnan(np.vdot(*inf_times_zero)) and holds_no_nan(*inf_times_zero)
    assert holds_no_nan(np.arange(4), np.arange(4.0))  # an integer array holds no NaN
    assert not holds_no_nan(np.arange(4), np.array([0.0, np.nan]))  # other sizes: each alone
    assert not holds_no_nan(np.array([np.nan], "float32"), np.array([1.0]))  # other dtypes: each alone


def test_a_folded_argmax_counts_as_the_plain_ops_on_inf_and_zero_rows_and_every_batch_size(graph):
    """inf in the labels where the scores are 0 makes their dot product NaN with no NaN in
    either: the slow path's answer must be the same. And the count, a numpy scalar kept per
    value, is the plain one's for every count a batch can have."""
    scores, labels, correct, rows = accuracy_count()
    assert "_FusedArgMaxCount" in step_types(explained([correct, rows], [scores, labels]))
    session, plain = mg.Session(), mg.Session(config=PLAIN)
    rng = np.random.default_rng(13)
    for batch in range(1, 41):
        values = rng.standard_normal((batch, 4)).astype(np.float32)
        targets = np.eye(4, dtype=np.float32)[rng.integers(0, 4, batch)]
        if batch % 3 == 0:
            targets[0] = [np.inf, 0, 0, 0]
            values[0] = [0, 1, -np.inf, 2]
        feed = {scores: values, labels: targets}
        ours, theirs = session.run([correct, rows], feed), plain.run([correct, rows], feed)
        assert [type(v) for v in ours] == [type(v) for v in theirs]
        assert_bitwise(ours, theirs)
        assert ours[0] == np.count_nonzero(values.argmax(1) == targets.argmax(1))


def test_an_argmax_read_elsewhere_stays_a_step(graph):
    scores, labels, correct, rows = accuracy_count()
    indices = correct.op.inputs[0].op.inputs[0].op.inputs[1]  # argmax(scores)
    e = explained([correct, rows, indices], [scores, labels])
    assert step_types(e) == ["ArgMax", "ArgMax", "_FusedCount", "ReducedSize"]
    rng = np.random.default_rng(10)
    feed = {scores: rng.standard_normal((5, 4)).astype(np.float32),
            labels: np.eye(4, dtype=np.float32)[rng.integers(0, 4, 5)]}
    assert_bitwise(*both_ways([correct, rows, indices], feed))
    assert step_types(explained([correct, rows], [scores, labels], remapping=False)).count("ArgMax") == 2


def test_a_folded_argmax_fails_as_the_argmax_does(graph):
    scores, labels, correct, rows = accuracy_count(shape=None)  # the rank is checked when it runs
    assert step_types(explained([correct, rows], [scores, labels]))[0] == "_FusedArgMaxCount"
    feed = {scores: np.float32([1, 2, 3]), labels: np.float32([0, 1, 0])}
    for config in (None, PLAIN):
        with pytest.raises(mg.errors.InvalidArgumentError, match=r"Expected an axis in the range \[-1, 1\) for a "
                           r"value of shape \(3,\), but got 1"):
            mg.Session(config=config).run([correct, rows], feed)


def test_integer_broadcasts_are_left_alone(graph):
    from minigraph.ops.array import broadcast_like
    a, like = mg.placeholder(mg.int32, (None,)), mg.placeholder(mg.int32, (None, 2))
    y = broadcast_like(a, like, axes=(-1,)) / like  # ints divide to float64
    assert step_types(explained(y, [a, like])) == ["BroadcastLike", "RealDiv"]
    assert_bitwise(*both_ways([y], {a: np.int32([1, 2]), like: np.int32([[1, 2], [3, 4]])}))


# --- a softmax and its cross-entropy: one max, one exp ----------------------------------


def classifier(dtype=mg.float32, loss_first=False, shape=(None, 4)):
    """softmax(logits) and the cross-entropy of the same logits, and the loss's gradient
    (which reads the softmax: the passes merge it with the output)."""
    logits = mg.placeholder(dtype, shape, name="logits")
    labels = mg.placeholder(dtype, shape, name="labels")
    if loss_first:
        losses = mg.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
        output = mg.nn.softmax(logits, name="output")
    else:
        output = mg.nn.softmax(logits, name="output")
        losses = mg.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
    grad = mg.gradients(mg.reduce_mean(losses), logits)[0]
    return logits, labels, output, losses, grad


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64, mg.float16])
@pytest.mark.parametrize("loss_first", [False, True], ids=["softmax first", "loss first"])
def test_a_softmax_and_its_cross_entropy_run_as_one_step_with_the_same_bits(graph, dtype, loss_first):
    logits, labels, output, losses, grad = classifier(dtype, loss_first)
    e = explained([output, losses, grad], [logits, labels])
    kinds = step_types(e)
    assert "Softmax" not in kinds and "SoftmaxCrossEntropyWithLogits" not in kinds
    fused = kinds.index("_FusedSoftmaxCrossEntropy")
    assert kinds[fused + 1:fused + 3] == ["itemgetter", "itemgetter"]
    steps = e.after.nodes
    # the parts stand for the two ops: their readers and the listings keep the names
    assert [steps[fused + 1].name, steps[fused + 2].name] == [output.op.name, losses.op.name]
    assert steps[fused].has_output and [op.type_name for op in steps[fused].fused] == [
        "Softmax", "SoftmaxCrossEntropyWithLogits"]
    assert (f"fused Softmax output and SoftmaxCrossEntropyWithLogits {losses.op.name} (the same logits) into one "
            "_FusedSoftmaxCrossEntropy step, its two values taken out by itemgetter steps") in str(e)
    rng = np.random.default_rng(6)
    values = rng.standard_normal((64, 4)) * 3
    values[1] = [1e4, -1e4, 0, 0]  # one class certain: exp underflows to 0 for the rest, log-sum 0
    values[2] = [np.inf, 0, 0, 0]  # inf - inf: NaN, as the ops give it
    values[3] = [np.nan, 1, 2, 3]
    values[4] = [-np.inf, -np.inf, 5, 5]
    label_values = rng.uniform(size=(64, 4))  # a distribution per row, not only one-hot
    label_values[1] = [1, 0, 0, 0]  # on the certain class: a loss of 0
    label_values /= label_values.sum(axis=1, keepdims=True)
    feed = {logits: values.astype(dtype), labels: label_values.astype(dtype)}
    with np.errstate(all="ignore"):
        ours, theirs = both_ways([output, losses, grad], feed)
    assert_bitwise(ours, theirs)
    assert ours[1][1] == 0 and np.isnan(ours[1][[2, 3]]).all() and np.isfinite(ours[1][5:]).all()


def test_fetched_softmax_and_losses_come_from_the_fused_step(graph):
    logits, labels, output, losses, grad = classifier()
    e = explained([output, losses], [logits, labels])  # the values themselves fetched, no gradient
    assert step_types(e) == ["_FusedSoftmaxCrossEntropy", "itemgetter", "itemgetter"]
    assert e.after.fetches == e.after.nodes[1:]
    rng = np.random.default_rng(7)
    feed = {logits: rng.standard_normal((5, 4)).astype(np.float32),
            labels: np.eye(4, dtype=np.float32)[rng.integers(0, 4, 5)]}
    session = mg.Session()
    for _ in range(3):  # read step by step, then compiled: both give the two values
        ours = session.run([output, losses], feed)
        assert_bitwise(ours, mg.Session(config=PLAIN).run([output, losses], feed))
    assert session.run(output, feed).sum(axis=1) == pytest.approx(np.ones(5))


@pytest.mark.parametrize("loss_first", [False, True], ids=["softmax first", "loss first"])
def test_the_fused_softmax_fails_as_the_first_of_its_ops_does(graph, loss_first):
    """Values the fast kernel does not expect go to the ops' own kernels, in plan order."""
    logits, labels, output, losses, grad = classifier(loss_first=loss_first, shape=None)
    assert "_FusedSoftmaxCrossEntropy" in step_types(explained([output, losses], [logits, labels]))
    first = losses.op.name if loss_first else "output"
    bad = [({logits: np.float32(2), labels: np.float32(1)},
            rf"logits must have at least one axis \(the classes\), got the scalar 2.0 \(node '{first}'"),
           ({logits: np.zeros((2, 3), np.float32), labels: np.zeros((2, 4), np.float32)},
            r"logits and labels must have the same shape, got logits \(2, 3\) and labels \(2, 4\)")]
    for feed, message in bad:
        for config in (None, PLAIN):
            with pytest.raises(mg.errors.InvalidArgumentError, match=message):
                mg.Session(config=config).run([output, losses], feed)
    empty = {logits: np.zeros((2, 0), np.float32), labels: np.zeros((2, 0), np.float32)}  # no classes
    assert_bitwise(*both_ways([output, losses], empty))


def test_a_softmax_is_not_fused_with_labels_made_after_it_nor_with_remapping_off(graph):
    logits = mg.placeholder(mg.float32, (None, 3), name="logits")
    output = mg.nn.softmax(logits, name="output")
    labels = mg.nn.softmax(mg.placeholder(mg.float32, (None, 3), name="scores"), name="labels")  # a step after it
    losses = mg.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
    feed_list = [logits, labels.op.inputs[0]]
    assert step_types(explained([output, losses], feed_list)) == ["Softmax", "Softmax",
                                                                  "SoftmaxCrossEntropyWithLogits"]
    rng = np.random.default_rng(8)
    assert_bitwise(*both_ways([output, losses], {t: rng.standard_normal((2, 3)).astype(np.float32)
                                                   for t in feed_list}))
    logits, labels, output, losses, grad = classifier()
    assert step_types(explained([output, losses], [logits, labels], remapping=False)) == [
        "Softmax", "SoftmaxCrossEntropyWithLogits"]
