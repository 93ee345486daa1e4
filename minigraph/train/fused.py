"""Multi-tensor Adam: one kernel updates every variable, on flat buffers.

An ``ApplyKerasAdam`` step on a (128,)-vector is about a dozen numpy calls, and each
call costs microseconds before it touches a number: for small variables the update
is nearly all overhead, paid once per variable. The fused kernel pays it once for
all of them. It keeps every variable's weights, ``m`` and ``v`` side by side in
three flat buffers, and each term of Adam is one numpy call over the whole buffer:

    flat g = [g_kernel | g_bias | g_kernel_1 | g_bias_1]       (one copy)
    m := m + (g - m)(1 - beta1)      v := v + (g^2 - v)(1 - beta2)
    w := w - alpha m / (sqrt(v) + epsilon)                      (one call per term)

Each variable's new value is then a *view* of its piece of the new flat buffer
(reshaped to the variable's shape), written to the session's store as any update
writes. On the next step, if the store still holds exactly those views, the flat
buffer is used as it is; if anything else wrote a variable in between (``set_weights``,
an ``assign``), the pieces are concatenated afresh. Nothing is changed in place:
each step makes new buffers, so a value fetched earlier keeps its numbers.

The numbers are the unfused kernels', bit for bit: every term is an elementwise
IEEE operation (+, -, *, /, sqrt, each correctly rounded) on the same float32
operands, and where a term is rearranged it is only by a + b = b + a, which is exact.
Where each element sits in memory does not change what is computed for it.

The compiler's remapping pass (``minigraph/passes/remapping.py``) uses it: it fuses
the ``ApplyKerasAdam`` (Keras's Adam) and ``ApplyAdam`` (TF1's AdamOptimizer) nodes
of one training step that share their step count, learning rate and
hyper-parameters. The graph keeps one update node per variable, as TF's does.
"""

from __future__ import annotations

import numpy as np

from minigraph.passes import register_multi_tensor_kernel
from minigraph.train.updates import ApplyAdam, ApplyKerasAdam, tf1_number


class MultiTensorAdam:
    """The kernel of one fused step: called with the shared scalars' values, then
    (var, m, v, grad) for each member, var, m and v as VariableRefs."""

    def __init__(self, members: list, shared: int, scalars):
        self.members = members  # the graph's update ops, in order (their errors name them)
        self.shared = shared  # how many arguments come before the per-variable ones
        self.scalars = scalars  # shared values -> (beta1^t, beta2^t, 1 - beta1, 1 - beta2, lr, epsilon)
        self.dtype = members[0].inputs[0].dtype
        self.shapes = [tuple(op.inputs[0].shape) for op in members]
        ends = np.cumsum([int(np.prod(shape, dtype=np.int64)) for shape in self.shapes]).tolist()
        self.pieces = [slice(start, end) for start, end in zip([0] + ends[:-1], ends)]
        self.gradients = np.empty(ends[-1], dtype=self.dtype)  # reused: it never leaves the kernel
        self.gradient_pieces = [self.gradients[piece].reshape(shape) for piece, shape in zip(self.pieces, self.shapes)]
        self.written: dict[int, tuple] = {}  # 0, 1, 2 (var, m, v) -> (flat buffer, the views written)

    def __call__(self, *arguments):
        shared, rest = arguments[:self.shared], arguments[self.shared:]
        refs = rest[0::4], rest[1::4], rest[2::4]  # vars, ms, vs
        for op, var, grad, shape, piece in zip(self.members, refs[0], rest[3::4], self.shapes, self.gradient_pieces):
            if grad.shape != shape:
                op.check_gradient(var, grad)  # raises, naming the update and the variable
            piece[...] = grad  # every shape is checked before anything is computed
        w, m, v = (self._flat(kind, kind_refs) for kind, kind_refs in enumerate(refs))
        beta1_power, beta2_power, one_minus_beta1, one_minus_beta2, lr, epsilon = self.scalars(*shared)
        cast, g = self.dtype.type, self.gradients
        alpha = lr * np.sqrt(cast(1) - beta2_power) / (cast(1) - beta1_power)
        new_m = g - m  # m + (g - m)(1 - beta1), term by term, in new buffers
        new_m *= one_minus_beta1
        new_m += m
        new_v = np.square(g)  # v + (g^2 - v)(1 - beta2)
        new_v -= v
        new_v *= one_minus_beta2
        new_v += v
        denominator = np.sqrt(new_v)
        denominator += epsilon
        new_w = new_m * alpha  # w - (m alpha) / (sqrt(v) + epsilon)
        new_w /= denominator
        np.subtract(w, new_w, out=new_w)
        for kind, flat in enumerate((new_w, new_m, new_v)):
            self._write(kind, refs[kind], flat)

    def _flat(self, kind: int, refs) -> np.ndarray:
        """The current values of `refs` as one flat buffer: last step's, if nothing wrote since."""
        values = [ref.read() for ref in refs]
        last = self.written.get(kind)
        if last is not None and all(value is view for value, view in zip(values, last[1])):
            return last[0]
        return np.concatenate([np.asarray(value, dtype=self.dtype).ravel() for value in values])

    def _write(self, kind: int, refs, flat: np.ndarray) -> None:
        views = [flat[piece].reshape(shape) for piece, shape in zip(self.pieces, self.shapes)]
        for ref, view in zip(refs, views):
            ref.write(view)
        self.written[kind] = (flat, views)


def _id(source) -> int:
    return id(source)


def _keras_group(node):
    """Keras's Adam: same step count, learning rate, dtype and hyper-parameters."""
    var, m, v, iterations, lr, grad = node.arguments
    attrs = node.op.attrs
    return (node.op.inputs[0].dtype.str, attrs["beta1"], attrs["beta2"], attrs["epsilon"], _id(iterations), _id(lr))


def _fuse_keras(nodes):
    first = nodes[0].op
    cast = first.inputs[0].dtype.type
    beta1, beta2, epsilon = (first.attrs[key] for key in ("beta1", "beta2", "epsilon"))

    def scalars(iterations, lr):  # as ApplyKerasAdam.forward computes them
        t = cast(iterations + 1)
        return (np.power(cast(beta1), t), np.power(cast(beta2), t), cast(1 - beta1), cast(1 - beta2), lr,
                cast(epsilon))

    _, _, _, iterations, lr, _ = nodes[0].arguments
    arguments = [iterations, lr]
    for node in nodes:
        var, m, v, _, _, grad = node.arguments
        arguments += [var, m, v, grad]
    return MultiTensorAdam([n.op for n in nodes], 2, scalars), arguments


def _tf1_group(node):
    """TF1's Adam: same beta powers, learning rate, dtype and hyper-parameters."""
    var, m, v, beta1_power, beta2_power, lr, grad = node.arguments
    attrs = node.op.attrs
    return (node.op.inputs[0].dtype.str, attrs["beta1"], attrs["beta2"], attrs["epsilon"],
            _id(beta1_power), _id(beta2_power), _id(lr))


def _fuse_tf1(nodes):
    first = nodes[0].op
    dtype = first.inputs[0].dtype
    beta1, beta2, epsilon = (tf1_number(first.attrs[key], dtype) for key in ("beta1", "beta2", "epsilon"))
    one = dtype.type(1)

    def scalars(beta1_power, beta2_power, lr):  # as ApplyAdam.forward computes them
        return dtype.type(beta1_power), dtype.type(beta2_power), one - beta1, one - beta2, lr, epsilon

    arguments = list(nodes[0].arguments[3:6])
    for node in nodes:
        var, m, v, _, _, _, grad = node.arguments
        arguments += [var, m, v, grad]
    return MultiTensorAdam([n.op for n in nodes], 3, scalars), arguments


register_multi_tensor_kernel(ApplyKerasAdam, _keras_group, _fuse_keras, "MultiTensorKerasAdam")
register_multi_tensor_kernel(ApplyAdam, _tf1_group, _fuse_tf1, "MultiTensorAdam")
