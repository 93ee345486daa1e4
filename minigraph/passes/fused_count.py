"""Remapping, part two: comparing, casting to numbers and summing is counting.

The accuracy metric asks how many predictions are right:

    hits = equal(argmax(labels), argmax(output))     # bools
    correct = reduce_sum(cast(hits, float32))       # 1.0 per True, summed

Three steps, and two arrays made only to be summed. ``np.count_nonzero(hits)`` gives
the same number in one call, without the array of 1.0s: a sum of 0s and 1s is the
count of 1s, exactly, as long as every partial sum is a whole number the dtype holds
exactly. A float32 holds every whole number up to 2**24 (16,777,216), a float64 up to
2**53, so the fused kernel counts when the comparison has no more elements than that
(checked at run time: an int, not a float, is compared) and otherwise runs the three
ops as the graph says.

It fuses a comparison (``Equal``, ``Greater``...) read only by a ``Cast`` to a
number, read only by a ``Sum`` of every element. The fused step takes the Sum's name:
its value is the Sum's, of the same dtype. A Keras metric also counts its values
(``ReducedSize``: the denominator of the accuracy); that step needs only the cast's
size, which is the size of the comparison's inputs broadcast together, so it reads
those inputs instead.
"""

from __future__ import annotations

import numpy as np

from minigraph.ops.array import Cast
from minigraph.ops.math import Comparison
from minigraph.ops.reduction import ReducedSize, Sum
from minigraph.passes.program import Node, Program, pinned_in, readers_of, replace_sources, rewire

# the most elements a sum of ones is exact for, by the dtype it is summed in
EXACT_COUNTS = {np.dtype(np.float16): 2**11, np.dtype(np.float32): 2**24, np.dtype(np.float64): 2**53,
                np.dtype(np.int32): 2**31 - 1, np.dtype(np.int64): 2**63 - 1}


def fuse_counts(program: Program) -> Program:
    readers, pinned = readers_of(program), pinned_in(program)
    counts, sizes = {}, {}  # Sum node -> (comparison, cast, sum); ReducedSize node -> its comparison
    for node in program.nodes:
        if not isinstance(node.op, Comparison) or node.fused or node.after or not _only_reader(node, Cast, readers,
                                                                                               pinned):
            continue
        cast = readers[node][0][0]
        total, cast_sizes = _sum_and_sizes(cast, readers, pinned)
        if total is not None and cast.op.attrs["dtype"] in EXACT_COUNTS:
            counts[total] = (node, cast, total)
            sizes.update((size, node) for size in cast_sizes)
    if not counts:
        return program.rewritten(program.nodes)

    fused_away = {member for chain in counts.values() for member in chain[:2]}
    replacements: dict = {}
    nodes, log = [], []
    for old in program.nodes:
        if old in fused_away:
            continue
        node = rewire(old, replacements)
        if old in counts:
            compare, cast, total = counts[old]
            compare = rewire(compare, replacements)
            node = Node(total.op, counting_kernel(compare.op, cast.op, total.op), compare.arguments, (), "_FusedCount",
                        fused=(compare.op, cast.op, total.op), chain=True,
                        note=f"{compare.type_name} + Cast + Sum in one kernel: a count")
            log.append(f"fused {compare.type_name} {compare.name}, Cast {cast.name}, Sum {total.name} into one "
                       f"_FusedCount step: np.count_nonzero")
        elif old in sizes:  # it read the cast for its size: that is the comparison's, from its inputs' shapes
            compare = rewire(sizes[old], replacements)
            node = Node(old.op, size_kernel(old.op.output.dtype), compare.arguments, (), old.type_name,
                        note=f"the size of {compare.name}, from its inputs")
            log.append(f"{old.type_name} {old.name} reads {compare.name}'s inputs: the size of their broadcast")
        if node is not old:
            replacements[old] = node
        nodes.append(node)
    fetches, roots = replace_sources(program, replacements)
    return program.rewritten(nodes, fetches, roots, log)


def _only_reader(node: Node, kind: type, readers: dict, pinned: set) -> bool:
    """True when one plain `kind` step reads `node`'s value, and nothing else does."""
    if node in pinned or len(readers[node]) != 1:
        return False
    reader, index = readers[node][0]
    return type(reader.op) is kind and index == 0 and not reader.fused and not reader.after


def _sum_and_sizes(cast: Node, readers: dict, pinned: set):
    """(the Sum of every element of the cast, the ReducedSize steps counting its elements)
    when those are all that read it, else (None, ())."""
    if cast in pinned or cast.after:
        return None, ()
    sums, sizes = [], []
    for reader, index in readers[cast]:
        if reader.fused or reader.after or index != 0:
            return None, ()
        if type(reader.op) is Sum and _sums_everything(reader):
            sums.append(reader)
        elif type(reader.op) is ReducedSize and reader.op.attrs["axis"] is None:
            sizes.append(reader)
        else:
            return None, ()
    return (sums[0], sizes) if len(sums) == 1 else (None, ())


def _sums_everything(total: Node) -> bool:
    axes, shape = total.op.attrs["axis"], total.op.inputs[0].shape
    if total.op.attrs["keepdims"]:
        return False
    return axes is None or (shape is not None and sorted(axes) == list(range(len(shape))))


def size_kernel(dtype):
    """ReducedSize of a comparison's value, from the shapes of its inputs."""
    def kernel(a, b):
        size = a.size if a.shape == b.shape else np.broadcast(a, b).size
        return np.asarray(size, dtype=dtype)
    return kernel


def counting_kernel(compare, cast, total):
    """sum(cast(compare(a, b))) as the count of Trues, where that is exact."""
    dtype = cast.attrs["dtype"]
    exact, make = EXACT_COUNTS[dtype], dtype.type

    def kernel(a, b):
        hits = compare.forward(a, b)
        if hits.size <= exact:
            return make(np.count_nonzero(hits))
        return total.forward(cast.forward(hits))
    return kernel
