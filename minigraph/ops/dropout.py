"""Dropout: during training, drop each value with probability ``rate``, scale the rest.

``mg.nn.dropout(x, keep_prob=0.5)`` keeps each element of ``x`` with probability
``keep_prob`` and sets it to 0 otherwise; a kept element is divided by
``keep_prob`` ("inverted dropout"), so the expected value of each element is ``x``
itself and the network needs no change when dropout is switched off.

TF 1.x programs name the probability to *keep* (``keep_prob``); later TF names the
probability to *drop* (``rate = 1 - keep_prob``). Both are accepted, exactly one of
them. TF1's tutorials make ``keep_prob`` a placeholder and feed 0.5 while training
and 1.0 while evaluating: with ``keep_prob`` 1 every element is kept and divided by
1, so the same graph computes the plain network.

It is not an op of its own but a small graph, the one TF builds:

    scaled = x / keep_prob
    noise  = random_uniform(noise_shape)        # U[0, 1), a fresh draw each run
    keep   = keep_prob > noise                  # True with probability keep_prob
    y      = where(keep, scaled, 0)

The mask ``keep`` is a node. A training step fetches the loss and the update in one
``run``, and within a run each node is computed once, so the gradient (which reads
``keep`` through ``where``'s gradient) drops exactly the elements the forward pass
dropped. A second ``run`` draws a new mask, as it should.

``noise_shape`` draws one mask value per row, column or channel instead of per
element: with ``x`` of shape (batch, 4), ``noise_shape=(batch, 1)`` drops whole
rows. It must broadcast to ``x``'s shape.
"""

from __future__ import annotations

import numbers

from minigraph import dtypes
from minigraph.graph import Tensor, get_default_graph, tensor_or_none
from minigraph.ops.array import constant, convert_to_tensor
from minigraph.ops.math import divide, greater, multiply, subtract, where
from minigraph.ops.random import random_uniform
from minigraph.ops.shaping import shape
from minigraph.shapes import is_compatible


def dropout(x, keep_prob=None, noise_shape=None, seed: int | None = None, name: str | None = None,
            rate=None) -> Tensor:
    """x with each element kept with probability keep_prob (= 1 - rate) and divided by
    it, or set to 0; give exactly one of keep_prob (TF 1.x) and rate."""
    if keep_prob is not None and rate is not None:
        raise ValueError("Cannot specify both 'keep_prob' and 'rate'")
    if keep_prob is None and rate is None:
        raise ValueError("You must provide a rate to dropout: rate= (the fraction to drop) "
                         "or TF 1.x's keep_prob= (the fraction to keep)")
    graph = get_default_graph() if tensor_or_none(x) is None else tensor_or_none(x).graph
    with graph.as_default(), graph.name_scope(name or "dropout"):
        x = convert_to_tensor(x, name="x")
        if not dtypes.is_floating(x.dtype):
            raise ValueError(f"dropout: x has to be a floating point tensor since it's going to be scaled. "
                             f"Got a {x.dtype.name} tensor instead: {x!r}")
        keep_prob = _keep_probability(keep_prob, rate, x)
        if keep_prob is None:  # a number that keeps everything: TF returns x itself
            return x
        if keep_prob.op.type_name == "Const":  # a number: scale by its inverse, as TF does
            scaled = multiply(x, constant(1 / keep_prob.op.attrs["value"], dtype=x.dtype))
        else:
            scaled = divide(x, keep_prob)
        noise = random_uniform(_noise_shape(noise_shape, x), dtype=x.dtype, seed=seed)
        keep = greater(keep_prob, noise)
        result = where(keep, scaled, constant(0, dtype=x.dtype))
        if not is_compatible(result.shape, x.shape):
            raise ValueError(f"dropout: noise_shape {noise_shape!r} must broadcast to the shape of "
                             f"x {x!r}, but x and the mask give shape {result.shape}")
        result.set_shape(x.shape)  # what x's shape knows and the mask's doesn't (as TF)
        return result


def _keep_probability(keep_prob, rate, x: Tensor) -> Tensor | None:
    """keep_prob as a scalar tensor of x's dtype (1 - rate when rate is given); None when
    it is the number 1, so nothing is dropped. A number out of range is refused."""
    given, name = (keep_prob, "keep_prob") if rate is None else (rate, "rate")
    tensor = tensor_or_none(given)
    if tensor is None:
        if rate is None:
            keep = _probability(keep_prob, "keep_prob", lambda p: 0 < p <= 1, "(0, 1]")
        else:
            keep = 1 - _probability(rate, "rate", lambda p: 0 <= p < 1, "[0, 1)")
        return None if keep == 1 else constant(keep, dtype=x.dtype, name="keep_prob")
    if tensor.shape not in (None, ()):
        raise ValueError(f"dropout: {name} must be a scalar tensor, got {tensor!r}")
    if tensor.dtype != x.dtype:
        raise ValueError(f"dropout: {name} {tensor!r} must have the dtype of x {x!r}")
    return tensor if rate is None else subtract(constant(1, dtype=x.dtype), tensor)


def _probability(value, name: str, inside, bounds: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not inside(value):
        raise ValueError(f"{name} must be a scalar tensor or a float in the range {bounds}, got {value!r}")
    return float(value)


def _noise_shape(noise_shape, x: Tensor):
    """The shape of the mask: x's own (at run time if need be), or `noise_shape` with
    any None filled in from x's static shape."""
    if noise_shape is None:
        return shape(x)  # mg.shape: a Const when x's shape is fully known
    if tensor_or_none(noise_shape) is not None or x.shape is None:
        return noise_shape
    dims = list(noise_shape)
    if len(dims) == len(x.shape):
        dims = [x_dim if dim is None else dim for dim, x_dim in zip(dims, x.shape)]
    if any(dim is None for dim in dims):
        raise ValueError(f"dropout: noise_shape {noise_shape!r} has a dimension unknown here "
                         f"(x is {x!r}); pass it as an int32 tensor")
    return dims
