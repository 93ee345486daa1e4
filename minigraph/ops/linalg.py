"""Matrix multiplication, the op a dense layer is made of.

``matmul(a, b)`` multiplies an (n, k) matrix by a (k, m) one. Its gradient is two
more matrix products: for c = a @ b and an upstream gradient g of shape (n, m),
dc/da contracts to g @ b^T (n, k) and dc/db to a^T @ g (k, m).

Those transposes are never computed. MatMul has two attributes, ``transpose_a`` and
``transpose_b``, that say "multiply by this input's transpose", and BLAS reads a
matrix either way round at no cost; so the gradient is two MatMuls with the right
flags and no Transpose node, as in TF (``tf.matmul(g, b, transpose_b=True)``).

MatMul is for matrices only. numpy's ``@`` would also take a vector or batch a stack of
matrices, and the gradient above would then be wrong; a batched product is another op
(TF's BatchMatMulV2). When the static rule could not decide (an input of unknown rank),
the kernel checks the values it is given.
"""

from __future__ import annotations

from minigraph.errors import InvalidArgumentError
from minigraph.graph import Operation, Tensor
from minigraph.ops.batch_matmul import batch_matmul, is_batched
from minigraph.ops.math import binary, check_numeric
from minigraph.shapes import format_shape


class MatMul(Operation):
    """c = a @ b for matrices: c_ij = sum_k a_ik b_kj."""

    type_name = "MatMul"
    input_names = ("a", "b")

    def infer(self, a, b):
        if a.dtype != b.dtype:
            raise self.error(f"MatMul of {a!r} and {b!r}: the dtypes differ", TypeError)
        check_numeric(self, a)
        # an input of unknown rank must still be a matrix (the kernel checks): (None, None)
        a_shape, b_shape = (s if s is not None else (None, None) for s in (a.shape, b.shape))
        if len(a_shape) != 2 or len(b_shape) != 2:
            raise self.error(
                f"MatMul needs two matrices, got shapes {format_shape(a.shape)} and {format_shape(b.shape)}"
            )
        if self.attrs["transpose_a"]:
            a_shape = a_shape[::-1]
        if self.attrs["transpose_b"]:
            b_shape = b_shape[::-1]
        inner_a, inner_b = a_shape[1], b_shape[0]
        if inner_a is not None and inner_b is not None and inner_a != inner_b:
            raise self.error(
                f"Dimensions must be equal, but are {inner_a} and {inner_b}: cannot multiply "
                f"shapes {format_shape(a.shape)} and {format_shape(b.shape)}{self._flags()}"
            )
        return (a_shape[0], b_shape[1]), a.dtype

    def forward(self, a, b):
        if a.ndim != 2 or b.ndim != 2:  # one test on the way in; the loop below only names the culprit
            for position, value in enumerate((a, b)):
                if value.ndim != 2:
                    raise self.error(
                        f"In[{position}] ('{self.input_names[position]}') must be a matrix (ndims == 2), got "
                        f"shape {value.shape}; a batched product is not MatMul", InvalidArgumentError,
                    )
        attrs = self.attrs
        a = a.T if attrs["transpose_a"] else a  # a view: BLAS reads it transposed
        b = b.T if attrs["transpose_b"] else b
        if a.shape[1] != b.shape[0]:
            raise self.error(
                f"Matrix size-incompatible: In[0]: {list(a.shape)}, In[1]: {list(b.shape)}{self._flags()}",
                InvalidArgumentError,
            )
        return a @ b

    def gradient(self, grad_output):
        # c = op(a) op(b), op a transpose or not; each case as TF's _MatMulGrad writes it
        a, b, g = self.inputs[0], self.inputs[1], grad_output
        flip_a, flip_b = self.attrs["transpose_a"], self.attrs["transpose_b"]
        if not flip_a and not flip_b:
            return [matmul(g, b, transpose_b=True), matmul(a, g, transpose_a=True)]
        if not flip_a and flip_b:
            return [matmul(g, b), matmul(g, a, transpose_a=True)]
        if flip_a and not flip_b:
            return [matmul(b, g, transpose_b=True), matmul(a, g)]
        return [matmul(b, g, transpose_a=True, transpose_b=True), matmul(g, a, transpose_a=True, transpose_b=True)]

    def _flags(self) -> str:
        flags = [name for name in ("transpose_a", "transpose_b") if self.attrs[name]]
        return f" (with {' and '.join(flags)})" if flags else ""

    def graph_def_attrs(self):
        return {"T": self.inputs[0].dtype, "transpose_a": self.attrs["transpose_a"],
                "transpose_b": self.attrs["transpose_b"]}


def matmul(a, b, transpose_a: bool = False, transpose_b: bool = False, adjoint_a: bool = False,
           adjoint_b: bool = False, a_is_sparse: bool = False, b_is_sparse: bool = False,
           name: str | None = None) -> Tensor:
    """Matrix product of two rank-2 tensors, or of stacks of matrices when either has rank
    > 2 (BatchMatMulV2, ops/batch_matmul.py). transpose_a/b (adjoint_a/b: the same for
    real numbers) multiply by the transpose."""
    if (transpose_a and adjoint_a) or (transpose_b and adjoint_b):
        raise ValueError("Only one of transpose_a and adjoint_a (transpose_b and adjoint_b) can be True.")
    flip_a, flip_b = transpose_a or adjoint_a, transpose_b or adjoint_b
    if is_batched(a, b):
        return batch_matmul(a, b, adj_x=flip_a, adj_y=flip_b, name=name)
    return binary(MatMul, a, b, name, transpose_a=bool(flip_a), transpose_b=bool(flip_b))
