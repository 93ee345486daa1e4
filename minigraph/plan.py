"""A plan, and the two ways it runs: read step by step, or compiled to Python.

When the passes are done with a program (``minigraph/passes``), the session lays it
out for running: every value the run will hold gets a *position* in one list, and
every node becomes a ``Step``: "call this kernel on the values at positions 0 and 4,
store the result at 7, then drop 4" (nobody reads it any more).

The first time a plan runs, ``Plan.execute`` *interprets* it: a loop walks the steps
and does exactly that, with list indexing and a few tests per step, about a fifth of
a microsecond each. A training loop runs the same plan thousands of times, so the
second time it runs, the plan is *compiled*: written out as the Python function a
person would write by hand for it, one line per step,

    def run(dense_input, activation_1_target, activation_1_sample_weights):
        dense_kernel_read_0 = Identity(ref_dense_kernel)
        dense_MatMul_0 = MatMul(dense_input, dense_kernel_read_0)
        dense_BiasAdd_0 = AddV2(dense_MatMul_0, dense_bias_read_0); del dense_MatMul_0
        ...
        return [loss_activation_1_loss_0, metrics_Sum_0, metrics_Sum_1_0, None]

and handed to Python's own compiler. The function's local variables are the list's
positions, `del` drops a value where the loop set its position to None, and the
kernels, constants and variables are the enclosing function's variables, so nothing
is looked up while it runs. Two kinds of step are so small that calling a kernel
would cost more than their work, and are written as expressions instead: a
variable's read (``w_read_0 = ref_w.read()``: what its kernel would call) and a part
of a fused step's pair (``softmax_0 = fused_0[0]``).
``plan.source`` is that text: print it to read the program minigraph made of your
graph. It is what a tracing JIT does (JAX's jit writes its program for XLA;
PyTorch's TorchScript and ``torch.compile`` write theirs), in its smallest form.
Compiling costs about 10-30 µs per step, once; a one-off run (a long chain evaluated
once) never pays it, and a plan of more than ``LARGEST_COMPILED`` steps is always
interpreted (Python's compiler slows down on very long functions).
``ConfigProto(graph_options=GraphOptions(optimizer_options=OptimizerOptions(
global_jit_level=OptimizerOptions.OFF)))`` keeps
every plan interpreted, as the plain configuration does.

Both ways compute the same thing with the same kernels in the same order; a kernel
that fails names its op either way (the compiled function's line says which step).
"""

from __future__ import annotations

import keyword
import math
import operator
import re
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from minigraph.errors import InvalidArgumentError, OpError
from minigraph.graph import Operation
from minigraph.ops.state import Read
from minigraph.passes.program import Node, Program
from minigraph.variable_store import VariableRef

# What a kernel raises when the values it was given can't work (a matmul whose
# run-time shapes don't line up, an index out of range). They become
# InvalidArgumentError naming the op. Anything else (an AttributeError, a KeyError)
# is a bug in minigraph and is left as it is, so its traceback points at the bug.
BAD_VALUE_ERRORS = (ValueError, IndexError, ArithmeticError)

COMPILE_ON_RUN = 2  # a plan is compiled when it runs for the second time
# Python's compiler takes time that grows faster than the function's length (10 µs a line at
# 1,000 lines, 60 at 50,000): longer plans are read step by step, 0.2 µs a step slower
LARGEST_COMPILED = 10_000


@dataclass(frozen=True)
class Step:
    """One step of a plan: call `kernel` on the values at `arguments`, store at `result`,
    then drop the values at `frees` (this step was the last to need them). `node` is
    the compiled program's node: the graph op (or ops, when fused) it runs."""

    kernel: Callable
    arguments: tuple[int, ...]  # positions in the run's value list, one per input
    result: int | None  # where the output goes; None for ops without output
    frees: tuple[int, ...]
    node: Node

    @property
    def op(self) -> Operation:
        return self.node.op


class Plan:
    """What one kind of run does: the steps in order, where the feeds go, where the
    fetches come from. Positions index one list of values, made afresh for each run
    from `initial_values` (which holds what is known before the run: constants,
    VariableRefs, a random op's generator)."""

    def __init__(self, program: Program, steps: list[Step], feed_positions: tuple, fetch_positions: list,
                 initial_values: list, sources: list, compiles: bool = True):
        self.program = program  # what the passes made of the graph (mg.passes.explain prints it)
        self.steps = steps
        self.feed_positions = feed_positions  # one per fed tensor, in program.fed order
        self.fetch_positions = fetch_positions  # one per fetch; None for an op
        self.initial_values = initial_values
        self.sources = sources  # what each position holds: a Feed, a Node, a Constant...
        self.writes_variables = any(op.writes_variables for step in steps for op in step.node.ops)
        # the loop's own form of each step: plain tuples unpack faster than attributes
        self._loop = [(step.kernel, step.arguments, step.result, step.frees) for step in steps]
        compiles = compiles and len(steps) <= LARGEST_COMPILED
        self._runs_before_compiling = COMPILE_ON_RUN - 1 if compiles else math.inf
        self._compiled: Callable | None = None
        self._names: dict = {}  # position -> the compiled function's variable holding it
        self._line_steps: dict[int, int] = {}  # the compiled source's line -> its step

    @classmethod
    def lay_out(cls, program: Program, initial_value: Callable, compiles: bool = True) -> "Plan":
        """The plan of a compiled `program`: each source gets a position (holding
        ``initial_value(source)`` before a run: a constant's value, a VariableRef...; None
        for what the run computes or is fed), each node a step."""
        positions: dict[Any, int] = {}
        initial_values: list[Any] = []

        def position_of(source) -> int:
            if source not in positions:
                positions[source] = len(initial_values)
                initial_values.append(initial_value(source))
            return positions[source]

        feed_positions = tuple(position_of(feed) for feed in program.fed)
        wiring = []  # (node, argument positions, result position) per step
        for node in program.nodes:
            arguments = tuple(position_of(source) for source in node.arguments)
            result = position_of(node) if node.has_output else None
            wiring.append((node, arguments, result))
        fetch_positions = [None if source is None else position_of(source) for source in program.fetches]

        # a value is dropped after the last step that reads it; a fetched one is kept,
        # and so is one known before the run (a constant, a VariableRef)
        last_reader = {}
        for index, (_, arguments, result) in enumerate(wiring):
            if result is not None:
                last_reader[result] = index  # nobody reads it: drop it at once
            for position in arguments:
                if initial_values[position] is None:
                    last_reader[position] = index
        for position in fetch_positions:
            last_reader.pop(position, None)
        frees: list[list[int]] = [[] for _ in wiring]
        for position, index in last_reader.items():
            frees[index].append(position)
        steps = [Step(node.kernel, arguments, result, tuple(frees[index]), node)
                 for index, (node, arguments, result) in enumerate(wiring)]
        return cls(program, steps, feed_positions, fetch_positions, initial_values, list(positions), compiles)

    def execute(self, fed_values) -> list:
        """Runs the steps on `fed_values` (one per fed tensor, in program.fed order):
        interpreted at first, then compiled (see the module docstring)."""
        if self._compiled is None:
            if self._runs_before_compiling > 0:
                self._runs_before_compiling -= 1
                return self._interpret(fed_values)
            self._compile()
        try:
            return self._compiled(*fed_values)
        except OpError:
            raise
        except BAD_VALUE_ERRORS as error:
            index, frame = self._failing_step(error)
            step = self.steps[index]
            raise _failed(step.op, [frame.f_locals.get(self._names[p]) for p in step.arguments], error) from error

    def _interpret(self, fed_values) -> list:
        values: list[Any] = self.initial_values.copy()
        for position, value in zip(self.feed_positions, fed_values):
            values[position] = value
        index = 0
        try:
            for kernel, arguments, result, frees in self._loop:
                if len(arguments) == 1:
                    output = kernel(values[arguments[0]])
                elif len(arguments) == 2:
                    output = kernel(values[arguments[0]], values[arguments[1]])
                else:
                    output = kernel(*[values[i] for i in arguments])
                if result is not None:
                    values[result] = output
                for position in frees:
                    values[position] = None
                index += 1
        except OpError:
            raise
        except BAD_VALUE_ERRORS as error:
            step = self.steps[index]
            raise _failed(step.op, [values[i] for i in step.arguments], error) from error
        return [None if position is None else values[position] for position in self.fetch_positions]

    # --- the compiled form ---------------------------------------------------------
    @property
    def compiled(self) -> bool:
        """True once the plan runs as a compiled Python function."""
        return self._compiled is not None

    @property
    def source(self) -> str:
        """The plan as a Python function: one line per step (see the module docstring)."""
        return self._write_source()[0]

    def _compile(self) -> None:
        text, self._names, kernel_names, line_steps = self._write_source()
        outer = [(name, step.kernel) for name, step in zip(kernel_names, self.steps)]
        outer += [(self._names[p], value) for p, value in enumerate(self.initial_values) if value is not None]
        self._compiled = compile_function(text, "run", outer, f"<plan of {len(self.steps)} steps>")
        self._line_steps = {line + 1: index for line, index in line_steps.items()}  # `enclose` is line 1

    def _failing_step(self, error: Exception):
        """(step index, frame) of the compiled function's line that raised `error`."""
        traceback = error.__traceback__
        while traceback.tb_frame.f_code is not self._compiled.__code__:
            traceback = traceback.tb_next
        return self._line_steps[traceback.tb_lineno], traceback.tb_frame

    def _write_source(self) -> tuple[str, dict, list, dict]:
        """(the source of `run`, {position: its variable's name}, each step's kernel's
        name, {line number in the source: step index})."""
        names = PythonNames()
        kernel_names = [names.new(step.node.type_name) for step in self.steps]  # MatMul, MatMul_2...
        fed = {p: names.new(feed.tensor.op.name) for p, feed in zip(self.feed_positions, self.program.fed)}
        known = {p: names.new(_describe(self.sources[p])) for p, v in enumerate(self.initial_values)
                 if v is not None}
        # a computed value is named as its tensor is: 'dense/MatMul:0' -> dense_MatMul_0
        computed = {step.result: names.new(f"{step.node.name}:0") for step in self.steps if step.result is not None}
        position_names = {**known, **fed, **computed}
        lines = [f"def run({', '.join(fed.values())}):"]
        line_steps = {}
        for index, (step, kernel) in enumerate(zip(self.steps, kernel_names)):
            line = _in_line(step, self, position_names) or (
                f"{kernel}({', '.join(position_names[p] for p in step.arguments)})")
            if step.result is not None:
                line = f"{position_names[step.result]} = {line}"
            if step.frees:
                line += f"; del {', '.join(position_names[p] for p in step.frees)}"
            line_steps[len(lines) + 1] = index
            lines.append("    " + line)
        fetched = ", ".join("None" if p is None else position_names[p] for p in self.fetch_positions)
        lines.append(f"    return [{fetched}]")
        return "\n".join(lines), position_names, kernel_names, line_steps


def _in_line(step: Step, plan: Plan, names: dict) -> str | None:
    """The expression for a step so simple that calling its kernel would cost more than its
    work: a part of a fused step's tuple is indexed (``whole[1]``), a variable's read asks
    the VariableRef itself (``ref.read()``, all that ``Read``'s kernel does). None for every
    other step: it calls its kernel."""
    if type(step.kernel) is operator.itemgetter:
        _, items = step.kernel.__reduce__()  # (itemgetter, (1,)): the index it was made with
        if len(items) == 1 and type(items[0]) is int:
            return f"{names[step.arguments[0]]}[{items[0]}]"
    if _reads_variable(step, plan):
        return f"{names[step.arguments[0]]}.read()"
    return None


def _reads_variable(step: Step, plan: Plan) -> bool:
    """True for a plain read of a variable (``Read``'s own kernel on a VariableRef)."""
    return (type(step.node.op) is Read and not step.node.fused and step.kernel == step.node.op.forward
            and type(plan.initial_values[step.arguments[0]]) is VariableRef)


def compile_function(text: str, name: str, outer: list, filename: str) -> Callable:
    """The function `name` defined by the source `text`, compiled, with each (name, value)
    of `outer` as a variable of an enclosing function: a closure reads them as fast as its
    own locals, and nothing is looked up in a module's namespace while it runs. The
    enclosing function's first line comes first, so line n + 1 of the result is line n
    of `text`."""
    wrapped = (f"def enclose({', '.join(variable for variable, _ in outer)}):\n"
               + "".join(f"    {line}\n" for line in text.splitlines()) + f"    return {name}\n")
    namespace: dict = {}
    exec(compile(wrapped, filename, "exec"), namespace)  # noqa: S102
    return namespace["enclose"](*[value for _, value in outer])


def _describe(source) -> str:
    """A name for a value known before the run: 'const dense/Const', 'ref dense/kernel'."""
    return source.describe().replace("&", "ref ").replace("state of", "state")


class PythonNames:
    """Python names made from op and tensor names: 'dense/MatMul:0' -> 'dense_MatMul_0',
    each used once ('MatMul', then 'MatMul_2'...)."""

    def __init__(self):
        self.used: set[str] = {"run", "enclose"}
        self.counts: dict[str, int] = {}  # base -> the suffix it had last

    def new(self, text: str) -> str:
        base = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_") or "value"  # ASCII: Python folds some letters
        if base[0].isdigit() or keyword.iskeyword(base):
            base = "_" + base
        name, count = base, self.counts.get(base, 1)
        while name in self.used:
            count += 1
            name = f"{base}_{count}"
        self.counts[base] = count
        self.used.add(name)
        return name


def _failed(op: Operation, arguments: list, error: Exception) -> InvalidArgumentError:
    shapes = ", ".join(str(np.shape(a)) for a in arguments if isinstance(a, np.ndarray))
    return InvalidArgumentError(f"{op.type_name} '{op.name}' failed on inputs of shape {shapes}: {error}", op=op)

