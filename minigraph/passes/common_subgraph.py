"""Common-subexpression elimination: a value computed twice is computed once.

Two nodes of the same op type, with the same attributes and the same arguments,
compute the same value; the second reads the first's instead. Going in plan order
makes it reach whole subgraphs: once two nodes are one, their readers have equal
arguments too, and merge in turn. TensorFlow's Grappler calls this
"common subgraph elimination".

Where the worksheet meets it: the network's output is ``softmax(logits)``, and the
loss, traced back to the logits (as Keras's TensorFlow backend does), is the fused
softmax cross-entropy, whose gradient is ``softmax(logits) - labels``. Built apart,
those are two Softmax nodes of one input; after this pass the step computes one.

Equal constants merge too (equal dtype, shape and bytes, up to ``LARGEST_COMPARED``
elements). A node with an effect never merges: two reads of a variable may see two
values, two random draws must differ.
"""

from __future__ import annotations

import numbers

import numpy as np

from minigraph.passes.program import Constant, Node, Program, replace_sources, rewire

LARGEST_COMPARED = 4096  # elements of a constant compared byte for byte


class Unhashable(Exception):
    """An attribute this pass can't compare: the node is left alone."""


def common_subgraph_elimination(program: Program) -> Program:
    seen: dict = {}  # key -> the first node (or constant) with it
    replacements: dict = {}
    nodes, log = [], []
    for old in program.nodes:
        for argument in old.arguments:  # equal constants first: then their readers compare equal
            if isinstance(argument, Constant) and argument not in replacements:
                _merge_constant(argument, seen, replacements)
        node = rewire(old, replacements)
        key = _key(node)
        if key is not None and key in seen:
            kept = seen[key]
            replacements[old] = kept
            log.append(f"merged {node.type_name} {node.name} into {kept.name}: same op, attributes and inputs")
            continue
        if key is not None:
            seen[key] = node
        nodes.append(node)
        if node is not old:
            replacements[old] = node
    fetches, roots = replace_sources(program, replacements)
    return program.rewritten(nodes, fetches, roots, log)


def _merge_constant(constant: Constant, seen: dict, replacements: dict) -> None:
    value = np.asarray(constant.value)
    if value.size > LARGEST_COMPARED:
        return
    key = ("constant", type(constant.value).__name__, value.dtype.str, value.shape, value.tobytes())
    first = seen.setdefault(key, constant)
    if first is not constant:
        replacements[constant] = first


def _key(node: Node):
    """What makes two nodes compute the same value, or None if this one must not merge."""
    if node.fused or node.has_effect or not node.has_output:
        return None
    try:
        attrs = _hashable(node.op.attrs)
    except Unhashable:
        return None
    arguments, after = tuple(id(a) for a in node.arguments), tuple(id(n) for n in node.after)
    return (type(node.op), node.type_name, attrs, arguments, after)


def _hashable(value):
    """`value` (an attribute) as something hashable that compares by content."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, numbers.Number, np.generic)):
        return (type(value).__name__, value)
    if isinstance(value, dict):
        return tuple(sorted((key, _hashable(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(_hashable(item) for item in value)
    if isinstance(value, np.ndarray):
        if value.size > LARGEST_COMPARED:
            raise Unhashable
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, np.dtype):
        return ("dtype", value.str)
    try:
        hash(value)
    except TypeError:
        raise Unhashable from None
    return ("object", type(value).__name__, value)
