"""GraphDefs next to TensorFlow's: minigraph's text format read by TF's own parser, and
a node-for-node comparison (names, op types, inputs, attributes, constants by value)."""

from __future__ import annotations

import numpy as np


def tensorflow_graph_def(graph):
    """A graph's GraphDef as TF's protobuf (a minigraph graph's text format parsed by TF)."""
    import tensorflow as tf
    from google.protobuf import text_format

    import minigraph as mg

    if isinstance(graph, mg.Graph):
        return text_format.Parse(str(graph.as_graph_def()), tf.compat.v1.GraphDef())
    return graph.as_graph_def()


def assert_same_nodes(ours, theirs, skip_attrs=lambda node: ()) -> None:
    """The same nodes in the same order, with the same inputs and attributes; constants
    equal to 1e-7. `skip_attrs(tf_node)` names attributes TF has that minigraph need not."""
    import tensorflow as tf

    assert [(n.name, n.op, list(n.input)) for n in ours.node] == [(n.name, n.op, list(n.input)) for n in theirs.node]
    for mine, reference in zip(ours.node, theirs.node):
        expected = {key: value for key, value in reference.attr.items() if key not in skip_attrs(reference)}
        assert set(mine.attr) == set(expected), mine.name
        for key, value in expected.items():
            if value.HasField("tensor"):
                np.testing.assert_allclose(tf.make_ndarray(mine.attr[key].tensor), tf.make_ndarray(value.tensor),
                                           rtol=1e-7, err_msg=mine.name)
            else:
                assert mine.attr[key] == value, (mine.name, key)
