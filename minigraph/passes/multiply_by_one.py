"""Multiplying by one: ``x * ones_like(y)`` is ``x`` wherever the two have one shape.

Keras weighs each example's loss, ``mean(loss * sample_weight)``, and when ``fit`` is
given no weights, the weights are ``ones_like(loss)``: the default of the weights'
placeholder (``keras/training.py``). Run as written, every step would then make an
array of ones and multiply by it twice: in the loss, and in the loss's gradient
(``d(loss * w)/d loss = grad * w``). Keras 3 never does: it traces its step without
weights when none are given. This pass gets the same plan from the one graph.

**Why the value is the same, bit for bit.** IEEE 754 multiplication by 1 is exact:
``x * 1`` is ``x`` for every float (-0.0, inf, NaN and subnormal numbers included;
only a signalling NaN would come out quiet, and numpy makes none) and every integer.
So the one thing the multiplication can change is the *shape*: ``x * ones_like(y)``
has the shape x and y broadcast to, which is x's only when y's shape fits in it. The
pass drops the step where that holds:

- **known before the run**: y's run-time shape is x's, because y is x, or both come
  from one tensor's shape through ops that keep it: ``ones_like(t)``, ``zeros_like(t)``
  and ``broadcast_like(g, t)`` have t's shape, and an elementwise op of t and a scalar
  (a value of static shape ``()``) has t's. That is the case of the loss
  (``loss * ones_like(loss)``) and of its gradient
  (``(broadcast_like(g, loss) / n) * ones_like(loss)``): both steps go, and the
  ``ones_like`` with them (``pruning``). Two fully known, equal static shapes prove it too.
  The gradient of the multiplication also sums its result back to the loss's shape
  (``sum_like``, which undoes broadcasting: see ``gradients.py``); where the pass knows
  the shapes are one, that step goes as well (its kernel would only hand its input on).
- **checked at run time** otherwise (a weighted metric's ``values * ones_like(loss)``):
  the step compares the two shapes and hands x on when they are equal; when they are
  not, it makes the ones and multiplies, as the graph says, so numpy broadcasts, or
  raises its own error about the Mul's shapes, exactly as the plain plan would.

Only a ``Mul`` whose value has x's dtype is rewritten (a product always has its
inputs' one dtype in minigraph; the check is cheap insurance), of floats or integers
(complex numbers are not: ``(a + bi) * 1`` computes ``b * 0``, NaN for an infinite b).
TensorFlow's Grappler does this in its constant folding: ``x * ones_like(y)`` becomes
x when the shapes are "symbolically equal" (``IsOnes``, ``ShapesSymbolicallyEqual``).
"""

from __future__ import annotations

from minigraph.ops.array import BroadcastLike, OnesLike, SumLike, ZerosLike
from minigraph.ops.math import Add, Divide, Multiply, Subtract
from minigraph.passes.program import Node, Program, replace_sources, rewire

SHAPE_OF_ARGUMENT = {OnesLike: 0, ZerosLike: 0, BroadcastLike: 1}  # op -> the argument whose shape it has
ELEMENTWISE = (Multiply, Add, Subtract, Divide)


def multiply_by_one(program: Program) -> Program:
    replacements: dict = {}  # a dropped Mul -> x; a rewritten one -> its new step
    nodes, log = [], []
    for old in program.nodes:
        node = rewire(old, replacements)
        if _sums_to_own_shape(node):
            replacements[old] = node.arguments[0]
            log.append(f"removed SumLike {node.name}: {_name(node.arguments[0])} has the shape it sums to")
            continue
        match = _times_ones(node)
        if match is None:
            nodes.append(node)
            if node is not old:
                replacements[old] = node
            continue
        x, like, side = match
        if same_shape(x, like, node.op.inputs[1 - side], node.arguments[side].op.inputs[0]):
            replacements[old] = x
            log.append(f"removed Mul {node.name}: {_name(x)} times ones of its own shape is {_name(x)}")
        else:
            arguments = (x, like) if side == 1 else (like, x)  # in the Mul's order, as its errors name them
            new = Node(node.op, times_ones(node.kernel, node.arguments[side].kernel, side), arguments, (),
                       node.type_name, note=f"{_name(x)} itself when {_name(like)} has its shape")
            replacements[old] = new
            nodes.append(new)
            log.append(f"Mul {node.name}: by ones, so {_name(x)} itself when the shapes agree (checked each run)")
    fetches, roots = replace_sources(program, replacements)
    return program.rewritten(nodes, fetches, roots, log)


def _times_ones(node: Node):
    """(x, y, the side of the ones) when `node` is ``x * ones_like(y)`` or ``ones_like(y) * x``
    in a dtype where multiplying by one changes no value."""
    op = node.op
    if type(op) is not Multiply or node.fused or node.after or op.outputs[0].dtype.kind not in "fiu":
        return None
    for side in (1, 0):
        ones = node.arguments[side]
        if (isinstance(ones, Node) and type(ones.op) is OnesLike and not ones.fused and not ones.after
                and op.inputs[1 - side].dtype == op.outputs[0].dtype):
            return node.arguments[1 - side], ones.arguments[0], side
    return None


def _sums_to_own_shape(node: Node) -> bool:
    """True for ``sum_like(x, y)`` where x is sure to have y's shape: its kernel would hand x on."""
    op = node.op
    return (type(op) is SumLike and not node.fused and not node.after and not op.attrs["axes"]
            and same_shape(*node.arguments, *op.inputs))


def same_shape(x, y, x_tensor, y_tensor) -> bool:
    """True when sources `x` and `y` (of graph tensors `x_tensor`, `y_tensor`) are sure to
    have one shape in every run: they come from one source's shape, or both static
    shapes are fully known and equal."""
    if shape_origin(x) is shape_origin(y):
        return True
    known = x_tensor.shape is not None and None not in x_tensor.shape
    return known and x_tensor.shape == y_tensor.shape


def shape_origin(source):
    """The source whose run-time shape `source` is sure to have: itself, or, through ops
    that keep a shape (see the module docstring), the source they took it from."""
    while isinstance(source, Node) and not source.fused:
        kind = type(source.op)
        if kind in SHAPE_OF_ARGUMENT:
            source = source.arguments[SHAPE_OF_ARGUMENT[kind]]
        elif kind in ELEMENTWISE and len(source.arguments) == 2:
            scalars = [tensor.shape == () for tensor in source.op.inputs]
            if scalars == [False, True]:  # t op scalar, and scalar op t, have t's shape
                source = source.arguments[0]
            elif scalars == [True, False]:
                source = source.arguments[1]
            else:
                break
        else:
            break
    return source


def times_ones(multiply, make_ones, side: int):
    """The kernel of ``x * ones_like(like)``, called with (x, like); for `side` 0, of
    ``ones_like(like) * x``, called with (like, x). x itself where the shapes agree, else
    the graph's two ops."""
    if side == 1:
        def kernel(x, like):
            return x if x.shape == like.shape else multiply(x, make_ones(like))
    else:
        def kernel(like, x):
            return x if x.shape == like.shape else multiply(make_ones(like), x)
    return kernel


def _name(source) -> str:
    return source.name if isinstance(source, Node) else source.describe()
