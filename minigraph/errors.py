"""The errors a graph raises, under TensorFlow's names (``mg.errors.InvalidArgumentError``).

TF1 raises an ``OpError`` subclass when running a graph fails, and so does minigraph:

- ``InvalidArgumentError``: a value given to, or computed in, a run does not fit
  (a feed of the wrong shape, a matmul of matrices that don't line up at run time);
- ``FailedPreconditionError``: the graph is fine but the session isn't ready for it
  (a variable read before it was given a value).

Each keeps the Python base class a student would reach for first (``ValueError``,
``RuntimeError``), so ``except ValueError`` works too. Mistakes found while *building*
a graph (adding tensors of two shapes that can't broadcast) raise plain ``ValueError``
or ``TypeError`` at once, as TF does, and never reach a session.
"""

from __future__ import annotations


class OpError(Exception):
    """Running an op failed. ``op`` is the operation that failed, when one is known."""

    def __init__(self, message: str, op=None):
        super().__init__(message)
        self.message = message
        self.op = op


class InvalidArgumentError(OpError, ValueError):
    """A value given to, or computed in, a run does not fit (TF's error of that name)."""


class FailedPreconditionError(OpError, RuntimeError):
    """A variable was read before it was given a value (TF's error of that name)."""
