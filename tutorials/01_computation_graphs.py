# %% [markdown]
# # 1 · Computation graphs
#
# **Mirrors:** the first half of the worksheet, every code cell of it, in order: two
# placeholders made with `K.placeholder(shape=(2,2))`, `z = x + y`, `print(z)`,
# `z.graph.as_graph_def()`, running `z` in a `tf.Session()` with a `feed_dict`, then a
# variable made with `K.variable`, `K.dot`, and `tf.global_variables_initializer()`.
#
# **You will learn**
#
# - that `z = x + y` *describes* an addition and does not compute one;
# - how to read a graph, as text (the GraphDef) and as a picture;
# - what a `Session` does with a `feed_dict`;
# - why variables must be initialised, and where their values live.
#
# **How to read this notebook.** Where the text says *Worksheet In [n]*, the code cell
# under it is the worksheet's own cell, verbatim but for its imports, and the text after it
# explains what minigraph did. The other code cells are minigraph's additions: pictures,
# errors, a look inside.
#
# The worksheet was written for Keras 2 on TensorFlow 1.x. Here it runs on minigraph, a
# small graph engine written in numpy that keeps TensorFlow 1's names, so only the imports
# change. (Runs in 10 to 15 seconds, most of it importing TensorFlow for the optional last
# section.)
#
# ## Installing
#
# *Worksheet In [None]*: the worksheet installs Keras. Here the same cell installs
# minigraph, from the folder above this one, with what the notebooks need (Jupyter,
# matplotlib, jupytext). It is commented out because you have done it already if you are
# reading this in Jupyter; to run it, remove the `#`, or run the command without the `!`
# in a terminal, from the minigraph folder (`pip install -e ".[tutorials]"`).

# %%
# # !pip install -e "..[tutorials]"

# %% [markdown]
# *Worksheet In [1]*: the Keras backend, `K`, which makes graph nodes.

# %%
# The first time you run this, tensorflow is started up, which may take a while.

from minigraph.keras import backend as K

# %% [markdown]
# The comment is the worksheet's. minigraph starts nothing: it is plain Python on numpy, so
# the import takes a moment and prints nothing (Keras 2 printed `Using TensorFlow backend.`).
# `K` is minigraph's version of Keras 2's backend module: `K.placeholder`, `K.variable`,
# `K.dot` and friends make nodes of minigraph's graph, as Keras 2's made nodes of
# TensorFlow's.
#
# ## Placeholders and an op
#
# *Worksheet In [2]*: a **placeholder** is an input slot of the graph: it has a dtype and a
# shape, but no value yet. `K.placeholder` makes float32 ones, as Keras did.

# %%
x = K.placeholder(shape=(2,2))
y = K.placeholder(shape=(2,2))

z = x + y
print(z)

# %% [markdown]
# The same line the worksheet shows. Read it slowly. `z` is not a matrix. It is a
# **Tensor**: a handle on the first output (`:0`) of an operation named `add`. Its shape and
# dtype are already known, before any number exists: the graph works them out while it is
# being built. `x + y` called `add`, which added one node to the *default graph* and returned
# that node's output.
#
# The placeholders have names too. Names are unique in a graph, so the second one is
# `Placeholder_1`. (This cell and others without a worksheet label are minigraph's
# additions.)

# %%
print(x)
print(y)
print(f"z is output 0 of the {z.op.type_name} op {z.op.name!r}, whose inputs are",
      [tensor.name for tensor in z.op.inputs])

# %% [markdown]
# ## The graph as data: `as_graph_def()`
#
# *Worksheet In [3]*: every tensor knows its graph. `as_graph_def()` turns the graph into
# plain data: a list of nodes, each with a name, an op type, its inputs (by name) and its
# attributes. Jupyter shows it in protobuf text format, the layout TensorFlow used.

# %%
z.graph.as_graph_def()

# %% [markdown]
# Line for line what the worksheet shows, but for two lines:
#
# - `op: "AddV2"` where the worksheet says `op: "Add"`. Newer TensorFlow builds
#   `x + y` as an `AddV2` op, a successor of `Add` without `Add`'s string
#   concatenation, and minigraph uses today's name, so that its graphs compare with
#   TensorFlow's.
# - `producer`, the GraphDef's version: 21 in TensorFlow 1 of the worksheet's day, today's
#   number here.
#
# There are three nodes: two `Placeholder`s, with their `dtype` and `shape` as attributes,
# and `add`, whose inputs are the two placeholders in order. There are no values anywhere:
# this text is all a graph is. In TensorFlow 1 this is what was saved to disk, or sent to
# another machine to run.
#
# ## The graph as a picture
#
# `mg.viz.draw` draws a tensor and everything it needs. Ellipses are placeholders and
# rounded boxes are operations. Each node shows its name, its op type, and the shape and
# dtype it produces. The edge labels `x` and `y` say which argument each input fills.

# %%
import minigraph as mg  # minigraph's own name; the worksheet's cells below import it as tf

mg.viz.draw(z)

# %% [markdown]
# ## Running the graph: `Session.run` and `feed_dict`
#
# *Worksheet In [13]*: a **Session** runs a graph. `session.run(z, feed_dict=...)` finds the
# nodes `z` needs, takes the placeholders' values from the `feed_dict`, runs the nodes in
# order and returns the value of `z` as a numpy array.

# %%
import minigraph as tf
import numpy as np

with tf.Session() as session:
    x_value = np.random.rand(2,2)
    y_value = np.random.rand(2,2)

    result = session.run(z, feed_dict={x: x_value, y: y_value})

result

# %% [markdown]
# `import minigraph as tf` is the one change: the worksheet said `import tensorflow as tf`.
# minigraph keeps TensorFlow 1's names (`tf.Session`, `tf.global_variables_initializer`),
# so under the name `tf` the worksheet's cells run as they were written. The numbers are
# random, so they differ from the worksheet's; the float32 is the placeholders' dtype (the
# float64 values fed are converted, as TensorFlow does).
#
# The result belongs to this one run: nothing is stored on `z`. A node describes, a session
# computes. Here is a run with numbers you can check by eye. Given the session and the same
# `feed_dict`, `draw` runs the graph once more and writes each value on its node:

# %%
session = mg.Session()
feed = {x: [[1, 2], [3, 4]], y: [[10, 20], [30, 40]]}
print(session.run(z, feed_dict=feed))
mg.viz.draw(z, session=session, feed_dict=feed)

# %% [markdown]
# Every placeholder the fetched tensor needs must be fed, with a value that fits its shape.
# When one is missing or wrong, the error says which placeholder and why:

# %%
try:
    session.run(z, feed_dict={x: [[1, 2], [3, 4]]})  # y is not fed
except Exception as error:
    print(f"{type(error).__name__}: {error}")

try:
    session.run(z, feed_dict={x: [[1, 2, 3]], y: [[1, 2], [3, 4]]})  # x has the wrong shape
except Exception as error:
    print(f"{type(error).__name__}: {error}")

# %% [markdown]
# ## Variables and `K.dot`
#
# *Worksheet In [14]*: a placeholder gets a new value in every run. A **variable** is memory
# that lasts from one run to the next; a network's weights are variables. `K.variable` makes
# one from an initial value, and `K.dot` is the matrix product (`tf.matmul` underneath).

# %%
a = K.placeholder(shape=(2,2))
b = K.variable(value=np.random.rand(2,2)) # not that we have to provide an actual matrix

c = K.dot(a, b) # matrix multiplication
print(c)

# %% [markdown]
# The worksheet shows `MatMul_1:0` here, and minigraph `MatMul:0`. Both are right. Names are
# unique in a graph, so the second `MatMul` of a graph is called `MatMul_1`. The worksheet's
# cells are numbered In [3], then In [13]: its author had run cells In [4] to In [12] in the
# same graph, left out of the worksheet, and one of them had made a `MatMul`. Running the
# worksheet's cells in order, as here, `c` is the graph's first `MatMul`.
#
# `np.random.rand` gives float64 numbers; `K.variable` stores them as float32, Keras's
# default float type, so `b`, `a` and `c` agree.
#
# ## `global_variables_initializer`
#
# *Worksheet In [18]*: making the variable only added nodes to the graph. A session has no
# value for it until it runs the initializer, which gives every variable its initial value.

# %%
import minigraph as tf
import numpy as np


with tf.Session() as session:
    session.run(tf.global_variables_initializer()) # low level stuff, normally Keras handles this

    a_value = np.random.rand(2,2)

    result = session.run(c, feed_dict={a: a_value})

result

# %% [markdown]
# Keras 2 ran the initializer for you behind the scenes; the worksheet did it by hand,
# because it made its own session. The value of `b` lives in that session, not in the
# graph: when the `with` block closed the session, the value went with it. A new session
# starts with nothing, and running `c` in it fails, as it did in TensorFlow 1:

# %%
session = mg.Session()
try:
    session.run(c, feed_dict={a: [[1, 2], [3, 4]]})
except Exception as error:
    print(f"{type(error).__name__}: {error}")

# %% [markdown]
# `global_variables_initializer()` returns an op. Here is one more variable, with numbers
# you can check by eye, initialised in that new session:

# %%
w = K.variable(np.array([[1, 0], [0, 2]]))
product = K.dot(x, w)
init = mg.global_variables_initializer()
print(init)
session.run(init)
print(session.run(product, feed_dict={x: [[1, 2], [3, 4]]}))

# %% [markdown]
# An `assign_add` op changes a variable's value in the session, and the change is still
# there in the next run. A second session on the same graph starts with nothing:

# %%
grow = mg.assign_add(w, np.eye(2))  # w <- w + I, each time it runs
session.run(grow)
session.run(grow)
print(session.run(w))
print("is w initialised in a new session?", mg.Session().is_initialized(w))

# %% [markdown]
# ## The whole graph
#
# Every cell above added nodes to the same default graph. Here it is, all of it. The
# variables are cylinders (their storage). `Variable/read` reads one, `Variable/Assign`
# writes its initial value, and orange edges reach the storage itself. `init` is a `NoOp`:
# it computes nothing, and its dashed *control* edges mean "run these assignments first".

# %%
mg.viz.draw(mg.get_default_graph())

# %%
for node in mg.get_default_graph().as_graph_def().node:
    print(f"{node.name:24} {node.op:12} inputs: {node.input}")

# %% [markdown]
# ## Side by side with TensorFlow 1 (optional)
#
# If TensorFlow is installed, the next cells build the same graph with `tf.compat.v1` in
# graph mode, which is what `K.placeholder` and `K.variable` did under Keras 2, and print the
# two versions next to each other. A `|` marks the lines that differ. Importing TensorFlow
# takes a few seconds. (From here on, `tf` is TensorFlow itself.)

# %%
import itertools
import os

# Set before TensorFlow loads: hide its start-up log. TensorFlow 2.21 still prints a banner
# about oneDNN's different rounding, unless oneDNN is off (its plain kernels are used then).
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
try:
    import tensorflow as tf
except ImportError:
    tf = None
    print("TensorFlow is not installed (pip install tensorflow-cpu): the comparison is skipped.")


def side_by_side(left: str, right: str, titles=("minigraph", "TensorFlow"), width: int = 56) -> None:
    """Prints two texts in two columns; '|' marks the lines that differ."""
    print(f"{titles[0]:<{width}}   {titles[1]}")
    print("-" * width + "   " + "-" * width)
    for a, b in itertools.zip_longest(left.splitlines(), right.splitlines(), fillvalue=""):
        print(f"{a:<{width}} {' ' if a == b else '|'} {b}")


# %% [markdown]
# Each graph gets its own fresh `Graph`, so that names start again from `Placeholder`. The
# TensorFlow variable is made with `use_resource=False`, the kind TensorFlow 1 made.

# %%
if tf is not None:
    tf1 = tf.compat.v1
    with mg.Graph().as_default() as mg_graph:
        mg_x = K.placeholder(shape=(2, 2))
        mg_y = K.placeholder(shape=(2, 2))
        mg_z = mg_x + mg_y
        mg_w = K.variable(np.array([[1, 0], [0, 2]]))
        mg_product = K.dot(mg_x, mg_w)
        mg_init = mg.global_variables_initializer()
    with tf.Graph().as_default() as tf_graph:
        tf_x = tf1.placeholder(tf.float32, shape=(2, 2))
        tf_y = tf1.placeholder(tf.float32, shape=(2, 2))
        tf_z = tf_x + tf_y
        tf_w = tf1.Variable(np.array([[1, 0], [0, 2]], dtype=np.float32), use_resource=False)
        tf_product = tf.matmul(tf_x, tf_w)
        tf_init = tf1.global_variables_initializer()

    with mg.Session(mg_graph) as mg_session:
        mg_session.run(mg_init)
        mg_values = mg_session.run([mg_z, mg_product], {mg_x: feed[x], mg_y: feed[y]})
    with tf1.Session(graph=tf_graph) as tf_session:
        tf_session.run(tf_init)
        tf_values = tf_session.run([tf_z, tf_product], {tf_x: feed[x], tf_y: feed[y]})

    side_by_side("\n".join(str(t) for t in [mg_z, mg_w, mg_product] + mg_values),
                 "\n".join(str(t) for t in [tf_z, tf_w, tf_product] + tf_values))


# %% [markdown]
# The tensors print the same and the values agree. TensorFlow 1's variables were "ref"
# tensors, hence its `float32_ref`. Now the two GraphDefs, node by node: name, op type and
# inputs.

# %%
def node_lines(graph_def) -> str:
    return "\n".join(f"{node.name:22} {node.op:10} {list(node.input)}" for node in graph_def.node)


if tf is not None:
    side_by_side(node_lines(mg_graph.as_graph_def()), node_lines(tf_graph.as_graph_def()), width=76)

# %% [markdown]
# The same nodes, with the same names, op types and inputs. Print both GraphDefs in full and
# you will see small differences in the attributes: TensorFlow lists a node's attributes in
# no fixed order, stores a constant's numbers as raw bytes (`tensor_content`), and its newer
# versions add a few attributes (`grad_a`, `grad_b` on `MatMul`) that TensorFlow 1 did not
# have.
#
# **Next:** notebook 2 builds the worksheet's MNIST network, out of nodes like these.
