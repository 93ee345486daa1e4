"""``mg.io``: TF1's ``tf.io`` names minigraph has: ``write_graph`` (graph_io.py)."""

from minigraph import subset as _subset
from minigraph.graph_io import write_graph  # noqa: F401

__getattr__ = _subset.missing_names(__name__, "tf.io")
