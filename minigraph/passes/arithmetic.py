"""Arithmetic rewrites: the same value by less work. Here: a transpose folded into MatMul;
and broadcasts made late (``broadcasts.py``), run after it as part of the same pass.

``matmul(transpose(a), b)`` would copy-free transpose ``a`` in one step, then hand
the view to BLAS in the next. But MatMul has the flags ``transpose_a`` and
``transpose_b`` (BLAS reads a matrix transposed as cheaply as it is), so the step
``Transpose`` can go: the MatMul reads ``a`` itself and flips its flag. TensorFlow's
Grappler does this in its "arithmetic optimizer" (FoldTransposeIntoMatMul), and TF's
own MatMul gradient is written with those flags, as minigraph's is: a dense layer's
backward graph has no Transpose left to fold. A student's ``mg.matmul(mg.transpose(x), w)``
still does.

Only a Transpose of a matrix (rank 2, perm (1, 0)) folds; one with control inputs
stays. The Transpose itself goes once nothing else reads it (``pruning``).
"""

from __future__ import annotations

from minigraph.ops.array import Transpose
from minigraph.ops.linalg import MatMul
from minigraph.passes.broadcasts import broadcast_late
from minigraph.passes.program import Node, Program, in_turn, replace_sources, rewire, with_attrs

FLAGS = ("transpose_a", "transpose_b")


def arithmetic_optimization(program: Program) -> Program:
    return in_turn(program, fold_transpose_into_matmul, broadcast_late)


def fold_transpose_into_matmul(program: Program) -> Program:
    nodes, log = [], []
    replacements: dict = {}
    for old in program.nodes:
        node = rewire(old, replacements)
        if type(node.op) is MatMul and not node.fused:
            folded = _fold(node)
            if folded is not node:
                log.append(f"folded {' and '.join(_transposes(node))} into MatMul {node.name}'s "
                           f"{', '.join(f'{k}={v}' for k, v in folded.op.attrs.items() if k in FLAGS)}")
                node = folded
        nodes.append(node)
        if node is not old:
            replacements[old] = node
    fetches, roots = replace_sources(program, replacements)
    return program.rewritten(nodes, fetches, roots, log)


def _is_matrix_transpose(source) -> bool:
    if not isinstance(source, Node) or type(source.op) is not Transpose or source.after:
        return False
    shape = source.op.inputs[0].shape
    return shape is not None and len(shape) == 2 and tuple(source.op.attrs["perm"] or ()) == (1, 0)


def _transposes(node: Node) -> list[str]:
    return [f"Transpose {a.name}" for a in node.arguments if _is_matrix_transpose(a)]


def _fold(node: Node) -> Node:
    """`node` (a MatMul) reading past the matrix transposes that feed it."""
    arguments, inputs, flags = list(node.arguments), list(node.op.inputs), {}
    for i, flag in enumerate(FLAGS):
        source = arguments[i]
        if _is_matrix_transpose(source):
            arguments[i] = source.arguments[0]
            inputs[i] = source.op.inputs[0]
            flags[flag] = not node.op.attrs[flag]  # (x^T)^T is x
    if not flags:
        return node
    twin = with_attrs(node.op, tuple(inputs), **flags)
    return Node(twin, twin.forward, tuple(arguments), node.after, node.type_name,
                note=f"{', '.join(f'{k}={v}' for k, v in flags.items())} (was a Transpose)")
