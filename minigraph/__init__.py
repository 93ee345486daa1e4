"""minigraph: a small, readable TensorFlow-1-style computation-graph engine on numpy.

    import minigraph as mg

    x = mg.placeholder(mg.float32, shape=(2, 2))
    y = mg.placeholder(mg.float32, shape=(2, 2))
    z = x + y
    print(z)                    # Tensor("add:0", shape=(2, 2), dtype=float32)
    with mg.Session() as sess:
        print(sess.run(z, feed_dict={x: [[1, 2], [3, 4]], y: [[1, 1], [1, 1]]}))

Where to read next: graph.py (nodes and the Graph), ops/ (one class per op),
gradients.py (the backward graph), session.py (running a graph).
"""

from minigraph import errors, nn, train
from minigraph.dtypes import as_dtype, bool, float32, float64, int32, int64  # noqa: A004
from minigraph.gradients import gradients
from minigraph.graph import (
    Graph,
    Operation,
    Tensor,
    control_dependencies,
    get_default_graph,
    get_default_session,
    name_scope,
    reset_default_graph,
)
from minigraph.ops import *  # noqa: F401,F403  (the op functions: add, matmul, ...)
from minigraph.ops import Variable
from minigraph.session import InteractiveSession, Session
from minigraph import viz

__version__ = "0.1.0"
