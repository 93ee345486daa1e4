"""The TensorFlow side of the parity tests: TF1 graph mode (``tf.compat.v1``) with
its functions under minigraph's names, so one case lambda builds both graphs."""

from __future__ import annotations

from types import SimpleNamespace

from support.derivatives import build_derivatives, run
from support.op_cases import Case


def tensorflow_lib():
    """TensorFlow's functions under minigraph's names, for Case.build."""
    import tensorflow as tf

    return SimpleNamespace(
        **{
            name: getattr(tf, name)
            for name in (
                "add subtract multiply divide negative matmul exp square sqrt pow reshape transpose add_n "
                "ones_like clip_by_value reduce_sum reduce_mean reduce_max argmax equal cast constant int32 float32"
            ).split()
        },
        log=tf.math.log,
        nn=tf.nn,
    )


def plain_session_config():
    """A session config that runs TF's kernels as the graph says, without grappler's
    rewrites (they would make the first run slow and the comparison less direct)."""
    import tensorflow as tf

    config = tf.compat.v1.ConfigProto()
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    config.graph_options.optimizer_options.opt_level = tf.compat.v1.OptimizerOptions.L0
    return config


def run_tensorflow(case: Case, xs, weights, directions, known_shapes: bool = True) -> dict:
    """The case's value, gradients and Hessian-vector products, computed by TensorFlow."""
    import tensorflow as tf

    with tf.Graph().as_default() as graph:
        lib, gradients, placeholder = tensorflow_lib(), tf.compat.v1.gradients, tf.compat.v1.placeholder
        d = build_derivatives(case, lib, gradients, placeholder, xs, weights, directions, known_shapes)
        with tf.compat.v1.Session(graph=graph, config=plain_session_config()) as session:
            return run(d, session, xs)
