"""The multi-tensor Adam on double buffers (minigraph/train/fused.py).

The kernel writes each step's new weights, m and v in place, into the one of its two
buffer sets the session's store does not hold. These tests check the promises that
makes it safe, each against the unfused ``ApplyAdam`` kernels (no passes), bit for bit:

- a value read earlier in the same run, and a run's undo, keep their numbers;
- whoever still holds a stored array (an assign's copy, a caller holding the store's
  own array) keeps its numbers, because a held set is never overwritten;
- a training run makes two sets and no more, and a step allocates no buffer.
"""

import tracemalloc

import numpy as np
import pytest

import minigraph as mg
from minigraph.passes import plain_config
from minigraph.train.fused import KerasAdamScalars, MultiTensorAdam

PLAIN = plain_config()


def fused_kernels(session: mg.Session) -> list[MultiTensorAdam]:
    return [step.kernel for plan in session._plans.values() for step in plan.steps
            if isinstance(step.kernel, MultiTensorAdam)]


class Job:
    """Two variables trained by TF1's AdamOptimizer, a third that copies one of them,
    and a run that fails after the update (a matmul of mismatched fed shapes)."""

    def __init__(self, config, dtype):
        self.graph = mg.Graph()
        with self.graph.as_default():
            self.w = mg.Variable(np.linspace(-1, 1, 6).reshape(2, 3).astype(dtype), name="w")
            self.b = mg.Variable(np.array([0.5, -0.25, 0.0], dtype), name="b")
            self.copy = mg.Variable(np.zeros((2, 3), dtype), name="copy")
            self.x = mg.placeholder(dtype, (None, 2))
            loss = mg.reduce_sum(mg.square(mg.nn.relu(self.x @ self.w + self.b) - 1.0))
            self.optimizer = mg.train.AdamOptimizer(0.1)
            self.train = self.optimizer.minimize(loss, var_list=[self.w, self.b])
            self.copy_w = mg.assign(self.copy, self.w)
            left, right = mg.placeholder(dtype, (None, None)), mg.placeholder(dtype, (None, None))
            self.fails = mg.matmul(left, right)  # made after the update: it runs after it
            self.bad_feed = {left: np.ones((2, 3), dtype), right: np.ones((2, 3), dtype)}
            self.session = mg.Session(config=config)
            self.session.run(mg.global_variables_initializer())
        self.dtype = dtype

    def step(self, number: int):
        return self.session.run(self.train, {self.x: np.array([[1, 2], [3, -1], [number, 1]], self.dtype)})

    def state(self) -> list[np.ndarray]:
        slots = [self.optimizer.get_slot(var, name) for var in (self.w, self.b) for name in ("m", "v")]
        return self.session.run([self.w, self.b, *slots])


def events(job: Job) -> list[np.ndarray]:
    """Trains `job` through everything that may hold or restore a stored value, checking
    as it goes; returns the numbers seen, to compare fused with unfused."""
    seen = []
    for number in range(3):
        job.step(number)
    before = job.session.run(job.w)
    read_then_updated = job.session.run([job.w.value(), job.train], {job.x: np.ones((3, 2), job.dtype)})[0]
    np.testing.assert_array_equal(read_then_updated, before)  # read before the update, in the same run
    assert not np.array_equal(job.session.run(job.w), before)
    seen.append(read_then_updated)

    before = job.state()
    with pytest.raises(mg.errors.InvalidArgumentError, match="MatMul"):
        job.session.run([job.train, job.fails], {job.x: np.ones((3, 2), job.dtype), **job.bad_feed})
    for after_undo, old in zip(job.state(), before):  # the undo restored the set it read, intact
        np.testing.assert_array_equal(after_undo, old)

    job.session.run(job.copy_w)
    copied = job.session.run(job.w)
    job.step(3)  # the store holds a set of the training run's kernel
    held = job.session._store.read(job.b.op)  # the store's own array, not a copy
    held_numbers = held.copy()
    for number in range(4, 7):
        job.step(number)
    np.testing.assert_array_equal(job.session.run(job.copy), copied)
    np.testing.assert_array_equal(held, held_numbers)
    assert not np.array_equal(job.session.run(job.b), held_numbers)

    job.session.run(mg.assign(job.b, np.array([1, 2, 3], job.dtype)))  # the store holds a foreign array
    for number in range(7, 10):
        job.step(number)
    return seen + job.state()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_double_buffered_adam_keeps_every_promise_and_the_unfused_bits(dtype):
    fused, plain = Job(None, dtype), Job(PLAIN, dtype)
    fused_numbers, plain_numbers = events(fused), events(plain)
    assert fused_kernels(plain.session) == []
    # one kernel per plan: the training step's makes a set for its first step, a second for
    # the next, a third only because the test held one; the two one-off runs' make one each
    assert sorted(kernel.sets_made for kernel in fused_kernels(fused.session)) == [1, 1, 3]
    for ours, theirs in zip(fused_numbers, plain_numbers, strict=True):
        assert ours.dtype == theirs.dtype == dtype
        assert ours.tobytes() == theirs.tobytes()  # bit for bit: -0.0 is not 0.0


def test_the_store_holds_views_of_the_two_sets_in_turn():
    job = Job(None, np.float32)
    owners = []  # which set the store's value of w lies in, after each step
    for number in range(6):
        job.step(number)
        (kernel,) = fused_kernels(job.session)
        owners.append([buffers is not None and np.shares_memory(job.session._store.read(job.w.op), buffers.flat)
                       for buffers in kernel.sets].index(True))
    assert owners == [0, 1, 0, 1, 0, 1]
    assert kernel.sets_made == 2


def test_a_step_of_a_wide_layer_allocates_no_buffer():
    """1M weights (4 MB a buffer): after the first two steps, a step allocates none."""
    with mg.Graph().as_default():
        w = mg.Variable(np.zeros((1024, 1024), np.float32))
        b = mg.Variable(np.zeros(1024, np.float32))
        # gradients the compiler folds to constants, so the run itself computes nothing else
        train = mg.train.AdamOptimizer(0.01).apply_gradients([(mg.ones_like(w), w), (mg.ones_like(b), b)])
        session = mg.Session()
        session.run(mg.global_variables_initializer())
        for _ in range(3):
            session.run(train)
        tracemalloc.start()
        try:
            for _ in range(3):
                session.run(train)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert fused_kernels(session)[0].sets_made == 2
        assert peak < 1_000_000, f"a step allocated {peak:,} bytes at its peak"
        assert session.run(w)[0, 0] == pytest.approx(-0.01 * 6, rel=1e-5)  # each step moves it by lr


def keras_adam_steps(config, steps: int, beta_2: float) -> list[np.ndarray]:
    """A weight matrix and a bias trained by Keras's Adam on fed gradients; the weights
    after every step."""
    with mg.Graph().as_default():
        rng = np.random.default_rng(3)
        w = mg.Variable(rng.standard_normal((3, 4)).astype(np.float32))
        b = mg.Variable(np.zeros(4, np.float32))
        grad_w, grad_b = mg.placeholder(mg.float32, (3, 4)), mg.placeholder(mg.float32, (4,))
        optimizer = mg.keras.optimizers.Adam(learning_rate=0.01, beta_2=beta_2)
        train = optimizer.apply_gradients([(grad_w, w), (grad_b, b)])
        session = mg.Session(config=config)
        session.run(mg.global_variables_initializer())
        seen = []
        for _ in range(steps):
            session.run(train, {grad_w: rng.standard_normal((3, 4)).astype(np.float32),
                                grad_b: rng.standard_normal(4).astype(np.float32)})
            seen.append(np.concatenate([session.run(w).ravel(), session.run(b)]))
        assert len(fused_kernels(session)) == (config is None)
        return seen


@pytest.mark.parametrize("beta_2", [0.999, 0.9999])
def test_keras_adam_fused_keeps_the_unfused_bits_step_after_step(beta_2):
    """beta^t and alpha each step, as ApplyKerasAdam computes them: np.power's float32
    (the libm powf that `beta ** t` calls differs from it at t = 2, 5, 6... for 0.9999)."""
    fused, plain = keras_adam_steps(None, 1500, beta_2), keras_adam_steps(PLAIN, 1500, beta_2)
    for step, (ours, theirs) in enumerate(zip(fused, plain, strict=True)):
        assert ours.tobytes() == theirs.tobytes(), f"step {step + 1}: {ours} != {theirs}"


# --- the numbers that are not arrays: Keras Adam's beta^t, a block of steps at a time ------


def keras_adam_op(dtype, beta_1: float, beta_2: float):
    with mg.Graph().as_default():
        w = mg.Variable(np.zeros(3, dtype))
        train = mg.keras.optimizers.Adam(0.01, beta_1=beta_1, beta_2=beta_2).apply_gradients([(mg.ones_like(w), w)])
        return next(op for op in train.graph.get_operations() if op.type_name == "ApplyKerasAdam")


def assert_same_scalars(ours: tuple, theirs: tuple) -> None:
    for a, b in zip(ours, theirs, strict=True):
        assert type(a) is type(b) and np.asarray(a).tobytes() == np.asarray(b).tobytes(), (a, b)


RANDOM_BETAS = [tuple(pair) for pair in np.random.default_rng(8).uniform(0.5, 0.99999, (6, 2)).round(6)]


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt")  # a negative count: beta^t > 1
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.9, 0.9999), (0.5, 0.95), *RANDOM_BETAS])
def test_keras_adam_scalars_from_the_table_are_one_steps_bits(dtype, betas):
    """Every step of several blocks: from a negative count (set by hand) through t = 2
    (numpy's power computes it as x * x, given one exponent), where a float16 t starts to
    round (2048), where a float32 t does (2^24), and after the count jumps back."""
    op = keras_adam_op(dtype, *betas)
    tabulated, one_at_a_time = KerasAdamScalars(op), KerasAdamScalars(op, tabulate=False)
    lr = np.array(0.01, np.float32)
    counts = [*range(-5, 2500), *range(40, 60)]
    if dtype is not np.float16:  # t beyond float16's range is inf
        counts += [*range(2**24 - 700, 2**24 + 700), *range(-3, 3)]
    for count in map(np.int64, counts):
        assert_same_scalars(tabulated(count, lr), one_at_a_time(count, lr))
    assert tabulated.tabulate and tabulated.filled == KerasAdamScalars.BLOCK


class PowfScalars(KerasAdamScalars):
    """beta^t as libm's powf (Python's ``**`` on floats) computes it: another function."""

    def one_step(self, iterations) -> tuple:
        t = float(iterations + 1)
        return (np.sqrt(self.one - self.dtype.type(float(self.beta2) ** t)),
                self.one - self.dtype.type(float(self.beta1) ** t))


def test_a_table_that_differs_from_one_step_is_given_up():
    scalars = PowfScalars(keras_adam_op(np.float32, 0.9, 0.9999))
    lr = np.array(0.01, np.float32)
    for count in map(np.int64, range(30)):
        assert_same_scalars(scalars(count, lr)[:2], scalars.one_step(count))
    assert not scalars.tabulate and scalars.filled == 0


def test_a_step_count_set_by_hand_keeps_the_unfused_bits():
    """Keras Adam trained, its step count set back and far ahead between steps."""
    results = []
    for config in (None, PLAIN):
        with mg.Graph().as_default():
            rng = np.random.default_rng(4)
            w = mg.Variable(rng.standard_normal((3, 4)).astype(np.float32))
            grad = mg.placeholder(mg.float32, (3, 4))
            optimizer = mg.keras.optimizers.Adam(learning_rate=0.01, beta_2=0.9999)
            train = optimizer.apply_gradients([(grad, w)])
            session = mg.Session(config=config)
            session.run(mg.global_variables_initializer())
            seen = []
            for step in range(40):
                if step in (10, 20, 30):
                    session.run(mg.assign(optimizer.iterations, {10: 3, 20: 5_000_000, 30: 2**24 + 1}[step]))
                session.run(train, {grad: rng.standard_normal((3, 4)).astype(np.float32)})
                seen.append(session.run(w))
            results.append(seen)
    for step, (ours, theirs) in enumerate(zip(*results, strict=True)):
        assert ours.tobytes() == theirs.tobytes(), f"step {step + 1}"
