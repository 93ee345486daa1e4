"""``mg.summary``: TF1's ``tf.summary``, for watching training in TensorBoard.

Summaries are graph ops whose value is a serialized ``Summary`` message (ops.py);
a ``FileWriter`` appends those values, with a step number, and the graph itself to
an event file that TensorBoard reads (writer.py). Histograms use TF's own buckets
(histogram.py).

Writing needs the ``tensorboard`` package (``pip install -e .[tensorboard]``);
``import minigraph`` does not, and neither does reading this package's docstrings:
tensorboard is imported when a summary is first built or written (tensorboard.py).
"""

from minigraph import subset as _subset
from minigraph.summary.ops import histogram, merge, merge_all, scalar
from minigraph.summary.writer import FileWriter

__getattr__ = _subset.missing_names(__name__, "tf.summary")
