"""The pass that drops multiplications by ones (minigraph/passes/multiply_by_one.py), and
the Keras step without sample weights that relies on it (keras/training.py, models.py).

Each rewrite gives the plain plan's values byte for byte (NaN, inf, -0.0 and subnormal
numbers included), whether the equal shapes are proved before the run or checked during
it; where the shapes differ, the step broadcasts, or raises, as the plain Mul does. Then
the worksheet's fit step: without sample weights, its plan has no multiplication by
weights and fewer steps, and fit trains to the same History and weights, bit for bit,
as fit given weights of one.
"""

import numpy as np
import pytest

import minigraph as mg
from minigraph.errors import InvalidArgumentError
from minigraph.keras import backend as K
from minigraph.keras.layers import Dense, Input
from minigraph.keras.models import Model, Sequential
from minigraph.ops.array import broadcast_like, sum_like
from minigraph.passes import plain_config
from minigraph.plan import COMPILE_ON_RUN

PLAIN = plain_config()


def special_values(dtype, rows: int = 6) -> np.ndarray:
    """Values whose bits a careless rewrite could change: -0.0, inf, a NaN with a payload,
    a subnormal number, then ordinary numbers."""
    if np.dtype(dtype).kind != "f":
        return np.arange(-rows // 2, rows - rows // 2).astype(dtype)
    info = np.finfo(dtype)
    nan = np.array([np.nan], dtype)
    nan.view(f"u{nan.itemsize}")[0] |= 5  # a quiet NaN with payload bits set
    values = np.array([-0.0, np.inf, -np.inf, 0.0, info.smallest_subnormal, -3.5], dtype)
    values[3] = nan[0]
    return np.resize(values, rows)


def runs(session, fetches, feed_dict):
    """The values of the run that compiles the plan, and of one after it (plan.py)."""
    session.run(mg.global_variables_initializer())
    return [session.run(fetches, feed_dict) for _ in range(COMPILE_ON_RUN + 1)][-2:]


def assert_same_bytes(ours, theirs):
    for a, b in zip(ours, theirs):
        a, b = np.asarray(a), np.asarray(b)
        assert (a.dtype, a.shape) == (b.dtype, b.shape)
        assert a.tobytes() == b.tobytes()


def both_ways(fetches, feed_dict):
    """Every run's values with the passes, and with none, checked equal byte for byte."""
    compiled, plain = runs(mg.Session(), fetches, feed_dict), runs(mg.Session(config=PLAIN), fetches, feed_dict)
    for ours, theirs in zip(compiled, plain):
        assert_same_bytes(ours, theirs)
    return compiled[-1]


def plan_types(fetches, feed_list) -> list[str]:
    return [node.type_name for node in mg.passes.explain(fetches, feed_list).after.nodes]


# --- proved before the run: no step at all ----------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
@pytest.mark.parametrize("ones_first", [False, True], ids=["x * ones", "ones * x"])
def test_x_times_ones_of_its_own_shape_is_x_itself_bit_for_bit(graph, dtype, ones_first):
    x = mg.placeholder(dtype, (None,), name="x")
    y = mg.multiply(mg.ones_like(x), x) if ones_first else mg.multiply(x, mg.ones_like(x))
    assert plan_types(y, [x]) == []  # the fetch is x itself: nothing left to run
    value = special_values(dtype)
    (result,) = both_ways([y], {x: value})
    assert result.tobytes() == value.tobytes()


def test_equal_static_shapes_prove_it_too(graph):
    x = mg.placeholder(mg.float32, (2, 3), name="x")
    other = mg.placeholder(mg.float32, (2, 3), name="other")
    y = x * mg.ones_like(other)
    e = mg.passes.explain(y, [x, other])
    assert [node.type_name for node in e.after.nodes] == []
    assert "removed Mul mul: fed x times ones of its own shape is fed x" in str(e)
    both_ways([y], {x: special_values(np.float32).reshape(2, 3), other: np.zeros((2, 3), np.float32)})


def weighted_mean_loss(unfed_weights: bool = True):
    """A mean of per-row losses times weights that default to ones (as Keras's training
    graph builds it), its gradient, and the feeds."""
    rng = np.random.default_rng(1)
    x = mg.placeholder(mg.float32, (None, 3), name="x")
    w = mg.Variable(rng.standard_normal((3, 2)).astype(np.float32), name="w")
    per_row = mg.reduce_sum(mg.square(mg.matmul(x, w)), axis=1, name="per_row")
    weights = mg.placeholder_with_default(mg.ones_like(per_row), (None,), name="weights")
    loss = mg.reduce_mean(per_row * weights, name="loss")
    return x, w, weights, loss, mg.gradients(loss, [w])[0]


def test_a_mean_loss_and_its_gradient_lose_the_weighting_when_the_weights_are_ones(graph):
    x, w, weights, loss, grad = weighted_mean_loss()
    e = mg.passes.explain([loss, grad], [x])
    text = str(e)
    assert "removed Mul mul: per_row times ones of its own shape is per_row" in text
    assert "removed Mul gradients/mul_grad/mul: gradients/loss_grad/truediv times ones" in text
    assert "removed SumLike gradients/mul_grad/SumLike: gradients/loss_grad/truediv has the shape it sums to" in text
    names = [node.name for node in e.after.nodes]
    assert "mul" not in names and "gradients/mul_grad/mul" not in names and "gradients/mul_grad/SumLike" not in names
    assert "OnesLike" not in [node.type_name for node in e.after.nodes]
    fed = mg.passes.explain([loss, grad], [x, weights]).after.nodes
    # the two Muls and the SumLike: the mean's gradient, one number, goes into its next reader's
    # Mul (broadcasts.py) as it went into the weights' gradient Mul
    assert len(e.after.nodes) == len(fed) - 3
    value = np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32)
    unweighted = both_ways([loss, grad], {x: value})
    with mg.Session() as session:  # the weights fed as ones: the multiplications run
        assert_same_bytes(unweighted, runs(session, [loss, grad], {x: value, weights: np.ones(5, np.float32)})[-1])


# --- checked at run time: x itself where the shapes agree, the Mul where they do not ------


@pytest.mark.parametrize("ones_first", [False, True], ids=["x * ones", "ones * x"])
def test_ones_of_another_value_leave_a_step_that_checks_the_shapes(graph, ones_first):
    x = mg.placeholder(mg.float32, (None,), name="x")
    other = mg.placeholder(mg.float32, (None,), name="other")
    y = mg.multiply(mg.ones_like(other), x, name="y") if ones_first else mg.multiply(x, mg.ones_like(other), name="y")
    e = mg.passes.explain(y, [x, other])
    arguments = "fed other, fed x" if ones_first else "fed x, fed other"  # in the Mul's order
    assert [node.describe() for node in e.after.nodes] == [
        f"Mul y({arguments})   [fed x itself when fed other has its shape]"]
    cases = [(6, 6), (6, 1), (1, 6)]  # equal: x itself; else numpy broadcasts, as the Mul does
    for rows, other_rows in cases:
        value = special_values(np.float32, rows)
        (result,) = both_ways([y], {x: value, other: np.zeros(other_rows, np.float32)})
        assert result.shape == (max(rows, other_rows),)


@pytest.mark.parametrize("ones_first", [False, True], ids=["x * ones", "ones * x"])
def test_shapes_that_do_not_broadcast_raise_the_muls_own_error(graph, ones_first):
    x = mg.placeholder(mg.float32, (None,), name="x")
    other = mg.placeholder(mg.float32, (None,), name="other")
    y = mg.multiply(mg.ones_like(other), x, name="y") if ones_first else mg.multiply(x, mg.ones_like(other), name="y")
    feed = {x: np.ones(3, np.float32), other: np.ones(4, np.float32)}
    messages = []
    for session in (mg.Session(), mg.Session(config=PLAIN)):
        for _ in range(COMPILE_ON_RUN + 1):  # read step by step, then compiled
            with pytest.raises(InvalidArgumentError) as raised:
                session.run(y, feed)
            messages.append(str(raised.value))
    shapes = "(4,), (3,)" if ones_first else "(3,), (4,)"
    assert set(messages) == {f"Mul 'y' failed on inputs of shape {shapes}: operands could not be broadcast "
                             f"together with shapes {shapes.replace(', ', ' ')} "}


def test_unknown_shapes_of_other_values_are_not_taken_as_equal(graph):
    """A rank-2 x times ones of a matrix whose shape is only partly known: checked, not dropped;
    a sum_like to a shape not proved equal stays too."""
    x = mg.placeholder(mg.float32, (None, 3), name="x")
    other = mg.placeholder(mg.float32, (2, None), name="other")
    y = x * mg.ones_like(other)
    summed = sum_like(x, other)
    assert plan_types(y, [x, other]) == ["Mul"]
    value = special_values(np.float32).reshape(2, 3)
    both_ways([y], {x: value, other: np.zeros((2, 3), np.float32)})
    both_ways([y], {x: value[:1], other: np.zeros((2, 3), np.float32)})  # (1, 3) broadcast to (2, 3)
    assert plan_types(summed, [x, other]) == ["SumLike"]


def test_integers_times_ones_are_dropped_too(graph):
    """An integer times one is exact as a float is: both products go."""
    x = mg.placeholder(mg.float32, (None,), name="x")
    y = x * mg.ones_like(x)
    flags = mg.cast(mg.greater(x, 0.0), mg.int32)
    counts = flags * mg.ones_like(flags)
    assert plan_types([y, counts], [x]) == ["Greater", "Cast"]  # both products dropped, ints too
    both_ways([y, counts], {x: special_values(np.float32)})


# --- what the weights left behind: one number broadcast twice (passes/broadcasts.py) -------


def twice_broadcast_number():
    """broadcast(broadcast(g, t) / n, u) * other, as a mean loss's gradient reaches the
    cross-entropy's without weights between them: g and n are numbers, t one value per row."""
    g, n = mg.placeholder(mg.float32, (), name="g"), mg.placeholder(mg.float32, (), name="n")
    t = mg.placeholder(mg.float32, (None,), name="t")
    u, other = mg.placeholder(mg.float32, (None, 3), name="u"), mg.placeholder(mg.float32, (None, 3), name="other")
    y = mg.multiply(broadcast_like(broadcast_like(g, t) / n, u, axes=(-1,)), other, name="y")
    return y, (g, n, t, u, other)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN, inf and a division by 0, on purpose
def test_a_number_broadcast_twice_goes_into_the_result_as_one_number(graph):
    y, feeds = twice_broadcast_number()
    e = mg.passes.explain(y, feeds)
    note = "[BroadcastLike + RealDiv + BroadcastLike into the result's memory]"
    assert [node.describe() for node in e.after.nodes] == [f"Mul y(fed g, fed t, fed n, fed u, fed other)   {note}"]
    assert "one number broadcast twice into the result: BroadcastLike BroadcastLike and RealDiv truediv and " \
           "BroadcastLike BroadcastLike_1 and Mul y in one step" in str(e)
    g, n, t, u, other = feeds
    rows = special_values(np.float32, 12).reshape(4, 3)
    # (t rows, u rows, other rows): the same shapes; t of one row; other of one row (no shortcut)
    for t_rows, u_rows, other_rows in [(4, 4, 4), (1, 4, 4), (4, 4, 1)]:
        for number, count in [(3.0, 7.0), (1.0, 0.0), (np.nan, 2.0), (-0.0, 5.0)]:
            both_ways([y], {g: np.float32(number), n: np.float32(count), t: np.zeros(t_rows, np.float32),
                            u: np.zeros((u_rows, 3), np.float32), other: rows[:other_rows]})


@pytest.mark.parametrize("t_rows, u_rows", [(2, 4), (4, 1)])
def test_broadcasts_that_would_fail_still_fail(graph, t_rows, u_rows):
    y, (g, n, t, u, other) = twice_broadcast_number()
    feed = {g: np.float32(1), n: np.float32(2), t: np.zeros(t_rows, np.float32), u: np.zeros((u_rows, 3), np.float32),
            other: np.ones((u_rows, 3), np.float32)}
    for session in (mg.Session(), mg.Session(config=PLAIN)):
        for _ in range(COMPILE_ON_RUN + 1):
            with pytest.raises(InvalidArgumentError, match="could not be broadcast"):
                session.run(y, feed)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # an inf logit, on purpose
def test_the_worksheet_losss_gradient_is_one_step_after_the_mean(graph):
    """The unweighted Keras loss's gradient down to the logits: a count, then one Mul."""
    logits = mg.placeholder(mg.float32, (None, 4), name="logits")
    labels = mg.placeholder(mg.float32, (None, 4), name="labels")
    per_row = mg.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    loss = mg.reduce_mean(per_row * mg.placeholder_with_default(mg.ones_like(per_row), (None,)))
    grad = mg.gradients(loss, [logits])[0]
    types = plan_types([loss, grad], [logits, labels])
    assert "BroadcastLike" not in types and types.count("Mul") == 1 and "SumLike" not in types
    rng = np.random.default_rng(6)
    scores = (rng.standard_normal((5, 4)) * 50).astype(np.float32)
    scores[1] = [np.inf, 0, 0, 0]  # a NaN row, as the plain plan makes it
    both_ways([loss, grad], {logits: scores, labels: np.eye(4, dtype=np.float32)[rng.integers(0, 4, 5)]})


# --- the Keras step without sample weights ------------------------------------------------


def worksheet_fit(sample_weight=None, validation_weights: bool = False, seed: int = 5):
    """The worksheet's network (shrunk) after two epochs with a validation split of a
    third; its History, weights and the session's plans. `validation_weights` also
    validates on given data with weights of one."""
    K.clear_session()
    mg.keras.utils.set_random_seed(seed)
    model = Sequential([Dense(16, activation="relu", input_shape=(6,)), Dense(4, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy"])
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((100, 6)) * 30).astype(np.float32)
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 100)]
    arguments = dict(batch_size=32, epochs=2, verbose=0, sample_weight=sample_weight)
    if validation_weights:
        arguments["validation_data"] = (x[:20], y[:20], np.ones(20, np.float32))
    else:
        arguments["validation_split"] = 0.3
    history = model.fit(x, y, **arguments).history
    return history, model.get_weights(), model.evaluate(x, y, verbose=0, return_dict=True), (model, x, y)


def test_fit_without_weights_is_fit_with_weights_of_one_bit_for_bit():
    history, weights, evaluated, _ = worksheet_fit()
    history_1, weights_1, evaluated_1, _ = worksheet_fit(sample_weight=np.ones(100, np.float32))
    assert history == history_1 and evaluated == evaluated_1
    assert set(history) == {"loss", "accuracy", "weighted_accuracy", "val_loss", "val_accuracy",
                            "val_weighted_accuracy"}
    assert history["accuracy"] == history["weighted_accuracy"]  # every weight is one
    assert_same_bytes(weights, weights_1)
    history_2, weights_2, _, _ = worksheet_fit(validation_weights=True)  # weighted validation only
    history_3, weights_3, _, _ = worksheet_fit(np.ones(100, np.float32), validation_weights=True)
    assert history_2 == history_3
    assert_same_bytes(weights_2, weights_3)
    K.clear_session()


def train_step_plans(model) -> dict:
    """{weighted: the names of the train step's steps}, for the train steps the session planned."""
    plans = {}
    for plan in model.session._plans.values():
        names = [step.node.name for step in plan.steps]
        if plan.writes_variables and plan.program.fed:  # a train step (not an initializer)
            plans[any(feed.tensor.op.name.endswith("_sample_weights") for feed in plan.program.fed)] = names
    return plans


def test_the_unweighted_train_step_has_no_weighting_steps():
    _, _, _, (model, x, y) = worksheet_fit()
    assert list(train_step_plans(model)) == [False]
    model.fit(x, y, batch_size=32, verbose=0, sample_weight=np.linspace(0, 1, len(x)))
    plans = train_step_plans(model)
    unweighted, weighted = plans[False], plans[True]
    weighting = ["loss/mul", "gradients/loss/mul_grad/mul", "gradients/loss/mul_grad/SumLike"]
    assert all(name in weighted for name in weighting[:2])
    assert not any(name in unweighted for name in weighting)
    assert len(unweighted) < len(weighted)
    K.clear_session()


def test_a_model_with_two_outputs_trains_without_weights_as_with_weights_of_one():
    def fit(sample_weight):
        K.clear_session()
        mg.keras.utils.set_random_seed(2)
        inputs = Input(shape=(5,))
        hidden = Dense(8, activation="tanh")(inputs)
        first, second = Dense(3, activation="softmax", name="first")(hidden), Dense(1, name="second")(hidden)
        model = Model(inputs, [first, second])
        model.compile("adam", loss=["categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5],
                      weighted_metrics={"first": ["accuracy"]})
        rng = np.random.default_rng(3)
        x = rng.standard_normal((40, 5)).astype(np.float32)
        y = [np.eye(3, dtype=np.float32)[rng.integers(0, 3, 40)], rng.standard_normal((40, 1)).astype(np.float32)]
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0, sample_weight=sample_weight)
        return history.history, model.get_weights()

    history, weights = fit(None)
    for given in ({"first": np.ones(40, np.float32)}, [np.ones(40, np.float32), np.ones(40, np.float32)]):
        history_1, weights_1 = fit(given)
        assert history == history_1
        assert_same_bytes(weights, weights_1)
    weighted_history, _ = fit({"second": np.linspace(0, 2, 40).astype(np.float32)})
    assert weighted_history["second_loss"] != history["second_loss"]  # weights given do weigh
    K.clear_session()
