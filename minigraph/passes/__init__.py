"""``mg.passes``: the graph compiler. A plan is rewritten before it runs.

A static graph is known before its first run: that is why TF1 and XLA can be fast.
When a session makes the plan for a run (the ops the fetches need, in order: see
``program.py``), it hands the plan to these passes, one after another, each a pure
function from a ``Program`` to a ``Program``, and each named after its counterpart
in TensorFlow's graph optimiser, Grappler:

    dependency_optimization       Identity and NoOp steps dropped          (dependency.py)
    constant_folding              x * ones_like(y) is x, shapes agreeing,   (multiply_by_one.py)
                                  values known in advance computed once     (constant_folding.py)
    common_subgraph_elimination   a value computed twice computed once      (common_subgraph.py)
    arithmetic_optimization       a Transpose folded into MatMul's flags,   (arithmetic.py)
                                  broadcasts made late                      (broadcasts.py)
    remapping                     MatMul + bias + Relu in one kernel,       (fused_matmul.py)
                                  a comparison cast and summed: a count,    (fused_count.py)
                                  softmax and cross-entropy: one exp,       (fused_softmax.py)
                                  small updates fused into one kernel,      (remapping.py)
                                  their gradients made in its buffer        (gradient_buffers.py)
    pruning                       steps nobody needs any more dropped       (pruning.py)

The graph is never changed: the passes rewrite the plan, so what a student built is
what ``mg.viz.draw`` shows, and ``mg.passes.explain(fetches, feed_list)`` shows what
runs instead, step by step, pass by pass. ``mg.Session(config=...)`` chooses the
passes (``config.py``); with none, the plan runs as the graph says, op by op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from minigraph import nest
from minigraph.graph import Operation, tensor_or_none
from minigraph.passes.arithmetic import arithmetic_optimization
from minigraph.passes.common_subgraph import common_subgraph_elimination
from minigraph.passes.config import (
    ConfigProto,
    GraphOptions,
    OptimizerOptions,
    RewriterConfig,
    default_config,
    plain_config,
)
from minigraph.passes.constant_folding import constant_folding
from minigraph.passes.dependency import dependency_optimization
from minigraph.passes.program import Program, build_program
from minigraph.passes.pruning import pruning
from minigraph.passes.remapping import register_multi_tensor_kernel
from minigraph.passes.remapping import remapping as remap

__all__ = ["ConfigProto", "GraphOptions", "OptimizerOptions", "RewriterConfig", "Program", "build_program",
           "compile_program", "explain", "Explanation", "plain_config", "default_config",
           "register_multi_tensor_kernel", "PASSES"]

# (switch in RewriterConfig, pass), in the order they run: folding before merging lets
# equal folded constants merge; fusing after merging fuses what is left; pruning last.
PASSES: list[tuple[str, Callable[[Program], Program]]] = [
    ("dependency_optimization", dependency_optimization),
    ("constant_folding", constant_folding),
    ("common_subgraph_elimination", common_subgraph_elimination),
    ("arithmetic_optimization", arithmetic_optimization),
    ("remapping", remap),
    ("pruning", pruning),
]


def compile_program(program: Program, config: ConfigProto | None = None, trace: list | None = None) -> Program:
    """`program` after every pass `config` turns on; each (name, program) appended to `trace`."""
    switches = (config or default_config()).graph_options.rewrite_options
    for name, run_pass in PASSES:
        if switches.enabled(name):
            program = run_pass(program)
            if trace is not None:
                trace.append((name, program))
    return program


@dataclass(frozen=True)
class Explanation:
    """The plan before the passes and after each one; ``print`` it to read them."""

    before: Program
    stages: list  # (pass name, program after it)

    @property
    def after(self) -> Program:
        return self.stages[-1][1] if self.stages else self.before

    def __str__(self) -> str:
        lines = [f"plan before the passes: {len(self.before.nodes)} steps", self.before.listing(), ""]
        for name, program in self.stages:
            lines.append(f"{name}: {len(program.nodes)} steps" + ("" if program.log else ", nothing to do"))
            lines += [f"    {line}" for line in program.log]
        lines += ["", f"plan after the passes: {len(self.after.nodes)} steps", self.after.listing()]
        return "\n".join(lines)


def explain(fetches, feed_list=(), config: ConfigProto | None = None) -> Explanation:
    """What the compiler does to the plan of ``sess.run(fetches, {t: ... for t in feed_list})``."""
    flat = []
    for fetch in nest.flatten(fetches):
        flat.append(fetch if isinstance(fetch, Operation) else tensor_or_none(fetch))
        if flat[-1] is None:
            raise TypeError(f"explain() needs tensors or operations to fetch, got {fetch!r}")
    fed = [tensor_or_none(t) for t in feed_list]
    before = build_program(flat, fed)
    stages: list = []
    compile_program(before, config, stages)
    return Explanation(before, stages)
