"""minigraph's ops written the way TensorFlow's op registry wants them.

``graph.as_graph_def()`` shows minigraph's own nodes, one per op, as a student built
them. TensorFlow, importing a GraphDef, checks every node against its *op registry*:
the op's inputs, in order, with their dtypes, and every attribute the op declares.
Some of minigraph's ops keep as an attribute what TF's op takes as an input:

    minigraph   Reshape(x)  attrs {shape: [2, -1]}
    TensorFlow  Reshape(x, Reshape/shape)  where Reshape/shape is Const [2, -1] (int32)

So do the axes of reductions, concat, argmax, expand_dims, reverse and gather, the
permutation of transpose, the bounds of clip_by_value and the split dimension of
split. This module writes each op in TF's form: the attribute becomes a Const node
named as TF names it (``Sum/reduction_indices``, ``transpose/perm``) and the
attributes TF requires (``Tidx``, ``Tshape``, ``N``, ``Index``, ``Tlabels``...) are
added. Two more differences:

- minigraph gives each piece of ``split`` and ``unstack`` its own node (``split``,
  ``split_1``, each with an ``index``); TF has one node with several outputs. Each
  piece is written as a TF ``Split`` node (``split_1/Split``) and an Identity of the
  output it is (``split_1/Split:1``) under the piece's own name, so ``split_1:0``
  names the same value in both libraries.
- ``sparse_softmax_cross_entropy_with_logits`` takes a stack of any rank in
  minigraph; TF's op takes a matrix (TF's Python function reshapes around it), so
  the same reshapes are written around it.
- minigraph's ``RealDiv`` divides integers into float64, as ``tf.truediv`` does;
  TF's ``RealDiv`` kernel takes floats only, so the integers are cast first (TF's
  ``truediv`` builds the same two Casts).

A few ops exist only inside minigraph's gradients (``BroadcastLike``, ``SumLike``,
``ProductOfOthers``...); TF builds those gradients from other ops. They are refused
by name: a frozen graph is a forward graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from minigraph import dtypes
from minigraph.graph_def import GraphDef, NodeDef, TensorAttr, unused_name

# minigraph's helper ops, built by gradients and optimizers: TF has no op of these names
MINIGRAPH_ONLY = {
    "BroadcastLike", "ReshapeLike", "SumLike", "ProductOfOthers", "ProductOfOthersGrad", "ReducedSize",
    "Grad", "ClipByValueGrad", "TileGrad", "GatherGrad",
}  # fmt: skip

_REDUCTIONS = {"Sum", "Mean", "Max", "Min", "Prod", "Any", "All"}


class _Writer:
    """Writes nodes into one GraphDef, giving new Const nodes names no other node has."""

    def __init__(self, taken: Iterable[str]):
        self.nodes: list[NodeDef] = []
        self.taken = set(taken)

    def name(self, wanted: str) -> str:
        return unused_name(wanted, self.taken)

    def const(self, name: str, value, dtype=dtypes.int32) -> str:
        array = np.asarray(value, dtype=dtype)
        node = NodeDef(self.name(name), "Const", [], {"dtype": array.dtype, "value": TensorAttr(array)})
        self.nodes.append(node)
        return node.name

    def node(self, name: str, op: str, inputs: list[str], attrs: dict) -> str:
        self.nodes.append(NodeDef(self.name(name), op, inputs, attrs))
        return self.nodes[-1].name


def tensorflow_graph_def(ops, replace: Callable | None = None) -> GraphDef:
    """A GraphDef of `ops` (in a topological order) that TF's import_graph_def takes.

    `replace(op)` may return a NodeDef to write instead of an op (a variable as a Const).
    """
    ops = list(ops)
    writer = _Writer(op.name for op in ops)
    for op in ops:
        node = replace(op) if replace else None
        if node is not None:
            writer.nodes.append(node)
            continue
        if op.type_name in MINIGRAPH_ONLY:
            raise ValueError(f"{op.type_name} '{op.name}' is one of minigraph's gradient helpers: TensorFlow "
                             "has no such op. Freeze the forward graph (the outputs a prediction needs).")
        inputs = [t.op.name for t in op.inputs]
        controls = [f"^{c.name}" for c in op.control_inputs]
        writer.taken.discard(op.name)  # the op keeps its name; new Const inputs come before it
        rule = _RULES.get(op.type_name, _as_it_is)
        rule(op, inputs, writer)
        writer.nodes[-1].input += controls
    return GraphDef(writer.nodes)


# --- the rules, one per op type whose TF form differs ------------------------------------


def _as_it_is(op, inputs, w):
    return w.node(op.name, op.type_name, inputs, dict(op.graph_def_attrs()))


def _rank(op) -> int:
    shape = op.inputs[0].shape
    if shape is None:
        raise ValueError(f"{op.type_name} '{op.name}' works on every axis of an input of unknown rank: "
                         "give its input a shape (placeholder shape=...) to freeze it")
    return len(shape)


def _reduction(op, inputs, w):
    axis = op.attrs["axis"]
    axes = list(range(_rank(op))) if axis is None else list(np.atleast_1d(axis))
    indices = w.const(f"{op.name}/reduction_indices", axes)
    attrs = {"Tidx": dtypes.int32, "keep_dims": bool(op.attrs["keepdims"])}
    if op.type_name not in ("Any", "All"):  # bools only: no T
        attrs["T"] = op.inputs[0].dtype
    return w.node(op.name, op.type_name, inputs + [indices], attrs)


def _reshape(op, inputs, w):
    shape = w.const(f"{op.name}/shape", list(op.attrs["numpy_shape"]))
    return w.node(op.name, "Reshape", inputs + [shape], {"T": op.inputs[0].dtype, "Tshape": dtypes.int32})


def _transpose(op, inputs, w):
    perm = op.attrs["perm"]
    perm = list(range(_rank(op)))[::-1] if perm is None else list(perm)
    perm_name = w.const(f"{op.name}/perm", perm)
    return w.node(op.name, "Transpose", inputs + [perm_name], {"T": op.inputs[0].dtype, "Tperm": dtypes.int32})


def _with_axis_input(input_name: str, index_attr: str, attr: str = "axis"):
    """An op whose axis is TF's last input (`input_name`), of dtype attribute `index_attr`."""

    def rule(op, inputs, w):
        axis = w.const(f"{op.name}/{input_name}", op.attrs[attr])
        attrs = {key: value for key, value in op.graph_def_attrs().items() if key not in ("axis", attr)}
        attrs.setdefault("T", op.inputs[0].dtype)
        attrs[index_attr] = dtypes.int32
        return w.node(op.name, op.type_name, inputs + [axis], attrs)

    return rule


def _gather(op, inputs, w):
    axis = w.const(f"{op.name}/axis", op.attrs["axis"])
    attrs = {key: value for key, value in op.graph_def_attrs().items() if key != "axis"}
    return w.node(op.name, "GatherV2", inputs + [axis], attrs)


def _piece(op, w, tf_op: str, inputs: list[str], attrs: dict) -> str:
    """One output of a TF op with several, under the piece's name (see the module docstring)."""
    whole = w.node(f"{op.name}/{tf_op}", tf_op, inputs, attrs)
    source = whole if op.attrs["index"] == 0 else f"{whole}:{op.attrs['index']}"
    return w.node(op.name, "Identity", [source], {"T": op.inputs[0].dtype})


def _split(op, inputs, w):
    split_dim = w.const(f"{op.name}/split_dim", op.attrs["axis"])
    return _piece(op, w, "Split", [split_dim] + inputs, {"T": op.inputs[0].dtype, "num_split": op.attrs["num_split"]})


def _split_v(op, inputs, w):
    sizes = w.const(f"{op.name}/size_splits", list(op.attrs["size_splits"]))
    split_dim = w.const(f"{op.name}/split_dim", op.attrs["axis"])
    attrs = {"T": op.inputs[0].dtype, "Tlen": dtypes.int32, "num_split": len(op.attrs["size_splits"])}
    return _piece(op, w, "SplitV", inputs + [sizes, split_dim], attrs)


def _unpack(op, inputs, w):
    return _piece(op, w, "Unpack", inputs, {"T": op.inputs[0].dtype, "num": op.attrs["num"], "axis": op.attrs["axis"]})


def _sparse_softmax_cross_entropy(op, inputs, w):
    logits, labels = op.inputs
    attrs = {"T": logits.dtype, "Tlabels": labels.dtype}
    if logits.shape is not None and len(logits.shape) == 2:
        return w.node(op.name, op.type_name, inputs, attrs)
    if logits.shape is None or logits.shape[-1] is None:
        raise ValueError(f"{op.type_name} '{op.name}': TF's op takes a matrix; a stack of logits is reshaped "
                         f"to one, which needs its number of classes known, got logits {logits!r}")
    shape = w.node(f"{op.name}/Shape", "Shape", [inputs[1]], {"T": labels.dtype, "out_type": dtypes.int32})
    matrix = w.node(f"{op.name}/Reshape", "Reshape", [inputs[0], w.const(f"{op.name}/Reshape/shape",
                    [-1, logits.shape[-1]])], {"T": logits.dtype, "Tshape": dtypes.int32})  # fmt: skip
    rows = w.node(f"{op.name}/Reshape_1", "Reshape", [inputs[1], w.const(f"{op.name}/Reshape_1/shape", [-1])],
                  {"T": labels.dtype, "Tshape": dtypes.int32})
    losses = w.node(f"{op.name}/{op.type_name}", op.type_name, [matrix, rows], attrs)
    return w.node(op.name, "Reshape", [losses, shape], {"T": logits.dtype, "Tshape": dtypes.int32})


def _clip_by_value(op, inputs, w):
    dtype = op.inputs[0].dtype
    low = w.const(f"{op.name}/clip_value_min", op.attrs["low"], dtype)
    high = w.const(f"{op.name}/clip_value_max", op.attrs["high"], dtype)
    return w.node(op.name, "ClipByValue", inputs + [low, high], {"T": dtype})


def _extra_attrs(**make: Callable):
    """An op written as it is, with attributes TF requires that minigraph's print leaves out."""

    def rule(op, inputs, w):
        attrs = dict(op.graph_def_attrs())
        attrs.update({key: value(op) for key, value in make.items()})
        return w.node(op.name, op.type_name, inputs, attrs)

    return rule


def _real_div(op, inputs, w):
    dtype = op.inputs[0].dtype
    if dtypes.is_floating(dtype):
        return w.node(op.name, "RealDiv", inputs, {"T": dtype})
    # as tf.truediv: integers are divided as float64
    casts = [w.node(f"{op.name}/Cast{suffix}", "Cast", [name], {"SrcT": dtype, "DstT": dtypes.float64,
                                                                 "Truncate": False})
             for suffix, name in zip(("", "_1"), inputs)]
    return w.node(op.name, "RealDiv", casts, {"T": dtypes.float64})


_RULES: dict[str, Callable] = {
    **{name: _reduction for name in _REDUCTIONS},
    "Reshape": _reshape,
    "Transpose": _transpose,
    "ArgMax": _with_axis_input("dimension", "Tidx"),
    "ArgMin": _with_axis_input("dimension", "Tidx"),
    "ConcatV2": _with_axis_input("axis", "Tidx"),
    "ExpandDims": _with_axis_input("dim", "Tdim", attr="dim"),
    "ReverseV2": _with_axis_input("axis", "Tidx"),
    "GatherV2": _gather,
    "Split": _split,
    "SplitV": _split_v,
    "Unpack": _unpack,
    "ClipByValue": _clip_by_value,
    "AddN": _extra_attrs(N=lambda op: len(op.inputs)),
    "Slice": _extra_attrs(Index=lambda op: op.inputs[1].dtype),
    "Select": _extra_attrs(T=lambda op: op.inputs[1].dtype),
    "SelectV2": _extra_attrs(T=lambda op: op.inputs[1].dtype),
    "InTopKV2": _extra_attrs(T=lambda op: op.inputs[1].dtype),
    "SparseSoftmaxCrossEntropyWithLogits": _sparse_softmax_cross_entropy,
    "Cast": _extra_attrs(Truncate=lambda op: False),
    "RealDiv": _real_div,
}
