"""minigraph.plan: a plan runs interpreted, then compiled to one Python function.

The compiled function must compute what the step-by-step loop computes, bit for bit,
fail as it fails (naming the op, changing no variable), free values as it frees them,
and read as the program it is (``sess.plan_source``). OptimizerOptions.OFF keeps
every plan interpreted.
"""

import numpy as np
import pytest

import minigraph as mg
from minigraph import plan as plan_module
from minigraph.plan import COMPILE_ON_RUN

pytestmark = pytest.mark.usefixtures("graph")

JIT_OFF = mg.ConfigProto(graph_options=mg.GraphOptions(
    optimizer_options=mg.OptimizerOptions(global_jit_level=mg.OptimizerOptions.OFF)))


def plan_of(session: mg.Session, fetches, feed_list=()):
    return session._plan_of(fetches, feed_list)


def small_network(seed: int = 0):
    """x (None, 3) -> tanh dense (4) -> softmax cross-entropy against y; an SGD step."""
    rng = np.random.default_rng(seed)
    x = mg.placeholder(mg.float32, (None, 3), name="x")
    y = mg.placeholder(mg.float32, (None, 2), name="y")
    w1 = mg.Variable(rng.normal(size=(3, 4)).astype(np.float32), name="w1")
    w2 = mg.Variable(rng.normal(size=(4, 2)).astype(np.float32), name="w2")
    logits = mg.matmul(mg.tanh(mg.matmul(x, w1)), w2)
    loss = mg.reduce_mean(mg.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))
    train = mg.train.AdamOptimizer(0.05).minimize(loss)
    data = rng.normal(size=(8, 3)).astype(np.float32), np.eye(2, dtype=np.float32)[rng.integers(0, 2, 8)]
    return x, y, loss, train, [w1, w2], data


@pytest.mark.parametrize("config", [None, JIT_OFF], ids=["jit", "jit-off"])
def test_a_plan_compiles_on_its_second_run_unless_the_jit_is_off(config):
    x, y, loss, train, _, (xs, ys) = small_network()
    session = mg.Session(config=config)
    session.run(mg.global_variables_initializer())
    plan = plan_of(session, [loss, train], [x, y])
    compiled = []
    for _ in range(COMPILE_ON_RUN + 1):
        session.run([loss, train], {x: xs, y: ys})
        compiled.append(plan.compiled)
    if config is None:
        assert compiled == [False] + [True] * COMPILE_ON_RUN
    else:
        assert compiled == [False] * (COMPILE_ON_RUN + 1)


def test_compiled_training_equals_interpreted_training_bit_for_bit():
    x, y, loss, train, weights, (xs, ys) = small_network()
    sessions = [mg.Session(), mg.Session(config=JIT_OFF)]
    losses = [[], []]
    for session, record in zip(sessions, losses):
        session.run(mg.global_variables_initializer())
        for _ in range(20):
            record.append(session.run([loss, train], {x: xs, y: ys})[0])
    assert plan_of(sessions[0], [loss, train], [x, y]).compiled
    assert not plan_of(sessions[1], [loss, train], [x, y]).compiled
    np.testing.assert_array_equal(losses[0], losses[1])
    assert losses[0][-1] < losses[0][0]  # it trained
    for w in weights:
        np.testing.assert_array_equal(sessions[0].run(w), sessions[1].run(w))


def test_the_source_reads_as_the_program_one_line_per_step():
    x, y, loss, train, _, (xs, ys) = small_network()
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    source = session.plan_source([loss, train], [x, y])
    plan = plan_of(session, [loss, train], [x, y])
    lines = source.splitlines()
    assert lines[0] == "def run(x, y):"
    assert len(lines) == len(plan.steps) + 2  # the def, a line per step, the return
    # a variable's read asks the variable's handle itself, written in line
    assert lines[1:4] == ["    w1_read_0 = ref_w1.read()", "    w2_read_0 = ref_w2.read()",
                          "    MatMul_0 = MatMul(x, w1_read_0); del w1_read_0"], source
    assert lines[-1].strip().startswith("return [")
    compile(source, "<test>", "exec")  # it is Python


def test_op_names_that_are_not_python_names_become_python_names():
    a = mg.placeholder(mg.float32, (), name="class")  # a keyword
    b = mg.placeholder(mg.float32, (), name="2nd")  # starts with a digit
    run = mg.identity(a * b, name="run")  # the name of the compiled function itself
    session = mg.Session()
    for value in (2.0, 3.0, 4.0):
        assert session.run(run, {a: value, b: 5.0}) == value * 5.0
    assert plan_of(session, run, [a, b]).compiled
    assert session.plan_source(run, [a, b]).startswith("def run(_class, _2nd):")


def test_a_failing_kernel_in_a_compiled_plan_names_its_op_and_shapes():
    a = mg.placeholder(mg.float32, (None, None), name="a")
    b = mg.placeholder(mg.float32, (None, None), name="b")
    total = mg.reduce_sum(mg.add(mg.exp(a), b, name="plus"))  # numpy refuses to broadcast (2, 3) and (5, 4)
    session = mg.Session()
    for _ in range(COMPILE_ON_RUN):
        session.run(total, {a: np.zeros((2, 3)), b: np.ones((2, 3))})
    assert plan_of(session, total, [a, b]).compiled
    with pytest.raises(mg.errors.InvalidArgumentError, match=r"AddV2 'plus' failed on inputs of shape "
                                                              r"\(2, 3\), \(5, 4\): operands could not be"):
        session.run(total, {a: np.zeros((2, 3)), b: np.ones((5, 4))})
    assert session.run(total, {a: np.zeros((2, 3)), b: np.ones((2, 3))}) == 12.0  # still usable


def test_a_compiled_step_that_fails_changes_no_variable():
    v = mg.Variable(np.zeros(3, np.float32), name="v")
    delta = mg.placeholder(mg.float32, (None,), name="delta")
    index = mg.placeholder(mg.int32, (), name="index")
    update = mg.assign_add(v, delta)
    with mg.control_dependencies([update]):
        picked = mg.gather(delta, index)  # fails after the update when the index is out of range
    session = mg.Session()
    session.run(v.initializer)
    for _ in range(COMPILE_ON_RUN):
        session.run(picked, {delta: np.ones(3, np.float32), index: 0})
    assert plan_of(session, picked, [delta, index]).compiled
    before = session.run(v)
    with pytest.raises(mg.errors.InvalidArgumentError):
        session.run(picked, {delta: np.ones(3, np.float32), index: 7})
    np.testing.assert_array_equal(session.run(v), before)


def test_a_long_chain_compiles_and_keeps_only_live_values():
    x = mg.placeholder(mg.float64, (), name="x")
    value = x
    for _ in range(2000):
        value = value * 1.0 + 1.0
    session = mg.Session()
    results = [session.run(value, {x: start}) for start in (0.0, 1.0, 2.0)]
    assert results == [2000.0, 2001.0, 2002.0]
    plan = plan_of(session, value, [x])
    assert plan.compiled
    # every value but the fetched one (computed or fed) is dropped after its last reader
    deleted = sum(len(step.frees) for step in plan.steps)
    assert deleted == sum(step.result is not None for step in plan.steps) - 1 + 1
    assert plan.source.count(" del ") == len(plan.steps)  # here each step drops what it read


def test_a_plan_longer_than_the_largest_compiled_stays_interpreted(monkeypatch):
    monkeypatch.setattr(plan_module, "LARGEST_COMPILED", 50)
    x = mg.placeholder(mg.float64, (), name="x")
    short, long = x, x
    for i in range(60):
        long = long + 1.0
        if i < 20:
            short = short + 1.0
    session = mg.Session()
    for _ in range(COMPILE_ON_RUN + 1):
        assert session.run([short, long], {x: 1.0}) == [21.0, 61.0]
        assert session.run(short, {x: 1.0}) == 21.0
    assert plan_of(session, short, [x]).compiled
    assert not plan_of(session, [short, long], [x]).compiled


def test_a_read_in_line_of_a_variable_with_no_value_names_the_variable():
    v = mg.Variable(np.float32([1.0, 2.0]), name="weights")
    doubled = v * 2.0
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    for _ in range(3):
        np.testing.assert_array_equal(session.run(doubled), [2.0, 4.0])
    assert plan_of(session, doubled, []).compiled
    session._store.clear()  # as if never initialized: the compiled read finds no value
    with pytest.raises(mg.errors.FailedPreconditionError, match="uninitialized value weights"):
        session.run(doubled)
