"""The TensorFlow side of the parity tests: TF1 graph mode (``tf.compat.v1``) with
its functions under minigraph's names, so one case lambda builds both graphs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from support.derivatives import build_derivatives, run, run_minigraph
from support.op_cases import Case, case_arrays
from support.parity import WorstErrors, relative_error

# the settings each case is compared in: float64 and float32 with known shapes, and
# placeholders of unknown rank (every shape a gradient needs is then found at run time)
in_each_setting = pytest.mark.parametrize(
    "dtype, known_shapes",
    [("float64", True), ("float32", True), ("float64", False)],
    ids=["float64", "float32", "unknown shapes"],
)


class _WithCompatV1(SimpleNamespace):
    """A name not listed is looked up in tf.compat.v1: TF1's own signatures (where, squeeze_dims=...)."""

    def __getattr__(self, name):
        import tensorflow as tf

        return getattr(tf.compat.v1, name)


def tensorflow_lib():
    """TensorFlow's functions under minigraph's names, for Case.build."""
    import tensorflow as tf

    return _WithCompatV1(
        **{
            name: getattr(tf, name)
            for name in (
                "add subtract multiply divide negative matmul exp square sqrt pow reshape transpose add_n "
                "ones_like clip_by_value reduce_sum reduce_mean reduce_max argmax equal cast constant int32 float32"
            ).split()
        },
        log=tf.math.log,
        nn=tf.compat.v1.nn,  # TF1's signatures: keyword-only cross-entropies, keep_prob, stop_gradient(labels)
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
        # gather's gradient is an IndexedSlices in TF (rows and their indices): compare it as a dense tensor
        d.grads, d.hvps = ([tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
                           for grads in (d.grads, d.hvps))
        with tf.compat.v1.Session(graph=graph, config=plain_session_config()) as session:
            return run(d, session, xs)


def assert_matches_tensorflow(case: Case, dtype: str, known_shapes: bool, tolerance: float,
                              parity_errors: WorstErrors) -> None:
    """The case's value, gradients and Hessian-vector products, ours against TensorFlow's:
    same shapes, our dtype as asked, relative error (support/parity.py) within `tolerance`.

    A gradient must be None (disconnected) in both libraries or in neither; a missing
    Hessian-vector product counts as zeros (a linear op's second derivative is None in one
    library, zeros in the other). The case's `tensorflow_hvp_wrong` inputs are skipped.
    """
    arrays = case_arrays(case, dtype)
    ours, theirs = run_minigraph(case, *arrays, known_shapes), run_tensorflow(case, *arrays, known_shapes)

    def check(mine, reference, what):
        like = reference if reference is not None else mine
        mine = np.zeros_like(like) if mine is None else mine
        reference = np.zeros_like(like) if reference is None else reference
        assert np.shape(mine) == np.shape(reference), what
        assert mine.dtype == np.dtype(dtype), what
        error = relative_error(mine, reference)
        parity_errors.record(dtype, error, f"{case.id}: {what}")
        assert error <= tolerance, f"{what}: relative error {error:.3g}"

    check(ours["y"], theirs["y"], "value")
    for k, (mine, reference) in enumerate(zip(ours["grads"], theirs["grads"])):
        assert (mine is None) == (reference is None), f"gradient {k}: None in one library only"
        check(mine, reference, f"gradient {k}")
    for k, (mine, reference) in enumerate(zip(ours["hvps"], theirs["hvps"])):
        if k in case.tensorflow_hvp_wrong:
            continue  # the central differences check ours
        if mine is not None or reference is not None:
            check(mine, reference, f"Hessian-vector product {k}")
