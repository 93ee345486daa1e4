"""The graph compiler (minigraph/passes): each pass does what it says, and nothing a
run returns changes.

- every case of the op table (support/op_cases.py), its gradients and second
  derivatives, gives bit for bit the same values with the passes on and off, with
  fed inputs and with constant inputs (then constant folding computes it all); with
  the passes on, the values are those of the plan's compiled run (plan.py), with them
  off those of the plan read step by step;
- the worksheet network trained with Keras's Adam, and a TF1 AdamOptimizer, end
  with the same weights, bit for bit, with the multi-tensor Adam and without;
- each pass on a small graph: what it removes, merges, folds or fuses, and what it
  must leave alone (random draws, reads of variables, control inputs);
- the switch: mg.ConfigProto, and MINIGRAPH_GRAPH_PASSES=off, with which the parity
  tests against Keras 3 and TF1 (the worksheet's training, the optimizers) run again
  in a second pytest, so they pass both ways. (The whole suite runs plain with
  ``MINIGRAPH_GRAPH_PASSES=off python3 -m pytest``.)
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigraph as mg
from minigraph.examples.worksheet import build_model
from minigraph.keras import backend as K
from minigraph.passes import RewriterConfig, plain_config
from minigraph.passes.config import ENVIRONMENT_SWITCH
from minigraph.plan import COMPILE_ON_RUN
from support.derivatives import build_derivatives, run
from support.op_cases import CASES, NO_GRADIENT_CASES, case_arrays

ALL_CASES = CASES + NO_GRADIENT_CASES
PLAIN = plain_config()


def assert_same(ours, theirs):
    """Equal values, dtypes and shapes (NaN where NaN), or None in both."""
    if ours is None or theirs is None:
        assert ours is None and theirs is None
        return
    assert np.asarray(ours).dtype == np.asarray(theirs).dtype
    np.testing.assert_array_equal(ours, theirs)


def run_case(case, config, constant_inputs: bool) -> dict:
    xs, weights, directions = case_arrays(case)
    with mg.Graph().as_default():
        if constant_inputs:  # every input a constant: the whole graph is known when planned

            def placeholder(dtype, shape, values=iter(xs)):
                return mg.constant(next(values))
        else:
            placeholder = mg.placeholder
        d = build_derivatives(case, mg, mg.gradients, placeholder, xs, weights, directions)
        session = mg.Session(config=config)
        if constant_inputs:
            d.placeholders = []
        for _ in range(COMPILE_ON_RUN - 1):  # with the default config, the last run is compiled (plan.py)
            run(d, session, xs)
        return run(d, session, xs)


@pytest.mark.parametrize("constant_inputs", [False, True], ids=["fed", "constant"])
@pytest.mark.parametrize("case", ALL_CASES, ids=[case.id for case in ALL_CASES])
def test_op_table_gives_the_same_values_with_and_without_passes(case, constant_inputs):
    compiled, plain = run_case(case, None, constant_inputs), run_case(case, PLAIN, constant_inputs)
    assert_same(compiled["y"], plain["y"])
    for ours, theirs in zip(compiled["grads"] + compiled["hvps"], plain["grads"] + plain["hvps"]):
        assert_same(ours, theirs)


# --- the worksheet: the fused Adam is the unfused one, bit for bit ----------------------


def fit_worksheet(monkeypatch, passes: str, steps: int = 6):
    """The worksheet's network after `steps` batches of Keras's Adam; its weights and the
    training plan's step types."""
    monkeypatch.setenv(ENVIRONMENT_SWITCH, passes)
    K.clear_session()
    mg.keras.utils.set_random_seed(7)
    model = build_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((32 * steps, 60)) * 300).astype(np.float32)  # unscaled, as PCA gives them
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 32 * steps)]
    model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    step_types = [step.node.type_name for plan in model.session._plans.values() for step in plan.steps]
    weights = model.get_weights()
    K.clear_session()
    return weights, step_types


def test_worksheet_trains_to_the_same_weights_with_and_without_passes(monkeypatch):
    compiled, compiled_steps = fit_worksheet(monkeypatch, "on")
    plain, plain_steps = fit_worksheet(monkeypatch, "off")
    assert "MultiTensorKerasAdam" in compiled_steps and "ApplyKerasAdam" not in compiled_steps
    assert plain_steps.count("ApplyKerasAdam") >= 4 and "MultiTensorKerasAdam" not in plain_steps
    # the double softmax merged, then fused with its cross-entropy
    fused_losses = compiled_steps.count("_FusedSoftmaxCrossEntropy")
    assert fused_losses == plain_steps.count("SoftmaxCrossEntropyWithLogits") >= 1 and "Softmax" not in compiled_steps
    assert plain_steps.count("Softmax") == 2 * fused_losses
    for ours, theirs in zip(compiled, plain):
        np.testing.assert_array_equal(ours, theirs)


def tf1_adam_weights(config, steps: int = 4, meddle: bool = False):
    """Two variables trained by TF1's AdamOptimizer; with `meddle`, a variable is set by
    hand between steps (the fused kernel must then gather its buffers afresh)."""
    with mg.Graph().as_default():
        w = mg.Variable(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
        b = mg.Variable(np.float32([0.5, -0.25, 0.0]))
        x = mg.placeholder(mg.float32, (None, 2))
        loss = mg.reduce_sum(mg.square(mg.nn.relu(x @ w + b) - 1.0))
        train = mg.train.AdamOptimizer(0.1).minimize(loss)
        session = mg.Session(config=config)
        session.run(mg.global_variables_initializer())
        for step in range(steps):
            session.run(train, {x: np.float32([[1, 2], [3, -1], [step, 1]])})
            if meddle and step == 1:
                session.set_variable_value(b, np.float32([1, 2, 3]))
        kinds = [s.node.type_name for plan in session._plans.values() for s in plan.steps]
        return session.run([w, b]), kinds


@pytest.mark.parametrize("meddle", [False, True], ids=["steps", "set_variable_value between steps"])
def test_tf1_adam_fused_is_bitwise_the_unfused(meddle):
    compiled, kinds = tf1_adam_weights(None, meddle=meddle)
    plain, plain_kinds = tf1_adam_weights(PLAIN, meddle=meddle)
    assert "MultiTensorAdam" in kinds and plain_kinds.count("ApplyAdam") == 2
    for ours, theirs in zip(compiled, plain):
        np.testing.assert_array_equal(ours, theirs)


def test_fused_adam_refuses_a_bad_gradient_by_name_and_changes_nothing(graph):
    w, b = mg.Variable(np.ones((2, 2), np.float32)), mg.Variable(np.ones(2, np.float32))
    grad_w = mg.placeholder(mg.float32, (None, 2))  # a None dim: checked when it runs
    train = mg.train.AdamOptimizer(0.1).apply_gradients([(grad_w, w), (mg.ones_like(b), b)])
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    with pytest.raises(mg.errors.InvalidArgumentError, match=r"gradient of shape \(3, 2\) does not fit variable "
                       r"Variable of shape \(2, 2\) \(node 'Adam/update_Variable/ApplyAdam'"):
        session.run(train, {grad_w: np.ones((3, 2), np.float32)})
    np.testing.assert_array_equal(session.run(w), np.ones((2, 2)))
    np.testing.assert_array_equal(session.run(b), np.ones(2))
    session.run(train, {grad_w: np.ones((2, 2), np.float32)})
    assert session.run(b)[0] == pytest.approx(0.9)  # Adam's first step: lr * sign(g)


# --- each pass on a small graph --------------------------------------------------------


def explained(fetches, feed_list=(), **switches):
    return mg.passes.explain(fetches, feed_list, mg.ConfigProto(mg.GraphOptions(RewriterConfig(**switches))))


def step_types(explanation) -> list[str]:
    return [node.type_name for node in explanation.after.nodes]


def test_common_subgraph_elimination_merges_equal_computations(graph):
    x = mg.placeholder(mg.float32, (None, 3))
    twice = mg.nn.softmax(x) + mg.nn.softmax(x)  # two Softmax nodes, one computation
    e = explained(twice, [x])
    assert step_types(e) == ["Softmax", "AddV2"]
    assert "merged Softmax Softmax_1 into Softmax: same op, attributes and inputs" in str(e)
    value = np.float32([[1, 2, 3], [0, 0, 50]])
    np.testing.assert_array_equal(mg.Session().run(twice, {x: value}),
                                  mg.Session(config=PLAIN).run(twice, {x: value}))


def test_common_subgraph_elimination_keeps_different_attributes_and_random_draws(graph):
    x = mg.placeholder(mg.float32, (2, 3))
    sums = mg.reduce_sum(x, axis=0) + mg.reduce_sum(x, axis=1)[:1]
    draws = mg.random_uniform((3,), seed=1) - mg.random_uniform((3,), seed=1)
    assert step_types(explained(sums, [x])).count("Sum") == 2
    assert step_types(explained(draws)).count("RandomUniform") == 2


def test_constant_folding_computes_what_is_known_once(graph):
    x = mg.placeholder(mg.float32, ())
    scale = mg.exp(mg.constant(2.0)) * 3.0  # known when planned
    y = x * scale
    e = explained(y, [x])
    assert step_types(e) == ["Mul"]
    assert "folded Exp Exp" in str(e) and "folded Mul mul" in str(e)
    session = mg.Session()
    assert session.run(y, {x: 1.0}) == np.float32(np.exp(np.float32(2.0))) * np.float32(3.0)
    folded = session.run(scale)
    folded += 1  # the caller's copy: the plan's constant is untouched
    assert session.run(scale) == np.exp(np.float32(2.0)) * np.float32(3.0)


def test_constant_folding_materialises_ones_like_of_a_known_shape(graph):
    x = mg.placeholder(mg.float32, (None, 2))
    loss = mg.reduce_mean(x)
    (grad,) = mg.gradients(loss, [x])  # its seed is ones_like(loss), of shape ()
    e = explained(grad, [x])
    assert "folded OnesLike gradients/grad_ys_0 (its input's shape () is known)" in str(e)
    assert "OnesLike" not in step_types(e)


def test_constant_folding_leaves_failing_and_stateful_ops_to_the_run(graph):
    bad = mg.gather(mg.constant([1.0, 2.0]), mg.constant(5))  # only the kernel sees the index is out of range
    v = mg.Variable(2.0)
    read_twice = v * mg.constant(3.0)
    assert step_types(explained(bad)) == ["GatherV2"]
    assert "Identity" in step_types(explained(read_twice))  # the variable's read runs each time
    with pytest.raises(mg.errors.InvalidArgumentError, match=r"indices\[\] = 5 is not in \[0, 2\)"):
        mg.Session().run(bad)


def test_dependency_optimization_drops_identities_and_noops(graph):
    x = mg.placeholder(mg.float32, (2,))
    y = mg.identity(mg.stop_gradient(x * 2.0)) + 1.0
    step = mg.group(y)
    e = explained([step, y], [x])
    assert step_types(e) == ["Mul", "AddV2"]
    assert "removed Identity Identity: its readers read StopGradient" not in str(e)  # already gone
    assert "removed StopGradient StopGradient: its readers read mul" in str(e)
    assert "removed NoOp NoOp: what waited for it waits for its 1 control inputs" in str(e)
    np.testing.assert_array_equal(mg.Session().run([step, y], {x: [1, 2]})[1], [3, 5])


def test_a_cast_to_the_dtype_it_has_is_dropped(graph):
    x = mg.placeholder(mg.float32, (2,))
    y = mg.cast(mg.cast(x, mg.float32), mg.float64) * 2.0
    e = explained(y, [x])
    assert step_types(e) == ["Cast", "Mul"]
    assert "removed Cast Cast: its readers read fed Placeholder" in str(e)
    assert mg.Session().run(y, {x: [1.5, 2.0]}).dtype == np.float64


def test_an_identity_with_control_inputs_stays(graph):
    v = mg.Variable(1.0)
    increment = mg.assign_add(v, 1.0)
    with mg.control_dependencies([increment]):
        after = mg.identity(v.read_value())
    assert "Identity" in step_types(explained(after))
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    assert session.run(after) == 2.0


def test_a_transpose_folds_into_matmul(graph):
    a = mg.placeholder(mg.float32, (3, 2))
    b = mg.placeholder(mg.float32, (3, 4))
    product = mg.matmul(mg.transpose(a), mg.transpose(b), transpose_b=True)  # a^T (b^T)^T = a^T b
    e = explained(product, [a, b])
    assert step_types(e) == ["MatMul"]
    (matmul,) = e.after.nodes
    assert matmul.op.attrs["transpose_a"] and not matmul.op.attrs["transpose_b"]
    assert product.op.attrs["transpose_b"]  # the graph's node is unchanged
    assert "dropped Transpose transpose: nothing reads it" in str(e)
    rng = np.random.default_rng(1)
    feed = {a: rng.standard_normal((3, 2)).astype(np.float32), b: rng.standard_normal((3, 4)).astype(np.float32)}
    np.testing.assert_array_equal(mg.Session().run(product, feed), mg.Session(config=PLAIN).run(product, feed))


def test_a_transpose_read_elsewhere_stays(graph):
    a = mg.placeholder(mg.float32, (3, 2))
    flipped = mg.transpose(a)
    both = [mg.matmul(flipped, a), flipped]
    assert step_types(explained(both, [a])) == ["Transpose", "MatMul"]


def test_switches_turn_single_passes_off(graph):
    x = mg.placeholder(mg.float32, ())
    y = mg.identity(x) * (mg.constant(2.0) + 1.0)
    assert step_types(explained(y, [x], constant_folding=RewriterConfig.OFF)) == ["Const", "Const", "AddV2", "Mul"]
    assert step_types(explained(y, [x], dependency_optimization=False)) == ["Identity", "Mul"]
    assert step_types(explained(y, [x], disable_meta_optimizer=True)) == ["Identity", "Const", "Const", "AddV2", "Mul"]


def test_explain_prints_the_plan_before_and_after_each_pass(graph):
    x = mg.placeholder(mg.float32, (None, 3), name="x")
    y = mg.nn.softmax(x) * mg.nn.softmax(x)
    text = str(mg.passes.explain(y, [x]))
    assert text.startswith("plan before the passes: 3 steps\n   1  Softmax Softmax(fed x)\n")
    assert "common_subgraph_elimination: 2 steps\n    merged Softmax Softmax_1 into Softmax" in text
    assert "arithmetic_optimization: 2 steps, nothing to do" in text
    listing = "   1  Softmax Softmax(fed x)\n   2  Mul mul(Softmax, Softmax)"
    assert text.endswith(f"plan after the passes: 2 steps\n{listing}")
    assert mg.Session().describe_plan(y, [x]) == listing


def test_a_long_chain_of_constants_folds_without_recursion(graph):
    x = mg.constant(np.float64(0.0))
    for _ in range(20_000):
        x = x + 1.0
    session = mg.Session()
    assert session.run(x) == 20_000.0
    assert len(session._plans[((x,), frozenset())].steps) == 0  # all folded


# --- the switch ------------------------------------------------------------------------


def test_config_proto_takes_tf1_settings_and_refuses_unknown_ones():
    assert mg.ConfigProto(allow_soft_placement=True, intra_op_parallelism_threads=1).ignored
    with pytest.raises(ValueError, match="ConfigProto has no field 'optimise'"):
        mg.ConfigProto(optimise=False)
    with pytest.raises(TypeError, match="config must be a mg.ConfigProto, got 'fast'"):
        mg.Session(config="fast")


def test_the_environment_switch_turns_every_pass_off(graph, monkeypatch):
    x = mg.placeholder(mg.float32, (None, 3))
    y = mg.nn.softmax(x) + mg.nn.softmax(x)
    monkeypatch.setenv(ENVIRONMENT_SWITCH, "off")
    assert mg.Session().describe_plan(y, [x]).count("Softmax ") == 2
    monkeypatch.setenv(ENVIRONMENT_SWITCH, "on")
    assert mg.Session().describe_plan(y, [x]).count("Softmax ") == 1


def test_draw_plan_marks_fused_rewritten_and_removed_steps(graph):
    a = mg.placeholder(mg.float32, (3, 2), name="a")
    product = mg.matmul(mg.transpose(a), a) * (mg.constant(2.0) + 1.0)
    source = mg.viz.draw_plan(mg.passes.explain(product, [a])).source
    assert "<b>1. MatMul</b>" in source and mg.viz.REWRITTEN_FILL in source  # the MatMul took the transpose
    assert "const add" in source  # the folded constant, named after the op it replaced
    assert "Transpose: pruning" in source and "Const: constant_folding" in source
    assert "cluster_removed" in source
    w = mg.Variable(np.ones(2, np.float32))
    b = mg.Variable(np.ones(2, np.float32))
    train = mg.train.AdamOptimizer().minimize(mg.reduce_sum(w * b))
    fused = mg.viz.draw_plan(mg.passes.explain(train)).source
    assert "MultiTensorAdam" in fused and mg.viz.FUSED_FILL in fused and "2 ApplyAdam in one kernel" in fused


@pytest.mark.slow
def test_parity_with_keras_and_tf1_holds_with_the_passes_off():
    """The parity tests of test_models.py and test_train.py, run by a second pytest with
    every pass off (this run has them on)."""
    tests = Path(__file__).resolve().parent
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests / "test_models.py"),
               str(tests / "test_train.py"), "-k", "match_keras or parity or golden"]
    environment = {**os.environ, ENVIRONMENT_SWITCH: "off"}
    result = subprocess.run(command, cwd=tests.parent, env=environment, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "deselected" in result.stdout


def test_an_unfed_placeholder_with_default_is_its_default(graph):
    phase = mg.placeholder_with_default(mg.constant(False), (), name="phase")  # Keras's learning phase
    x = mg.placeholder(mg.float32, (2,))
    y = mg.where(phase, x * 0.0, x + 1.0)
    assert "removed PlaceholderWithDefault phase" in str(explained(y, [x], constant_folding=False))
    session = mg.Session()
    np.testing.assert_array_equal(session.run(y, {x: [1.0, 2.0]}), [2.0, 3.0])
    np.testing.assert_array_equal(session.run(y, {x: [1.0, 2.0], phase: True}), [0.0, 0.0])
