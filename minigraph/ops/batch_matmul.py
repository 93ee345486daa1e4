"""Batched matrix multiplication: many matrix products at once (TF's BatchMatMulV2).

A tensor of shape (b, n, k) is a stack of b matrices. ``matmul(x, y)`` of (b, n, k)
and (b, k, m) multiplies them pair by pair into (b, n, m). The leading *batch*
dimensions broadcast as in element-wise ops: (5, 1, n, k) times (3, k, m) gives
(5, 3, n, m), and a plain matrix (k, m) is used for every matrix of the stack.

``adj_x`` / ``adj_y`` multiply by the transpose of each matrix (the last two axes
swapped; the adjoint, for real numbers). ``mg.matmul(..., transpose_a=True)`` of a
stack builds this op with ``adj_x``, as TF does.

The gradient is the matrix rule of linalg.py applied to every pair, for
z = x @ y and upstream gradient g:

    dx = g @ y^T      dy = x^T @ g          (with adj_x/adj_y the transposes move)

and where an input's batch dimensions were broadcast, its gradient is summed back
over them (``sum_like``), as for any broadcasting op.
"""

from __future__ import annotations

import numpy as np

from minigraph.errors import InvalidArgumentError
from minigraph.graph import Operation, Tensor, tensor_or_none
from minigraph.ops.array import sum_like
from minigraph.ops.joining import tensors_of
from minigraph.ops.math import broadcast_shapes, check_numeric
from minigraph.shapes import format_shape


def _matrices(value, adjoint: bool):
    """Each matrix of a stack, transposed if asked (the last two axes swapped)."""
    return np.swapaxes(value, -1, -2) if adjoint else value


class BatchMatMul(Operation):
    """z[..., i, j] = sum_k x[..., i, k] y[..., k, j], batch dimensions broadcast."""

    type_name = "BatchMatMulV2"
    input_names = ("x", "y")

    def infer(self, x, y):
        if x.dtype != y.dtype:
            raise self.error(f"BatchMatMulV2 of {x!r} and {y!r}: the dtypes differ", TypeError)
        check_numeric(self, x)
        if x.shape is None or y.shape is None:
            return None, x.dtype
        for position, t in enumerate((x, y)):
            if len(t.shape) < 2:
                raise self.error(f"In[{position}] ('{self.input_names[position]}') must have rank >= 2 (a stack of "
                                 f"matrices), got {t!r}")
        n, k = x.shape[-2:][::-1] if self.attrs["adj_x"] else x.shape[-2:]
        k_y, m = y.shape[-2:][::-1] if self.attrs["adj_y"] else y.shape[-2:]
        if k is not None and k_y is not None and k != k_y:
            raise self.error(f"Dimensions must be equal, but are {k} and {k_y}: cannot multiply the matrices of "
                             f"shapes {format_shape(x.shape)} and {format_shape(y.shape)} (adj_x="
                             f"{self.attrs['adj_x']}, adj_y={self.attrs['adj_y']})")
        return broadcast_shapes(self, x.shape[:-2], y.shape[:-2]) + (n, m), x.dtype

    def forward(self, x, y):
        if x.ndim < 2 or y.ndim < 2:
            raise self.error(f"both inputs must have rank >= 2, got shapes {x.shape} and {y.shape}",
                             InvalidArgumentError)
        try:
            return np.matmul(_matrices(x, self.attrs["adj_x"]), _matrices(y, self.attrs["adj_y"]))
        except ValueError:
            raise self.error(f"cannot multiply the matrices of shapes {x.shape} and {y.shape} (adj_x="
                             f"{self.attrs['adj_x']}, adj_y={self.attrs['adj_y']})", InvalidArgumentError) from None

    def gradient(self, grad_output):
        x, y = self.inputs
        adj_x, adj_y, g = self.attrs["adj_x"], self.attrs["adj_y"], grad_output
        if not adj_x and not adj_y:
            grad_x, grad_y = batch_matmul(g, y, adj_y=True), batch_matmul(x, g, adj_x=True)
        elif not adj_x:
            grad_x, grad_y = batch_matmul(g, y), batch_matmul(g, x, adj_x=True)
        elif not adj_y:
            grad_x, grad_y = batch_matmul(y, g, adj_y=True), batch_matmul(x, g)
        else:
            grad_x, grad_y = batch_matmul(y, g, True, True), batch_matmul(g, x, True, True)
        return [sum_like(grad_x, x), sum_like(grad_y, y)]

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "adj_x": self.attrs["adj_x"], "adj_y": self.attrs["adj_y"]}


def batch_matmul(x, y, adj_x: bool = False, adj_y: bool = False, name: str | None = None) -> Tensor:
    """The products of two stacks of matrices, batch dimensions broadcast (TF's BatchMatMulV2)."""
    x, y = tensors_of([x, y], "matmul")
    return BatchMatMul(x, y, name=name or "MatMul", adj_x=bool(adj_x), adj_y=bool(adj_y)).output


def is_batched(a, b) -> bool:
    """True when either operand has rank > 2: TF1's matmul then builds BatchMatMulV2."""
    for value in (a, b):
        tensor = tensor_or_none(value)
        rank = np.ndim(value) if tensor is None else (None if tensor.shape is None else len(tensor.shape))
        if rank is not None and rank > 2:
            return True
    return False
