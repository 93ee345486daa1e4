"""A plan as the compiler sees it: a short program of kernel calls.

``Session.run`` never walks the graph while it computes. It first turns (fetches, fed
tensors) into a *plan*: the ops the run needs, in order, each a call of one numpy
kernel. That plan is a tiny program, and a program can be rewritten before it runs,
as TensorFlow's Grappler rewrites a graph: two equal computations become one, a value
known in advance is computed once, four small updates become one big one.

A ``Program`` is that plan as data the passes (``minigraph/passes``) read and return:

    nodes     the steps, in an order that runs (each ``Node``'s arguments come first)
    fetches   where each fetched value comes from (None for a fetched op: no value)
    roots     nodes that must run because they were fetched, even with no output
    fed       a Feed per fed tensor, in the order the caller gives their values

A ``Node`` calls ``kernel(*arguments)``. Each argument is a *source*:

    Node            the value another node computed in this run
    Feed            a fed tensor's value
    Constant        a value known before the run (a Const op's, or one folded by a pass)
    VariableHandle  a variable's storage (a ref input): the kernel gets a VariableRef
    OpState         what an op keeps from run to run (a random op's generator)

Nodes describe graph ops; the graph itself never changes. A pass that rewrites a
node makes a new ``Node`` (and, when it changes attributes, a detached copy of the
op that no graph holds), and each pass says what it did in ``log``, one line per
change, which is what ``mg.passes.explain`` prints.
"""

from __future__ import annotations

import copy
import operator
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Callable

import numpy as np

from minigraph import dtypes
from minigraph.errors import InvalidArgumentError
from minigraph.graph import Operation, Tensor, run_dependencies, walk
from minigraph.ops.array import Placeholder


class Source:
    """What a kernel argument comes from when no step computes it; `shown` is how
    listings print it (a format of the source's own fields)."""

    shown = ""

    def describe(self) -> str:
        return self.shown.format(self=self)


@dataclass(frozen=True, eq=False)
class Feed(Source):
    """A fed tensor's value."""

    tensor: Tensor
    shown = "fed {self.tensor.op.name}"


@dataclass(frozen=True, eq=False)
class Constant(Source):
    """A value known when the plan is made; `origin` says where it came from."""

    value: np.ndarray
    origin: str
    shown = "const {self.origin}"


@dataclass(frozen=True, eq=False)
class VariableHandle(Source):
    """A ref input: the kernel reads and writes the variable's value through it."""

    storage: Operation
    shown = "&{self.storage.name}"


@dataclass(frozen=True, eq=False)
class OpState(Source):
    """The state `op` keeps in a session from run to run (``Operation.keeps_state``)."""

    op: Operation
    shown = "state of {self.op.name}"


@dataclass(frozen=True, eq=False)
class Node:
    """One step: ``kernel(*arguments)``, after the nodes in `after` have run.

    `op` is the graph op the step runs (a detached copy when a pass changed its
    attributes); `fused` lists the graph ops a fused step stands for. A fused `chain`
    (MatMul, then its bias add, then Relu) gives the value of its last op, `op`; a fused
    step that gives several of its ops' values gives a tuple (`gives_tuple`), and one
    step per value takes it out (``parts_of``)."""

    op: Operation
    kernel: Callable
    arguments: tuple
    after: tuple = ()
    type_name: str = ""
    fused: tuple = ()
    note: str = ""  # what a pass did to this node, shown by explain
    chain: bool = False  # fused ops each reading the one before: the step gives the last's value
    gives_tuple: bool = False  # its value is a tuple of its ops' values, for ``parts_of`` steps

    @property
    def name(self) -> str:
        """The op's name; for a fused chain, its last op's name, as TF's remapper names
        it; for other fused steps, the name scope their ops share and the step's type
        ('adam/MultiTensorKerasAdam')."""
        if not self.fused or self.chain:
            return self.op.name
        scopes = [op.name.split("/")[:-1] for op in self.fused]
        shared = []
        for parts in zip(*scopes):
            if len(set(parts)) > 1:
                break
            shared.append(parts[0])
        return "/".join(shared + [self.type_name])

    @cached_property
    def has_output(self) -> bool:
        return (self.chain or self.gives_tuple or not self.fused) and bool(self.op.outputs)

    @property
    def ops(self) -> tuple[Operation, ...]:
        """The graph ops this step runs."""
        return self.fused or (self.op,)

    @cached_property
    def has_effect(self) -> bool:
        """True when running it matters beyond its value: it writes or reads state, or
        draws random numbers (never dropped or merged by a pass)."""
        return any(op.stateful or op.writes_variables or op.keeps_state for op in self.ops)

    def describe(self) -> str:
        """One line: 'MatMul dense/MatMul(fed dense_input, dense/kernel/read)'."""
        arguments = ", ".join(argument.name if isinstance(argument, Node) else argument.describe()
                              for argument in self.arguments)
        after = f" after {', '.join(n.name for n in self.after)}" if self.after else ""
        note = f"   [{self.note}]" if self.note else ""
        return f"{self.type_name} {self.name}({arguments}){after}{note}"


@dataclass(frozen=True)
class Program:
    """A plan being compiled (see the module docstring)."""

    nodes: tuple[Node, ...]
    fetches: tuple  # a source per fetched tensor, None per fetched op
    roots: tuple[Node, ...]
    fed: tuple  # a Feed per fed tensor
    log: tuple[str, ...] = field(default=())

    def rewritten(self, nodes, fetches=None, roots=None, log=()) -> "Program":
        """This program with new nodes (and fetches, roots) and what the pass did."""
        return replace(self, nodes=tuple(nodes),
                       fetches=self.fetches if fetches is None else tuple(fetches),
                       roots=self.roots if roots is None else tuple(roots), log=tuple(log))

    def listing(self) -> str:
        """The program, one numbered step per line."""
        return "\n".join(f"{i:4d}  {node.describe()}" for i, node in enumerate(self.nodes, 1))


def node_of(op: Operation, arguments: tuple, after: tuple = ()) -> Node:
    """The node that runs graph op `op` with its own kernel."""
    return Node(op, op.forward, arguments, after, op.type_name)


def parts_of(whole: Node, originals) -> list[Node]:
    """A step per node of `originals` that takes its value out of `whole`'s tuple (the
    i-th value is the i-th original's): an ``operator.itemgetter``, a C call of a few
    dozen nanoseconds. Each stands for its original's op, so the steps that read it,
    the fetches and the listings find it under the name they knew."""
    return [Node(original.op, operator.itemgetter(i), (whole,), (), "itemgetter",
                 note=f"value {i} of {whole.name}") for i, original in enumerate(originals)]


def with_attrs(op: Operation, inputs: tuple, **attrs) -> Operation:
    """A detached copy of `op` with other inputs and attributes, for a rewritten node:
    its kernel reads them as the original's does, and no graph holds it."""
    twin = copy.copy(op)
    twin.inputs = inputs
    twin.attrs = {**op.attrs, **attrs}
    return twin


def build_program(fetches: list, fed: list[Tensor]) -> Program:
    """The plan for `fetches` (tensors and ops) with `fed` given: the ops they need,
    stopping at fed tensors, in creation order (always topological)."""
    fed_set = frozenset(fed)
    start = [f if isinstance(f, Operation) else f.op for f in fetches if f not in fed_set]
    needed = walk(start, lambda op: run_dependencies(op, fed_set))
    for op in needed:
        if isinstance(op, Placeholder):
            raise unfed_placeholder(op)
    feeds = {tensor: Feed(tensor) for tensor in fed}
    handles: dict[Operation, VariableHandle] = {}
    nodes: dict[Operation, Node] = {}
    for op in sorted(needed, key=lambda op: op.index):
        arguments = [OpState(op)] if op.keeps_state else []
        for i, tensor in enumerate(op.inputs):
            if i in op.ref_inputs:
                arguments.append(handles.setdefault(tensor.op, VariableHandle(tensor.op)))
            else:
                arguments.append(feeds[tensor] if tensor in feeds else nodes[tensor.op])
        nodes[op] = node_of(op, tuple(arguments), tuple(nodes[c] for c in op.control_inputs))
    sources = [feeds.get(f) or nodes[f.op] if isinstance(f, Tensor) else None for f in fetches]
    roots = [nodes[f] for f in fetches if isinstance(f, Operation)]
    return Program(tuple(nodes.values()), tuple(sources), tuple(roots), tuple(feeds.values()))


def unfed_placeholder(op: Placeholder) -> InvalidArgumentError:
    shape = op.attrs["shape"]
    shape_text = "" if shape is None else " and shape [" + ",".join("?" if d is None else str(d) for d in shape) + "]"
    return InvalidArgumentError(
        f"You must feed a value for placeholder tensor '{op.name}' with dtype "
        f"{dtypes.tf_name(op.attrs['dtype'])}{shape_text}",
        op=op,
    )


def in_turn(program: Program, *passes) -> Program:
    """`program` after each of `passes` in turn, with the lines all of them logged: the
    parts of one named pass (arithmetic_optimization's two rewrites, remapping's six)."""
    log: list[str] = []
    for run_pass in passes:
        program = run_pass(program)
        log += program.log
    return program.rewritten(program.nodes, log=log)


def readers_of(program: Program) -> dict:
    """{node: [(reader, argument index), ...]} over `program`'s steps; the index is None
    where the reader waits for the node (``after``) instead of reading its value."""
    readers: dict = {node: [] for node in program.nodes}
    for node in program.nodes:
        for index, argument in enumerate(node.arguments):
            if isinstance(argument, Node):
                readers[argument].append((node, index))
        for waited in node.after:
            readers[waited].append((node, None))
    return readers


def pinned_in(program: Program) -> set:
    """The steps a rewrite must keep as they are: their values are fetched, or they are
    fetched ops (roots)."""
    return {s for s in program.fetches if isinstance(s, Node)} | set(program.roots)


def sole_reader(node: Node, kind: type, readers: dict, pinned: set) -> Node | None:
    """The one step that reads `node`'s value, when it is a plain step (not fused, waiting
    for none) of op type `kind` reading it as its first argument and `node` is not pinned;
    else None. (`readers` and `pinned`: ``readers_of`` and ``pinned_in`` of the program.)"""
    if node in pinned or len(readers[node]) != 1:
        return None
    reader, index = readers[node][0]
    if type(reader.op) is kind and index == 0 and not reader.fused and not reader.after:
        return reader
    return None


def replace_sources(program: Program, replacements: dict) -> tuple[list, list]:
    """The fetches and roots of `program` with each replaced source looked up."""
    fetches = [replacements.get(s, s) if s is not None else None for s in program.fetches]
    roots = [replacements.get(r, r) for r in program.roots]
    return fetches, [r for r in roots if isinstance(r, Node)]


def replace_groups(program: Program, groups: dict, removed: set) -> Program:
    """`program` with groups of steps replaced by new ones. `groups` maps the step where a
    group's new steps go to a function of the replacements made so far that returns (the
    new steps, {old step: the new step standing for it}, a log line); the steps in
    `removed` go, and every other step reads what replaced its arguments."""
    replacements: dict = {}
    nodes, log = [], []
    for old in program.nodes:
        if old in groups:
            new, stands_for, line = groups[old](replacements)
            nodes += new
            replacements.update(stands_for)
            log.append(line)
        elif old not in removed:
            node = rewire(old, replacements)
            if node is not old:
                replacements[old] = node
            nodes.append(node)
    fetches, roots = replace_sources(program, replacements)
    return program.rewritten(nodes, fetches, roots, log)


def rewire(node: Node, replacements: dict) -> Node:
    """`node` reading `replacements[source]` wherever it read a replaced source (and
    waiting for the replacement of a replaced node in `after`)."""
    if not any(a in replacements for a in node.arguments) and not any(n in replacements for n in node.after):
        return node  # the common case: nothing it reads has changed
    arguments = tuple(replacements.get(a, a) for a in node.arguments)
    after = []
    for n in node.after:
        new = replacements.get(n, n)
        for waited in (new if isinstance(new, tuple) else (new,)):  # a node may stand for several
            if isinstance(waited, Node) and waited not in after:
                after.append(waited)
    return replace(node, arguments=arguments, after=tuple(after))
