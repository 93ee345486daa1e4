"""Constant folding: compute once, when the plan is made, what no run can change.

A node whose every argument is a constant gives the same value on every run, so
the compiler runs its kernel now and every run reads the result. ``Const`` ops are
the seeds: their values become part of the plan (no step at all), then anything
computed only from them follows, in plan order. ``(2 * 3) + x`` keeps one step.

One more kind of constant: ``ones_like(x)`` and ``zeros_like(x)`` need only x's
*shape*, and when the graph knows that shape fully (``()`` for a mean loss, whose
gradient starts from ``ones_like(loss)``), the value is known too. TensorFlow's
Grappler calls this materialising shapes; it is where the worksheet's gradient
seed ``gradients/grad_ys_0`` goes.

What never folds: a node with an effect (it reads or writes a variable, or draws
random numbers), one with control inputs (it must wait for them), one whose kernel
fails on these values (the error is the run's to raise, as it would be unfolded), and
one whose value is large (``LARGEST_FOLDED`` elements: a plan holds its constants).
A folded value is read-only, like every constant: a kernel must not change it.

Before folding, the same switch drops multiplications by ones (``multiply_by_one.py``):
folding would otherwise turn ``ones_like(loss)`` into a constant array of ones, which
that pass no longer recognises.
"""

from __future__ import annotations

import numpy as np

from minigraph.ops.array import Const, OnesLike, ZerosLike
from minigraph.passes.multiply_by_one import multiply_by_one
from minigraph.passes.program import Constant, Node, Program, in_turn, replace_sources, rewire

LARGEST_FOLDED = 1 << 20  # elements; TF's Grappler stops at 10 MB


def constant_folding(program: Program) -> Program:
    return in_turn(program, multiply_by_one, fold_constants)


def fold_constants(program: Program) -> Program:
    replacements: dict = {}  # folded node -> its Constant
    nodes, log = [], []
    for old in program.nodes:
        node = rewire(old, replacements)
        value, how = _fold(node)
        if value is None:
            nodes.append(node)
            if node is not old:
                replacements[old] = node
            continue
        replacements[old] = Constant(value, node.name)
        log.append(f"folded {node.type_name} {node.name}{how}: value {_short(value)}")
    fetches, roots = replace_sources(program, replacements)
    return program.rewritten(nodes, fetches, roots, log)


def _fold(node: Node):
    """(value, how) when `node` can be computed now, else (None, '')."""
    op = node.op
    if node.fused or node.after or node.has_effect or not node.has_output:
        return None, ""
    if type(op) in (OnesLike, ZerosLike):
        shape = op.inputs[0].shape
        if shape is None or None in shape or _size(shape) > LARGEST_FOLDED:
            return None, ""
        fill = np.ones if type(op) is OnesLike else np.zeros
        return _read_only(fill(shape, dtype=op.output.dtype)), f" (its input's shape {shape} is known)"
    if type(op) is not Const and not all(isinstance(a, Constant) for a in node.arguments):
        return None, ""
    if type(op) is not Const and not node.arguments:
        return None, ""  # an op of no inputs other than Const (a range, a fill) is left to run
    shape = op.output.shape
    if shape is None or None in shape or _size(shape) > LARGEST_FOLDED:
        return None, ""
    try:
        with np.errstate(all="ignore"):  # as a run computes it: inf and nan are values
            value = node.kernel(*(a.value for a in node.arguments))
    except Exception:  # the run raises it, with the run's message
        return None, ""
    if isinstance(value, np.generic):  # a numpy scalar is immutable: kept as the run returns it
        return value, ""
    if not isinstance(value, np.ndarray):
        return None, ""
    return _read_only(value), ""


def _size(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _read_only(value: np.ndarray) -> np.ndarray:
    if value.flags.writeable:
        value = np.array(value)
        value.flags.writeable = False
    return value


def _short(value) -> str:
    """The folded value for explain's log: '0.5 float32', '[[1. 2.] [3. 4.]] float32'."""
    array = np.asarray(value)
    if array.ndim == 0:  # most folded values: a numpy scalar prints 50 times faster than array2string
        return f"{array[()]} {array.dtype}"
    return np.array2string(array, threshold=6, edgeitems=2).replace("\n", "") + f" {array.dtype}"
