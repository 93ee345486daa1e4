"""The op library, one module per family. Each op is a class (forward, shape rule and
gradient side by side) plus the lowercase function that builds it."""

import types as _types

from minigraph.ops.array import (
    broadcast_like,
    cast,
    constant,
    convert_to_tensor,
    group,
    identity,
    no_op,
    ones_like,
    placeholder,
    placeholder_with_default,
    reshape,
    reshape_like,
    stop_gradient,
    sum_like,
    transpose,
    zeros_like,
)
from minigraph.ops.comparison import (
    greater_equal,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    not_equal,
)
from minigraph.ops.indexing import gather, newaxis, one_hot, where, where_v2
from minigraph.ops.joining import concat, split, stack, unstack
from minigraph.ops.linalg import matmul
from minigraph.ops.math import (
    add,
    add_n,
    clip_by_value,
    divide,
    equal,
    exp,
    expm1,
    greater,
    log,
    log1p,
    multiply,
    negative,
    pow,
    reciprocal,
    sqrt,
    square,
    subtract,
)
from minigraph.ops.nn import (
    log_softmax,
    relu,
    sigmoid,
    softmax,
    softmax_cross_entropy_with_logits,
    tanh,
)
from minigraph.ops.numerics import add_check_numerics_ops, check_numerics
from minigraph.ops.piecewise import (
    abs,
    ceil,
    floor,
    floor_div,
    floordiv,
    floormod,
    maximum,
    minimum,
    mod,
    round,
    sign,
)
from minigraph.ops.random import (
    multinomial,
    random_normal,
    random_shuffle,
    random_uniform,
    set_random_seed,
    truncated_normal,
)
from minigraph.ops.reduction import (
    argmax,
    argmin,
    reduce_all,
    reduce_any,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
)
from minigraph.ops.shaping import expand_dims, rank, reverse, reverse_v2, shape, size, squeeze, tile
from minigraph.ops.slicing import pad, slice, strided_slice  # noqa: A004  (tf.slice)
from minigraph.ops.state import (
    Variable,
    assign,
    assign_add,
    assign_sub,
    global_variables,
    global_variables_initializer,
    trainable_variables,
    variables_initializer,
)

# `from minigraph.ops import *` brings the op functions, not the family modules
__all__ = [name for name, value in dict(globals()).items()
           if not name.startswith("_") and not isinstance(value, _types.ModuleType)]
