"""``mg.train``: TF1's optimizers. ``minimize(loss)`` adds gradient and update nodes to
the graph once and returns the op that performs one training step. And the ``Saver``,
which writes a session's variables to a checkpoint and reads them back."""

from minigraph import subset as _subset
from minigraph.train.optimizer import (  # noqa: F401
    AdamOptimizer,
    GradientDescentOptimizer,
    MomentumOptimizer,
    Optimizer,
)
from minigraph.train.saver import Saver, get_checkpoint_state, latest_checkpoint  # noqa: F401

__getattr__ = _subset.missing_names(__name__, "tf.train")
