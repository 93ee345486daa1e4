"""``mg.train``: TF1's optimizers. ``minimize(loss)`` adds gradient and update nodes to
the graph once and returns the op that performs one training step; the global step
that counts those steps, and learning rates that decay with it. And the ``Saver``,
which writes a session's variables to a checkpoint and reads them back."""

from minigraph import subset as _subset
from minigraph.graph_io import write_graph  # noqa: F401  (tf.train.write_graph)
from minigraph.train import fused as _fused  # noqa: F401  (registers multi-tensor Adam with the compiler)
from minigraph.train.global_step import create_global_step, get_global_step, get_or_create_global_step  # noqa: F401
from minigraph.train.learning_rate import exponential_decay  # noqa: F401
from minigraph.train.optimizer import (  # noqa: F401
    AdagradOptimizer,
    AdamOptimizer,
    GradientDescentOptimizer,
    MomentumOptimizer,
    Optimizer,
    RMSPropOptimizer,
)
from minigraph.train.saver import Saver, get_checkpoint_state, latest_checkpoint  # noqa: F401

__getattr__ = _subset.missing_names(__name__, "tf.train")
