"""Helpers for the tests, not tests themselves (pytest collects nothing here).

- ``inputs``: input makers, rng -> float64 array, kept away from kinks and poles;
- ``op_cases``: the one table of ops (``Case``) that test_ops.py runs every check on;
- ``derivatives``: a case's value, gradients and Hessian-vector products, built
  with either library and run in a session; the numeric check of a case;
- ``tensorflow``: TensorFlow's functions under minigraph's names, and its session;
- ``parity``: the relative error against TensorFlow, and the worst one seen.

The numbers behind the gradient checks are the library's own: ``minigraph.testing``.
"""
