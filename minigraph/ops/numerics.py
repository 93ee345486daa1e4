"""Catching NaN and inf where they first appear: ``check_numerics``.

A loss that turns into NaN after a few hundred steps has usually gone wrong in one
node first (a log of 0, an exp that overflowed) and spread from there. TF1's answer
is an op that passes its input through unchanged, but stops the run with an error
naming itself when the input holds a NaN or an infinity:

    y = mg.check_numerics(mg.log(p), "log of the probabilities")

``add_check_numerics_ops()`` puts one after every floating-point tensor of the
graph and groups them into one op to run with the training step. The session runs a
plan in creation order, so the check that fails first is the one after the earliest
node that produced a NaN or inf: the error names where it started, not where it ended.
"""

from __future__ import annotations

import numpy as np

from minigraph import dtypes
from minigraph.errors import InvalidArgumentError
from minigraph.graph import FORWARD, Operation, Tensor, get_default_graph
from minigraph.ops.array import convert_to_tensor, group


class CheckNumerics(Operation):
    """y = x, or an error naming this node when x holds NaN or inf."""

    type_name = "CheckNumerics"
    input_names = ("tensor",)

    def infer(self, x):
        if not dtypes.is_floating(x.dtype):
            raise self.error(f"check_numerics needs a float tensor, got {x!r}", TypeError)
        return x.shape, x.dtype

    def forward(self, x):
        finite = np.isfinite(x)
        if not finite.all():
            bad = x[~finite]
            kinds = " and ".join(kind for kind, found in (("NaN", np.isnan(bad).any()), ("Inf", np.isinf(bad).any()))
                                 if found)
            raise self.error(
                f"{self.attrs['message']} : Tensor had {kinds} values "
                f"({bad.size} of {x.size}, checking '{self.inputs[0].name}')",
                InvalidArgumentError,
            )
        return x

    def gradient(self, grad_output):
        message = "Not a number (NaN) or infinity (Inf) values detected in gradient. " + self.attrs["message"]
        return [check_numerics(grad_output, message)]

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "message": self.attrs["message"]}


def check_numerics(tensor, message: str, name: str | None = None) -> Tensor:
    """`tensor` itself, checked for NaN and inf whenever it runs."""
    return CheckNumerics(convert_to_tensor(tensor), name=name, message=str(message)).output


def add_check_numerics_ops() -> Operation:
    """One op that checks every floating-point tensor of the default graph (TF1's name)."""
    graph = get_default_graph()
    checks = [
        check_numerics(tensor, f"{tensor.name}")
        for op in list(graph.operations)
        if not isinstance(op, CheckNumerics)
        for tensor in op.outputs
        if dtypes.is_floating(tensor.dtype) and not op.ref_inputs and op.role == FORWARD
    ]
    return group(checks, name="CheckNumerics_all")
