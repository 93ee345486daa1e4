"""Remapping: several small steps replaced by one fused kernel that does their work.

Three kinds, as in TensorFlow's Grappler remapper: a *chain* of ops, each reading
the one before, run as one kernel (a dense layer's MatMul, bias add and Relu:
``fused_matmul.py``; a comparison cast to numbers and summed, which is a count:
``fused_count.py``); two ops that begin with the same work run as one kernel that
gives both values (a softmax and its cross-entropy: ``fused_softmax.py``); and many
*independent* updates run as one, below. The steps that make those updates'
gradients then write them straight into the fused kernel's buffer
(``gradient_buffers.py``).

A numpy call costs a few microseconds before it touches a number. A step that
updates a (128,)-vector with Adam is a dozen such calls, nearly all overhead, and the
worksheet's step runs four of them, one per variable. The same dozen calls on one
flat buffer that holds all four variables cost little more than one update: that is
a *multi-tensor* kernel (PyTorch's ``foreach``/fused Adam, Apex's multi_tensor_apply).
TensorFlow's Grappler swaps in fused kernels in its "remapper".

This pass knows no optimizer. An op type registers how its nodes fuse
(``register_multi_tensor_kernel``; ``minigraph/train/fused.py`` does it for Adam):

    group_key(node)      nodes with equal keys may run as one (same hyper-parameters,
                         same learning rate...), None for a node that must stay alone
    make_kernel(nodes)   -> (kernel, arguments): one step for all of them

Nodes fuse only when nothing reads their values (an update's output is rarely read:
the training op waits for it) and no step between the first and the last of them
touches their variables, so running them all at the place of the last changes
nothing anyone can see.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

from minigraph.passes.fused_count import fuse_argmax_counts, fuse_counts
from minigraph.passes.fused_matmul import fuse_matmul_bias_add
from minigraph.passes.fused_softmax import fuse_softmax_cross_entropy
from minigraph.passes.gradient_buffers import write_gradients_in_place
from minigraph.passes.program import Node, Program, VariableHandle, in_turn, replace_groups, rewire


@dataclass(frozen=True)
class MultiTensorKernel:
    group_key: Callable
    make_kernel: Callable
    type_name: str


MULTI_TENSOR_KERNELS: dict[type, MultiTensorKernel] = {}


def register_multi_tensor_kernel(op_type: type, group_key: Callable, make_kernel: Callable, type_name: str) -> None:
    """Lets nodes of `op_type` with equal `group_key` run as one `type_name` step."""
    MULTI_TENSOR_KERNELS[op_type] = MultiTensorKernel(group_key, make_kernel, type_name)


def remapping(program: Program) -> Program:
    """Dense layers' chains fused first, then counts (and the argmaxes they compare), a
    softmax with its cross-entropy, then the optimizer's updates, and last the steps that
    make their gradients write them where the fused update reads them."""
    return in_turn(program, fuse_matmul_bias_add, fuse_counts, fuse_argmax_counts, fuse_softmax_cross_entropy,
                   fuse_multi_tensor, write_gradients_in_place)


def fuse_multi_tensor(program: Program) -> Program:
    """The updates of each group (``register_multi_tensor_kernel``) as one step, placed
    where the group's last member was."""
    read = {a for node in program.nodes for a in node.arguments if isinstance(a, Node)}
    read |= {s for s in program.fetches if isinstance(s, Node)}
    groups: dict = {}
    for position, node in enumerate(program.nodes):
        fusion = MULTI_TENSOR_KERNELS.get(type(node.op))
        if fusion is None or node.fused or node in read:
            continue
        key = fusion.group_key(node)
        if key is not None:
            groups.setdefault((type(node.op), key), []).append(position)

    nodes = program.nodes
    fused_groups, fused_away, log = {}, set(), []
    for (op_type, _), positions in groups.items():
        if len(positions) < 2:
            continue
        members = [nodes[p] for p in positions]
        blocker = _blocker(nodes, positions)
        if blocker is not None:
            log.append(f"not fused: {len(members)} {op_type.type_name} nodes, as {blocker.name} runs "
                       "between them and touches their variables")
            continue
        fused_groups[members[-1]] = partial(_fused_updates, MULTI_TENSOR_KERNELS[op_type], op_type, members)
        fused_away.update(members[:-1])
    if not fused_groups:
        return program.rewritten(program.nodes, log=log)
    # replace_groups rewires every step that waits for a member (or for a step that was
    # itself rewired: the update of beta1_power waits for the updates, the train op for it)
    fused = replace_groups(program, fused_groups, fused_away)
    return fused.rewritten(fused.nodes, log=log + list(fused.log))


def _fused_updates(fusion: MultiTensorKernel, op_type: type, members: list, replacements: dict):
    """The one step for `members` (see ``replace_groups``)."""
    kernel, arguments = fusion.make_kernel(members)
    after = tuple(dict.fromkeys(n for m in members for n in m.after if n not in members))
    fused = rewire(Node(members[-1].op, kernel, tuple(arguments), after, fusion.type_name,
                        fused=tuple(m.op for m in members), note=f"{len(members)} {op_type.type_name} in one kernel"),
                   replacements)
    return [fused], dict.fromkeys(members, fused), (
        f"fused {len(members)} {op_type.type_name} nodes ({', '.join(m.name for m in members)}) "
        f"into one {fusion.type_name} step")


def _blocker(nodes: list, positions: list[int]) -> Node | None:
    """A node between the members that reads, waits for or touches what they write."""
    members = {nodes[p] for p in positions}
    touched = {a.storage for p in positions for a in nodes[p].arguments if isinstance(a, VariableHandle)}
    for node in nodes[positions[0]:positions[-1]]:
        if node is None or node in members:
            continue
        if any(n in members for n in node.after) or any(
                isinstance(a, VariableHandle) and a.storage in touched for a in node.arguments):
            return node
    return None
