"""Which passes a session runs: TF1's ``ConfigProto``, reduced to what minigraph has.

TF1 says it so::

    config = tf.ConfigProto(graph_options=tf.GraphOptions(
        rewrite_options=RewriterConfig(constant_folding=RewriterConfig.OFF)))
    sess = tf.Session(config=config)

and so does minigraph (``mg.ConfigProto``, ``mg.GraphOptions``,
``mg.passes.RewriterConfig``). Each field names one pass, as Grappler's optimizers
are named; ``disable_meta_optimizer=True`` turns them all off, leaving the plain
plan: the ops the fetches need, each run by its own kernel. ``GraphOptions(
optimizer_options=OptimizerOptions(global_jit_level=OptimizerOptions.OFF))`` keeps
plans from being compiled to Python functions (``minigraph/plan.py``). A shorter switch for a
whole program, or a whole test suite: the environment variable
``MINIGRAPH_GRAPH_PASSES=off`` makes that the default for every session made
without a config (so CI can run the parity tests both ways without editing them).

ConfigProto's settings about devices and threads (``allow_soft_placement``,
``intra_op_parallelism_threads``...) are accepted, as TF1 programs pass them, and
change nothing: minigraph runs on the CPU, in the calling thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

ENVIRONMENT_SWITCH = "MINIGRAPH_GRAPH_PASSES"

# ConfigProto fields TF1 programs set that mean nothing to a numpy engine
IGNORED_SETTINGS = ("allow_soft_placement", "log_device_placement", "intra_op_parallelism_threads",
                    "inter_op_parallelism_threads", "device_count", "gpu_options", "operation_timeout_in_ms",
                    "use_per_session_threads", "isolate_session_state")


@dataclass
class RewriterConfig:
    """One switch per pass (TF's names); ON and OFF read as TF's enum does."""

    ON = True
    OFF = False
    DEFAULT = True

    dependency_optimization: bool = True  # Identity and NoOp steps dropped
    constant_folding: bool = True  # and x * ones_like(y) dropped (multiply_by_one.py)
    common_subgraph_elimination: bool = True
    arithmetic_optimization: bool = True  # a Transpose folded into MatMul, broadcasts made late
    remapping: bool = True  # fused kernels (dense layers, softmax with its loss, counts, multi-tensor Adam)
    disable_model_pruning: bool = False
    disable_meta_optimizer: bool = False  # True: no pass at all

    def enabled(self, name: str) -> bool:
        """True when the pass `name` (a field name) runs."""
        if self.disable_meta_optimizer:
            return False
        if name == "pruning":
            return not self.disable_model_pruning
        return bool(getattr(self, name))


@dataclass
class OptimizerOptions:
    """TF1's switch for its JIT compiler (XLA), here the plan compiler (``minigraph/plan.py``):
    at DEFAULT (or ON_1, ON_2) a plan run twice is compiled to one Python function; at
    OFF every run walks the plan step by step."""

    OFF = -1
    DEFAULT = 0
    ON_1 = 1
    ON_2 = 2

    global_jit_level: int = DEFAULT


@dataclass
class GraphOptions:
    rewrite_options: RewriterConfig = field(default_factory=RewriterConfig)
    optimizer_options: OptimizerOptions = field(default_factory=OptimizerOptions)


class ConfigProto:
    """A session's configuration: here, its graph options (see the module docstring)."""

    def __init__(self, graph_options: GraphOptions | None = None, **settings):
        unknown = sorted(set(settings) - set(IGNORED_SETTINGS))
        if unknown:
            raise ValueError(f"ConfigProto has no field {unknown[0]!r}; minigraph knows graph_options "
                             f"(and accepts, and ignores, {', '.join(IGNORED_SETTINGS)})")
        self.graph_options = graph_options or GraphOptions()
        self.ignored = settings

    @property
    def compiles_plans(self) -> bool:
        """True unless the JIT level is OFF: then plans are only ever interpreted."""
        return self.graph_options.optimizer_options.global_jit_level != OptimizerOptions.OFF

    def __repr__(self) -> str:
        switches = self.graph_options.rewrite_options
        changed = {f.name: getattr(switches, f.name) for f in fields(switches)
                   if getattr(switches, f.name) != f.default}
        return f"ConfigProto(rewrite_options={changed or 'defaults'})"


def plain_config() -> ConfigProto:
    """A config that runs no pass and compiles no plan: each run walks the graph's own ops."""
    return ConfigProto(GraphOptions(RewriterConfig(disable_meta_optimizer=True),
                                    OptimizerOptions(global_jit_level=OptimizerOptions.OFF)))


def default_config() -> ConfigProto:
    """Every pass on, unless MINIGRAPH_GRAPH_PASSES=off (or 0, false, no) says otherwise."""
    if os.environ.get(ENVIRONMENT_SWITCH, "on").strip().lower() in ("off", "0", "false", "no"):
        return plain_config()
    return ConfigProto()
