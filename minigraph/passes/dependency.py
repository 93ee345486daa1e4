"""Dependency optimisation: steps that only pass a value on, or only wait, are dropped.

``Identity`` and ``StopGradient`` hand their input on unchanged (StopGradient matters
to ``gradients()`` while the graph is built, not when it runs), and so do an unfed
``placeholder_with_default`` (Keras's learning phase: its default) and a ``Cast`` to
the dtype its input has already (Keras casts the labels to the output's dtype, which
they usually have), and a ``NoOp`` does nothing at all: it exists for its control
inputs, "run these first". In a plan, whose steps already run in an order that
respects every edge, none of them has work left:

- a node that read the identity's output reads the identity's input instead;
- a node that waited for the NoOp waits for what the NoOp waited for.

An identity with control inputs of its own stays (its value must wait for them), and
a variable's ``read`` is no identity here: it reads the session's store.
TensorFlow's Grappler does this in its "dependency optimizer".
"""

from __future__ import annotations

from minigraph.ops.array import Cast, Identity, NoOp, PlaceholderWithDefault, StopGradient
from minigraph.passes.program import Node, Program, replace_sources, rewire

PASS_THROUGH = (Identity, StopGradient, PlaceholderWithDefault)  # unfed, the last is its default


def dependency_optimization(program: Program) -> Program:
    replacements: dict = {}  # dropped node -> its input (identity) or what it waited for (NoOp)
    nodes, log = [], []
    for old in program.nodes:
        node = rewire(old, replacements)
        op = node.op
        if _passes_through(op) and not node.after and not node.fused:
            replacements[old] = node.arguments[0]
            log.append(f"removed {op.type_name} {op.name}: its readers read {_name(node.arguments[0])}")
        elif type(op) is NoOp and not node.fused:
            replacements[old] = node.after
            log.append(f"removed NoOp {op.name}: what waited for it waits for its {len(node.after)} control inputs")
        else:
            nodes.append(node)
            if node is not old:
                replacements[old] = node
    fetches, _ = replace_sources(program, {k: v for k, v in replacements.items() if not isinstance(v, tuple)})
    roots = []
    for root in program.roots:  # a fetched NoOp: what it waited for must still run
        stack = [root]
        while stack:
            item = stack.pop()
            new = replacements.get(item, item)
            if isinstance(new, tuple):
                stack.extend(new)
            elif isinstance(new, Node) and new not in roots:
                roots.append(new)
    return program.rewritten(nodes, fetches, roots, log)


def _passes_through(op) -> bool:
    """True for an op whose output is its input's value."""
    if type(op) is Cast:
        return op.inputs[0].dtype == op.attrs["dtype"]
    return type(op) in PASS_THROUGH


def _name(source) -> str:
    return source.name if isinstance(source, Node) else source.describe()
