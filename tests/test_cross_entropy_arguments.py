"""Issue 9's bug 2: the cross-entropy's arguments are read the way TF 1.x reads them.

TF 0.x wrote ``softmax_cross_entropy_with_logits(logits, labels)``; TF 1.x swapped the
order and, so that old programs would not silently swap them, refused positional
arguments. minigraph read that old call as (labels, logits) and trained on: TF's own
0.x tutorial scored 0.68 instead of about 0.92.
"""

import numpy as np
import pytest
import tensorflow as tf

import minigraph as mg

v1 = tf.compat.v1

# TF 1.x's message (tensorflow/python/ops/nn_ops.py, _ensure_xent_args, r1.0-r1.15)
TF1_MESSAGE = "Only call `softmax_cross_entropy_with_logits` with named arguments (labels=..., logits=..., ...)"

LOGITS = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]], dtype=np.float32)
LABELS = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]], dtype=np.float32)


def test_positional_call_is_refused_with_tf1s_message(graph):
    logits, labels = mg.constant(LOGITS), mg.constant(LABELS)
    with pytest.raises(ValueError) as raised:
        mg.nn.softmax_cross_entropy_with_logits(logits, labels)
    assert str(raised.value) == TF1_MESSAGE
    with pytest.raises(ValueError, match="named arguments"):
        mg.nn.softmax_cross_entropy_with_logits(logits, labels=labels)


def test_keyword_call_matches_tensorflow(graph):
    with tf.Graph().as_default():
        theirs = v1.Session().run(v1.nn.softmax_cross_entropy_with_logits_v2(labels=LABELS, logits=LOGITS))
    ours = mg.Session().run(mg.nn.softmax_cross_entropy_with_logits(labels=LABELS, logits=LOGITS))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_v2_takes_labels_first_as_tf_1_13_and_later(graph):
    """The _v2 name's signature is (labels, logits, axis=None, name=None, dim=None) from
    TF 1.13 on (tf.compat.v1 today): a positional call is labels first, and correct."""
    with tf.Graph().as_default():
        theirs = v1.Session().run(v1.nn.softmax_cross_entropy_with_logits_v2(LABELS, LOGITS))
    ours = mg.Session().run(mg.nn.softmax_cross_entropy_with_logits_v2(LABELS, LOGITS))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert mg.nn.softmax_cross_entropy_with_logits_v2(LABELS, LOGITS, dim=-1).shape == (2,)


def test_only_the_last_axis_is_supported(graph):
    with pytest.raises(NotImplementedError, match="dim=-1 only, got 0"):
        mg.nn.softmax_cross_entropy_with_logits(labels=LABELS, logits=LOGITS, dim=0)
