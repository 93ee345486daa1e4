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

Then the two argmaxes the accuracy compares join the count (``fuse_argmax_counts``):
when each is read by nothing but the count and that size, one step takes the labels
and the output, and makes the indices, compares, counts and sizes them: the same
numpy calls but the indices' two casts, in one step instead of four, about 1 µs of
the 5 the metric took at batch 32. Its value is a tuple, (count, size), taken apart
as a softmax and its cross-entropy are (``fused_softmax.py``).

The indices are numpy's own ``argmax``; only a float input holding a NaN, where TF's
rule (a NaN is never the largest) differs from numpy's (it always is), goes to
ArgMax's own kernel. Looking for that NaN is one call for both inputs, their dot
product (NaN if either holds a NaN: ``holds_no_nan``), cheaper than the two calls
per input (``isnan``, then ``count_nonzero``) it falls back to when the product is
NaN; a row's max, its sum, or the element at the index found all cost more. The
count is a numpy scalar, immutable, so the kernel keeps the one it made for each
count and hands it out again (making one from an int costs as much as counting).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from minigraph.ops.array import Cast
from minigraph.ops.math import Comparison
from minigraph.ops.reduction import ArgMax, ReducedSize, Sum, has_nan
from minigraph.passes.program import (
    Node,
    Program,
    parts_of,
    pinned_in,
    readers_of,
    replace_groups,
    rewire,
    sole_reader,
)

# the most elements a sum of ones is exact for, by the dtype it is summed in
EXACT_COUNTS = {np.dtype(np.float16): 2**11, np.dtype(np.float32): 2**24, np.dtype(np.float64): 2**53,
                np.dtype(np.int32): 2**31 - 1, np.dtype(np.int64): 2**63 - 1}


def fuse_counts(program: Program) -> Program:
    readers, pinned = readers_of(program), pinned_in(program)
    counts, sizes = {}, {}  # Sum node -> (comparison, cast, sum); ReducedSize node -> its comparison
    for node in program.nodes:
        if not isinstance(node.op, Comparison) or node.fused or node.after:
            continue
        cast = sole_reader(node, Cast, readers, pinned)
        if cast is None:
            continue
        total, cast_sizes = _sum_and_sizes(cast, readers, pinned)
        if total is not None and cast.op.attrs["dtype"] in EXACT_COUNTS:
            counts[total] = (node, cast, total)
            sizes.update((size, node) for size in cast_sizes)
    if not counts:
        return program.rewritten(program.nodes)

    fused_away = {member for chain in counts.values() for member in chain[:2]}
    groups = {total: partial(_counted, *chain) for total, chain in counts.items()}
    groups.update((size, partial(_sized, size, compare)) for size, compare in sizes.items())
    return replace_groups(program, groups, fused_away)


def _counted(compare: Node, cast: Node, total: Node, replacements: dict):
    """The one step counting what the comparison, the cast and the sum computed."""
    compare = rewire(compare, replacements)
    node = Node(total.op, counting_kernel(compare.op, cast.op, total.op), compare.arguments, (), "_FusedCount",
                fused=(compare.op, cast.op, total.op), chain=True,
                note=f"{compare.type_name} + Cast + Sum in one kernel: a count")
    return [node], {total: node}, (f"fused {compare.type_name} {compare.name}, Cast {cast.name}, Sum {total.name} "
                                   f"into one _FusedCount step: np.count_nonzero")


def _sized(size: Node, compare: Node, replacements: dict):
    """The size step reading the comparison's inputs: it read the cast only for its size."""
    compare = rewire(compare, replacements)
    node = Node(size.op, size_kernel(size.op.output.dtype), compare.arguments, (), size.type_name,
                note=f"the size of {compare.name}, from its inputs")
    return [node], {size: node}, (f"{size.type_name} {size.name} reads {compare.name}'s inputs: the size of their "
                                  f"broadcast")


def fuse_argmax_counts(program: Program) -> Program:
    readers, pinned = readers_of(program), pinned_in(program)
    position = {node: i for i, node in enumerate(program.nodes)}
    folds = {}  # the first step of a fold -> (the count, its size step or None, the two ArgMax steps)
    for count in program.nodes:
        if count.type_name != "_FusedCount" or not all(_plain_argmax(a, pinned) for a in count.arguments):
            continue
        sizes, alone = {}, True
        for indices in count.arguments:
            for reader, index in readers[indices]:
                if type(reader.op) is ReducedSize and reader.arguments == count.arguments and index is not None:
                    sizes[reader] = True  # fuse_counts made it: the size of the comparison
                elif reader is not count or index is None:
                    alone = False
        if alone and len(sizes) <= 1 and not any(size.after for size in sizes):
            first = min([count, *sizes], key=position.get)
            folds[first] = (count, next(iter(sizes), None), count.arguments)
    if not folds:
        return program.rewritten(program.nodes)

    folded_away = {step for count, size, indices in folds.values() for step in (count, size, *indices)}
    return replace_groups(program, {first: partial(_folded, *fold) for first, fold in folds.items()}, folded_away)


def _folded(count: Node, size: Node | None, indices: tuple, replacements: dict):
    """The step doing the ArgMaxes' work and the count's (and the size's), and the steps
    taking its values apart when it gives two (see ``replace_groups``)."""
    arguments = tuple(replacements.get(i.arguments[0], i.arguments[0]) for i in indices)
    ops = (indices[0].op, indices[1].op, *count.fused) + ((size.op,) if size else ())
    kernel = argmax_count_kernel(*ops[:5], size_dtype=size.op.output.dtype if size else None)
    node = Node(count.op, kernel, arguments, (), "_FusedArgMaxCount", fused=ops, chain=size is None,
                gives_tuple=size is not None, note=f"{' + '.join(op.type_name for op in ops)} in one kernel")
    line = f"folded {', '.join(f'{i.type_name} {i.name}' for i in indices)} into {count.name}'s count"
    if size is None:  # the count alone: the step's value is the Sum's
        return [node], {count: node}, f"{line}: one {node.name} step"
    parts = parts_of(node, (count, size))  # the count and the size: a tuple, taken apart
    return [node, *parts], dict(zip((count, size), parts)), f"{line} and {size.name}: one {node.name} step"


def _plain_argmax(node, pinned: set) -> bool:
    """True for an ArgMax (or ArgMin) step that only hands its indices on."""
    return (isinstance(node, Node) and isinstance(node.op, ArgMax) and not node.fused and not node.after
            and node not in pinned)


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
    count = count_of(cast, total)

    def kernel(a, b):
        return count(compare.forward(a, b))
    return kernel


def argmax_count_kernel(argmax_a, argmax_b, compare, cast, total, size_dtype):
    """count(compare(argmax(a), argmax(b))), and the comparison's size when `size_dtype`."""
    axis_a, axis_b, method_a, method_b = (argmax_a.attrs["axis"], argmax_b.attrs["axis"],
                                          argmax_a.numpy_method, argmax_b.numpy_method)
    count = count_of(cast, total)
    asarray = np.asarray  # looked up once, not per run

    def counted_and_sized(a, b):
        # numpy's indices (its platform ints: only compared, their dtype does not matter)
        if -a.ndim <= axis_a < a.ndim and -b.ndim <= axis_b < b.ndim and holds_no_nan(a, b):
            hits = compare.forward(method_a(a, axis_a), method_b(b, axis_b))
        else:  # a NaN (TF passes over it) or an axis out of range: the ops' own kernels, rules and errors
            hits = compare.forward(argmax_a.forward(a), argmax_b.forward(b))
        # the indices broadcast together: the size of `hits` is what ReducedSize counts
        return count(hits), asarray(hits.size, size_dtype)

    def counted(a, b):
        return counted_and_sized(a, b)[0]

    return counted if size_dtype is None else counted_and_sized


def holds_no_nan(a: np.ndarray, b: np.ndarray) -> bool:
    """True when neither a nor b is a float array holding a NaN.

    Two float arrays of one dtype and size are tested at once, by their dot product: a NaN
    times anything is NaN and a sum with a NaN in it is NaN, so a product that is not NaN
    proves there is none (one numpy call, a third of the time of an isnan and a count for
    each). A NaN product may also come from inf * 0 or inf - inf; then each array is looked
    at on its own, and only a NaN found sends argmax to its slow path."""
    float_a, float_b = a.dtype.kind == "f", b.dtype.kind == "f"
    if float_a and float_b and a.dtype == b.dtype and a.size == b.size:
        product = _vdot(a, b)
        if product == product:  # not NaN
            return True
    return not (float_a and has_nan(a)) and not (float_b and has_nan(b))


_vdot = np.vdot  # looked up once, not per run


def count_of(cast, total):
    """sum(cast(hits)) for bools `hits`: their count of Trues, where that is exact."""
    dtype = cast.attrs["dtype"]
    exact, make = EXACT_COUNTS[dtype], dtype.type
    made = {}  # count -> the numpy scalar: immutable, so one per count serves every run

    def count(hits):
        if hits.size <= exact:
            number = np.count_nonzero(hits)
            scalar = made.get(number)
            if scalar is None:
                scalar = make(number)
                if len(made) < 4096:  # the counts of a few batch sizes; no more
                    made[number] = scalar
            return scalar
        return total.forward(cast.forward(hits))
    return count
