"""``mg.graph_util``: freezing a trained graph for TensorFlow, as TF1's graph_util does.

A trained model is a graph plus the variables' values, which live in a session.
*Freezing* folds the two into one GraphDef that needs no session and no checkpoint:

    frozen = mg.graph_util.convert_variables_to_constants(sess, sess.graph.as_graph_def(), ["Softmax"])
    mg.train.write_graph(frozen, "export", "model.pb", as_text=False)

Two steps, TF1's own:

1. ``extract_sub_graph``: keep only the nodes the outputs need, following inputs
   backwards (the initializers, the loss and the optimizer's nodes fall away);
2. each variable's storage node (``VariableV2``) becomes a ``Const`` holding its
   value in the session. ``Variable/read`` stays an Identity, now of a constant.

The result is written in the form TensorFlow's op registry checks (see
tf_graph_def.py: axes as Const inputs, every attribute an op declares), so
``tf.compat.v1.import_graph_def`` takes it and computes what minigraph computed.
"""

from __future__ import annotations

from collections.abc import Iterable as _Iterable

# imported under private names: this module mirrors tf.graph_util, whose public names are its functions
from minigraph import subset as _subset
from minigraph.graph_def import GraphDef as _GraphDef
from minigraph.graph_def import NodeDef as _NodeDef
from minigraph.graph_def import TensorAttr as _TensorAttr
from minigraph.tf_graph_def import tensorflow_graph_def as _tensorflow_graph_def


def _node_name(input_name: str) -> str:
    """'^init' and 'split:1' both come from a node: 'init', 'split'."""
    return input_name.lstrip("^").split(":")[0]


def extract_sub_graph(graph_def: _GraphDef, dest_nodes: _Iterable[str]) -> _GraphDef:
    """The nodes `dest_nodes` need (control inputs included), in graph_def's order."""
    if isinstance(dest_nodes, str):
        raise TypeError(f"dest_nodes must be a list of node names, got the string {dest_nodes!r}")
    by_name = {node.name: node for node in graph_def.node}
    needed, stack = set(), list(dest_nodes)
    while stack:  # an explicit stack: a long chain must not reach Python's recursion limit
        name = stack.pop()
        if name in needed:
            continue
        if name not in by_name:
            raise ValueError(f"'{name}' is not in graph: the output node names are op names ('Softmax', "
                             "not 'Softmax:0')")
        needed.add(name)
        stack.extend(_node_name(i) for i in by_name[name].input)
    return _GraphDef([node for node in graph_def.node if node.name in needed], graph_def.producer)


def convert_variables_to_constants(sess, input_graph_def: _GraphDef, output_node_names: _Iterable[str],
                                   variable_names_whitelist=None, variable_names_blacklist=None) -> _GraphDef:
    """The part of the graph the outputs need, each variable a Const of its value in `sess`.

    Whitelist and blacklist name the variables to fold (all by default); a variable
    left out stays a VariableV2, as in TF.
    """
    kept = extract_sub_graph(input_graph_def, output_node_names)
    ops = [sess.graph.get_operation_by_name(node.name) for node in kept.node]

    def folds(op) -> bool:
        return (op.type_name == "VariableV2"
                and (variable_names_whitelist is None or op.name in variable_names_whitelist)
                and (variable_names_blacklist is None or op.name not in variable_names_blacklist))

    variables = [op for op in ops if folds(op)]
    values = dict(zip(variables, sess.run([op.outputs[0] for op in variables]))) if variables else {}

    def as_constant(op) -> _NodeDef | None:
        if op not in values:
            return None
        value = values[op]
        return _NodeDef(op.name, "Const", [], {"dtype": value.dtype, "value": _TensorAttr(value)})

    return _tensorflow_graph_def(ops, replace=as_constant)


__getattr__ = _subset.missing_names(__name__, "tf.graph_util")
