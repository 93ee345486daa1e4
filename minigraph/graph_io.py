"""``write_graph``: a GraphDef to a file, as TF1's ``tf.io.write_graph`` (and ``tf.train.write_graph``).

    mg.train.write_graph(sess.graph, "logs", "graph.pbtxt")              # text
    mg.io.write_graph(frozen, "export", "model.pb", as_text=False)       # binary

The text form is what ``print(graph_def)`` shows. The binary form is protobuf's
wire format, written by the GraphDef message of the ``tensorboard`` package (TF's
own message, without TensorFlow): ``tf.compat.v1.GraphDef().ParseFromString`` reads
it, and so do ``mg.GraphDef().ParseFromString`` and ``mg.import_graph_def``.
"""

from __future__ import annotations

import os

from minigraph.atomic_files import write_atomically
from minigraph.graph_def import GraphDef


def write_graph(graph_or_graph_def, logdir: str, name: str, as_text: bool = True) -> str:
    """Writes a Graph's GraphDef (or a GraphDef) to `logdir`/`name`; returns the path."""
    graph_def = graph_or_graph_def
    if hasattr(graph_def, "as_graph_def"):  # a Graph
        graph_def = graph_def.as_graph_def()
    if not isinstance(graph_def, GraphDef) and not hasattr(graph_def, "SerializeToString"):
        raise TypeError(f"write_graph needs a Graph or a GraphDef, got {graph_or_graph_def!r}")
    os.makedirs(logdir, exist_ok=True)
    path = os.path.join(logdir, name)
    if as_text:
        text = str(graph_def) if isinstance(graph_def, GraphDef) else _message_text(graph_def)
        data = text.encode("utf-8")
    else:
        data = graph_def.SerializeToString()
    write_atomically(path, lambda file: file.write(data))  # a crash leaves the old file or the new one
    return path


def _message_text(message) -> str:
    from google.protobuf import text_format

    return text_format.MessageToString(message)
