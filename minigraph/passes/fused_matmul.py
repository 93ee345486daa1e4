"""Remapping, part one: a dense layer's MatMul, bias add and Relu as one kernel.

A dense layer is three ops: ``x @ kernel``, ``+ bias``, then (often) ``relu``. Run
one by one, each allocates an array, fills it, and hands it to the next, which reads
it all again. Written by hand, the same layer is one product and two passes over it
*in place*:

    out = x @ kernel                 # a new array: nobody else holds it yet
    out += bias                      # the same float32 sum per element as out + bias
    np.maximum(out, 0, out=out)      # and the same max as Relu takes

TensorFlow's Grappler does this in its remapper: MatMul followed by BiasAdd (and
Relu) becomes one ``_FusedMatMul`` node with ``fused_ops = ["BiasAdd", "Relu"]``,
named after the last node of the pattern, so its readers find it under the name they
knew. Keras's Dense builds its bias add as an ``AddV2``, TF1 code writes ``x @ w + b``
(AddV2) or ``tf.nn.bias_add`` (BiasAdd): all three fuse, whichever input of the add
is the product (``a + b`` is ``b + a``, bit for bit).

When it is safe (the pass checks each point and leaves the ops alone otherwise):

- the bias is a vector of the product's width, known from the static shapes: then
  it cannot stretch the product, so the sum has the product's shape and can be made
  in the product's own memory;
- the product's and the sum's values are read by nobody but the next op of the
  chain: not fetched, not read by any other step. One exception, made for the
  backward pass: a step that reads only a value's *shape* (``SumLike``,
  ``BroadcastLike``, ``ReducedSize``: the gradient of an add reads its inputs' shapes)
  reads the fused step's value instead, which has that same shape;
- Relu joins only when it is the sum's one reader. Its gradient, ``ReluGrad``, reads
  Relu's output: that is the fused step's output, so the backward pass is unchanged.

Nothing else about the layer changes: the product is the MatMul op's own kernel (its
checks and its error messages), the bias add and the relu the same numpy operations
on the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from minigraph.graph import Operation
from minigraph.ops.array import BroadcastLike, SumLike
from minigraph.ops.conv import BiasAdd
from minigraph.ops.linalg import MatMul
from minigraph.ops.math import Add
from minigraph.ops.nn import Relu, zeros_for_max
from minigraph.ops.reduction import ReducedSize
from minigraph.passes.program import Node, Program, pinned_in, readers_of, replace_groups, rewire, sole_reader

# op type -> the argument it reads only the shape (and dtype) of
SHAPE_READERS = {SumLike: 1, BroadcastLike: 1, ReducedSize: 0}


@dataclass(frozen=True)
class Chain:
    """MatMul, its bias add and maybe a Relu, found in a plan, to run as one step."""

    matmul: Node
    add: Node
    bias: object  # the add's other argument (a source)
    relu: Node | None

    @property
    def members(self) -> tuple[Node, ...]:
        return (self.matmul, self.add) + ((self.relu,) if self.relu else ())


def fuse_matmul_bias_add(program: Program) -> Program:
    nodes = program.nodes
    position = {node: i for i, node in enumerate(nodes)}
    readers, pinned = readers_of(program), pinned_in(program)

    def only_read_by(node: Node, next_member: Node, last: Node) -> bool:
        """True when `next_member` is the one step reading `node`'s value, but for steps
        after `last` that read its shape only."""
        if node in pinned:
            return False
        for reader, index in readers[node]:
            if reader is next_member and index is not None:
                continue
            if index is None or SHAPE_READERS.get(type(reader.op)) != index or position[reader] <= position[last]:
                return False
        return sum(reader is next_member for reader, _ in readers[node]) == 1

    chains = {}  # the last member of each chain -> the chain
    for node in nodes:
        chain = _bias_add_of_matmul(node)
        if chain is None or not only_read_by(chain.matmul, chain.add, chain.add):
            continue
        relu = sole_reader(chain.add, Relu, readers, pinned)
        if relu is not None and only_read_by(chain.matmul, chain.add, relu):  # the sum: read by relu alone
            chain = Chain(chain.matmul, chain.add, chain.bias, relu)
        chains[chain.members[-1]] = chain

    if not chains:
        return program.rewritten(nodes)
    fused_away = {member for chain in chains.values() for member in chain.members[:-1]}
    return replace_groups(program, {last: partial(_fused_chain, chain) for last, chain in chains.items()}, fused_away)


def _bias_add_of_matmul(node: Node) -> Chain | None:
    """The chain MatMul + `node` when `node` adds a bias vector to a MatMul's product."""
    if type(node.op) not in (Add, BiasAdd) or node.fused or node.after:
        return None
    for side in (0, 1) if type(node.op) is Add else (0,):  # BiasAdd's value is its first input
        product, bias = node.arguments[side], node.arguments[1 - side]
        if not isinstance(product, Node) or type(product.op) is not MatMul or product.fused or product.after:
            continue
        product_shape, bias_shape = node.op.inputs[side].shape, node.op.inputs[1 - side].shape
        if (product_shape is not None and len(product_shape) == 2 and product_shape[1] is not None
                and bias_shape == (product_shape[1],)):
            return Chain(product, node, bias, None)
    return None


def _fused_ops(chain: Chain) -> list[str]:
    return ["BiasAdd"] + (["Relu"] if chain.relu else [])


def _fused_chain(chain: Chain, replacements: dict):
    """The one step for `chain`, reading what its members read (each rewired), standing
    for every member (see ``replace_groups``)."""
    matmul = rewire(chain.matmul, replacements)
    bias = replacements.get(chain.bias, chain.bias)
    kernel = fused_matmul_kernel(matmul.op, relu=chain.relu is not None)
    node = Node(chain.members[-1].op, kernel, matmul.arguments + (bias,), (), "_FusedMatMul",
                fused=tuple(m.op for m in chain.members), chain=True,
                note=f"MatMul + {' + '.join(_fused_ops(chain))} in one kernel")
    return [node], dict.fromkeys(chain.members, node), (
        f"fused {', '.join(f'{m.type_name} {m.name}' for m in chain.members)} into one "
        f"_FusedMatMul step (fused_ops {', '.join(_fused_ops(chain))}), named {node.name}")


def fused_matmul_kernel(matmul: Operation, relu: bool):
    """out = a @ b + bias (then max(out, 0)), the sum and the max made in the product's memory."""
    multiply = matmul.forward  # MatMul's own kernel: its transpose flags, its checks

    def matmul_bias_add(a, b, bias):
        out = multiply(a, b)
        out += bias  # the product is new and nobody else's: safe to overwrite
        return out

    def matmul_bias_add_relu(a, b, bias):
        out = multiply(a, b)
        out += bias
        # against zeros laid out as `out` (kept between runs: zeros_for_max), as Relu's kernel
        # does: numpy's vectorised loop for two contiguous arrays, twice as fast as against a
        # scalar 0; the same max, -0.0 and NaN too
        np.maximum(out, zeros_for_max(out.shape, out.dtype), out=out)
        return out

    return matmul_bias_add_relu if relu else matmul_bias_add
