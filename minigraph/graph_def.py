"""``graph.as_graph_def()``: the graph as data, printed as TensorFlow prints it.

A GraphDef is a list of NodeDefs: name, op type, inputs (by name; ``^name`` for a
control input) and attributes. ``str(graph_def)`` is protobuf text format, the
exact layout ``print(tf_graph.as_graph_def())`` shows, so a student can hold
minigraph's GraphDef next to TensorFlow's and compare them line by line.
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
    if isinstance(value, list):
        if not value:
            return ["list {", "}"]
        key = "s" if isinstance(value[0], str) else "i"
        items = [f'{key}: "{v}"' if key == "s" else f"{key}: {v}" for v in value]
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
