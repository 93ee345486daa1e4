"""make_callable's function written out as Python (minigraph/compiled_callable.py)."""

import numpy as np
import pytest

import minigraph as mg


@pytest.fixture
def graph():
    with mg.Graph().as_default() as g:
        yield g


def test_the_source_checks_in_line_and_is_a_transaction_only_when_it_writes(graph):
    x = mg.placeholder(mg.float32, shape=(None, 3), name="x")
    w = mg.Variable(np.ones((3, 1), np.float32), name="w")
    loss = mg.reduce_sum(mg.matmul(x, w))
    train = mg.train.GradientDescentOptimizer(0.1).minimize(loss)
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    step = session.make_callable([loss, train], [x])
    assert "x.shape[1] == 3" in step.source and "x.ndim == 2" in step.source
    assert "with lock, transaction:" in step.source
    predict = session.make_callable(loss, [x])
    assert "transaction" not in predict.source and "execute([x])" in predict.source
    batch = np.arange(6, dtype=np.float32).reshape(2, 3)
    value, none = step(batch)
    assert none is None and value == pytest.approx(15.0)
    np.testing.assert_allclose(session.run(w), 1 - 0.1 * batch.sum(axis=0, keepdims=True).T)


def test_a_failed_call_changes_no_variable(graph):
    """The inlined transaction undoes the writes made before the failing step."""
    v = mg.Variable(np.float32([1.0, 2.0]), name="v")
    index = mg.placeholder(mg.int32, shape=(), name="index")
    bump = mg.assign_add(v, [1.0, 1.0])
    with mg.control_dependencies([bump]):
        picked = mg.gather(v, index)
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    call = session.make_callable(picked, [index])
    assert call(np.int32(1)) == 3.0
    with pytest.raises(mg.errors.InvalidArgumentError):
        call(np.int32(7))  # out of range, after the assign_add ran
    np.testing.assert_array_equal(session.run(v), [2.0, 3.0])
    assert session._store._before is None  # the transaction is over


def test_what_a_call_returns_is_the_callers_own(graph):
    v = mg.Variable(np.float32([1.0, 2.0]), name="v")
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    read = session.make_callable({"v": v, "n": mg.reduce_sum(v)})
    got = read()
    got["v"][0] = 100.0
    assert got["n"] == 3.0
    np.testing.assert_array_equal(session.run(v), [1.0, 2.0])


def test_a_closed_session_refuses_a_call_and_odd_feeds_take_the_full_check(graph):
    anything = mg.placeholder(mg.float32, name="anything")  # no shape known: the full check each call
    scale = mg.placeholder(mg.float32, shape=(), name="scale")
    session = mg.Session()
    call = session.make_callable(anything * scale, [anything, scale])
    assert "anything = check_anything(anything)" in call.source
    np.testing.assert_array_equal(call([[1.0], [2.0]], np.float32(2)), [[2.0], [4.0]])
    np.testing.assert_array_equal(call(3, 2.0), 6.0)  # a Python number, cast by the full check
    with pytest.raises(ValueError, match=r"shape \(2,\) for Tensor scale:0"):
        call(1.0, np.ones(2, np.float32))
    session.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        call(1.0, 2.0)
