"""``mg.losses``: TF 1.x's ``tf.losses``, each a per-example loss weighed and reduced to
one number (the mean over the batch by default). The functions live in
ops/reduced_losses.py, the per-example losses they reduce in ops/nn.py and ops/losses.py."""

from minigraph import subset as _subset
from minigraph.ops.reduced_losses import (  # noqa: F401
    Reduction,
    compute_weighted_loss,
    mean_squared_error,
    softmax_cross_entropy,
    sparse_softmax_cross_entropy,
)

__getattr__ = _subset.missing_names(__name__, "tf.losses")
