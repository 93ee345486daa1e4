"""``mg.nn``: the neural-network functions, under the names ``tf.nn`` gives them."""

from minigraph import subset as _subset
from minigraph.ops.conv import (  # noqa: F401
    avg_pool,
    bias_add,
    conv2d,
    conv2d_backprop_filter,
    conv2d_backprop_input,
    max_pool,
)
from minigraph.ops.dropout import dropout  # noqa: F401
from minigraph.ops.losses import (  # noqa: F401
    in_top_k,
    l2_loss,
    l2_normalize,
    sigmoid_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits,
)
from minigraph.ops.nn import (  # noqa: F401
    log_softmax,
    relu,
    sigmoid,
    softmax,
    softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2_helper,
    tanh,
)


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=None, name=None, dim=None):
    """The cross-entropy with TF 1.13+'s signature for the _v2 name: labels first, so a
    positional call (labels, logits) reads the right way round, and gradients flow into
    the labels too (TF1's name without _v2 stops them). `dim` is axis's old name."""
    axis = dim if axis is None else axis
    return softmax_cross_entropy_with_logits_v2_helper(
        labels, logits, -1 if axis is None else axis, name or "softmax_cross_entropy_with_logits")


__getattr__ = _subset.missing_names(__name__, "tf.nn")
