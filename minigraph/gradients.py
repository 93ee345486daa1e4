"""Symbolic differentiation: ``gradients(ys, xs)`` adds the backward graph.

Reverse-mode differentiation, as TF1 does it, on graph nodes instead of numbers:

1. Find the ops that lie on a path from some x to some y (reachable backwards from
   ys *and* forwards from xs). Only they need a gradient.
2. Seed each y with ``grad_ys`` (ones by default: the gradient of sum(y)).
3. Visit those ops in reverse creation order (a reverse topological order, with no
   recursion). An op's output gradient is the sum of what its consumers sent it
   (``AddN`` when several paths meet). The op's ``gradient(grad_output)`` builds
   the gradients of its inputs out of ordinary ops.
4. Return, for each x, the sum of its gradients, or None if no path reaches it.

Because every gradient is built from ops, the result is a tensor like any other:
fetch it, draw it, or differentiate it again (a Hessian-vector product is
``gradients(gradients(y, x)[0] * v, x)``). The new nodes are named
``gradients/<op>_grad/...`` and marked as gradient nodes for drawings.
"""

from __future__ import annotations

from typing import Sequence

from minigraph import collector, dtypes
from minigraph.graph import GRADIENT, Operation, Tensor, tensor_or_none, value_producers, walk
from minigraph.ops.array import constant_like, ones_like
from minigraph.ops.math import add_n
from minigraph.shapes import format_shape, is_compatible


def _as_tensor_list(values, what: str) -> list[Tensor]:
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    if not values:
        raise ValueError(f"gradients(): {what} is empty; give at least one tensor")
    tensors = []
    for value in values:
        tensor = tensor_or_none(value)
        if tensor is None:
            raise TypeError(f"gradients(): every element of {what} must be a Tensor or Variable, got {value!r}")
        tensors.append(tensor)
    return tensors


def _ops_between(ys: list[Tensor], xs: list[Tensor]) -> set[Operation]:
    """The ops that are reached backwards from ys (through values) and forwards from xs."""
    backward = walk([y.op for y in ys], value_producers)
    consumers: dict[Operation, list[Operation]] = {}
    for op in backward:
        for producer in value_producers(op):
            consumers.setdefault(producer, []).append(op)
    return walk([x.op for x in xs if x.op in backward], lambda op: consumers.get(op, ()))


def _check_gradient(op: Operation, tensor: Tensor, gradient: Tensor) -> None:
    """Every gradient has its input's shape and dtype; a mismatch is a bug in a rule."""
    if not is_compatible(tensor.shape, gradient.shape) or gradient.dtype != tensor.dtype:
        raise AssertionError(
            f"The gradient rule of {op.type_name} '{op.name}' gave {gradient!r} for input {tensor!r}: "
            f"expected shape {format_shape(tensor.shape)} and dtype {tensor.dtype.name}"
        )


@collector.paused()  # thousands of new nodes while the whole graph is alive: see collector.py
def gradients(ys, xs, grad_ys=None, name: str = "gradients") -> list[Tensor | None]:
    """d(sum of ys)/dx for each x in xs, as new graph nodes; None where x doesn't reach ys."""
    ys = _as_tensor_list(ys, "ys")
    xs = _as_tensor_list(xs, "xs")
    graph = ys[0].graph
    for t in ys + xs:
        if t.graph is not graph:
            raise ValueError(f"gradients(): {t!r} is not in the same graph as {ys[0]!r}")
    if grad_ys is None:
        grad_ys = [None] * len(ys)
    grad_ys = list(grad_ys) if isinstance(grad_ys, (list, tuple)) else [grad_ys]
    if len(grad_ys) != len(ys):
        raise ValueError(f"gradients(): {len(grad_ys)} grad_ys given for {len(ys)} ys")

    between = _ops_between(ys, xs)
    with graph.as_default(), graph.building(GRADIENT), graph.name_scope(name):
        received: dict[Tensor, list[Tensor]] = {}
        for i, (y, grad_y) in enumerate(zip(ys, grad_ys)):
            if grad_y is None:
                grad_y = ones_like(y, name=f"grad_ys_{i}")
            else:
                given = tensor_or_none(grad_y)
                grad_y = given if given is not None else constant_like(grad_y, y)
                if not is_compatible(y.shape, grad_y.shape) or grad_y.dtype != y.dtype:
                    raise ValueError(
                        f"gradients(): grad_ys[{i}] {grad_y!r} does not fit ys[{i}] {y!r}: expected "
                        f"shape {format_shape(y.shape)} and dtype {y.dtype.name}"
                    )
            received.setdefault(y, []).append(grad_y)

        for op in sorted(between, key=lambda op: op.index, reverse=True):
            if not op.outputs or op.outputs[0] not in received:
                continue
            if not any(t.op in between and dtypes.is_floating(t.dtype) for t in op.inputs):
                continue  # an x's own op, a leaf, or integer inputs: no gradient goes further
            grad_output = _sum_paths(received[op.outputs[0]])
            with graph.name_scope(f"{op.name}_grad"):
                input_grads = op.gradient(grad_output)
            for tensor, grad in zip(op.inputs, input_grads):
                if grad is None or not dtypes.is_floating(tensor.dtype) or tensor.op not in between:
                    continue
                _check_gradient(op, tensor, grad)
                grad.set_shape(tensor.shape)  # a gradient has its input's shape: say so statically
                received.setdefault(tensor, []).append(grad)

        results: list[Tensor | None] = []
        for x in xs:
            paths = received.get(x)
            results.append(_sum_paths(paths) if paths else None)
    return results


def _sum_paths(paths: Sequence[Tensor]) -> Tensor:
    """The gradients arriving at one tensor along several paths add up."""
    if len(paths) == 1:
        return paths[0]
    return add_n(paths, name="AddN")
