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

from minigraph import app, errors, flags, gfile, initializers, logging, losses, nn, passes, random, summary, train, viz  # noqa: A004,E501  (TF1's program shell)
from minigraph import graph_util as graph_util  # tf.graph_util: freezing a trained graph
from minigraph import io as io  # tf.io: write_graph
from minigraph import subset as _subset
from minigraph.dtypes import (
    DType,
    as_dtype,
    bool,  # noqa: A004  (tf.bool)
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    string,
    uint8,
    uint16,
    uint32,
    uint64,
)
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
from minigraph.graph_def import GraphDef
from minigraph.importer import import_graph_def
from minigraph.initializers import Constant as constant_initializer  # TF1's long names of the initializers
from minigraph.initializers import GlorotNormal as glorot_normal_initializer
from minigraph.initializers import GlorotUniform as glorot_uniform_initializer
from minigraph.initializers import Ones as ones_initializer
from minigraph.initializers import RandomNormal as random_normal_initializer
from minigraph.initializers import RandomUniform as random_uniform_initializer
from minigraph.initializers import TruncatedNormal as truncated_normal_initializer
from minigraph.initializers import VarianceScaling as variance_scaling_initializer
from minigraph.initializers import Zeros as zeros_initializer
from minigraph.ops import *  # noqa: F401,F403  (the op functions: add, matmul, ...)
from minigraph.ops import Variable
from minigraph.ops.conversion import to_double, to_float, to_int32, to_int64
from minigraph.ops.creation import eye, fill, lin_space, linspace, ones, range, zeros  # noqa: A004
from minigraph.passes import ConfigProto, GraphOptions, OptimizerOptions  # the session's config: passes, JIT
from minigraph.session import InteractiveSession, Session
from minigraph.variable_scope import (
    AUTO_REUSE,
    VariableScope,
    get_variable,
    get_variable_scope,
    initialize_all_variables,
    local_variables,
    local_variables_initializer,
    variable_scope,
)

__version__ = "0.1.0"

# a TF 1.x name minigraph lacks says so (see subset.py)
__getattr__ = _subset.missing_names(__name__, "tf")
