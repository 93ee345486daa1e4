"""Random ops, and how TensorFlow 1.x seeds them.

A random op is a node like any other: it describes a draw (a shape, a dtype, a
distribution); the numbers come when a Session runs it. Three rules make TF1's
randomness usable, and minigraph keeps all three:

1. **Each run draws afresh.** ``sess.run(noise)`` twice gives two different arrays.
   The op's generator is not on the node (nodes only describe): each Session keeps
   one per random op (``keeps_state``: see graph.py and variable_store.py) and
   every run moves it on. Within one run a node is computed once, so everything
   that reads it (a dropout mask and the gradient through it) sees the same draw.
2. **An initializer draws once.** ``mg.Variable(mg.random_normal((3, 3)))`` runs
   the draw when the initializer runs; reading the variable later reads the stored
   value, it never draws again.
3. **Seeds make a program repeat itself.** Every random op carries two seeds, the
   ``seed`` and ``seed2`` attributes of its node, fixed when the node is built
   (``get_seed`` below is TF's rule, word for word):

   ================  =================  =========================================
   graph seed        op seed            the node's (seed, seed2)
   ================  =================  =========================================
   not set           not set            (0, 0): a new random stream per session
   set: ``g``        not set            (g, n): n counts the random ops built so
                                        far in the graph without an op seed
   not set           ``s``              (87654321, s): TF's default graph seed
   set: ``g``        ``s``              (g, s)
   ================  =================  =========================================

   The graph seed is set with ``mg.set_random_seed(g)`` (TF's
   ``tf.set_random_seed``); an op seed is the ``seed=`` argument of the op.
   A node with seeds starts its stream from them in every new session, so the
   same program gives the same numbers in every session and every process; a node
   without seeds starts from fresh entropy each time. Because ``n`` counts random
   ops, adding one random op early in a program changes the streams of those built
   after it; give an op its own seed when its numbers must not move.

minigraph's streams are numpy's (PCG64 seeded with the pair), not TF's Philox, so
the same seeds give other numbers than TF does: the same distributions, the same
rules, not the same bits.

The ops draw only *standard* distributions, as TF's do: ``RandomStandardNormal``
(mean 0, std 1), ``TruncatedNormal`` (the same, re-drawn beyond 2 std),
``RandomUniform`` ([0, 1)). The builders scale and shift them with ordinary
``Mul`` and ``Add`` nodes, exactly as TF builds them, so a GraphDef shows TF's
nodes and gradients flow into ``mean`` and ``stddev``. No gradient flows into a
draw itself.
"""

from __future__ import annotations

import weakref

import numpy as np

from minigraph import dtypes
from minigraph.graph import Graph, Operation, Tensor, get_default_graph, tensor_or_none
from minigraph.ops.array import constant, convert_to_tensor
from minigraph.ops.math import add, multiply, subtract

# TF's constants (tensorflow/python/framework/random_seed.py)
DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2**31 - 1

# graph -> how many random ops took their op seed from the counter (TF keeps it aside too)
_op_seed_counters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)
_INTEGERS = (dtypes.int32, dtypes.int64)


# --- seeds ----------------------------------------------------------------------------


def set_random_seed(seed: int | None) -> None:
    """Sets the graph-level seed of the default graph (``tf.set_random_seed``): random
    ops built afterwards repeat their numbers in every session (see the table above)."""
    get_default_graph().seed = seed


def get_seed(op_seed: int | None) -> tuple[int | None, int | None]:
    """The (seed, seed2) pair of a random op about to be built in the default graph,
    from the graph seed and `op_seed`, by TF1's rule (see the module docstring)."""
    graph = get_default_graph()
    if graph.seed is not None:
        if op_seed is None:
            op_seed = _op_seed_counters.setdefault(graph, 0)
            _op_seed_counters[graph] += 1
        seeds = (graph.seed % _MAXINT32, op_seed % _MAXINT32)
    elif op_seed is not None:
        seeds = (DEFAULT_GRAPH_SEED, op_seed % _MAXINT32)
    else:
        seeds = (None, None)
    # (0, 0) is how a node says "no seed": a program that asked for seeds must not get that
    if seeds == (0, 0):
        return (0, _MAXINT32)
    return seeds


class RandomOp(Operation):
    """A random op: its generator lives in each session, seeded from the node's seeds."""

    stateful = True  # two runs give two draws
    keeps_state = True  # forward gets the session's generator for this op first

    def initial_state(self) -> np.random.Generator:
        seed, seed2 = self.attrs["seed"], self.attrs["seed2"]
        if seed == 0 and seed2 == 0:  # no seed anywhere: fresh entropy in each session
            return np.random.default_rng()
        return np.random.default_rng([seed, seed2])

    def graph_def_attrs(self) -> dict:
        return {"seed": self.attrs["seed"], "seed2": self.attrs["seed2"], "T": self.inputs[0].dtype}


def _seed_attrs(seed) -> dict:
    """A node's seed attributes: None (no seed) is stored as 0, as TF stores it."""
    if seed is not None and not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be a Python int or None, got {seed!r}")
    seed1, seed2 = get_seed(None if seed is None else int(seed))
    return {"seed": seed1 or 0, "seed2": seed2 or 0}


# --- shapes: a list of ints, or an int vector tensor --------------------------------


def _shape_tensor(shape, what: str) -> Tensor:
    """The shape of a draw as an int32/int64 vector tensor (a Const when given as ints)."""
    tensor = tensor_or_none(shape)
    if tensor is not None:
        if tensor.dtype not in _INTEGERS:
            raise TypeError(f"{what}: a shape tensor must be int32 or int64, got {tensor!r}")
        if tensor.shape is not None and len(tensor.shape) != 1:
            raise ValueError(f"{what}: a shape tensor must be a vector, got {tensor!r}")
        return tensor
    if isinstance(shape, (int, np.integer)) or np.ndim(shape) != 1:  # TF: 'Shape must be rank 1'
        raise ValueError(f"{what}: shape must be a list of dimensions such as [2, 3], got {shape!r}")
    dims = list(shape)
    if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in dims):
        raise ValueError(
            f"{what}: shape must be fully known non-negative ints, got {shape!r}; for a shape known "
            "only at run time, pass an int32 tensor (e.g. mg.shape(x))"
        )
    return constant(np.array(dims, dtype=np.int32), name="shape")


def _known_shape(shape: Tensor):
    """The static shape a shape tensor describes: its values when it is a Const."""
    if shape.op.type_name == "Const":
        return tuple(int(d) for d in shape.op.attrs["value"])
    if shape.shape is None or shape.shape[0] is None:
        return None  # not even the rank is known
    return (None,) * shape.shape[0]


def _run_time_shape(op: Operation, shape: np.ndarray) -> tuple:
    if np.any(shape < 0):
        raise op.error(f"every dimension of a shape must be >= 0, got {shape.tolist()}")
    return tuple(int(d) for d in shape)


def _check_dtype(dtype, allowed: tuple, function: str) -> np.dtype:
    dtype = dtypes.as_dtype(dtype)
    if dtype not in allowed:
        names = ", ".join(d.name for d in allowed)
        raise ValueError(f"{function}: dtype must be one of {names}, got {dtype.name}")
    return dtype


# --- the ops ----------------------------------------------------------------------------


class DrawOp(RandomOp):
    """A draw of a given shape and dtype from a standard distribution."""

    input_names = ("shape",)

    def infer(self, shape):
        return _known_shape(shape), self.attrs["dtype"]

    def forward(self, generator, shape):
        # an array even for shape (): numpy hands back a bare scalar there
        return np.asarray(self.draw(generator, _run_time_shape(self, shape), self.attrs["dtype"]))

    def graph_def_attrs(self):
        return {**super().graph_def_attrs(), "dtype": self.attrs["dtype"]}


class RandomStandardNormal(DrawOp):
    """y ~ N(0, 1), element by element."""

    type_name = "RandomStandardNormal"

    @staticmethod
    def draw(generator, shape, dtype):
        # numpy draws float32 or float64; a float16 draw is rounded from float32
        return generator.standard_normal(shape, dtype=np.promote_types(dtype, np.float32)).astype(dtype)


class TruncatedNormal(DrawOp):
    """y ~ N(0, 1) restricted to [-2, 2]: a draw beyond 2 std is drawn again."""

    type_name = "TruncatedNormal"

    @staticmethod
    def draw(generator, shape, dtype):
        work = np.promote_types(dtype, np.float32)
        values = generator.standard_normal(shape, dtype=work)
        outside = np.abs(values) > 2
        while outside.any():  # about 4.6% each round: a few rounds at most
            values[outside] = generator.standard_normal(int(outside.sum()), dtype=work)
            outside = np.abs(values) > 2
        return values.astype(dtype)


class RandomUniform(DrawOp):
    """y ~ U[0, 1), element by element (1 itself never comes out)."""

    type_name = "RandomUniform"

    @staticmethod
    def draw(generator, shape, dtype):
        if dtype == dtypes.float16:
            # multiples of 2**-11 below 1 are all exact in float16; rounding a float32
            # draw instead could give 1.0, outside [0, 1)
            return (generator.integers(0, 2**11, shape) * 2.0**-11).astype(dtype)
        return generator.random(shape, dtype=dtype)


class RandomUniformInt(RandomOp):
    """y ~ U{minval, ..., maxval - 1}, element by element."""

    type_name = "RandomUniformInt"
    input_names = ("shape", "minval", "maxval")

    def infer(self, shape, minval, maxval):
        for bound in (minval, maxval):
            if bound.shape is not None and bound.shape != ():
                raise self.error(f"minval and maxval must be scalars, got {bound!r}")
        return _known_shape(shape), minval.dtype

    def forward(self, generator, shape, minval, maxval):
        if not minval < maxval:
            raise self.error(f"Need minval < maxval, got {minval} >= {maxval}")
        return generator.integers(minval, maxval, _run_time_shape(self, shape), dtype=minval.dtype)

    def graph_def_attrs(self):
        return {**super().graph_def_attrs(), "Tout": self.inputs[1].dtype}


class RandomShuffle(RandomOp):
    """y = x with its rows (axis 0) in a random order."""

    type_name = "RandomShuffle"
    input_names = ("value",)

    def infer(self, value):
        return value.shape, value.dtype

    def forward(self, generator, value):
        if value.ndim == 0:
            return value  # a scalar has nothing to shuffle (TF returns it too)
        return generator.permutation(value)  # a new array: the input is not touched


class Multinomial(RandomOp):
    """y[b, j] = a class drawn with P(class i) = softmax(logits[b])_i, for j < num_samples."""

    type_name = "Multinomial"
    input_names = ("logits", "num_samples")

    def infer(self, logits, num_samples):
        if logits.dtype not in _FLOATS:
            raise self.error(f"logits must be float16, float32 or float64, got {logits!r}", TypeError)
        if logits.shape is not None and len(logits.shape) != 2:
            raise self.error(f"logits must be 2-D [batch_size, num_classes], got {logits!r}")
        if num_samples.dtype != dtypes.int32 or num_samples.shape not in (None, ()):
            raise self.error(f"num_samples must be an int32 scalar, got {num_samples!r}", TypeError)
        samples = None
        if num_samples.op.type_name == "Const":
            samples = int(num_samples.op.attrs["value"])
            self._check_samples(samples)
        batch = None if logits.shape is None else logits.shape[0]
        return (batch, samples), self.attrs["output_dtype"]

    def _check_samples(self, num_samples) -> None:
        if num_samples < 0:
            raise self.error(f"num_samples must be >= 0, got {num_samples}")

    def forward(self, generator, logits, num_samples):
        self._check_samples(num_samples)
        batch, classes = logits.shape
        if classes == 0:
            raise self.error("num_classes should be positive, got 0")
        # Unnormalised probabilities exp(logit - max); a non-finite logit has none, so
        # a row without any finite logit yields `classes` (out of range), as TF's does.
        logits = logits.astype(np.float64)
        finite = np.isfinite(logits)
        highest = np.max(np.where(finite, logits, -np.inf), axis=1, keepdims=True)
        highest[~np.isfinite(highest)] = 0
        weights = np.where(finite, np.exp(np.where(finite, logits, 0) - highest), 0.0)
        cumulative = np.cumsum(weights, axis=1)
        targets = generator.random((batch, int(num_samples))) * cumulative[:, -1:]
        # the class is the first whose running total exceeds the target
        samples = [np.searchsorted(cumulative[b], targets[b], side="right") for b in range(batch)]
        return np.array(samples, dtype=self.attrs["output_dtype"]).reshape(batch, int(num_samples))

    def graph_def_attrs(self):
        return {**super().graph_def_attrs(), "output_dtype": self.attrs["output_dtype"]}


# --- the builders: TF1's names, signatures and graphs --------------------------------


def _scaled_draw(op_class, shape, mean, stddev, dtype, seed, name: str) -> Tensor:
    """draw * stddev + mean, built as TF builds random_normal and truncated_normal."""
    dtype = _check_dtype(dtype, _FLOATS, name)
    with get_default_graph().name_scope(name) as scope:
        shape = _shape_tensor(shape, name)
        mean = _argument(mean, dtype, "mean")
        stddev = _argument(stddev, dtype, "stddev")
        draw = op_class(shape, dtype=dtype, **_seed_attrs(seed)).output
        return add(multiply(draw, stddev), mean, name=scope)


def _argument(value, dtype, name: str, argument: str | None = None) -> Tensor:
    """An argument as a tensor of the draw's dtype (a Const `name`); a tensor of another
    dtype is refused naming the argument, as TF does."""
    try:
        return convert_to_tensor(value, dtype=dtype, name=name)
    except TypeError as error:
        raise TypeError(f"{argument or name}: {error}") from None


def random_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed: int | None = None,
                  name: str | None = None) -> Tensor:
    """Samples of N(mean, stddev²) of the given shape."""
    return _scaled_draw(RandomStandardNormal, shape, mean, stddev, dtype, seed, name or "random_normal")


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed: int | None = None,
                     name: str | None = None) -> Tensor:
    """Samples of N(mean, stddev²), each within 2 stddev of the mean (the rest drawn again)."""
    return _scaled_draw(TruncatedNormal, shape, mean, stddev, dtype, seed, name or "truncated_normal")


def random_uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed: int | None = None,
                   name: str | None = None) -> Tensor:
    """Samples of U[minval, maxval) of the given shape: floats by default (maxval 1),
    integers for an int32/int64 dtype (maxval required)."""
    dtype = _check_dtype(dtype, _FLOATS + _INTEGERS, "random_uniform")
    if maxval is None:
        if dtype in _INTEGERS:
            raise ValueError(f"Must specify maxval for integer dtype {dtype.name}")
        maxval = 1
    with get_default_graph().name_scope(name or "random_uniform") as scope:
        shape = _shape_tensor(shape, "random_uniform")
        # As TF: a Python 0 and 1 need no node; any other bound is a tensor of `dtype`.
        minval_is_zero = isinstance(minval, int) and minval == 0
        maxval_is_one = isinstance(maxval, int) and maxval == 1
        if not (minval_is_zero and maxval_is_one) or dtype in _INTEGERS:
            minval = _argument(minval, dtype, "min", "minval")
            maxval = _argument(maxval, dtype, "max", "maxval")
        seeds = _seed_attrs(seed)
        if dtype in _INTEGERS:
            return RandomUniformInt(shape, minval, maxval, name=scope, **seeds).output
        draw = RandomUniform(shape, dtype=dtype, **seeds).output
        if minval_is_zero:
            return draw if maxval_is_one else multiply(draw, maxval, name="Mul")  # tf.multiply's name
        return add(multiply(draw, subtract(maxval, minval)), minval, name=scope)


def random_shuffle(value, seed: int | None = None, name: str | None = None) -> Tensor:
    """`value` with its first axis in a random order (a new order on each run)."""
    graph = _graph_of(value)
    with graph.as_default(), graph.name_scope(name or "RandomShuffle") as scope:
        value = convert_to_tensor(value, name="value")
        return RandomShuffle(value, name=scope, **_seed_attrs(seed)).output


def multinomial(logits, num_samples, seed: int | None = None, name: str | None = None,
                output_dtype=None) -> Tensor:
    """`num_samples` class indices per row of `logits` [batch, classes], each drawn with
    probability softmax(logits row): an int64 tensor [batch, num_samples]."""
    return _categorical(logits, num_samples, seed, name or "multinomial", output_dtype)


def categorical(logits, num_samples, dtype=None, seed: int | None = None, name: str | None = None) -> Tensor:
    """`tf.random.categorical`: multinomial under its newer name and argument order."""
    return _categorical(logits, num_samples, seed, name or "categorical", dtype)


def _categorical(logits, num_samples, seed, name: str, output_dtype) -> Tensor:
    output_dtype = _check_dtype(dtypes.int64 if output_dtype is None else output_dtype, _INTEGERS, name)
    graph = _graph_of(logits)
    with graph.as_default(), graph.name_scope(name):
        logits = convert_to_tensor(logits, name="logits")
        with graph.name_scope("Multinomial") as scope:
            num_samples = convert_to_tensor(num_samples, dtype=dtypes.int32, name="num_samples")
            return Multinomial(logits, num_samples, name=scope, output_dtype=output_dtype,
                               **_seed_attrs(seed)).output


def _graph_of(value) -> Graph:
    tensor = tensor_or_none(value)
    return tensor.graph if tensor is not None else get_default_graph()
