"""``mg.train``: TF1's optimizers. ``minimize(loss)`` adds gradient and update nodes to
the graph once and returns the op that performs one training step."""

from minigraph.train.optimizer import (  # noqa: F401
    AdamOptimizer,
    GradientDescentOptimizer,
    MomentumOptimizer,
    Optimizer,
)
from minigraph import subset as _subset

__getattr__ = _subset.missing_names(__name__, "tf.train")
