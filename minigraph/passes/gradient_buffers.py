"""Remapping, last part: a gradient made where the optimizer will read it.

The multi-tensor Adam (``minigraph/train/fused.py``) works on flat buffers: it needs
every gradient side by side in one array, ``[g_kernel | g_bias | ...]``, so each step
it copies each gradient into its piece of that array. But the steps that make those
gradients could have made them there in the first place: numpy's ufuncs take an
``out=`` array, and a MatMul or a bias gradient's sum can write its result into the
piece the update will read,

    np.matmul(a, b, out=piece)                  instead of   a @ b, then piece[...] = it
    np.add.reduce(g, axis=(0,), out=piece)      instead of   the sum, then the copy

so the copy goes (and with it a new array per gradient). An update kernel that keeps
such pieces says so: ``kernel.gradient_buffers`` maps the argument that takes a
gradient to (the variable's name, its piece). This pass gives each step that makes
one of those gradients a kernel that writes into the piece and returns it; the update
sees that its argument *is* its piece (one identity test) and copies nothing.

**Which steps.** A ``MatMul`` or a ``SumLike`` (the gradient of a bias: the upstream
gradient summed over the batch) run by its op's own kernel, whose value the update
is the one step to read, once, and that is not fetched. Any other step that makes a
gradient keeps its kernel, and the update copies its value as before.

**The same bits.** ``np.matmul(a, b, out=piece)`` runs the gufunc loop ``a @ b`` runs,
on the same operands; numpy picks the BLAS call (gemm, or syrk for ``a.T @ a``) from
the operands' strides, and a piece has the strides of a new C-ordered array of its
shape, so it is the same call. ``np.add.reduce(..., out=piece)`` is the reduction
``SumLike`` runs, on the same axes; its order of additions follows the input's layout
and the output's strides, again those of a new array. Only where the result lands in
memory changes, and that changes no number. (tests/test_passes_gradient_buffers.py
trains both ways for 400 steps and compares bit for bit after each.)

**When the value does not fit.** The kernel first asks whether the result will have
the piece's shape and dtype (the inputs are matrices that multiply; the sum drops
only leading axes, down to the shape of ``like``). If not, it runs the op's own kernel
and returns its new array, exactly as the plan would have without this pass: the op
raises its own error for inputs it refuses (``Matrix size-incompatible``), and a
result of the wrong shape reaches the update, which raises the error that names the
update and the variable before it writes anything. ``out=`` never sees a shape it
would reject, so no bare numpy error surfaces.

**Why reusing the piece is safe**, that is, why nobody can see the piece change:

- the piece is the update kernel's scratch, which it overwrote every step anyway: no
  variable, no ``m`` or ``v`` lives there;
- the value is read by one step, the update, and is not fetched, so ``Session.run``
  never hands it to a caller; after the update the run drops it (the compiled
  function ``del``\\ s it, the interpreted loop frees its position: both run the same
  kernels in the same order);
- the next run writes the piece again only after this run has ended, and by then no
  value of this run is alive;
- a run that fails after the gradient was written (a later step raises, or the
  update refuses another gradient) leaves numbers in the piece that nobody reads: the
  update never ran, the variables are unchanged, and the next run writes every piece
  (or the update copies into it) before the update reads it.

A plan run from two threads at once would share the pieces, as it already shares the
update's other scratch: minigraph runs a session's plans in one thread at a time.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from minigraph.graph import Operation
from minigraph.ops.array import SumLike
from minigraph.ops.linalg import MatMul
from minigraph.passes.program import Node, Program, pinned_in, readers_of, replace_groups, rewire


def write_gradients_in_place(program: Program) -> Program:
    readers, pinned = readers_of(program), pinned_in(program)
    writers = {}  # the step making a gradient -> (its new kernel, the update, the variable's name)
    for update in program.nodes:
        for index, (variable, piece) in getattr(update.kernel, "gradient_buffers", {}).items():
            producer = update.arguments[index]
            # its one reader is this argument, so no other piece can claim it
            if isinstance(producer, Node) and producer not in pinned and readers[producer] == [(update, index)]:
                kernel = kernel_into(producer, piece)
                if kernel is not None:
                    writers[producer] = (kernel, update, variable)
    if not writers:
        return program.rewritten(program.nodes)
    return replace_groups(program, {producer: partial(_writer, producer, *how) for producer, how in writers.items()},
                          set())


def kernel_into(node: Node, piece: np.ndarray):
    """A kernel for `node` that writes its value into `piece`, or None for a step this
    pass leaves alone (another op, a kernel a pass changed, another dtype)."""
    op = node.op
    if node.fused or node.kernel != op.forward or op.outputs[0].dtype != piece.dtype:
        return None
    if type(op) is MatMul and piece.ndim == 2:
        return matmul_into(op, piece)
    if type(op) is SumLike and not op.attrs["axes"]:
        return sum_like_into(op, piece)
    return None


def _writer(producer: Node, kernel, update: Node, variable: str, replacements: dict):
    node = rewire(producer, replacements)
    new = Node(node.op, kernel, node.arguments, node.after, node.type_name,
               note=f"writes into {update.name}'s buffer for {variable}")
    return [new], {producer: new}, (f"{producer.type_name} {producer.name} writes its value into the buffer "
                                    f"{update.name} reads for {variable}: no copy")


def matmul_into(op: Operation, piece: np.ndarray):
    """MatMul's kernel, the product made in `piece` when it has the piece's shape and dtype."""
    plain = op.forward  # its checks and its errors, for whatever does not fit the piece
    flip_a, flip_b = op.attrs["transpose_a"], op.attrs["transpose_b"]
    rows, columns = piece.shape
    dtype = piece.dtype

    def matmul_into_piece(a, b):
        if a.ndim == 2 and b.ndim == 2 and a.dtype == dtype and b.dtype == dtype:
            left = a.T if flip_a else a  # views, as MatMul's kernel takes them
            right = b.T if flip_b else b
            if left.shape[0] == rows and right.shape[1] == columns and left.shape[1] == right.shape[0]:
                return np.matmul(left, right, out=piece)
        return plain(a, b)

    return matmul_into_piece


def sum_like_into(op: Operation, piece: np.ndarray):
    """SumLike's kernel for a bias gradient (leading axes summed away), made in `piece`
    when the sum has the piece's shape and dtype: the reduction ``_sum_to`` runs."""
    plain = op.forward
    shape, rank, dtype = piece.shape, piece.ndim, piece.dtype
    # the leading axes summed, for an input of each rank (usually one: the batch)
    leading = {rank + lead: tuple(range(lead)) for lead in range(1, 4)}

    def sum_into_piece(x, like):
        axes = leading.get(x.ndim)
        if axes is not None and shape and like.shape == shape and x.shape[-rank:] == shape and x.dtype == dtype:
            return np.add.reduce(x, axis=axes, out=piece)
        return plain(x, like)

    return sum_into_piece
