"""The walk that writes ONNX (see the package docstring), and one rule per op type.

A rule gets the op, the ONNX names of its inputs, and the ``_Model`` being written;
it adds nodes whose last output is named after the op, so the ops that read it find it.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from minigraph import dtypes
from minigraph.atomic_files import write_atomically
from minigraph.graph import Tensor, walk
from minigraph.graph_def import unused_name

OPSET = 18


class _Model:
    """The nodes and initializers written so far, with names no other value has."""

    def __init__(self):
        import onnx.helper
        import onnx.numpy_helper

        self.helper, self.numpy_helper = onnx.helper, onnx.numpy_helper
        self.nodes: list = []
        self.initializers: list = []
        self.taken: set[str] = set()

    def name(self, wanted: str) -> str:
        return unused_name(wanted, self.taken)

    def const(self, wanted: str, value, dtype=None) -> str:
        array = np.asarray(value, dtype=dtype)
        name = self.name(wanted)
        self.initializers.append(self.numpy_helper.from_array(array, name))
        return name

    def pieces(self, op_type: str, inputs: list[str], op, count: int, **attributes) -> str:
        """A node with `count` outputs (Split) of which `op` is piece `op.attrs['index']`: the
        others get names of their own and are left unread."""
        index = op.attrs["index"]
        outputs = [self.name(f"{op.name}/{op_type}:{i}") for i in range(count)]
        self.nodes.append(self.helper.make_node(op_type, inputs, outputs, name=self.name(f"{op.name}/{op_type}"),
                                                **attributes))
        return outputs[index]

    def node(self, op_type: str, inputs: list[str], output: str, **attributes) -> str:
        """One node; `output` is its output's name (taken as it is when it is an op's name)."""
        output = output if output not in self.taken else self.name(output)
        self.taken.add(output)
        self.nodes.append(self.helper.make_node(op_type, inputs, [output], name=output, **attributes))
        return output


def export(session, outputs, path: str | None = None, inputs=None, opset: int = OPSET):
    """Writes the graph that computes `outputs` (a tensor or a list) to `path` as an ONNX
    model and returns it (an ``onnx.ModelProto``, checked by ``onnx.checker``).

    `inputs`: the tensors the model is fed (default: the placeholders `outputs` need);
    each is named after its op ('dense_input'). Variables take their values in `session`.
    """
    import onnx

    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    needed_by_outputs = walk([t.op for t in outputs], lambda op: [t.op for t in op.inputs])
    if inputs is None:
        inputs = sorted((op.outputs[0] for op in needed_by_outputs if op.type_name == "Placeholder"),
                        key=lambda t: t.op.index)
    input_ops = {t.op for t in inputs}
    needed = walk([t.op for t in outputs], lambda op: [] if op in input_ops else [t.op for t in op.inputs])
    order = sorted(needed, key=lambda op: op.index)  # creation order is a topological order
    variables = [op for op in order if op.type_name == "VariableV2"]
    values = dict(zip(variables, session.run([op.outputs[0] for op in variables]))) if variables else {}

    model = _Model()
    model.taken.update(op.name for op in order)
    stored: dict[str, np.ndarray] = {}  # variables' and constants' values, by name
    for op in order:
        if op in input_ops:
            continue
        if op in values or op.type_name == "Const":
            stored[op.name] = np.asarray(values[op] if op in values else op.attrs["value"])
            continue
        if op.type_name == "Placeholder":
            raise ValueError(f"{op.outputs[0]!r} is needed by the outputs but is not among the inputs {inputs}")
        rule = RULES.get(op.type_name)
        if rule is None:
            raise ValueError(f"{op.type_name} '{op.name}' has no ONNX form in minigraph.onnx (opset {opset})")
        model.taken.discard(op.name)  # the rule's last node takes the op's name
        rule(op, [t.op.name for t in op.inputs], model)

    # the initializers a node reads (a rule may read a constant's value instead, as strided_slice's begin)
    read = {name for node in model.nodes for name in node.input} | {t.op.name for t in outputs}
    model.initializers += [model.numpy_helper.from_array(value, name) for name, value in stored.items() if name in read]
    helper = model.helper
    onnx_graph = helper.make_graph(
        model.nodes, graph_name(outputs), [_value_info(helper, t, t.op.name) for t in inputs],
        [_value_info(helper, t, t.op.name) for t in outputs], model.initializers)
    proto = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="minigraph")
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        data = proto.SerializeToString()  # what onnx.save writes, but never half of it
        write_atomically(os.fspath(path), lambda file: file.write(data))
    return proto


def graph_name(outputs) -> str:
    return "minigraph: " + ", ".join(t.op.name for t in outputs)


def _value_info(helper, tensor: Tensor, name: str):
    """A graph input's or output's name, element type and shape (None dims by a symbol)."""
    from onnx.helper import np_dtype_to_tensor_dtype

    shape = None if tensor.shape is None else [d if d is not None else f"{name}_dim{i}"
                                               for i, d in enumerate(tensor.shape)]
    return helper.make_tensor_value_info(name, np_dtype_to_tensor_dtype(tensor.dtype), shape)


def _onnx_type(dtype) -> int:
    from onnx.helper import np_dtype_to_tensor_dtype

    return np_dtype_to_tensor_dtype(np.dtype(dtype))


# --- the rules --------------------------------------------------------------------------------


def _same(onnx_type: str):
    """The op's namesake: the same inputs in the same order."""
    return lambda op, x, m: m.node(onnx_type, x, op.name)


def _rank(op, position: int = 0) -> int:
    shape = op.inputs[position].shape
    if shape is None:
        raise ValueError(f"{op.type_name} '{op.name}' needs the rank of its input {position} to be known "
                         f"for ONNX, got {op.inputs[position]!r}")
    return len(shape)


def _one(op, m, position: int = 0) -> str:
    return m.const(f"{op.name}/one", 1, op.inputs[position].dtype)


def _real_div(op, x, m):
    if not dtypes.is_floating(op.inputs[0].dtype):  # integers divide to float64, as tf.truediv
        x = [m.node("Cast", [name], f"{op.name}/Cast{i}", to=_onnx_type(dtypes.float64)) for i, name in enumerate(x)]
    return m.node("Div", x, op.name)


def _matmul(op, x, m):
    flags = (op.attrs.get("transpose_a", False), op.attrs.get("transpose_b", False))
    x = [m.node("Transpose", [name], f"{op.name}/transpose_{'ab'[i]}", perm=[1, 0]) if flag else name
         for i, (name, flag) in enumerate(zip(x, flags))]
    return m.node("MatMul", x, op.name)


def _batch_matmul(op, x, m):
    flags = (op.attrs["adj_x"], op.attrs["adj_y"])
    swapped = []
    for i, (name, flag) in enumerate(zip(x, flags)):
        if flag:
            rank = _rank(op, i)
            perm = list(range(rank - 2)) + [rank - 1, rank - 2]
            name = m.node("Transpose", [name], f"{op.name}/adjoint_{'xy'[i]}", perm=perm)
        swapped.append(name)
    return m.node("MatMul", swapped, op.name)


def _reduction(onnx_type: str):
    def rule(op, x, m):
        inputs = list(x)
        if op.attrs["axis"] is not None:
            inputs.append(m.const(f"{op.name}/axes", list(np.atleast_1d(op.attrs["axis"])), np.int64))
        return m.node(onnx_type, inputs, op.name, keepdims=int(op.attrs["keepdims"]))

    return rule


def _logical_reduction(onnx_type: str):
    """reduce_any is a max over bools, reduce_all a min: ONNX reduces numbers, so through int32."""

    def rule(op, x, m):
        numbers = m.node("Cast", x, f"{op.name}/ToInt", to=_onnx_type(dtypes.int32))
        reduced = _reduction(onnx_type)(_Renamed(op, f"{op.name}/{onnx_type}"), [numbers], m)
        return m.node("Cast", [reduced], op.name, to=_onnx_type(dtypes.bool))

    return rule


class _Renamed:
    """An op seen under another name, so a rule's output can be an intermediate value."""

    def __init__(self, op, name: str):
        self._op, self.name = op, name

    def __getattr__(self, attribute):
        return getattr(self._op, attribute)


def _arg(onnx_type: str):
    def rule(op, x, m):
        index = m.node(onnx_type, x, f"{op.name}/{onnx_type}", axis=int(op.attrs["axis"]), keepdims=0)
        return m.node("Cast", [index], op.name, to=_onnx_type(op.attrs["output_type"]))

    return rule


def _nchw(onnx_type: str, **fixed):
    """Conv2D and the pools: NHWC in and out, NCHW inside (see the package docstring)."""

    def rule(op, x, m):
        a = op.attrs
        if a["data_format"] != "NHWC":
            raise ValueError(f"{op.type_name} '{op.name}': data_format {a['data_format']!r}; only NHWC is exported")
        image = m.node("Transpose", [x[0]], f"{op.name}/to_NCHW", perm=[0, 3, 1, 2])
        inputs = [image]
        attributes = {"strides": list(a["strides"][1:3]), "auto_pad": {"SAME": "SAME_UPPER", "VALID": "VALID"}[
            a["padding"]], **fixed}
        if op.type_name == "Conv2D":
            inputs.append(m.node("Transpose", [x[1]], f"{op.name}/to_OIHW", perm=[3, 2, 0, 1]))
            attributes["dilations"] = list(a["dilations"][1:3])
        else:
            attributes["kernel_shape"] = list(a["ksize"][1:3])
        result = m.node(onnx_type, inputs, f"{op.name}/{onnx_type}", **attributes)
        return m.node("Transpose", [result], op.name, perm=[0, 2, 3, 1])

    return rule


def _pack(op, x, m):
    axes = m.const(f"{op.name}/axes", [op.attrs["axis"]], np.int64)
    pieces = [m.node("Unsqueeze", [name, axes], f"{op.name}/Unsqueeze") for name in x]
    return m.node("Concat", pieces, op.name, axis=int(op.attrs["axis"]))


def _squeeze(op, x, m):
    dims = list(op.attrs["squeeze_dims"])
    axes = [m.const(f"{op.name}/axes", dims, np.int64)] if dims else []
    return m.node("Squeeze", x + axes, op.name)


def _as_int64(op, m, name: str, suffix: str) -> str:
    return m.node("Cast", [name], f"{op.name}/{suffix}", to=_onnx_type(dtypes.int64))


def _pad(op, x, m):
    # TF: paddings (rank, 2), [before, after] per axis; ONNX: all befores, then all afters
    paddings = m.node("Transpose", [_as_int64(op, m, x[1], "paddings")], f"{op.name}/befores_then_afters",
                      perm=[1, 0])
    flat = m.node("Reshape", [paddings, m.const(f"{op.name}/flat", [-1], np.int64)], f"{op.name}/pads")
    return m.node("Pad", [x[0], flat] + x[2:], op.name, mode="constant")


def _select(op, x, m):
    """TF1's where: a vector condition picks whole rows; ONNX's Where broadcasts from the
    right, so the vector is given trailing axes of size one first."""
    condition_rank, rank = _rank(op, 0), _rank(op, 1)
    condition = x[0]
    if condition_rank == 1 and rank > 1:
        axes = m.const(f"{op.name}/row_axes", list(range(1, rank)), np.int64)
        condition = m.node("Unsqueeze", [condition, axes], f"{op.name}/rows")
    return m.node("Where", [condition, x[1], x[2]], op.name)


def _cross_entropy(op, x, m):
    """-sum(labels * log_softmax(logits)) over the last axis."""
    log_p = m.node("LogSoftmax", [x[0]], f"{op.name}/LogSoftmax", axis=-1)
    products = m.node("Mul", [x[1], log_p], f"{op.name}/mul")
    axes = m.const(f"{op.name}/axes", [-1], np.int64)
    total = m.node("ReduceSum", [products, axes], f"{op.name}/sum", keepdims=0)
    return m.node("Neg", [total], op.name)


def _like(value: float):
    """ones_like, zeros_like: a tensor of x's shape and dtype."""

    def rule(op, x, m):
        from onnx import numpy_helper

        shape = m.node("Shape", x, f"{op.name}/Shape")
        fill = numpy_helper.from_array(np.array([value], dtype=op.inputs[0].dtype))
        return m.node("ConstantOfShape", [shape], op.name, value=fill)

    return rule


def _clip(op, x, m):
    dtype = op.inputs[0].dtype
    bounds = [m.const(f"{op.name}/min", op.attrs["low"], dtype), m.const(f"{op.name}/max", op.attrs["high"], dtype)]
    return m.node("Clip", x + bounds, op.name)


def _cast_to(onnx_type: str, out_type: Callable):
    def rule(op, x, m):
        result = m.node(onnx_type, x, f"{op.name}/{onnx_type}")
        return m.node("Cast", [result], op.name, to=_onnx_type(out_type(op)))

    return rule


def _split(op, x, m):
    """One piece of split(x, n): ONNX's Split makes all n; the piece is output `index`."""
    piece = m.pieces("Split", x, op, op.attrs["num_split"], axis=int(op.attrs["axis"]),
                     num_outputs=op.attrs["num_split"])
    return m.node("Identity", [piece], op.name)


def _split_v(op, x, m):
    sizes = list(op.attrs["size_splits"])
    if -1 in sizes:  # the rest of the axis: known only from the static shape
        length = op.inputs[0].shape[op.attrs["axis"]] if op.inputs[0].shape is not None else None
        if length is None:
            raise ValueError(f"SplitV '{op.name}': a size of -1 needs the length of axis {op.attrs['axis']} "
                             f"known for ONNX, got {op.inputs[0]!r}")
        sizes[sizes.index(-1)] = length - (sum(sizes) + 1)
    split = m.const(f"{op.name}/split", sizes, np.int64)
    piece = m.pieces("Split", x + [split], op, len(sizes), axis=int(op.attrs["axis"]))
    return m.node("Identity", [piece], op.name)


def _unpack(op, x, m):
    axis = int(op.attrs["axis"])
    piece = m.pieces("Split", x, op, op.attrs["num"], axis=axis, num_outputs=op.attrs["num"])
    return m.node("Squeeze", [piece, m.const(f"{op.name}/axes", [axis], np.int64)], op.name)


def _reverse(op, x, m):
    """Each axis read backwards: a Slice with step -1 from the last element past the first."""
    axes = list(np.atleast_1d(op.attrs["axis"]))
    count = len(axes)
    starts = m.const(f"{op.name}/starts", [-1] * count, np.int64)
    ends = m.const(f"{op.name}/ends", [np.iinfo(np.int64).min] * count, np.int64)
    return m.node("Slice", x + [starts, ends, m.const(f"{op.name}/axes", axes, np.int64),
                                m.const(f"{op.name}/steps", [-1] * count, np.int64)], op.name)


def _slice(op, x, m):
    """x[begin : begin + size] on each axis; a size of -1 runs to the end of its axis."""
    begin, size = _as_int64(op, m, x[1], "begin"), _as_int64(op, m, x[2], "size")
    ends = m.node("Add", [begin, size], f"{op.name}/ends")
    to_the_end = m.node("Equal", [size, m.const(f"{op.name}/minus_one", -1, np.int64)], f"{op.name}/to_the_end")
    last = m.const(f"{op.name}/last", np.iinfo(np.int64).max, np.int64)
    ends = m.node("Where", [to_the_end, last, ends], f"{op.name}/ends_or_last")
    return m.node("Slice", [x[0], begin, ends], op.name)


def _floor_mod(op, x, m):
    """The remainder with the divisor's sign (Python's %): ONNX's Mod does it for integers
    (fmod=0); for floats it is x - floor(x / y) * y, TF's own formula."""
    if not dtypes.is_floating(op.inputs[0].dtype):
        return m.node("Mod", x, op.name, fmod=0)
    quotient = m.node("Floor", [m.node("Div", x, f"{op.name}/div")], f"{op.name}/floor")
    return m.node("Sub", [x[0], m.node("Mul", [quotient, x[1]], f"{op.name}/mul")], op.name)


def _floor_div(op, x, m):
    """floor(x / y); for integers (x - x mod y) / y, which ONNX's truncating Div makes exact."""
    if dtypes.is_floating(op.inputs[0].dtype):
        return m.node("Floor", [m.node("Div", x, f"{op.name}/div")], op.name)
    remainder = m.node("Mod", x, f"{op.name}/mod", fmod=0)
    return m.node("Div", [m.node("Sub", [x[0], remainder], f"{op.name}/sub"), x[1]], op.name)


def _constant_input(op, position: int) -> np.ndarray:
    source = op.inputs[position].op
    if source.type_name != "Const":
        raise ValueError(f"{op.type_name} '{op.name}': its input '{op.input_name(position)}' must be a constant "
                         f"for ONNX, got {op.inputs[position]!r}")
    return source.attrs["value"]


def _strided_slice(op, x, m):
    """x[...] as ONNX: one Slice over the sliced axes, a Squeeze of the indexed ones (x[2]),
    an Unsqueeze for each None. The masks say which entry is which (see ops/slicing.py)."""
    begin, end, strides = (_constant_input(op, i).tolist() for i in (1, 2, 3))

    def bit(mask: str, i: int) -> bool:
        return bool(op.attrs[mask] >> i & 1)

    rank = _rank(op)
    plain = sum(1 for i in range(len(begin)) if not bit("new_axis_mask", i) and not bit("ellipsis_mask", i))
    first, last = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    starts, ends, axes, steps, squeezed, new_axes = [], [], [], [], [], []
    axis = position = 0  # the input axis an entry reads, the output axis it makes
    for i in range(len(begin)):
        if bit("ellipsis_mask", i):
            covered = rank - plain
            axis, position = axis + covered, position + covered
        elif bit("new_axis_mask", i):
            new_axes.append(position)
            position += 1
        else:
            step = strides[i]
            start = (0 if step > 0 else -1) if bit("begin_mask", i) else begin[i]
            stop = (last if step > 0 else first) if bit("end_mask", i) else end[i]
            if bit("shrink_axis_mask", i):  # x[k]: the one element k, then the axis goes
                stop, step = (last if start == -1 else start + 1), 1
                squeezed.append(axis)
            else:
                position += 1
            for values, value in ((starts, start), (ends, stop), (axes, axis), (steps, step)):
                values.append(value)
            axis += 1
    result = x[0]
    if axes:
        result = m.node("Slice", [result] + [m.const(f"{op.name}/{what}", values, np.int64) for what, values in
                                             (("starts", starts), ("ends", ends), ("axes", axes), ("steps", steps))],
                        f"{op.name}/Slice")
    if squeezed:
        result = m.node("Squeeze", [result, m.const(f"{op.name}/squeezed", squeezed, np.int64)], f"{op.name}/Squeeze")
    if new_axes:
        result = m.node("Unsqueeze", [result, m.const(f"{op.name}/new_axes", new_axes, np.int64)],
                        f"{op.name}/Unsqueeze")
    return m.node("Identity", [result], op.name)


def _one_hot(op, x, m):
    """ONNX's OneHot counts a negative index from the end, where TF's gives a row of off_value:
    negative indices become `depth`, out of range in both, so off_value everywhere."""
    indices, depth, on, off = x
    negative = m.node("Less", [indices, m.const(f"{op.name}/zero", 0, op.inputs[0].dtype)], f"{op.name}/negative")
    depth_as_index = m.node("Cast", [depth], f"{op.name}/depth_as_index", to=_onnx_type(op.inputs[0].dtype))
    indices = m.node("Where", [negative, depth_as_index, indices], f"{op.name}/indices")
    row = m.const(f"{op.name}/row", [1], np.int64)
    values = m.node("Concat", [m.node("Reshape", [off, row], f"{op.name}/off"),
                               m.node("Reshape", [on, row], f"{op.name}/on")], f"{op.name}/values", axis=0)
    axis = -1 if op.attrs["axis"] is None else int(op.attrs["axis"])
    return m.node("OneHot", [indices, depth, values], op.name, axis=axis)


def _sparse_cross_entropy(op, x, m):
    """-log_softmax(logits)[label] along the last axis."""
    log_p = m.node("LogSoftmax", [x[0]], f"{op.name}/LogSoftmax", axis=-1)
    last = m.const(f"{op.name}/last_axis", [-1], np.int64)
    labels = m.node("Unsqueeze", [_as_int64(op, m, x[1], "labels"), last], f"{op.name}/labels_column")
    picked = m.node("GatherElements", [log_p, labels], f"{op.name}/picked", axis=-1)
    return m.node("Neg", [m.node("Squeeze", [picked, last], f"{op.name}/squeezed")], op.name)


RULES: dict[str, Callable] = {
    **{tf_op: _same(onnx_op) for tf_op, onnx_op in {
        "AddV2": "Add", "Sub": "Sub", "Mul": "Mul", "Neg": "Neg", "Exp": "Exp", "Log": "Log", "Sqrt": "Sqrt",
        "Abs": "Abs", "Relu": "Relu", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "Maximum": "Max", "Minimum": "Min",
        "Pow": "Pow", "Equal": "Equal", "Greater": "Greater", "Less": "Less", "GreaterEqual": "GreaterOrEqual",
        "LessEqual": "LessOrEqual", "LogicalAnd": "And", "LogicalOr": "Or", "LogicalNot": "Not",
        "Floor": "Floor", "Ceil": "Ceil", "Round": "Round", "Sign": "Sign", "Reciprocal": "Reciprocal",
        "Identity": "Identity", "StopGradient": "Identity", "CheckNumerics": "Identity",
        "PlaceholderWithDefault": "Identity",  # its default: what a model sees when nothing is fed
        "AddN": "Sum", "SelectV2": "Where", "BiasAdd": "Add",  # NHWC: the bias runs along the last axis
    }.items()},  # fmt: skip
    "Square": lambda op, x, m: m.node("Mul", [x[0], x[0]], op.name),
    "Softmax": lambda op, x, m: m.node("Softmax", x, op.name, axis=-1),
    "LogSoftmax": lambda op, x, m: m.node("LogSoftmax", x, op.name, axis=-1),
    "Log1p": lambda op, x, m: m.node("Log", [m.node("Add", [x[0], _one(op, m)], f"{op.name}/add")], op.name),
    "Expm1": lambda op, x, m: m.node("Sub", [m.node("Exp", x, f"{op.name}/Exp"), _one(op, m)], op.name),
    "NotEqual": lambda op, x, m: m.node("Not", [m.node("Equal", x, f"{op.name}/Equal")], op.name),
    "RealDiv": _real_div,
    "MatMul": _matmul,
    "BatchMatMulV2": _batch_matmul,
    "Cast": lambda op, x, m: m.node("Cast", x, op.name, to=_onnx_type(op.attrs["dtype"])),
    "Sum": _reduction("ReduceSum"), "Mean": _reduction("ReduceMean"), "Max": _reduction("ReduceMax"),
    "Min": _reduction("ReduceMin"), "Prod": _reduction("ReduceProd"),
    "Any": _logical_reduction("ReduceMax"), "All": _logical_reduction("ReduceMin"),
    "ArgMax": _arg("ArgMax"), "ArgMin": _arg("ArgMin"),
    "Reshape": lambda op, x, m: m.node("Reshape", x + [m.const(f"{op.name}/shape", list(op.attrs["numpy_shape"]),
                                                               np.int64)], op.name),
    "Transpose": lambda op, x, m: m.node("Transpose", x, op.name, perm=list(
        op.attrs["perm"] if op.attrs["perm"] is not None else range(_rank(op))[::-1])),
    "ConcatV2": lambda op, x, m: m.node("Concat", x, op.name, axis=int(op.attrs["axis"])),
    "Pack": _pack,
    "ExpandDims": lambda op, x, m: m.node("Unsqueeze", x + [m.const(f"{op.name}/axes", [op.attrs["dim"]], np.int64)],
                                          op.name),
    "Squeeze": _squeeze,
    "Tile": lambda op, x, m: m.node("Tile", [x[0], _as_int64(op, m, x[1], "repeats")], op.name),
    "Pad": _pad,
    "PadV2": _pad,
    "GatherV2": lambda op, x, m: m.node("Gather", x, op.name, axis=int(op.attrs["axis"])),
    "Select": _select,
    "ClipByValue": _clip,
    "OnesLike": _like(1), "ZerosLike": _like(0),
    "Shape": _cast_to("Shape", lambda op: op.output.dtype),
    "Size": _cast_to("Size", lambda op: op.output.dtype),
    "L2Loss": lambda op, x, m: m.node("Mul", [m.node("ReduceSumSquare", x, f"{op.name}/sum", keepdims=0),
                                              m.const(f"{op.name}/half", 0.5, op.inputs[0].dtype)], op.name),
    "SoftmaxCrossEntropyWithLogits": _cross_entropy,
    "SparseSoftmaxCrossEntropyWithLogits": _sparse_cross_entropy,
    "OneHot": _one_hot,
    "Split": _split, "SplitV": _split_v, "Unpack": _unpack,
    "ReverseV2": _reverse,
    "Slice": _slice,
    "StridedSlice": _strided_slice,
    "FloorMod": _floor_mod, "FloorDiv": _floor_div,
    "Conv2D": _nchw("Conv"),
    "MaxPool": _nchw("MaxPool"),
    "AvgPool": _nchw("AveragePool", count_include_pad=0),  # TF averages over the pixels inside the image
}
