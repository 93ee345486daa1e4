"""``graph.as_graph_def()``: the graph as data, printed as TensorFlow prints it.

A GraphDef is a list of NodeDefs: name, op type, inputs (by name; ``^name`` for a
control input) and attributes. ``str(graph_def)`` is protobuf text format, the
exact layout ``print(tf_graph.as_graph_def())`` shows, so a student can hold
minigraph's GraphDef next to TensorFlow's and compare them line by line.

The same GraphDef travels as TF's binary ``.pb`` too: ``SerializeToString`` and
``ParseFromString`` go through the protocol buffer classes the ``tensorboard``
package ships (TF's own GraphDef message, without TensorFlow), so a file minigraph
writes is one TF reads, and the other way round. ``from_proto`` turns any GraphDef
message (TF's, tensorboard's) into minigraph's, its attributes back into numpy
dtypes, shapes and arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from minigraph import dtypes

# TF's GraphDef `versions { producer: ... }` for the TF release this mirrors
PRODUCER_VERSION = 2474  # TF 2.21's

_VALUE_FIELDS = {"f": "float_val", "i": "int_val", "u": "int_val", "b": "bool_val", "O": "string_val"}


@dataclass(frozen=True)
class ShapeAttr:
    """A shape attribute (`shape { dim { size: 2 } }`); None dims print as -1."""

    dims: tuple | None


@dataclass(frozen=True)
class TensorAttr:
    """A constant's value (`tensor { dtype: DT_FLOAT tensor_shape {...} float_val: 1 }`)."""

    value: np.ndarray


@dataclass
class NodeDef:
    name: str
    op: str
    input: list = field(default_factory=list)
    attr: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return "\n".join(_node_lines(self))


@dataclass
class GraphDef:
    node: list = field(default_factory=list)
    producer: int = PRODUCER_VERSION

    def __str__(self) -> str:
        lines = []
        for node in self.node:
            lines.append("node {")
            lines += ["  " + line for line in _node_lines(node)]
            lines.append("}")
        lines += ["versions {", f"  producer: {self.producer}", "}"]
        return "\n".join(lines) + "\n"

    __repr__ = __str__

    def to_proto(self):
        """The GraphDef message of tensorboard's protobufs (TF's GraphDef, field for field)."""
        from google.protobuf import text_format

        return text_format.Parse(str(self), _graph_pb2().GraphDef())

    def SerializeToString(self) -> bytes:  # noqa: N802  (protobuf's name, as on TF's GraphDef)
        """The binary form TF writes to a `.pb` file."""
        return self.to_proto().SerializeToString()

    def ParseFromString(self, data: bytes) -> None:  # noqa: N802
        """Reads a binary GraphDef (a `.pb` file's bytes) into this one, replacing its nodes."""
        message = _graph_pb2().GraphDef()
        message.ParseFromString(data)
        self.node = from_proto(message).node


def from_proto(message) -> GraphDef:
    """minigraph's GraphDef of a GraphDef message (TF's or tensorboard's: the same fields)."""
    nodes = [NodeDef(n.name, n.op, list(n.input), {key: _attr_value(value) for key, value in n.attr.items()})
             for n in message.node]
    return GraphDef(nodes, message.versions.producer or PRODUCER_VERSION)


def parse_text(text: str) -> GraphDef:
    """A GraphDef from its text format (what `str(graph_def)` and TF's `as_text=True` write)."""
    from google.protobuf import text_format

    return from_proto(text_format.Parse(text, _graph_pb2().GraphDef()))


def _graph_pb2():
    try:
        from tensorboard.compat.proto import graph_pb2
    except ImportError as error:  # the [tensorboard] extra
        raise ImportError("Binary GraphDefs are read and written with the protobufs of the tensorboard "
                          "package: pip install tensorboard (or minigraph[tensorboard])") from error
    return graph_pb2


_DTYPE_OF_ENUM = {dtypes.as_datatype_enum(d): d for d in (
    dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64,
    dtypes.uint8, dtypes.uint16, dtypes.uint32, dtypes.uint64, dtypes.bool, dtypes.string)}  # fmt: skip


def _dtype(enum: int) -> np.dtype:
    if enum not in _DTYPE_OF_ENUM:
        raise TypeError(f"DataType enum {enum} is not a dtype minigraph has")
    return _DTYPE_OF_ENUM[enum]


def _shape(message) -> ShapeAttr:
    if message.unknown_rank:
        return ShapeAttr(None)
    return ShapeAttr(tuple(None if d.size == -1 else d.size for d in message.dim))


def _tensor(message) -> TensorAttr:
    from tensorboard.util import tensor_util

    array = tensor_util.make_ndarray(message)
    if array.dtype.kind in "SU":  # string tensors: bytes in an object array, as minigraph keeps them
        array = array.astype(object)
    return TensorAttr(array)


def _attr_value(value):
    """An AttrValue message as minigraph keeps attributes: dtype, ShapeAttr, TensorAttr, or plain."""
    kind = value.WhichOneof("value")
    if kind == "type":
        return _dtype(value.type)
    if kind == "shape":
        return _shape(value.shape)
    if kind == "tensor":
        return _tensor(value.tensor)
    if kind == "s":
        return value.s.decode()
    if kind in ("i", "f", "b"):
        return getattr(value, kind)
    if kind == "list":
        items = value.list
        for field_name, convert in (("s", bytes.decode), ("i", int), ("f", float), ("b", bool), ("type", _dtype),
                                    ("shape", _shape), ("tensor", _tensor)):
            if len(getattr(items, field_name)):
                return [convert(item) for item in getattr(items, field_name)]
        return []
    raise TypeError(f"No minigraph form for the attribute value {value}")


def unused_name(wanted: str, taken: set[str]) -> str:
    """`wanted`, else `wanted_1`, `wanted_2`...: the first not in `taken`, which then holds it
    (a GraphDef's node names, like an ONNX graph's value names, are unique)."""
    name, count = wanted, 0
    while name in taken:
        count += 1
        name = f"{wanted}_{count}"
    taken.add(name)
    return name


def graph_def_of(graph) -> GraphDef:
    nodes = []
    for op in graph.operations:
        inputs = [t.op.name for t in op.inputs] + [f"^{c.name}" for c in op.control_inputs]
        nodes.append(NodeDef(op.name, op.type_name, inputs, dict(op.graph_def_attrs())))
    return GraphDef(nodes)


# --- protobuf text format ----------------------------------------------------------


def _node_lines(node: NodeDef) -> list[str]:
    lines = [f'name: "{node.name}"', f'op: "{node.op}"']
    lines += [f'input: "{name}"' for name in node.input]
    for key in sorted(node.attr):
        lines.append("attr {")
        lines.append(f'  key: "{key}"')
        lines.append("  value {")
        lines += ["    " + line for line in _value_lines(node.attr[key])]
        lines.append("  }")
        lines.append("}")
    return lines


def _value_lines(value) -> list[str]:
    if isinstance(value, np.dtype):
        return [f"type: {dtypes.tf_enum(value)}"]
    if isinstance(value, ShapeAttr):
        return ["shape {"] + ["  " + line for line in _shape_lines(value.dims)] + ["}"]
    if isinstance(value, TensorAttr):
        return ["tensor {"] + ["  " + line for line in _tensor_lines(value.value)] + ["}"]
    if isinstance(value, bool):
        return [f"b: {'true' if value else 'false'}"]
    if isinstance(value, (int, np.integer)):
        return [f"i: {int(value)}"]
    if isinstance(value, float):
        return [f"f: {_float(value)}"]
    if isinstance(value, str):
        return [f's: "{value}"']
    if isinstance(value, list):  # a list holds one kind: its items print as that kind's field
        items = [line for item in value for line in _value_lines(item)]
        return ["list {"] + ["  " + item for item in items] + ["}"]
    raise TypeError(f"No GraphDef form for attribute value {value!r}")


def _shape_lines(dims) -> list[str]:
    if dims is None:
        return ["unknown_rank: true"]
    lines = []
    for d in dims:
        lines += ["dim {", f"  size: {-1 if d is None else d}", "}"]
    return lines


def _tensor_lines(array: np.ndarray) -> list[str]:
    lines = [f"dtype: {dtypes.tf_enum(array.dtype)}", "tensor_shape {"]
    lines += ["  " + line for line in _shape_lines(array.shape)]
    lines.append("}")
    field_name = _VALUE_FIELDS[array.dtype.kind]
    if array.dtype == np.int64:
        field_name = "int64_val"
    if array.dtype == np.float64:
        field_name = "double_val"
    values = array.ravel()
    # like TF: a tensor whose elements are all equal stores that value once
    if values.size and np.all(values == values[0]):
        values = values[:1]
    for v in values:
        if array.dtype.kind == "b":
            text = "true" if v else "false"
        elif array.dtype.kind == "O":  # a string tensor holds bytes
            text = _quoted(bytes(v))
        elif dtypes.is_floating(array.dtype):
            text = _float(float(v), array.dtype)
        else:
            text = str(int(v))
        lines.append(f"{field_name}: {text}")
    return lines


def _float(value: float, dtype: np.dtype = dtypes.float32) -> str:
    """A float as TF prints it: the shorter of %.6g and %.9g that reads back as the same
    float32 (%.15g and %.17g for a double). 1.0 -> '1', 0.1 -> '0.1', 1e8 -> '1e+08'."""
    exact = np.dtype(dtype).type(value)
    for digits in (6, 9) if exact.dtype == dtypes.float32 else (15, 17):
        text = f"{float(exact):.{digits}g}"
        if np.isnan(exact) or exact.dtype.type(text) == exact:
            break
    return text


def _quoted(value: bytes) -> str:
    """Bytes as protobuf's text format quotes them (C escapes): b'a"b\\n' -> "a\\"b\\n"."""
    named = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", ord('"'): '\\"', ord("'"): "\\'", ord("\\"): "\\\\"}
    text = (named.get(byte) or (chr(byte) if 32 <= byte < 127 else f"\\{byte:03o}") for byte in value)
    return '"' + "".join(text) + '"'
