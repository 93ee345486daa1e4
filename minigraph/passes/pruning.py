"""Pruning: a step whose value nobody reads, and that has no effect, is dropped.

The session already prunes once, when it makes a plan: it walks back from the
fetches and takes only what they need. The other passes can leave dead steps
behind: a ``Transpose`` folded into its MatMul, the input of a ``ones_like`` whose
value became a constant. This pass walks back again, from what must run: the
fetched values, the fetched ops, and every step with an effect (a variable written
or read, a random draw: the run promised those). TensorFlow's Grappler calls it
"model pruning".
"""

from __future__ import annotations

from minigraph.passes.program import Node, Program


def pruning(program: Program) -> Program:
    live = set()
    stack = [s for s in program.fetches if isinstance(s, Node)] + list(program.roots)
    stack += [node for node in program.nodes if node.has_effect]
    while stack:
        node = stack.pop()
        if node not in live:
            live.add(node)
            stack.extend(a for a in node.arguments if isinstance(a, Node))
            stack.extend(node.after)
    nodes = [node for node in program.nodes if node in live]
    log = [f"dropped {node.type_name} {node.name}: nothing reads it" for node in program.nodes if node not in live]
    return program.rewritten(nodes, log=log)
