"""``mg.nn``: the neural-network functions, under the names ``tf.nn`` gives them."""

from minigraph.ops.nn import (  # noqa: F401
    log_softmax,
    relu,
    sigmoid,
    softmax,
    softmax_cross_entropy_with_logits,
    tanh,
)

softmax_cross_entropy_with_logits_v2 = softmax_cross_entropy_with_logits
