"""``mg.summary.FileWriter``: summaries and the graph, appended to a TensorBoard event file.

TensorBoard reads a directory of *event files*. Each is a sequence of records (the
TFRecord format: a length, a checksum, the bytes, another checksum), and each
record is one ``Event`` protocol buffer: a wall-clock time, a step, and one payload,
a ``Summary`` or a serialized ``GraphDef``. The writer does three things:

- ``add_summary(summary, step)``: the bytes a summary op produced (or a Summary
  message), wrapped in an Event with the step, so curves have their x axis;
- ``add_graph(graph)``: the graph as TensorFlow's ``GraphDef`` message, which
  TensorBoard's graph tab draws (see below);
- ``flush`` / ``close``: events are queued and written by a background thread
  (TensorBoard's ``EventFileWriter`` does this, records and checksums included);
  ``flush`` waits until everything queued is on disk.

**The graph.** minigraph's ``graph.as_graph_def()`` already prints TF's text format
of a GraphDef; ``google.protobuf.text_format`` parses that text into TensorBoard's
``GraphDef`` message, so the graph tab sees minigraph's nodes with their TF op
types and attributes. Given a Graph (not only a GraphDef), each node also gets the
``_output_shapes`` attribute TF adds for TensorBoard, which labels edges with shapes.
"""

from __future__ import annotations

import time

from minigraph.graph import Graph
from minigraph.graph_def import GraphDef
from minigraph.summary.tensorboard import need, summary_pb2


class FileWriter:
    """Writes summaries and graphs to an event file in `logdir` (TF1's tf.summary.FileWriter)."""

    def __init__(self, logdir: str, graph: Graph | None = None, max_queue: int = 10, flush_secs: float = 120,
                 graph_def: GraphDef | None = None, filename_suffix: str | None = None):
        event_file_writer = need("tensorboard.summary.writer.event_file_writer")
        self._events = need("tensorboard.compat.proto.event_pb2")
        # writes the file's first event (its format version) and starts the writing thread
        self._writer = event_file_writer.EventFileWriter(str(logdir), max_queue, flush_secs, filename_suffix or "")
        self._closed = False
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)

    def get_logdir(self) -> str:
        return self._writer.get_logdir()

    def add_summary(self, summary, global_step: int | None = None) -> None:
        """Appends a summary (the bytes a summary op gave, or a Summary message) at `global_step`."""
        summary_class = summary_pb2().Summary
        if isinstance(summary, (bytes, bytearray)):
            summary = summary_class.FromString(bytes(summary))
        elif not isinstance(summary, summary_class):
            raise TypeError(f"add_summary() takes what a summary op gives when run (bytes) or a Summary "
                            f"message, got {type(summary).__name__}: {summary!r:.80}")
        self.add_event(self._events.Event(summary=summary), global_step)

    def add_graph(self, graph: Graph | None, global_step: int | None = None, graph_def: GraphDef | None = None):
        """Appends the graph, for TensorBoard's graph tab."""
        if graph is not None and not isinstance(graph, Graph):
            raise TypeError(f"add_graph() takes a minigraph Graph (sess.graph), got {graph!r}")
        proto = graph_proto(graph, graph_def)
        self.add_event(self._events.Event(graph_def=proto.SerializeToString()), global_step)

    def add_event(self, event, global_step: int | None = None) -> None:
        if self._closed:
            raise RuntimeError(f"FileWriter for {self.get_logdir()!r} is closed: nothing more can be written")
        event.wall_time = time.time()
        if global_step is not None:
            event.step = int(global_step)
        self._writer.add_event(event)

    def flush(self) -> None:
        """Waits until every event added so far is in the file."""
        if not self._closed:
            self._writer.flush()

    def close(self) -> None:
        """Flushes and closes the file (closing twice is fine)."""
        if not self._closed:
            self._writer.close()
            self._closed = True

    def __enter__(self) -> "FileWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def graph_proto(graph: Graph | None = None, graph_def: GraphDef | None = None):
    """TensorBoard's GraphDef message for a minigraph Graph (or a minigraph GraphDef)."""
    graph_pb2 = need("tensorboard.compat.proto.graph_pb2")
    text_format = need("google.protobuf.text_format")
    source = graph_def if graph_def is not None else graph.as_graph_def()
    proto = text_format.Parse(str(source), graph_pb2.GraphDef())
    if graph is not None:
        shapes = {op.name: op.outputs[0].shape for op in graph.operations if op.outputs}
        for node in proto.node:
            if node.name in shapes:
                _set_shape(node.attr["_output_shapes"].list.shape.add(), shapes[node.name])
    return proto


def _set_shape(shape_proto, shape) -> None:
    """A TensorShapeProto: unknown rank, or one dim per axis with -1 for an unknown size."""
    if shape is None:
        shape_proto.unknown_rank = True
        return
    for size in shape:
        shape_proto.dim.add(size=-1 if size is None else size)
