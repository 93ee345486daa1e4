"""minigraph.session: fetch structures, planning, variables, and every error of a run.

Each error test also checks that the session is still usable afterwards: a good
run works and the variables keep their values.
"""

import collections

import numpy as np
import pytest

import minigraph as mg

pytestmark = pytest.mark.usefixtures("graph")

ONES = np.ones((2, 2), np.float32)


@pytest.fixture
def worksheet():
    """x, y: (2, 2) placeholders; z = x + y; v: an initialised variable; a session."""
    x = mg.placeholder(mg.float32, shape=(2, 2))
    y = mg.placeholder(mg.float32, shape=(2, 2))
    z = x + y
    v = mg.Variable([[1.0, 2.0], [3.0, 4.0]])
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    return collections.namedtuple("Worksheet", "x y z v session")(x, y, z, v, session)


def assert_still_usable(w):
    """A good run works after an error, and the variable kept its value."""
    np.testing.assert_array_equal(w.session.run(w.z, {w.x: ONES, w.y: ONES}), 2 * ONES)
    np.testing.assert_array_equal(w.session.run(w.v), [[1.0, 2.0], [3.0, 4.0]])


# --- fetches ----------------------------------------------------------------------


def test_run_a_tensor(worksheet):
    x, y, z = worksheet.x, worksheet.y, worksheet.z
    value = worksheet.session.run(z, feed_dict={x: [[1, 2], [3, 4]], y: [[1, 1], [1, 1]]})
    assert value.dtype == np.float32
    np.testing.assert_array_equal(value, [[2, 3], [4, 5]])


def test_nested_fetch_structures(worksheet):
    x, y, z, v, session = worksheet
    Pair = collections.namedtuple("Pair", "total op")
    init = mg.global_variables_initializer()
    fetches = {"z": z, "nested": [x, (y, Pair(z, init))], "op": init, "variable": v, "empty": []}
    result = session.run(fetches, {x: ONES, y: 2 * ONES})
    assert list(result) == ["z", "nested", "op", "variable", "empty"]
    assert isinstance(result["nested"], list) and isinstance(result["nested"][1], tuple)
    pair = result["nested"][1][1]
    assert isinstance(pair, Pair) and pair.op is None and result["op"] is None
    np.testing.assert_array_equal(pair.total, 3 * ONES)
    np.testing.assert_array_equal(result["z"], 3 * ONES)
    np.testing.assert_array_equal(result["nested"][0], ONES)
    np.testing.assert_array_equal(result["variable"], [[1, 2], [3, 4]])
    assert result["empty"] == []
    assert session.run([z, z], {x: ONES, y: ONES})[1].shape == (2, 2)
    assert session.run(z.op, {x: ONES, y: ONES}) is None  # an op: run for its effect


def test_fetch_and_feed_by_name(worksheet):
    value = worksheet.session.run("add:0", {"Placeholder:0": ONES, worksheet.y: ONES})
    np.testing.assert_array_equal(value, 2 * ONES)


def test_fetched_arrays_belong_to_the_caller(worksheet):
    """Changing a fetched array changes neither the variable nor a constant."""
    value = worksheet.session.run(worksheet.v)
    value += 100
    np.testing.assert_array_equal(worksheet.session.run(worksheet.v), [[1, 2], [3, 4]])
    constant = worksheet.session.run(mg.constant([1.0, 2.0]))
    constant[0] = 5.0  # a writable array, as TF returns
    weights = worksheet.session.variable_value(worksheet.v)
    weights[0, 0] = -1.0
    assert_still_usable(worksheet)
    new_weights = np.zeros((2, 2), np.float32)
    worksheet.session.set_variable_value(worksheet.v, new_weights)
    new_weights[0, 0] = 7.0
    np.testing.assert_array_equal(worksheet.session.run(worksheet.v), np.zeros((2, 2)))


def test_a_fed_intermediate_tensor_replaces_its_computation(worksheet):
    x, y, z, _, session = worksheet
    w = z * 10.0
    np.testing.assert_array_equal(session.run(w, {z: ONES}), 10 * ONES)  # x, y not needed


# --- only the needed subgraph runs; plans are cached ----------------------------------


def test_only_the_needed_subgraph_runs(worksheet):
    x, _, _, _, session = worksheet
    unfed = mg.placeholder(mg.float32, shape=(None,))
    mg.reshape(unfed, (2, 3))  # would fail, and its placeholder is not fed
    mg.Variable([5.0]) * 2.0  # never initialised
    doubled = x * 2.0
    np.testing.assert_array_equal(session.run(doubled, {x: ONES}), 2 * ONES)


def test_a_failing_op_that_is_not_needed_is_not_run(worksheet):
    x, _, _, _, session = worksheet
    u = mg.placeholder(mg.float32, shape=(None,))
    bad = mg.reshape(u, (2, 3))
    good = u * 2.0
    feed = {u: np.ones(5, np.float32), x: ONES}
    np.testing.assert_array_equal(session.run(good, feed), 2 * np.ones(5))
    with pytest.raises(mg.errors.InvalidArgumentError, match="Reshape 'Reshape' failed"):
        session.run([good, bad], feed)
    np.testing.assert_array_equal(session.run(good, feed), 2 * np.ones(5))


def test_plans_are_made_once_per_fetches_and_feeds(worksheet, monkeypatch, graph):
    x, y, z, _, session = worksheet
    made = []
    make_plan = mg.Session._make_plan
    monkeypatch.setattr(mg.Session, "_make_plan", lambda self, *a: made.append(a) or make_plan(self, *a))
    ops_before = len(graph.get_operations())
    for step in range(5):
        session.run(z, {x: ONES * step, y: ONES})
        session.run([z, x], {y: ONES, x: ONES})  # the feeds in another order: the same plan
    assert len(made) == 2
    session.run(z, {z: ONES})  # other fed keys: another plan
    assert len(made) == 3
    assert len(graph.get_operations()) == ops_before  # running adds no nodes


def test_training_steps_add_no_nodes(graph):
    w = mg.Variable([1.0, -2.0])
    loss = mg.reduce_sum(mg.square(w))
    (grad,) = mg.gradients(loss, w)
    step = mg.assign_sub(w, 0.25 * grad)
    count = len(graph.get_operations())
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    count = len(graph.get_operations())
    for _ in range(10):
        session.run(step)
    assert len(graph.get_operations()) == count
    np.testing.assert_allclose(session.run(w), np.array([1.0, -2.0]) * 0.5**10)


# --- variables ----------------------------------------------------------------------


def test_variables_initialise_and_assign():
    v = mg.Variable(np.array([1.0, 2.0]), name="v")  # a float64 array keeps float64
    c = mg.Variable([[0, 1]], dtype=mg.int32)
    assert v.dtype == mg.float64 and c.dtype == mg.int32 and v.name == "v:0"
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    np.testing.assert_array_equal(session.run(v), [1.0, 2.0])
    np.testing.assert_array_equal(session.run(v.assign([5.0, 6.0])), [5.0, 6.0])
    np.testing.assert_array_equal(session.run(mg.assign_add(v, [1.0, 1.0])), [6.0, 7.0])
    np.testing.assert_array_equal(session.run(mg.assign_sub(v, np.array([2.0, 3.0]))), [4.0, 4.0])
    np.testing.assert_array_equal(session.run(v), [4.0, 4.0])
    add_one = mg.assign_add(c, [[1, 1]])
    for _ in range(3):
        session.run(add_one)
    np.testing.assert_array_equal(session.run(c), [[3, 4]])
    session.run(v.initializer)  # back to the initial value
    np.testing.assert_array_equal(session.run(v * 2.0), [2.0, 4.0])


def test_assign_from_another_tensor():
    v = mg.Variable(np.zeros(3))
    x = mg.placeholder(mg.float64, shape=(3,))
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    session.run(mg.assign(v, x * 2.0), {x: [1.0, 2.0, 3.0]})
    np.testing.assert_array_equal(session.run(v), [2.0, 4.0, 6.0])


def test_two_sessions_keep_independent_values():
    v = mg.Variable([1.0])
    step = v.assign_add([1.0])
    first, second = mg.Session(), mg.Session()
    first.run(mg.global_variables_initializer())
    second.run(mg.global_variables_initializer())
    for _ in range(3):
        first.run(step)
    assert first.run(v)[0] == 4.0 and second.run(v)[0] == 1.0
    first.close()
    assert second.run(v)[0] == 1.0


def test_control_dependencies_and_group():
    v = mg.Variable([0.0])
    increment = v.assign_add([1.0])
    with mg.control_dependencies([increment]):
        after_increment = mg.no_op()
    both = mg.group(increment, mg.assign_add(v, [10.0]))
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    assert session.run(after_increment) is None
    assert session.run(v)[0] == 1.0
    session.run(both)
    assert session.run(v)[0] == 12.0
    assert [op.name for op in both.control_inputs] == ["AssignAdd", "AssignAdd_1"]


def test_read_value_under_control_dependencies_sees_the_update():
    v = mg.Variable(1.0)
    step = v.assign_add(1.0)
    with mg.control_dependencies([step]):
        after = v.read_value()
        also_after = mg.identity(v)  # a variable used inside the block is read after `step` too (TF1)
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    assert session.run(after) == 2.0
    assert session.run([after, also_after]) == [3.0, 3.0]
    assert session.run(v) == 3.0  # outside the block: the shared `Variable/read`, no step
    assert after.op.control_inputs == (step.op,)


def test_control_dependencies_none_clears_and_variables_ignore_them():
    v = mg.Variable(0.0, name="v")
    step = v.assign_add(1.0)
    with mg.control_dependencies([step]):
        with mg.control_dependencies(None):
            free = mg.no_op(name="free")
        w = mg.Variable(5.0, name="w")  # its initializer must not wait for `step`
    assert free.control_inputs == ()
    assert w.initializer.control_inputs == ()
    session = mg.Session()
    session.run(w.initializer)  # runs without v having a value
    assert session.run(w) == 5.0


def test_session_as_context_manager_and_eval():
    x = mg.placeholder(mg.float32, shape=(2,))
    with mg.Session() as session:
        assert mg.get_default_session() is session
        np.testing.assert_array_equal((x * 3.0).eval({x: [1.0, 2.0]}), [3.0, 6.0])
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session."):
        session.run(x, {x: [1.0, 2.0]})


# --- errors (issue 2, section 6): each names the node; the session stays usable ------


def test_unfed_placeholder(worksheet):
    with pytest.raises(mg.errors.InvalidArgumentError) as error:
        worksheet.session.run(worksheet.z, feed_dict={worksheet.x: ONES})
    assert str(error.value) == (
        "You must feed a value for placeholder tensor 'Placeholder_1' with dtype float and shape [2,2]"
    )
    assert_still_usable(worksheet)


def test_unfed_placeholder_of_unknown_shape(worksheet):
    any_shape = mg.placeholder(mg.float64, name="anything")
    with pytest.raises(mg.errors.InvalidArgumentError, match="^You must feed a value for placeholder tensor "
                       "'anything' with dtype double$"):  # fmt: skip
        worksheet.session.run(any_shape + 1.0)
    partial = mg.placeholder(mg.float32, shape=(None, 784))
    with pytest.raises(mg.errors.InvalidArgumentError, match=r"'Placeholder_2' with dtype float and shape \[\?,784\]"):
        worksheet.session.run(partial)
    assert_still_usable(worksheet)


def test_fed_value_of_the_wrong_shape(worksheet):
    with pytest.raises(ValueError) as error:
        worksheet.session.run(worksheet.z, {worksheet.x: np.ones((3, 2)), worksheet.y: ONES})
    assert str(error.value) == "Cannot feed value of shape (3, 2) for Tensor Placeholder:0, which has shape (2, 2)"
    with pytest.raises(ValueError, match=r"shape \(2,\) for Tensor Placeholder_1:0"):
        worksheet.session.run(worksheet.z, {worksheet.x: ONES, worksheet.y: [1.0, 2.0]})
    assert_still_usable(worksheet)


@pytest.mark.parametrize(
    "value, kind",
    [
        ([["a", "b"], ["c", "d"]], "str"),
        (np.full((2, 2), 1 + 2j), "complex128"),
        (np.array([[None, None], [None, None]]), "object"),
    ],
)
def test_fed_value_that_cannot_become_the_dtype(worksheet, value, kind):
    with pytest.raises(TypeError, match=rf"Cannot feed a value of dtype {kind}.*Placeholder:0.*dtype float32"):
        worksheet.session.run(worksheet.z, {worksheet.x: value, worksheet.y: ONES})
    assert_still_usable(worksheet)


def test_fed_float_to_an_integer_placeholder(worksheet):
    n = mg.placeholder(mg.int32, shape=(None,), name="labels")
    with pytest.raises(TypeError, match="dtype float64.*labels:0"):
        worksheet.session.run(n, {n: [1.5, 2.0]})
    with pytest.raises(TypeError, match="dtype str.*labels:0"):
        worksheet.session.run(n, {n: np.array([], dtype=str)})
    np.testing.assert_array_equal(worksheet.session.run(n, {n: [1, 2]}), [1, 2])
    assert_still_usable(worksheet)


def test_feed_key_that_is_not_a_tensor_of_this_graph(worksheet):
    with pytest.raises(TypeError, match="Cannot interpret feed_dict key 3 as a Tensor"):
        worksheet.session.run(worksheet.z, {3: ONES})
    with mg.Graph().as_default():
        stranger = mg.placeholder(mg.float32, shape=(2, 2), name="stranger")
    with pytest.raises(ValueError, match=r"Tensor\(\"stranger:0\".* is not an element of this graph"):
        worksheet.session.run(worksheet.z, {stranger: ONES, worksheet.x: ONES, worksheet.y: ONES})
    with pytest.raises(KeyError, match="'nothing'"):
        worksheet.session.run(worksheet.z, {"nothing:0": ONES})
    assert_still_usable(worksheet)


def test_fetch_that_is_not_of_this_graph(worksheet):
    with mg.Graph().as_default():
        stranger = mg.constant(1.0, name="stranger")
    with pytest.raises(ValueError, match="stranger:0.*is not an element of this session's graph"):
        worksheet.session.run(stranger)
    with pytest.raises(TypeError, match="Fetch argument 3 has invalid type int"):
        worksheet.session.run([worksheet.v, 3])
    assert_still_usable(worksheet)


def test_variable_read_before_initialisation(worksheet):
    w = mg.Variable(np.ones(2), name="weights")
    for fetch in (w, w * 2.0, mg.assign_add(w, [1.0, 1.0])):
        with pytest.raises(mg.errors.FailedPreconditionError, match="^Attempting to use uninitialized value weights"):
            worksheet.session.run(fetch)
    assert_still_usable(worksheet)
    worksheet.session.run(w.initializer)
    np.testing.assert_array_equal(worksheet.session.run(w * 2.0), [2.0, 2.0])


def test_error_in_a_kernel_names_the_node(worksheet):
    u = mg.placeholder(mg.float32, shape=(None,), name="u")
    grid = mg.reshape(u, (2, 3), name="to_grid")
    with pytest.raises(mg.errors.InvalidArgumentError, match=r"Reshape 'to_grid' failed on inputs of shape \(5,\)"):
        worksheet.session.run(grid, {u: np.ones(5)})
    assert_still_usable(worksheet)


def test_closed_session(worksheet):
    worksheet.session.close()
    with pytest.raises(RuntimeError, match="^Attempted to use a closed Session.$"):
        worksheet.session.run(worksheet.z, {worksheet.x: ONES, worksheet.y: ONES})
    # a new session on the same graph works, with its own (uninitialised) variables
    session = mg.Session()
    with pytest.raises(mg.errors.FailedPreconditionError):
        session.run(worksheet.v)
    session.run(mg.global_variables_initializer())
    np.testing.assert_array_equal(session.run(worksheet.z, {worksheet.x: ONES, worksheet.y: ONES}), 2 * ONES)


# --- the default session: one mechanism for `with sess:`, as_default and InteractiveSession


def test_as_default_makes_eval_and_run_use_the_session(graph):
    v = mg.Variable(np.float32(1.0))
    increment = v.assign_add(2.0).op
    session = mg.Session()
    with session.as_default():
        assert mg.get_default_session() is session
        v.initializer.run()
        increment.run()  # Operation.run: for its effect
        assert v.value().eval() == 3.0  # Variable.value() is its read
    assert not session.closed  # as_default does not close the session, `with session:` does
    with pytest.raises(ValueError, match="no default session"):
        v.value().eval()


def test_interactive_session_is_the_default_until_closed(graph):
    x = mg.constant(2.0) * 3.0
    outer = mg.InteractiveSession()
    assert x.eval() == 6.0
    with mg.Session() as inner:  # nests above the interactive one
        assert mg.get_default_session() is inner
    assert mg.get_default_session() is outer
    outer.close()
    assert outer.closed
    with pytest.raises(ValueError, match="no default session"):
        x.eval()


def test_sessions_closed_out_of_order_leave_the_right_default(graph):
    first, second = mg.InteractiveSession(), mg.InteractiveSession()
    first.close()  # not the innermost: only it leaves the stack
    assert mg.get_default_session() is second
    second.close()


def test_a_bug_inside_a_kernel_is_not_disguised_as_a_bad_value(graph):
    class Broken(mg.Operation):
        type_name = "Broken"
        input_names = ("x",)

        def infer(self, x):
            return x.shape, x.dtype

        def forward(self, x):
            return x.no_such_attribute  # a bug, not a bad value

    y = Broken(mg.constant([1.0])).output
    with pytest.raises(AttributeError, match="no_such_attribute"):
        mg.Session().run(y)


def test_feed_dict_must_be_a_dict(graph):
    x = mg.placeholder(mg.float32, shape=(2,))
    with pytest.raises(TypeError, match="feed_dict must be a dict from tensors to values, got list"):
        mg.Session().run(x * 2.0, feed_dict=[(x, [1.0, 2.0])])


def test_a_ragged_feed_names_the_placeholder(graph):
    x = mg.placeholder(mg.float32, name="rows")
    with pytest.raises(ValueError, match=r'Cannot feed Tensor\("rows:0".*not a regular array'):
        mg.Session().run(x * 2.0, feed_dict={x: [[1.0, 2.0], [3.0]]})


# --- make_callable: a step resolved once (TF1's sess.make_callable)


def test_make_callable_runs_what_run_runs(graph):
    x = mg.placeholder(mg.float32, shape=(None, 2), name="x")
    w = mg.Variable(np.array([[1.0], [2.0]], np.float32))
    y = mg.matmul(x, w)
    loss = mg.reduce_sum(mg.square(y))
    train = mg.train.GradientDescentOptimizer(0.01).minimize(loss)
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    step = session.make_callable([train, loss], feed_list=[x])
    predict = session.make_callable({"y": y}, [x])
    nodes = len(graph.get_operations())
    batch = np.array([[1.0, 1.0], [0.5, -1.0]], np.float32)
    expected = session.run(y, {x: batch})
    np.testing.assert_array_equal(predict(batch)["y"], expected)
    before = session.run(w)
    none, loss_value = step(batch)
    assert none is None and loss_value == pytest.approx(float(np.sum(expected**2)))
    assert not np.array_equal(session.run(w), before)  # the update ran
    step(batch)
    assert len(graph.get_operations()) == nodes  # calls add nothing to the graph


def test_make_callable_checks_each_call(graph):
    x = mg.placeholder(mg.float32, shape=(None, 2), name="x")
    double = mg.Session().make_callable(x * 2.0, [x])
    np.testing.assert_array_equal(double([[1.0, 2.0]]), [[2.0, 4.0]])
    with pytest.raises(TypeError, match=r"takes 1 values, one for each of \['x:0'\], got 2"):
        double([[1.0, 2.0]], [[3.0, 4.0]])
    with pytest.raises(ValueError, match=r"Cannot feed value of shape \(3,\) for Tensor x:0"):
        double([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="feed_list names a tensor twice"):
        mg.Session().make_callable(x * 2.0, [x, x])
    with pytest.raises(mg.errors.InvalidArgumentError, match="You must feed a value for placeholder tensor 'x'"):
        mg.Session().make_callable(x * 2.0)


def test_make_callable_checks_arrays_as_run_does(graph):
    """The quick check (an array of the right dtype and rank) and the full one agree:
    a float64 array is cast, a wrong dimension or kind is refused with run's message."""
    x = mg.placeholder(mg.float32, shape=(None, 2), name="x")
    scale = mg.placeholder(mg.float32, shape=(), name="scale")
    count = mg.placeholder(mg.int32, shape=(), name="count")
    session = mg.Session()
    scaled = session.make_callable(x * scale, [scale, x])  # fed in another order than the graph made them
    out = scaled(np.float32(3), np.ones((4, 2), np.float32))
    assert out.dtype == np.float32 and out.shape == (4, 2) and out[0, 0] == 3.0
    cast = scaled(2.0, np.ones((1, 2), np.float64))
    assert cast.dtype == np.float32
    np.testing.assert_array_equal(cast, session.run(x * 2.0, {x: np.ones((1, 2))}))
    with pytest.raises(ValueError, match=r"shape \(4, 3\) for Tensor x:0, which has shape \(None, 2\)"):
        scaled(np.float32(1), np.ones((4, 3), np.float32))
    with pytest.raises(TypeError, match="Cannot feed a value of dtype float64 .* which has dtype int32"):
        session.make_callable(count + 1, [count])(np.float64(1.5))


def test_a_session_is_lean_about_what_it_returns(graph):
    """A fetched constant or variable is the caller's copy; a run of a tiny graph goes
    through no dict of the caller's feeds more than once (the plan and checks are kept)."""
    v = mg.Variable(np.float32([1.0, 2.0]))
    c = mg.constant([5.0, 6.0])
    session = mg.Session()
    session.run(mg.global_variables_initializer())
    got_v, got_c = session.run([v, c])
    got_v[0] = got_c[0] = 100.0
    np.testing.assert_array_equal(session.run(v), [1.0, 2.0])
    np.testing.assert_array_equal(session.run(c), [5.0, 6.0])
    a = mg.placeholder(mg.float32, ())
    session.run(a + 1.0, {a: 1.0})
    session.run(a + 1.0, {a: 2.0})
    assert list(session._feed_checks) == [a]
