"""Gradients written straight into the fused Adam's buffer (minigraph/passes/gradient_buffers.py).

The MatMul and SumLike steps that make a multi-tensor Adam's gradients write them
into its flat buffer with ``out=``. Nothing a run computes may change:

- the kernels alone: ``np.matmul(..., out=piece)`` and ``np.add.reduce(..., out=piece)``
  give the bytes of MatMul's and SumLike's own kernels, over transpose flags, memory
  layouts, dtypes and the edges (NaN, inf, -0.0), and the product of a matrix with its
  own transpose (numpy's syrk);
- training: hundreds of steps of Keras's and TF1's Adam with the pass give the plain
  plan's numbers after every step, compiled and read step by step, and the update
  copies no gradient;
- what does not fit: a gradient of the wrong run-time shape still fails as the update
  (naming it and the variable) and changes nothing; a MatMul of shapes that do not
  multiply fails as MatMul; a failed run leaves nothing that shows later;
- what is left alone: a fetched gradient, or one another step reads too.
"""

import re

import numpy as np
import pytest

import minigraph as mg
from minigraph.ops.array import sum_like
from minigraph.passes import RewriterConfig, plain_config
from minigraph.passes.gradient_buffers import matmul_into, sum_like_into
from minigraph.train.fused import MultiTensorAdam

PLAIN = plain_config()
INTERPRETED = mg.ConfigProto(graph_options=mg.GraphOptions(
    optimizer_options=mg.OptimizerOptions(global_jit_level=mg.OptimizerOptions.OFF)))
FLOATS = (np.float16, np.float32, np.float64)
# the kernels are fed NaN and inf on purpose
pytestmark = [pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning"),
              pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")]
WRITES = "writes into"


def with_edges(rng, shape, dtype) -> np.ndarray:
    """Normal values, with NaN, inf, -inf, -0.0 and 0.0 in some places."""
    values = (rng.standard_normal(shape) * 4).astype(dtype)
    flat = values.reshape(-1)
    spots = rng.choice(flat.size, size=min(flat.size, 5), replace=False)
    flat[spots] = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0], dtype)[: len(spots)]
    return values


def piece_of(shape, dtype, offset: int = 3) -> np.ndarray:
    """A piece of a flat buffer, as the fused Adam keeps them: not at the buffer's start."""
    size = int(np.prod(shape))
    return np.full(offset + size + 2, 7, dtype)[offset:offset + size].reshape(shape)


def same_bytes(ours: np.ndarray, theirs: np.ndarray) -> bool:
    return ours.dtype == theirs.dtype and ours.shape == theirs.shape and ours.tobytes() == theirs.tobytes()


# the ways an operand may lie in memory, each made from twice the rows it needs (a sum's
# order of additions, pairwise or not, follows the layout: long sums take that path too)
LAYOUTS = {"C": lambda rows, n: rows[:n], "Fortran": lambda rows, n: np.asfortranarray(rows[:n]),
           "strided": lambda rows, n: rows[::2], "reversed": lambda rows, n: rows[:n][::-1],
           "axes reversed": lambda rows, n: np.ascontiguousarray(rows[:n].T).T}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_matmul_into_its_piece_gives_matmuls_bytes(graph, dtype, transpose_a, transpose_b, layout):
    rng = np.random.default_rng(int(transpose_a) + 2 * int(transpose_b))
    for rows, inner, columns in [(60, 32, 128), (7, 5, 3), (1, 33, 1), (128, 32, 10), (40, 300, 20)]:
        a_shape = (inner, rows) if transpose_a else (rows, inner)
        b_shape = (columns, inner) if transpose_b else (inner, columns)
        a = LAYOUTS[layout](with_edges(rng, (2 * a_shape[0], a_shape[1]), dtype), a_shape[0])
        b = with_edges(rng, b_shape, dtype)
        op = mg.matmul(mg.placeholder(dtype, a_shape), mg.placeholder(dtype, b_shape),
                       transpose_a=transpose_a, transpose_b=transpose_b).op
        piece = piece_of((rows, columns), dtype)
        ours = matmul_into(op, piece)(a, b)
        assert ours is piece
        assert same_bytes(ours, op.forward(a, b))


@pytest.mark.parametrize("dtype", FLOATS)
def test_a_matrix_times_its_own_transpose_into_a_piece_gives_the_same_bytes(graph, dtype):
    """a.T @ a is one of numpy's special cases (BLAS syrk): it follows the operands, not the output."""
    a = np.random.default_rng(5).standard_normal((32, 60)).astype(dtype)
    op = mg.matmul(mg.placeholder(dtype, a.shape), mg.placeholder(dtype, a.shape), transpose_a=True).op
    piece = piece_of((60, 60), dtype)
    assert matmul_into(op, piece)(a, a) is piece
    assert same_bytes(piece, op.forward(a, a))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape, batch", [((128,), (32,)), ((10,), (1,)), ((4, 3), (5,)), ((6,), (3, 2)),
                                          ((5,), (0,)), ((128,), (1000,)), ((4, 3), (300,)), ((6,), (50, 40))])
def test_a_bias_gradient_summed_into_its_piece_gives_sumlikes_bytes(graph, dtype, shape, batch):
    rng = np.random.default_rng(len(shape) + len(batch))
    for layout in LAYOUTS.values():
        x = layout(with_edges(rng, (2 * batch[0], *batch[1:], *shape), dtype), batch[0])
        x[..., 0] = -0.0  # a column of -0.0 sums to -0.0
        like = np.zeros(shape, dtype)
        op = sum_like(mg.placeholder(dtype, x.shape), mg.placeholder(dtype, shape)).op
        piece = piece_of(shape, dtype)
        ours = sum_like_into(op, piece)(x, like)
        assert ours is piece
        assert same_bytes(ours, op.forward(x, like))


def test_what_does_not_fit_the_piece_is_the_ops_own_new_value(graph):
    piece = piece_of((3, 2), np.float32)
    product = mg.matmul(mg.placeholder(mg.float32, (None, None)), mg.placeholder(mg.float32, (None, None))).op
    matmul = matmul_into(product, piece)
    for a, b in [(np.ones((4, 5)), np.ones((5, 2))), (np.ones((3, 5), np.float64), np.ones((5, 2), np.float64))]:
        a, b = a.astype(b.dtype), b
        value = matmul(a, b)
        assert value is not piece and same_bytes(value, product.forward(a, b))
    with pytest.raises(mg.errors.InvalidArgumentError, match=r"Matrix size-incompatible: In\[0\]: \[3, 4\]"):
        matmul(np.ones((3, 4), np.float32), np.ones((5, 2), np.float32))
    with pytest.raises(mg.errors.InvalidArgumentError, match="must be a matrix"):
        matmul(np.ones(3, np.float32), np.ones((3, 2), np.float32))
    summed = sum_like(mg.placeholder(mg.float32, (None, None)), mg.placeholder(mg.float32, (None,))).op
    bias = sum_like_into(summed, piece_of((2,), np.float32))
    for x, like in [(np.ones((4, 3)), np.ones(3)), (np.ones(2), np.ones(2)), (np.ones((2, 2, 2)), np.ones((2, 2)))]:
        x, like = x.astype(np.float32), like.astype(np.float32)
        value = bias(x, like)
        assert value.shape == like.shape and same_bytes(value, summed.forward(x, like))


def test_nothing_is_written_when_the_value_does_not_fit(graph):
    piece = piece_of((3, 2), np.float32)
    before = piece.copy()
    op = mg.matmul(mg.placeholder(mg.float32, (None, None)), mg.placeholder(mg.float32, (None, None))).op
    matmul_into(op, piece)(np.ones((4, 5), np.float32), np.ones((5, 2), np.float32))
    with pytest.raises(mg.errors.InvalidArgumentError):
        matmul_into(op, piece)(np.ones((3, 4), np.float32), np.ones((5, 2), np.float32))
    assert same_bytes(piece, before)


# --- in a training step ----------------------------------------------------------------


def fused_kernel(session: mg.Session) -> MultiTensorAdam:
    (kernel,) = {step.kernel for plan in session._plans.values() for step in plan.steps
                 if isinstance(step.kernel, MultiTensorAdam)}
    return kernel


class CountedCopies:
    """Wraps a fused Adam's ``_take_gradients``: how many runs copied some gradient."""

    def __init__(self, kernel: MultiTensorAdam):
        self.calls, self.take = 0, kernel._take_gradients
        kernel._take_gradients = self

    def __call__(self, *arguments):
        self.calls += 1
        return self.take(*arguments)


def two_layers(flags: tuple = (False, False)):
    """x -> relu(x @ w + b) -> @ w_1 + b_1 -> softmax cross-entropy, the second product
    with transpose flags (its gradients then carry flags too); (x, y, loss, variables)."""
    rng = np.random.default_rng(11)
    x, y = mg.placeholder(mg.float32, (None, 6)), mg.placeholder(mg.float32, (None, 4))
    w = mg.Variable(rng.standard_normal((6, 8)).astype(np.float32), name="w")
    b = mg.Variable(np.zeros(8, np.float32), name="b")
    w_1_value = rng.standard_normal((8, 4)).astype(np.float32)
    w_1 = mg.Variable(w_1_value.T.copy() if flags[1] else w_1_value, name="w_1")
    b_1 = mg.Variable(np.zeros(4, np.float32), name="b_1")
    hidden = mg.nn.relu(x @ w + b)
    if flags[0]:  # hidden.T.T: a product whose first operand is read transposed
        hidden = mg.transpose(mg.transpose(hidden))
    logits = mg.matmul(hidden, w_1, transpose_b=flags[1]) + b_1
    loss = mg.reduce_mean(mg.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
    return x, y, loss, [w, b, w_1, b_1]


def batches(steps: int):
    rng = np.random.default_rng(12)
    for step in range(steps):
        rows = 5 + step % 4  # the batch size changes: the pieces do not
        yield rng.standard_normal((rows, 6)).astype(np.float32), np.eye(4, dtype=np.float32)[rng.integers(0, 4, rows)]


def train(config, optimizer, steps: int, flags=(False, False)) -> tuple[list, mg.Session]:
    """The weights after every step."""
    with mg.Graph().as_default():
        x, y, loss, variables = two_layers(flags)
        train_op = optimizer().minimize(loss)
        session = mg.Session(config=config)
        session.run(mg.global_variables_initializer())
        seen, copies = [], None
        for x_value, y_value in batches(steps):
            session.run(train_op, {x: x_value, y: y_value})
            if copies is None and config is not PLAIN:
                copies = CountedCopies(fused_kernel(session))
            seen.append(np.concatenate([value.ravel() for value in session.run(variables)]))
        if copies is not None:
            assert copies.calls == 0, "the update copied a gradient"
        return seen, session


OPTIMIZERS = {"Keras Adam": lambda: mg.keras.optimizers.Adam(0.01), "TF1 Adam": lambda: mg.train.AdamOptimizer(0.01)}


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("flags", [(False, False), (True, True)], ids=["no flags", "transposed"])
@pytest.mark.parametrize("config", [None, INTERPRETED], ids=["compiled", "interpreted"])
def test_gradients_written_into_the_buffer_train_to_the_plain_bits_step_after_step(optimizer, flags, config):
    ours, session = train(config, OPTIMIZERS[optimizer], 400, flags)
    plain, _ = train(PLAIN, OPTIMIZERS[optimizer], 400, flags)
    for step, (a, b) in enumerate(zip(ours, plain, strict=True)):
        assert a.tobytes() == b.tobytes(), f"step {step + 1}"
    plan = max(session._plans.values(), key=lambda plan: len(plan.steps))
    writers = [step.node for step in plan.steps if WRITES in step.node.note]
    assert sorted(node.type_name for node in writers) == ["MatMul", "MatMul", "SumLike", "SumLike"]


def bad_gradient_job(config):
    """Adam on w (2, 2) and b (2,), their gradients a MatMul and a SumLike of fed values
    whose shapes are known only when they run."""
    w, b = mg.Variable(np.ones((2, 2), np.float32), name="w"), mg.Variable(np.ones(2, np.float32), name="b")
    left, right = mg.placeholder(mg.float32, (None, None)), mg.placeholder(mg.float32, (None, 2))
    rows, like = mg.placeholder(mg.float32, (None, None)), mg.placeholder(mg.float32, (None,))
    train_op = mg.train.AdamOptimizer(0.1).apply_gradients([(mg.matmul(left, right), w), (sum_like(rows, like), b)])
    session = mg.Session(config=config)
    session.run(mg.global_variables_initializer())
    good = {left: np.ones((2, 3), np.float32), right: np.ones((3, 2), np.float32),
            rows: np.ones((4, 2), np.float32), like: np.zeros(2, np.float32)}
    return session, train_op, (w, b), (left, right, rows, like), good


@pytest.mark.parametrize("bad", ["product rows", "bias length", "inner dimensions"])
def test_a_gradient_that_does_not_fit_fails_as_without_the_pass_and_changes_nothing(bad):
    errors, weights = [], []
    for config in (None, PLAIN):
        with mg.Graph().as_default():
            session, train_op, variables, (left, right, rows, like), good = bad_gradient_job(config)
            session.run(train_op, good)
            feed = dict(good)
            if bad == "product rows":
                feed[left] = np.ones((3, 3), np.float32)
            elif bad == "bias length":
                feed[rows], feed[like] = np.ones((4, 3), np.float32), np.zeros(3, np.float32)
            else:
                feed[left] = np.ones((2, 4), np.float32)
            before = session.run(variables)
            with pytest.raises(mg.errors.InvalidArgumentError) as error:
                session.run(train_op, feed)
            for after, old in zip(session.run(variables), before):
                np.testing.assert_array_equal(after, old)
            session.run(train_op, good)  # and the next run trains as if nothing had happened
            errors.append(str(error.value))
            weights.append(session.run(variables))
            writers = [step.node.type_name for plan in session._plans.values() for step in plan.steps
                       if WRITES in step.node.note]
            assert sorted(writers) == ([] if config is PLAIN else ["MatMul", "SumLike"])
    assert errors[0] == errors[1]
    expected = {"product rows": r"gradient of shape \(3, 2\) does not fit variable w of shape \(2, 2\)",
                "bias length": r"gradient of shape \(3,\) does not fit variable b of shape \(2,\)",
                "inner dimensions": r"Matrix size-incompatible: In\[0\]: \[2, 4\], In\[1\]: \[3, 2\]"}[bad]
    assert re.search(expected, errors[0])
    for ours, theirs in zip(*weights):
        assert ours.tobytes() == theirs.tobytes()


def test_a_run_failing_after_the_gradients_were_written_leaves_no_trace(graph):
    """A step between the gradients and the update fails: the pieces hold that run's
    gradients, the update never ran, and the next runs give the plain numbers."""
    seen = []
    for config in (None, PLAIN):
        with mg.Graph().as_default():
            x, y, loss, variables = two_layers()
            optimizer = mg.train.AdamOptimizer(0.05)
            pairs = optimizer.compute_gradients(loss, variables)
            left, right = mg.placeholder(mg.float32, (None, None)), mg.placeholder(mg.float32, (None, None))
            fails = mg.matmul(left, right)  # made before the updates: it runs before them
            train_op = optimizer.apply_gradients(pairs)
            session = mg.Session(config=config)
            session.run(mg.global_variables_initializer())
            numbers = []
            for step, (x_value, y_value) in enumerate(batches(6)):
                feed = {x: x_value, y: y_value, left: np.ones((2, 3), np.float32),
                        right: np.ones((3 if step != 3 else 4, 2), np.float32)}
                if step == 3:
                    with pytest.raises(mg.errors.InvalidArgumentError, match="MatMul"):
                        session.run([train_op, fails], feed)
                else:
                    session.run([train_op, fails], feed)
                numbers.append(session.run(variables))
            if config is None:
                plan = max(session._plans.values(), key=lambda plan: len(plan.steps))
                assert sum(WRITES in step.node.note for step in plan.steps) == 4
            seen.append(numbers)
    for ours, theirs in zip(*seen, strict=True):
        for a, b in zip(ours, theirs, strict=True):
            assert a.tobytes() == b.tobytes()


def test_a_fetched_gradient_or_one_read_twice_keeps_its_own_array(graph):
    x, y, loss, variables = two_layers()
    optimizer = mg.train.AdamOptimizer(0.05)
    pairs = optimizer.compute_gradients(loss, variables)
    (grad_w, _), (grad_b, _), (grad_w_1, _), _ = pairs
    twice = mg.reduce_sum(grad_b)  # the bias gradient is read by another step too
    train_op = optimizer.apply_gradients(pairs)
    explained = mg.passes.explain([train_op, grad_w, twice], [x, y])
    notes = {node.name: node.note for node in explained.after.nodes}
    assert WRITES not in notes[grad_w.op.name] and WRITES not in notes[grad_b.op.name]
    assert notes[grad_w_1.op.name] == "writes into Adam/MultiTensorAdam's buffer for w_1"
    remapping = next(program for name, program in explained.stages if name == "remapping")
    assert (f"MatMul {grad_w_1.op.name} writes its value into the buffer Adam/MultiTensorAdam reads for w_1: "
            "no copy") in remapping.log
    off = mg.passes.explain(train_op, [x, y], mg.ConfigProto(mg.GraphOptions(RewriterConfig(remapping=False))))
    assert not any(WRITES in node.note for node in off.after.nodes)
    feed = {x: np.ones((3, 6), np.float32), y: np.eye(4, dtype=np.float32)[:3]}
    fused, plain = mg.Session(), mg.Session(config=PLAIN)
    results = []
    for session in (fused, plain):
        session.run(mg.global_variables_initializer())
        fetched = [session.run([train_op, grad_w, twice], feed)[1:] for _ in range(3)]
        results.append((fetched, session.run(variables)))
    ours, theirs = results
    for a, b in zip(ours[0] + [ours[1]], theirs[0] + [theirs[1]], strict=True):
        for value, other in zip(a, b, strict=True):
            assert np.asarray(value).tobytes() == np.asarray(other).tobytes()
