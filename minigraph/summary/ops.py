"""Summary ops: graph nodes whose value is a serialized ``Summary`` protocol buffer.

In TF1 a summary is computed like any other value. ``mg.summary.scalar("loss", loss)``
adds a node; running it gives *bytes*: a ``Summary`` message that says "tag 'loss' had
the value 0.31". Nothing is written yet: a ``FileWriter`` takes those bytes and a step
number and appends them to an event file, which TensorBoard draws as a curve::

    tf.summary.scalar("loss", loss)
    tf.summary.histogram("weights", w)
    merged = tf.summary.merge_all()              # one node: every summary, merged
    writer = tf.summary.FileWriter("logs", sess.graph)
    summary, _ = sess.run([merged, train_op], feed_dict=batch)
    writer.add_summary(summary, step)

So the op's output has TF's ``string`` dtype (numpy objects holding bytes), and the
kernels build the messages with TensorBoard's own protobuf classes. Each summary op
is named after its tag, as in TF: the second ``scalar("loss", ...)`` of a graph is the
node ``loss_1`` with the tag ``loss_1``, so two summaries never share a tag.

``merge_all`` finds the summaries to merge by looking at the graph's nodes: each
summary op remembers the collections it joined (``"summaries"`` unless the program
said otherwise), where TF keeps a separate collection list on the graph.
"""

from __future__ import annotations

import re

import numpy as np

from minigraph import dtypes
from minigraph.errors import InvalidArgumentError
from minigraph.graph import Operation, Tensor, get_default_graph, tensor_or_none
from minigraph.ops.array import Const, convert_to_tensor
from minigraph.shapes import format_shape
from minigraph.summary import histogram as _histogram
from minigraph.summary.tensorboard import summary_pb2

SUMMARIES = "summaries"  # TF's GraphKeys.SUMMARIES: the collection merge_all reads


class SummaryOp(Operation):
    """A node whose value is a serialized Summary: inputs (tag, values), output () string."""

    input_names = ("tag", "values")

    def infer(self, tag, values):
        if values.dtype.kind not in "iuf":
            raise self.error(f"a {self.type_name} summarizes real numbers; {values!r} has dtype "
                             f"{values.dtype.name}", TypeError)
        return (), dtypes.string

    def forward(self, tag, values):
        summary = summary_pb2().Summary()
        self.fill(summary.value.add(tag=_text(tag)), np.asarray(values))
        return summary.SerializeToString()

    def fill(self, value, array: np.ndarray) -> None:
        """Sets the summary value's payload from the run-time `array`."""
        raise NotImplementedError

    def graph_def_attrs(self):
        return {"T": self.inputs[1].dtype}  # the summarized values' dtype, as TF


class ScalarSummary(SummaryOp):
    """Summary{tag: simple_value = float(values)}, for one number."""

    type_name = "ScalarSummary"
    input_names = ("tags", "values")

    def infer(self, tag, values):
        if values.shape is not None and len(values.shape) != 0:
            raise self.error(f"scalar() needs a tensor with a single value; {values!r} has shape "
                             f"{format_shape(values.shape)} (reduce it first, e.g. with mg.reduce_mean)")
        return super().infer(tag, values)

    def fill(self, value, array):
        if array.shape != ():  # only an unknown static shape gets here
            raise InvalidArgumentError(f"tags and values are not the same shape: [] != {list(array.shape)} "
                                       f"(tag '{value.tag}', node '{self.name}')", op=self)
        value.simple_value = float(array)


class HistogramSummary(SummaryOp):
    """Summary{tag: histo = counts of values in TF's default buckets} (see histogram.py)."""

    type_name = "HistogramSummary"

    def fill(self, value, array):
        if not np.all(np.isfinite(array)):
            raise InvalidArgumentError(f"Nan in summary histogram for: {self.name} (values of tag "
                                       f"'{value.tag}' include NaN or Inf)", op=self)
        value.histo.CopyFrom(summary_pb2().HistogramProto(**_histogram.histogram(array)))


class MergeSummary(Operation):
    """Summary{every value of every input summary}; a tag may appear only once."""

    type_name = "MergeSummary"

    def infer(self, *inputs):
        for position, summary in enumerate(inputs):
            if summary.dtype != dtypes.string:
                raise self.error(f"input {position} must be a serialized summary (string); {summary!r} "
                                 "is not one", TypeError)
        return (), dtypes.string

    def forward(self, *summaries):
        merged = summary_pb2().Summary()
        tags = set()
        for serialized in summaries:
            one = summary_pb2().Summary.FromString(_bytes(serialized))
            for value in one.value:
                if value.tag in tags:
                    raise InvalidArgumentError(f"Duplicate tag {value.tag} found in summary inputs "
                                               f"(node '{self.name}')", op=self)
                tags.add(value.tag)
            merged.value.extend(one.value)
        return merged.SerializeToString()

    def graph_def_attrs(self):
        return {"N": len(self.inputs)}


# --- the builders: TF1's tf.summary.* -------------------------------------------


def scalar(name: str, tensor, collections=None, family: str | None = None) -> Tensor:
    """A summary of one number (a loss, an accuracy): a curve in TensorBoard's scalars tab."""
    return _summary(ScalarSummary, "tags", name, tensor, collections, family)


def histogram(name: str, values, collections=None, family: str | None = None) -> Tensor:
    """A summary of a tensor's distribution (weights, activations): TensorBoard's histograms."""
    return _summary(HistogramSummary, "tag", name, values, collections, family)


def merge(inputs, collections=None, name: str | None = None) -> Tensor:
    """One summary holding every value of `inputs` (summary tensors)."""
    inputs = list(inputs)
    graph = inputs[0].graph if inputs else get_default_graph()
    with graph.as_default(), graph.name_scope(name or "Merge"):
        return MergeSummary(*inputs, collections=list(collections or [])).output


def merge_all(key: str = SUMMARIES, scope: str | None = None, name: str | None = None) -> Tensor | None:
    """merge() of every summary of the default graph in collection `key` (None if there is none)."""
    found = [op.output for op in get_default_graph().operations
             if key in op.attrs.get("collections", ()) and (scope is None or re.match(scope, op.name))]
    return merge(found, name=name) if found else None


def _summary(op_class, tag_input: str, name: str, values, collections, family) -> Tensor:
    summary_pb2()  # without tensorboard, fail while building, not later in a run
    tensor = tensor_or_none(values)
    graph = tensor.graph if tensor is not None else get_default_graph()  # the summary joins its tensor
    base = _clean_tag(name) if family is None else f"{_clean_tag(family)}/{_clean_tag(name)}"
    with graph.as_default(), graph.name_scope(base) as scope:
        values = convert_to_tensor(values, graph=graph)
        tag = scope[:-1] if family is None else f"{_clean_tag(family)}/{scope[:-1]}"  # TensorBoard's tab
        tag_tensor = Const(name=tag_input, value=_string_value(tag)).output
        collections = [SUMMARIES] if collections is None else list(collections)
        return op_class(tag_tensor, values, name=scope, collections=collections).output


def _clean_tag(name: str) -> str:
    """TF's rule for tags: characters other than letters, digits, '_', '-', '.', '/'
    become '_', and a leading '/' goes."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"A summary name must be a non-empty string, got {name!r}")
    return re.sub(r"[^-/\w.]", "_", name).lstrip("/")


def _string_value(text: str) -> np.ndarray:
    value = np.array(text.encode("utf-8"), dtype=object)
    value.flags.writeable = False  # as every constant's
    return value


def _bytes(value) -> bytes:
    """A string value as bytes: a summary fetched as bytes, or a 0-d object array."""
    return bytes(value.item() if isinstance(value, np.ndarray) else value)


def _text(tag) -> str:
    return _bytes(tag).decode("utf-8")
