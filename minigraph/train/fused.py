"""Multi-tensor Adam: one kernel updates every variable, on flat buffers it reuses.

An ``ApplyKerasAdam`` step on a (128,)-vector is about a dozen numpy calls, and each
call costs microseconds before it touches a number: for small variables the update
is nearly all overhead, paid once per variable. The fused kernel pays it once for
all of them. It keeps every variable's weights, ``m`` and ``v`` side by side in
flat buffers, and each term of Adam is one numpy call over the whole buffer:

    flat g = [g_kernel | g_bias | g_kernel_1 | g_bias_1]       (made there, or copied)
    m := m + (g - m)(1 - beta1)      v := v + (g^2 - v)(1 - beta2)
    w := w - alpha m / (sqrt(v) + epsilon)                      (one call per term)

Because m and v lie side by side, the like terms of their two updates are one call
over both: [g | g^2] - [m | v], then [m | v] + that. Ten numpy calls compute the
step, however many variables there are.

The gradients are usually *made* in the flat buffer: the compiler gives the MatMul
and bias-sum steps that compute them a kernel that writes each into its piece
(``minigraph/passes/gradient_buffers.py``). A gradient that arrives as its piece is
not copied (one identity test); any other is checked and copied. The numbers that
are not arrays (beta^t and alpha's factors) come, for Keras's Adam, from a table
made a thousand steps at a time (``KerasAdamScalars``).

Each variable's new value is then a *view* of its piece of a flat buffer (reshaped
to the variable's shape). The store is read and written once for all of them
(``read_many``, ``write_many``), not once per variable: a dozen calls' overhead saved.

**Double buffering.** A value in the store is never changed in place: a value
fetched earlier in the same run, and the old value the run's transaction keeps to
undo it, must keep their numbers. New buffers every step would honour that, at the
price of four fresh arrays the size of the model a step (new m, v, w and the
denominator; 1.1 MB each for a layer 4096 wide), allocated and filled anew. So the
kernel keeps two *sets* of buffers, each [w | m | v] in one array, made once. The
store holds one set's views (the current values); each step reads that set and
writes the new values, with ``out=``, into the *other* set, then hands the other
set's views to the store. The set just read is not touched until the step after
next, so for the whole run it keeps the old numbers: reads earlier in the run and
the transaction's undo see them intact. No memory is allocated on a step.

If the store does not hold exactly one set's views (the first step, or after
``set_weights`` or an ``assign`` wrote a variable), the current values are gathered
into one new flat array first, as a single-buffered kernel would do every step.

**Why overwriting the older set is safe**, that is, who could still hold one of its
arrays when the step after next writes it. An array the store held leaves it only
through these doors, and each makes a copy:

- ``Session.run`` and ``make_callable`` return copies of every fetched array
  (``Session._execute``), so ``K.get_value``, ``K.batch_get_value``, Keras's
  ``get_weights`` (and with it ``save_weights``, checkpoints, ``EarlyStopping``'s
  best weights), ``graph_util.convert_variables_to_constants`` and the ONNX export,
  which all fetch through a run, get arrays of their own;
- ``Session.variable_value`` (``Saver.save``) copies;
- ``Assign`` copies the value it stores, and every other update computes a new
  array, so no other variable's stored value is a view of these buffers;
- a run's own values (reads of a variable, the transaction's copy of the old
  values) live until the run ends and hold the set that run read, which that run
  never writes.

And in case some path does not copy (a caller holding a view from a thread, a new
door added later), the kernel asks Python before it writes: ``sys.getrefcount``
counts the references to each view and to the flat array under it (a numpy view
keeps its base alive, so a view of a view counts too). A set that anyone besides
the kernel still holds is left to its holders, and a new one is made in its place.

The numbers are the unfused kernels', bit for bit: every term is an elementwise
IEEE operation (+, -, *, /, sqrt, each correctly rounded) on the same float32
operands, and where a term is rearranged it is only by a + b = b + a, which is exact.
Where each element sits in memory, and whether the result goes to a new array or
with ``out=`` into an old one, does not change what is computed for it.

The compiler's remapping pass (``minigraph/passes/remapping.py``) uses it: it fuses
the ``ApplyKerasAdam`` (Keras's Adam) and ``ApplyAdam`` (TF1's AdamOptimizer) nodes
of one training step that share their step count, learning rate and
hyper-parameters. The graph keeps one update node per variable, as TF's does.
"""

from __future__ import annotations

import operator
import sys

import numpy as np

from minigraph.passes import register_multi_tensor_kernel
from minigraph.train.updates import ApplyAdam, ApplyKerasAdam, tf1_number


class BufferSet:
    """One set of buffers: the weights, m and v of every member in one flat array
    [w | m | v], and the views of it the store is given, one per variable."""

    def __init__(self, size: int, dtype: np.dtype, pieces: list, shapes: list, storages: list):
        self.flat = np.empty(3 * size, dtype=dtype)
        self.w, self.m, self.v = (self.flat[start:start + size] for start in (0, size, 2 * size))
        self.m_and_v = self.flat[size:]
        # in the order of `storages`: every variable, then every m, then every v
        self.views = [part[piece].reshape(shape) for part in (self.w, self.m, self.v)
                      for piece, shape in zip(pieces, shapes)]
        self.by_storage = dict(zip(storages, self.views))  # what the store is given, made once
        self._arrays = [self.flat, *self.views]  # what a holder may refer to
        self._references_when_unheld = sum(map(sys.getrefcount, self._arrays))

    def unheld(self) -> bool:
        """True if only this set refers to its arrays: no store, fetch or caller holds one.
        (Every holder adds a reference; this set's own references never change.)"""
        return sum(map(sys.getrefcount, self._arrays)) == self._references_when_unheld

    def holds(self, values: list) -> bool:
        """True if `values` are exactly this set's views (the store holds this set)."""
        return all(map(operator.is_, values, self.views))


_shape = operator.attrgetter("shape")


class MultiTensorAdam:
    """The kernel of one fused step: called with the shared scalars' values, then
    (var, m, v, grad) for each member, var, m and v as VariableRefs."""

    def __init__(self, members: list, shared: int, scalars, storages: list):
        self.members = members  # the graph's update ops, in order (their errors name them)
        self.shared = shared  # how many arguments come before the per-variable ones
        # shared values -> (sqrt(1 - beta2^t), 1 - beta1^t, 1 - beta1, 1 - beta2, lr, epsilon)
        self.scalars = scalars
        # the variables the kernel's refs name: every var, then every m, then every v (a set's
        # views' order), so the store is read and written in one call each
        self.storages = storages
        self.dtype = members[0].inputs[0].dtype
        self.shapes = [tuple(op.inputs[0].shape) for op in members]
        ends = np.cumsum([int(np.prod(shape, dtype=np.int64)) for shape in self.shapes]).tolist()
        self.size = ends[-1]
        self.pieces = [slice(start, end) for start, end in zip([0] + ends[:-1], ends)]
        # scratch, reused: none of it ever leaves the kernel
        self.gradients_and_squares = np.empty(2 * self.size, dtype=self.dtype)  # [g | g^2]
        self.gradients, self.squares = self.gradients_and_squares[:self.size], self.gradients_and_squares[self.size:]
        self.gradient_pieces = [self.gradients[piece].reshape(shape) for piece, shape in zip(self.pieces, self.shapes)]
        # {argument index: (variable name, piece)}: a step that makes a gradient may write it
        # into its piece itself, sparing the copy (passes/gradient_buffers.py)
        self.gradient_buffers = {shared + 3 + 4 * i: (op.inputs[0].op.name, piece)
                                 for i, (op, piece) in enumerate(zip(members, self.gradient_pieces))}
        self.sets: list[BufferSet | None] = [None, None]  # made on the first step that needs each
        self.sets_made = 0  # 2 for a whole training run, unless something held on to a set
        self.last_written = 0  # the set the last step wrote: the store most likely holds it

    def __call__(self, *arguments):
        gradients = arguments[self.shared + 3::4]
        if not all(map(operator.is_, gradients, self.gradient_pieces)):  # some step did not write its piece
            self._take_gradients(arguments[self.shared::4], gradients)
        store = arguments[self.shared].store  # the session's; every ref argument names it
        values = store.read_many(self.storages)
        held = self.sets[self.last_written]
        if held is not None and held.holds(values):  # every step of a training run but its first
            w, m_and_v, new = held.w, held.m_and_v, self._unheld_set(1 - self.last_written)
        else:
            (w, m_and_v), new = self._buffers(values)
        root, denominator, one_minus_beta1, one_minus_beta2, lr, epsilon = self.scalars(*arguments[:self.shared])
        if type(lr) is np.ndarray:
            lr = lr[()]  # a numpy scalar: the same IEEE product, without a ufunc's array set-up
        alpha = lr * root / denominator  # lr sqrt(1 - beta2^t) / (1 - beta1^t)
        # m and v lie side by side, so their updates' like terms are one call each:
        # [m | v] + ([g | g^2] - [m | v]) [(1 - beta1) | (1 - beta2)], term by term
        np.square(self.gradients, out=self.squares)
        np.subtract(self.gradients_and_squares, m_and_v, out=new.m_and_v)
        new.m *= one_minus_beta1
        new.v *= one_minus_beta2
        new.m_and_v += m_and_v
        denominator = self.squares  # done with: its space holds sqrt(v) + epsilon
        np.sqrt(new.v, out=denominator)  # w - (m alpha) / (sqrt(v) + epsilon)
        denominator += epsilon
        np.multiply(new.m, alpha, out=new.w)
        new.w /= denominator
        np.subtract(w, new.w, out=new.w)
        store.write_many(new.by_storage)

    def _take_gradients(self, variables: tuple, gradients: tuple) -> None:
        """Copies into its piece each gradient that is not already there, once every shape
        is checked (a piece has its variable's shape: only the others can be wrong)."""
        if list(map(_shape, gradients)) != self.shapes:
            for op, var, grad, shape in zip(self.members, variables, gradients, self.shapes):
                if grad.shape != shape:
                    op.check_gradient(var, grad)  # raises, naming the update and the variable
        for piece, grad in zip(self.gradient_pieces, gradients):
            if grad is not piece:
                piece[...] = grad

    def _buffers(self, values: list) -> tuple:
        """When the store does not hold the set the last step wrote: the current (w, [m | v])
        as flat arrays, and the set the new values go to."""
        older = self.sets[1 - self.last_written]
        if older is not None and older.holds(values):  # a failed run's undo gave it back
            return (older.w, older.m_and_v), self._unheld_set(self.last_written)
        # the store holds something else: gather the values, write to a set nobody holds
        gathered = np.concatenate([np.asarray(value, dtype=self.dtype).ravel() for value in values])
        target = 0 if self.sets[0] is None or self.sets[0].unheld() else 1
        return (gathered[:self.size], gathered[self.size:]), self._unheld_set(target)

    def _unheld_set(self, index: int) -> BufferSet:
        """Set `index`, or a new one in its place if anyone besides this kernel holds it."""
        buffers = self.sets[index]
        if buffers is None or not buffers.unheld():
            buffers = self.sets[index] = BufferSet(self.size, self.dtype, self.pieces, self.shapes, self.storages)
            self.sets_made += 1
        self.last_written = index
        return buffers


def _id(source) -> int:
    return id(source)


def _storages(nodes) -> list:
    """The variables behind every node's var, then every m, then every v (ref inputs,
    each argument a VariableHandle)."""
    return [node.arguments[slot].storage for slot in (0, 1, 2) for node in nodes]


def _keras_group(node):
    """Keras's Adam: same step count, learning rate, dtype and hyper-parameters."""
    var, m, v, iterations, lr, grad = node.arguments
    attrs = node.op.attrs
    return (node.op.inputs[0].dtype.str, attrs["beta1"], attrs["beta2"], attrs["epsilon"], _id(iterations), _id(lr))


class KerasAdamScalars:
    """The numbers of a Keras Adam step that are not arrays: sqrt(1 - beta2^t) and
    1 - beta1^t (the two factors of alpha) at t = iterations + 1, then 1 - beta1,
    1 - beta2, the learning rate and epsilon, with the bits ``ApplyKerasAdam.forward``
    gives them.

    Each step raises beta1 and beta2 to the power t, two ``np.power`` calls (0.6 µs
    each, nearly all of it the call). As t counts up, the numbers for the next
    ``BLOCK`` steps are computed at once, in one call per term over a vector of t's,
    and each step looks its two up (a count set by hand outside the block starts a new
    one). The bits are those of one step at a time:

    - ``1 - x`` and ``sqrt`` are IEEE operations, correctly rounded: an element of a
      vector gets the same result as a scalar does;
    - ``pow`` is not: numpy's float32 power is not libm's ``powf`` (``beta ** t`` would
      differ at t = 2, 5, 6... for 0.9999). numpy picks its loop by the operands'
      dtypes and layout, not by how many there are, so a vector of t's goes through
      the function one t does, with one exception: given a single exponent, numpy
      computes a few of them by other formulas (``x * x`` for 2, ``1 / x`` for -1,
      ``sqrt`` for 0.5), so the entries for t = -1 to 2 are computed one step at a
      time. Rather than trust the rest, each block checks it: its first and last
      sixteen entries are computed one at a time, as the unfused kernel does, and a
      block that differs there makes this kernel compute every later step one at a
      time. (tests/test_fused.py compares every entry over thousands of steps.)

    t is the step count cast to the variable's dtype, as ``cast(iterations + 1)`` does,
    so a float32 t rounds above 2^24 the same way. A step count that is not an integer
    (a variable of another dtype) is always computed one step at a time.
    """

    BLOCK = 1024
    CHECKED = 16  # entries checked at each end of a block

    def __init__(self, op, tabulate: bool = True):
        dtype = self.dtype = op.inputs[0].dtype
        self.tabulate = tabulate
        self.one = dtype.type(1)
        # the numbers ApplyKerasAdam.forward casts on every step, cast once
        attrs = op.attrs
        beta1, beta2, self.one_minus_beta1, self.one_minus_beta2, self.epsilon = (
            dtype.type(number) for number in (attrs["beta1"], attrs["beta2"], 1 - attrs["beta1"], 1 - attrs["beta2"],
                                              attrs["epsilon"]))
        # np.power on 0-d arrays: the same loop as on numpy scalars, without turning each
        # scalar into an array first (0.3 µs a call); t is cast into one, as cast() does
        self.beta1, self.beta2, self.t = np.array(beta1), np.array(beta2), np.empty((), dtype)
        self.first, self.filled = 0, 0  # the step count of the block's first entry; how many it has

    def __call__(self, iterations, lr) -> tuple:
        if self.tabulate:
            index = int(iterations) - self.first
            if not 0 <= index < self.filled:
                index = 0 if self._fill(int(iterations)) else None
            if index is not None:
                return (self.roots[index], self.denominators[index], self.one_minus_beta1, self.one_minus_beta2,
                        lr, self.epsilon)
        return (*self.one_step(iterations), self.one_minus_beta1, self.one_minus_beta2, lr, self.epsilon)

    def one_step(self, iterations) -> tuple:
        """As ApplyKerasAdam.forward computes them, for one step."""
        self.t[()] = iterations + 1
        return np.sqrt(self.one - np.power(self.beta2, self.t)), self.one - np.power(self.beta1, self.t)

    def _fill(self, iterations: int) -> bool:
        """The block of steps from `iterations` on; False (and no more blocks) if any checked
        entry differs from one_step's."""
        counts = np.arange(iterations, iterations + self.BLOCK, dtype=np.int64)
        with np.errstate(all="ignore"):  # a float16 t past 65504 is inf: steps that may never run don't warn
            t = (counts + 1).astype(self.dtype)  # the cast one_step makes
            roots = np.sqrt(self.one - np.power(self.beta2, t))
            denominators = self.one - np.power(self.beta1, t)
            for count in range(max(iterations, -2), min(iterations + self.BLOCK, 2)):  # t = -1 to 2 (above)
                i = count - iterations
                roots[i], denominators[i] = self.one_step(counts[i])
            for i in (*range(self.CHECKED), *range(self.BLOCK - self.CHECKED, self.BLOCK)):
                root, denominator = self.one_step(counts[i])
                if root.tobytes() != roots[i].tobytes() or denominator.tobytes() != denominators[i].tobytes():
                    self.tabulate = False
                    return False
        self.first, self.filled, self.roots, self.denominators = iterations, self.BLOCK, roots, denominators
        return True


def _fuse_keras(nodes):
    first = nodes[0].op
    scalars = KerasAdamScalars(first, tabulate=first.inputs[3].dtype.kind in "iu")  # an integer step count
    _, _, _, iterations, lr, _ = nodes[0].arguments
    arguments = [iterations, lr]
    for node in nodes:
        var, m, v, _, _, grad = node.arguments
        arguments += [var, m, v, grad]
    return MultiTensorAdam([n.op for n in nodes], 2, scalars, _storages(nodes)), arguments


def _tf1_group(node):
    """TF1's Adam: same beta powers, learning rate, dtype and hyper-parameters."""
    var, m, v, beta1_power, beta2_power, lr, grad = node.arguments
    attrs = node.op.attrs
    return (node.op.inputs[0].dtype.str, attrs["beta1"], attrs["beta2"], attrs["epsilon"],
            _id(beta1_power), _id(beta2_power), _id(lr))


def _fuse_tf1(nodes):
    first = nodes[0].op
    dtype = first.inputs[0].dtype
    beta1, beta2, epsilon = (tf1_number(first.attrs[key], dtype) for key in ("beta1", "beta2", "epsilon"))
    one = dtype.type(1)

    def scalars(beta1_power, beta2_power, lr):  # as ApplyAdam.forward computes them
        return (np.sqrt(one - dtype.type(beta2_power)), one - dtype.type(beta1_power), one - beta1, one - beta2,
                lr, epsilon)

    arguments = list(nodes[0].arguments[3:6])
    for node in nodes:
        var, m, v, _, _, _, grad = node.arguments
        arguments += [var, m, v, grad]
    return MultiTensorAdam([n.op for n in nodes], 3, scalars, _storages(nodes)), arguments


register_multi_tensor_kernel(ApplyKerasAdam, _keras_group, _fuse_keras, "MultiTensorKerasAdam")
register_multi_tensor_kernel(ApplyAdam, _tf1_group, _fuse_tf1, "MultiTensorAdam")
