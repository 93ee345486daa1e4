"""``mg.import_graph_def``: a TensorFlow GraphDef, rebuilt as minigraph nodes.

The other direction from graph_util.py: a graph built (and perhaps frozen) in
TensorFlow comes into the default graph, where a student can run it, draw it and
differentiate it:

    graph_def = mg.GraphDef()
    graph_def.ParseFromString(open("model.pb", "rb").read())
    softmax, = mg.import_graph_def(graph_def, return_elements=["Softmax:0"], name="")

TF1's signature. The graph_def may be minigraph's GraphDef, any GraphDef message
(TensorFlow's, tensorboard's), its binary serialization or its text format.

Each TF node becomes the minigraph op of the same type, built by minigraph's own
functions, so every check an op makes when built (shapes, dtypes) is made again.
Where TF passes an axis, a shape or a permutation as an *input*, minigraph keeps it
as an attribute: such an input must come from a Const node, whose value is read
here (a frozen graph always has them so). A node whose op minigraph lacks is refused
by name: there is no approximate translation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np

import minigraph.nn as nn
import minigraph.ops as ops
from minigraph import dtypes
from minigraph.graph import Operation, get_default_graph
from minigraph.graph_def import GraphDef, ShapeAttr, TensorAttr, from_proto, parse_text
from minigraph.ops import creation
from minigraph.session import Session


def as_graph_def(graph_def) -> GraphDef:
    """minigraph's GraphDef of any of the forms import_graph_def takes."""
    if isinstance(graph_def, GraphDef):
        return graph_def
    if isinstance(graph_def, (bytes, bytearray)):
        result = GraphDef()
        result.ParseFromString(bytes(graph_def))
        return result
    if isinstance(graph_def, str):
        return parse_text(graph_def)
    if hasattr(graph_def, "node") and hasattr(graph_def, "SerializeToString"):  # a protobuf message
        return from_proto(graph_def)
    raise TypeError(f"import_graph_def needs a GraphDef (minigraph's, TF's, or its bytes or text), "
                    f"got {type(graph_def).__name__}")


# a GraphDef with variables needs the values from a session or a checkpoint: only a frozen one imports
_VARIABLE_OPS = {"VariableV2", "VarHandleOp", "ReadVariableOp", "AssignVariableOp", "Assign", "VarIsInitializedOp"}


class _Node:
    """One TF node while it is imported: its inputs (as tensors or Const values) and attributes."""

    def __init__(self, node_def, importer: "_Importer"):
        self.node_def = node_def
        self.name = node_def.name
        self.attr = node_def.attr
        self._importer = importer
        self.input_names = [name for name in node_def.input if not name.startswith("^")]

    def input(self, position: int):
        return self._importer.tensor(self.input_names[position])

    @property
    def inputs(self) -> list:
        return [self._importer.tensor(name) for name in self.input_names]

    def value(self, position: int) -> np.ndarray:
        """The value of input `position`, which minigraph keeps as an attribute: a Const's."""
        source = self._importer.by_name.get(self.input_names[position].split(":")[0])
        if source is not None and source.op == "Const":
            return source.attr["value"].value
        # TF's Python functions compute some shapes in the graph (Shape, Sub, Pack...): where
        # every shape they read is known, that computation needs no feed, so run it now
        tensor = self.input(position)
        try:
            return Session(tensor.graph).run(tensor)
        except Exception as error:
            found = "no node" if source is None else f"{source.op} '{source.name}'"
            raise ValueError(f"{self.node_def.op} '{self.name}': its input {position} "
                             f"('{self.input_names[position]}') must be known when the graph is built (minigraph "
                             f"keeps it as an attribute), but it comes from {found}, which needs a run: "
                             f"{error}") from None

    def axis(self, position: int):
        """An axis input as minigraph's builders take it: an int or a list of ints."""
        value = self.value(position)
        return int(value) if value.ndim == 0 else [int(v) for v in value]


class _Importer:
    def __init__(self, graph_def: GraphDef, input_map: dict):
        self.by_name = {node.name: node for node in graph_def.node}
        self.input_map = input_map
        self.built: dict[str, list] = {}  # node name -> its output tensors (or [op] for a NoOp)

    def tensor(self, input_name: str):
        if input_name in self.input_map:
            return self.input_map[input_name]
        node_name, _, index = input_name.partition(":")
        if f"{node_name}:0" in self.input_map and not index:
            return self.input_map[f"{node_name}:0"]
        outputs = self.build(node_name)
        index = int(index or 0)
        if index >= len(outputs):
            node = self.by_name[node_name]
            raise ValueError(f"{node.op} '{node_name}': output {index} has no counterpart in minigraph "
                             f"(its op has {len(outputs)} output(s) there)")
        return outputs[index]

    def build(self, name: str) -> list:
        """The node's outputs, building it (and first what it needs) if not built yet."""
        # an explicit stack of the nodes still to build, not recursion: long chains must import
        stack = [name]
        while stack:
            current = stack[-1]
            if current in self.built:
                stack.pop()
                continue
            node_def = self.by_name.get(current)
            if node_def is None:
                raise ValueError(f"The GraphDef names an input '{current}' that is not one of its nodes")
            missing = [n for n in self._needs(node_def) if n not in self.built]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            self.built[current] = self._make(node_def)
        return self.built[name]

    def _needs(self, node_def) -> list[str]:
        needed = []
        for input_name in node_def.input:
            node_name, _, index = input_name.lstrip("^").partition(":")
            mapped = input_name in self.input_map or (not index and f"{node_name}:0" in self.input_map)
            source = self.by_name.get(node_name)
            # a Const read as an attribute is never built; one read as a value is built when asked
            if not mapped and not (source is not None and source.op == "Const" and not input_name.startswith("^")):
                needed.append(node_name)
        return needed

    def _make(self, node_def) -> list:
        rule = RULES.get(node_def.op)
        if node_def.op in _VARIABLE_OPS:
            raise ValueError(f"Node '{node_def.name}' is a TensorFlow variable ({node_def.op}): freeze the graph "
                             "first (tf.compat.v1.graph_util.convert_variables_to_constants), so it holds its value "
                             "as a Const")
        if rule is None:
            raise ValueError(f"Node '{node_def.name}' has op {node_def.op}, which minigraph does not have: "
                             "only graphs of minigraph's ops can be imported (docs/API.md lists them)")
        controls = [self.build(name[1:])[0] for name in node_def.input if name.startswith("^")]
        controls = [c if isinstance(c, Operation) else c.op for c in controls]
        graph = get_default_graph()
        # only this node's own control inputs: a Const built while reading it must not get them
        with graph.control_dependencies(None), graph.control_dependencies(controls):
            result = rule(_Node(node_def, self))
        return list(result) if isinstance(result, (list, tuple)) else [result]


def import_graph_def(graph_def, input_map: dict | None = None, return_elements=None, name: str | None = None,
                     op_dict=None, producer_op_list=None):
    """Builds the GraphDef's nodes into the default graph, under the name scope `name`
    ('import' by default, '' for none), as TF1's import_graph_def.

    input_map maps tensor names of the GraphDef ('Placeholder:0') to minigraph tensors
    to use in their place. return_elements names what to return: 'Softmax:0' a tensor,
    'init' an operation. Returns that list, or None.
    """
    graph_def = as_graph_def(graph_def)
    input_map = {(key if ":" in key else f"{key}:0"): ops.convert_to_tensor(value)
                 for key, value in (input_map or {}).items()}
    importer = _Importer(graph_def, input_map)
    graph = get_default_graph()
    scope = "import" if name is None else name
    with graph.name_scope(scope) if scope else contextlib.nullcontext():
        for node in graph_def.node:
            if node.op != "Const":  # a Const is built when a node reads its value
                importer.build(node.name)
        if return_elements is None:
            return None
        results = []
        for element in return_elements:
            if ":" in element:
                results.append(importer.tensor(element))
            else:
                outputs = importer.build(element) if graph_def_has(graph_def, element) else None
                if outputs is None:
                    raise ValueError(f"Requested return_element '{element}' not found in graph_def.")
                first = outputs[0]
                results.append(first if isinstance(first, Operation) else first.op)
        return results


def graph_def_has(graph_def: GraphDef, name: str) -> bool:
    return any(node.name == name for node in graph_def.node)


# --- one rule per TF op: the minigraph builder call that makes it ------------------------------


def _unary(function: Callable):
    return lambda node: function(node.input(0), name=node.name)


def _binary(function: Callable):
    return lambda node: function(node.input(0), node.input(1), name=node.name)


def _reduction(function: Callable):
    return lambda node: function(node.input(0), axis=node.axis(1), keepdims=node.attr.get("keep_dims", False),
                                 name=node.name)


def _placeholder(node):
    shape = node.attr.get("shape", ShapeAttr(None)).dims
    return ops.placeholder(node.attr["dtype"], shape=shape, name=node.name)


def _const(node):
    value: TensorAttr = node.attr["value"]
    return ops.constant(value.value, dtype=node.attr["dtype"], name=node.name)


def _real_div(node):
    x, y = node.inputs
    return ops.divide(x, y, name=node.name)


def _matmul(node):
    return ops.matmul(node.input(0), node.input(1), transpose_a=node.attr.get("transpose_a", False),
                      transpose_b=node.attr.get("transpose_b", False), name=node.name)


def _batch_matmul(node):
    return ops.matmul(node.input(0), node.input(1), adjoint_a=node.attr.get("adj_x", False),
                      adjoint_b=node.attr.get("adj_y", False), name=node.name)


def _arg(function: Callable):
    return lambda node: function(node.input(0), axis=node.axis(1),
                                 output_type=node.attr.get("output_type", dtypes.int64), name=node.name)


def _conv2d(node):
    a = node.attr
    return nn.conv2d(node.input(0), node.input(1), strides=a["strides"], padding=a["padding"],
                     data_format=a.get("data_format", "NHWC"), dilations=a.get("dilations", [1, 1, 1, 1]),
                     name=node.name)


def _pool(function: Callable):
    return lambda node: function(node.input(0), ksize=node.attr["ksize"], strides=node.attr["strides"],
                                 padding=node.attr["padding"], data_format=node.attr.get("data_format", "NHWC"),
                                 name=node.name)


def _cross_entropy(node):
    loss = nn.softmax_cross_entropy_with_logits_v2(labels=node.input(1), logits=node.input(0), name=node.name)
    return [loss]  # TF's second output, the backprop, has no node in minigraph


def _sparse_cross_entropy(node):
    return [nn.sparse_softmax_cross_entropy_with_logits(labels=node.input(1), logits=node.input(0), name=node.name)]


def _split(node):
    return ops.split(node.input(1), node.attr["num_split"], axis=node.axis(0), name=node.name)


def _split_v(node):
    return ops.split(node.input(0), [int(v) for v in node.value(1)], axis=node.axis(2), name=node.name)


def _strided_slice(node):
    a = node.attr
    return ops.strided_slice(node.input(0), node.value(1), node.value(2), node.value(3),
                             begin_mask=a.get("begin_mask", 0), end_mask=a.get("end_mask", 0),
                             ellipsis_mask=a.get("ellipsis_mask", 0), new_axis_mask=a.get("new_axis_mask", 0),
                             shrink_axis_mask=a.get("shrink_axis_mask", 0), name=node.name)


def _one_hot(node):
    return ops.one_hot(node.input(0), int(node.value(1)), on_value=node.value(2), off_value=node.value(3),
                       axis=node.attr.get("axis", -1), dtype=node.attr["T"], name=node.name)


def _no_op(node):
    return ops.no_op(name=node.name)


RULES: dict[str, Callable] = {
    "Placeholder": _placeholder,
    "PlaceholderWithDefault": lambda node: ops.placeholder_with_default(node.input(0), node.attr["shape"].dims,
                                                                        name=node.name),
    "Const": _const,
    "NoOp": _no_op,
    "Identity": _unary(ops.identity),
    "StopGradient": _unary(ops.stop_gradient),
    # element-wise
    **{tf_op: _unary(function) for tf_op, function in {
        "Abs": ops.abs, "Neg": ops.negative, "Exp": ops.exp, "Log": ops.log, "Square": ops.square,
        "Sqrt": ops.sqrt, "Relu": nn.relu, "Sigmoid": ops.sigmoid, "Tanh": ops.tanh, "Softmax": nn.softmax,
        "LogSoftmax": nn.log_softmax, "Log1p": ops.log1p, "Expm1": ops.expm1, "Reciprocal": ops.reciprocal,
        "Floor": ops.floor, "Ceil": ops.ceil, "Round": ops.round, "Sign": ops.sign,
        "LogicalNot": ops.logical_not, "OnesLike": ops.ones_like, "ZerosLike": ops.zeros_like,
        "L2Loss": nn.l2_loss,
    }.items()},
    **{tf_op: _binary(function) for tf_op, function in {
        "AddV2": ops.add, "Add": ops.add, "Sub": ops.subtract, "Mul": ops.multiply, "Maximum": ops.maximum,
        "Minimum": ops.minimum, "Pow": ops.pow, "FloorMod": ops.floormod, "FloorDiv": ops.floordiv,
        "Equal": ops.equal, "NotEqual": ops.not_equal, "Less": ops.less, "LessEqual": ops.less_equal,
        "Greater": ops.greater, "GreaterEqual": ops.greater_equal, "LogicalAnd": ops.logical_and,
        "LogicalOr": ops.logical_or, "BiasAdd": nn.bias_add,
    }.items()},
    "RealDiv": _real_div,
    "AddN": lambda node: ops.add_n(node.inputs, name=node.name),
    "MatMul": _matmul,
    "BatchMatMulV2": _batch_matmul,
    "Cast": lambda node: ops.cast(node.input(0), node.attr["DstT"], name=node.name),
    # reductions and axes
    "Sum": _reduction(ops.reduce_sum), "Mean": _reduction(ops.reduce_mean), "Max": _reduction(ops.reduce_max),
    "Min": _reduction(ops.reduce_min), "Prod": _reduction(ops.reduce_prod), "Any": _reduction(ops.reduce_any),
    "All": _reduction(ops.reduce_all),
    "ArgMax": _arg(ops.argmax), "ArgMin": _arg(ops.argmin),
    # shapes and data movement
    "Reshape": lambda node: ops.reshape(node.input(0), node.axis(1), name=node.name),
    "Transpose": lambda node: ops.transpose(node.input(0), node.axis(1), name=node.name),
    "ExpandDims": lambda node: ops.expand_dims(node.input(0), node.axis(1), name=node.name),
    "Squeeze": lambda node: ops.squeeze(node.input(0), axis=node.attr.get("squeeze_dims") or None, name=node.name),
    "ConcatV2": lambda node: ops.concat(node.inputs[:-1], node.axis(len(node.input_names) - 1), name=node.name),
    "Pack": lambda node: ops.stack(node.inputs, axis=node.attr.get("axis", 0), name=node.name),
    "Unpack": lambda node: ops.unstack(node.input(0), num=node.attr["num"], axis=node.attr.get("axis", 0),
                                       name=node.name),
    "Split": _split,
    "SplitV": _split_v,
    "Tile": lambda node: ops.tile(node.input(0), node.axis(1), name=node.name),
    "Pad": lambda node: ops.pad(node.input(0), node.value(1).tolist(), name=node.name),
    "PadV2": lambda node: ops.pad(node.input(0), node.value(1).tolist(), constant_values=node.value(2).item(),
                                  name=node.name),
    "Slice": lambda node: ops.slice(node.input(0), node.axis(1), node.axis(2), name=node.name),
    "StridedSlice": _strided_slice,
    "GatherV2": lambda node: ops.gather(node.input(0), node.input(1), axis=node.axis(2), name=node.name),
    "ReverseV2": lambda node: ops.reverse(node.input(0), node.axis(1), name=node.name),
    "Select": lambda node: ops.where(node.input(0), node.input(1), node.input(2), name=node.name),
    "SelectV2": lambda node: ops.where_v2(node.input(0), node.input(1), node.input(2), name=node.name),
    "ClipByValue": lambda node: ops.clip_by_value(node.input(0), node.value(1).item(), node.value(2).item(),
                                                  name=node.name),
    "OneHot": _one_hot,
    "Shape": lambda node: ops.shape(node.input(0), out_type=node.attr.get("out_type", dtypes.int32), name=node.name),
    "Size": lambda node: ops.size(node.input(0), out_type=node.attr.get("out_type", dtypes.int32), name=node.name),
    "Where": lambda node: ops.where(node.input(0), name=node.name),
    "CheckNumerics": lambda node: ops.check_numerics(node.input(0), node.attr["message"], name=node.name),
    "InTopKV2": lambda node: nn.in_top_k(node.input(0), node.input(1), int(node.value(2)), name=node.name),
    "LinSpace": lambda node: creation.linspace(node.input(0), node.input(1), node.input(2), name=node.name),
    "Rank": lambda node: ops.rank(node.input(0), name=node.name),
    "Fill": lambda node: creation.fill(node.input(0), node.input(1), name=node.name),
    "Range": lambda node: creation.range(node.input(0), node.input(1), node.input(2), name=node.name),
    # neural network
    "Conv2D": _conv2d,
    "MaxPool": _pool(nn.max_pool),
    "AvgPool": _pool(nn.avg_pool),
    "SoftmaxCrossEntropyWithLogits": _cross_entropy,
    "SparseSoftmaxCrossEntropyWithLogits": _sparse_cross_entropy,
}
