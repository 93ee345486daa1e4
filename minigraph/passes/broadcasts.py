"""Arithmetic rewrites: broadcast late. Divide before copying; copy into the result.

Gradients broadcast a lot. The gradient of ``mean(x)`` copies the upstream value
(one number) to x's shape, then divides every copy by the count; the gradient of a
loss summed over classes copies each row's value across the classes, then multiplies
by ``softmax - labels``. The copies are ``BroadcastLike`` steps: each a numpy call
that makes an array of the same numbers again, for the next step to read and drop.
Three rewrites make the copies late, or fewer:

**Divide first.** ``broadcast(g) / n`` with a scalar n is ``broadcast(g / n)``: each
element is the same float division of the same two numbers, so it is done once per
value of g (once in all, for a mean's gradient) instead of once per element. The
RealDiv and the BroadcastLike become one step, which divides, then broadcasts.

**Copy into the result.** ``broadcast(a) * b``, where b has the broadcast's shape,
needs one new array, not two: copy a into a new array of b's shape, then multiply b
into it, in place (the copy is this step's own: nobody else holds it). A scalar a is
simply ``a * b``. (Why not ``a[:, None] * b``, letting numpy broadcast? On small
arrays numpy's broadcasting loop costs more than the copy.) The BroadcastLike, or the
divide-first step above, and the elementwise op that reads it (``Mul``, ``AddV2``,
``Sub``, ``RealDiv``) become one step. Static shapes can't prove that b has the
broadcast's shape (a batch of None rows on both sides need not be the same None), so
the step checks it at run time, for the price of a shape comparison; where it does
not hold, the step runs the two ops as the graph says. Each element still gets the
same float operation on the same two numbers.

**One number, broadcast twice.** Without sample weights, a mean loss's gradient is one
number, g / n, copied to the per-row loss's shape (divided first, above), and the
cross-entropy's gradient then copies each row's value across the classes before it
multiplies: two copies of one number. Where the divide-first step's one reader is such
a broadcast, read by an elementwise op, the three become one step that hands g / n to
the op as it is; a check at run time that the two broadcasts would have given the
other operand's shape stands in for them (else the step runs the three as written).

Only floating-point values are rewritten, and a broadcast is folded only into its one
reader: one whose value is fetched, or read by two steps, stays a step. TensorFlow's
Grappler has rewrites of this kind in its arithmetic optimizer (it "hoists" an op
past another, and removes a BroadcastTo its reader does not need).
"""

from __future__ import annotations

import functools

import numpy as np

from minigraph.ops.array import BroadcastLike, _with_axes
from minigraph.ops.math import Add, Divide, Multiply, Subtract
from minigraph.passes.program import Node, Program, pinned_in, readers_of, replace_groups, rewire

UFUNCS = {Multiply: np.multiply, Add: np.add, Subtract: np.subtract, Divide: np.true_divide}
ELEMENTWISE = tuple(UFUNCS)
DIVIDE_FIRST, INTO_RESULT = "divided before broadcasting", "broadcast into the result"
NUMBER_INTO_RESULT = "one number broadcast twice into the result"


def broadcast_late(program: Program) -> Program:
    readers, pinned = readers_of(program), pinned_in(program)
    plans: dict = {}  # elementwise node -> (how, the broadcast it takes in, its side)
    for node in program.nodes:
        broadcast = _sole_broadcast_argument(node, readers, pinned, plans)
        if broadcast is None:
            continue
        side = node.arguments.index(broadcast)
        if (type(node.op) is Divide and side == 0 and node.op.inputs[1].shape == ()
                and type(broadcast.op) is BroadcastLike and broadcast not in plans):
            plans[node] = (DIVIDE_FIRST, broadcast, side)
        else:
            plans[node] = (INTO_RESULT, broadcast, side)
    if not plans:
        return program.rewritten(program.nodes)

    folded = {broadcast for _, broadcast, _ in plans.values()}
    for node, (how, broadcast, side) in list(plans.items()):
        if how == INTO_RESULT and _divided_number(broadcast, readers, pinned, plans):
            plans[node] = (NUMBER_INTO_RESULT, broadcast, side)
            folded.add(broadcast.arguments[0])
    groups = {node: functools.partial(_late, node, *plan, node in folded) for node, plan in plans.items()}
    return replace_groups(program, groups, folded)


def _late(old: Node, how: str, broadcast: Node, side: int, folded: bool, replacements: dict):
    """`old` with its broadcast folded in (see ``replace_groups``). Where `old` is itself
    folded into its reader (the divide-first step of one number broadcast twice), the new
    step is not placed in the plan: the reader's step takes it in."""
    if broadcast in replacements:  # a divide-first step, rewritten before its reader
        broadcast = replacements[broadcast]
    else:  # a BroadcastLike: folded away, so replace_groups did not rewire it
        broadcast = rewire(broadcast, replacements)
    node = _rewritten(rewire(old, replacements), broadcast, side, how)
    return [] if folded else [node], {old: node}, (
        f"{how}: {' and '.join(f'{op.type_name} {op.name}' for op in node.fused)} in one step")


def _sole_broadcast_argument(node: Node, readers: dict, pinned: set, plans: dict):
    """The broadcast `node` reads (a BroadcastLike step, or one to be made divide-first),
    when `node` is a float elementwise op and the broadcast's one reader."""
    if type(node.op) not in ELEMENTWISE or node.fused or node.after:
        return None
    if any(tensor.dtype.kind != "f" for tensor in node.op.inputs):  # ints divide to float64: left alone
        return None
    candidates = [a for a in node.arguments if isinstance(a, Node) and not a.after and (
        (type(a.op) is BroadcastLike and not a.fused) or plans.get(a, ("",))[0] == DIVIDE_FIRST)]
    if len(candidates) != 1:
        return None
    broadcast = candidates[0]
    if broadcast in pinned or len(readers[broadcast]) != 1 or node.arguments.count(broadcast) != 1:
        return None
    return broadcast


def _divided_number(broadcast: Node, readers: dict, pinned: set, plans: dict) -> bool:
    """True when `broadcast` (a BroadcastLike step) copies a divide-first step that only it
    reads, of one number: ``broadcast(broadcast(g) / n)`` with g of shape ()."""
    if type(broadcast.op) is not BroadcastLike or broadcast.fused:
        return False
    inner = broadcast.arguments[0]
    if plans.get(inner, ("",))[0] != DIVIDE_FIRST or inner in pinned or len(readers[inner]) != 1:
        return False
    return plans[inner][1].op.inputs[0].shape == ()  # the inner BroadcastLike's g


def _rewritten(node: Node, broadcast: Node, side: int, how: str) -> Node:
    """`node` with `broadcast` (its argument at `side`) folded in: the new step reads the
    broadcast's arguments, then `node`'s other argument."""
    other = node.arguments[1 - side]
    fused = broadcast.ops + (node.op,)
    expand = expander(fused[0].attrs["axes"])  # the BroadcastLike's axes
    if how == DIVIDE_FIRST:
        return Node(node.op, divided_broadcast(node.op.forward, broadcast.op.forward),
                    broadcast.arguments + (other,), (),
                    "BroadcastLike", fused=fused, note="RealDiv before the broadcast", chain=True)
    ufunc = UFUNCS[type(node.op)]
    if how == NUMBER_INTO_RESULT:  # broadcast's argument: the divide-first step of g, inner like, n
        divided = broadcast.arguments[0]
        return Node(node.op, number_into_result(divided.kernel, fused[0].attrs["axes"], expand, ufunc, side),
                    divided.arguments + broadcast.arguments[1:] + (other,), (), node.type_name,
                    fused=divided.ops + fused, chain=True,
                    note="BroadcastLike + RealDiv + BroadcastLike into the result's memory")
    if broadcast.fused:  # a divide-first step: g, like, n
        kernel = broadcast_into_result_divided(broadcast.kernel.divide, expand, ufunc, side)
    else:
        kernel = broadcast_into_result(expand, ufunc, side)
    return Node(node.op, kernel, broadcast.arguments + (other,), (), node.type_name, fused=fused, chain=True,
                note=f"{' + '.join(op.type_name for op in broadcast.ops)} into the result's memory")


def expander(axes: tuple):
    """A function putting back the axes a reduction removed (as 1s), as BroadcastLike does."""
    if not axes:
        return None
    if all(axis < 0 for axis in axes):  # counted from the end: an index does it, x[..., None]
        index = (Ellipsis,) + tuple(None if p in axes else slice(None) for p in range(min(axes), 0))
        return lambda x: x[index]
    return lambda x: x.reshape(_with_axes(np.shape(x), axes))


def divided_broadcast(divide, broadcast):
    """The kernel of broadcast(g) / n as broadcast(g / n): the BroadcastLike's own kernel
    (`broadcast`) on g / n, which copies a small result out rather than make a view."""

    def kernel(g, like, n):
        return broadcast(divide(g, n), like)

    kernel.divide = divide  # a reader folding this step in divides, then broadcasts
    return kernel


def broadcast_into_result(expand, ufunc, side: int):
    """The kernel of op(broadcast(x), other) (`side` 0; op(other, broadcast(x)) for 1)."""

    def kernel(x, like, other):
        return _operate(x if expand is None else expand(x), like.shape, other, ufunc, side)
    return kernel


def broadcast_into_result_divided(divide, expand, ufunc, side: int):
    """The same, of op(broadcast(g) / n, other)."""

    def kernel(g, like, n, other):
        x = divide(g, n)
        return _operate(x if expand is None else expand(x), like.shape, other, ufunc, side)
    return kernel


def number_into_result(divided, axes: tuple, expand, ufunc, side: int):
    """The kernel of op(broadcast(broadcast(g) / n), other) for one number g: each element of
    the result is op(g / n, an element of other), so g / n goes straight into the op (numpy
    then reads one number, not a copy of it per element), where the two broadcasts would
    have given other's shape; else the three steps as the graph says (and their errors)."""

    def kernel(g, inner_like, n, like, other):
        x = divided.divide(g, n)  # one number: g and n have shape () (_divided_number, DIVIDE_FIRST)
        shape = like.shape
        if other.shape == shape and _broadcasts_to(_with_axes(inner_like.shape, axes), shape):
            return ufunc(x, other) if side == 0 else ufunc(other, x)
        inner = divided(g, inner_like, n)
        return _operate(inner if expand is None else expand(inner), shape, other, ufunc, side)
    return kernel


@functools.lru_cache(maxsize=256)  # two small tuples, asked on every step
def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    """True when an array of `shape` broadcasts to exactly `target` (numpy's rule, one way)."""
    if len(shape) > len(target):
        return False
    return all(size in (1, wanted) for size, wanted in zip(reversed(shape), reversed(target)))


def _operate(x, shape: tuple, other, ufunc, side: int):
    """ufunc(broadcast_to(x, shape), other), its operands in that order for `side` 0.
    Where `other` has the broadcast's shape, so has the result: a scalar x is left to
    numpy (cheap), anything else is copied into a new array that the ufunc then
    overwrites with the result (numpy reads a plain array faster than a broadcast)."""
    if other.shape == shape:
        if x.ndim == 0:
            return ufunc(x, other) if side == 0 else ufunc(other, x)
        if x.ndim <= len(shape):
            out = np.empty(shape, other.dtype)
            try:
                out[...] = x
            except ValueError:  # x does not broadcast to the shape: the graph's ops say so, below
                pass
            else:
                return ufunc(out, other, out=out) if side == 0 else ufunc(other, out, out=out)
    copies = np.broadcast_to(x, shape)
    return ufunc(copies, other) if side == 0 else ufunc(other, copies)
