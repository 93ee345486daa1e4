# %% [markdown]
# # 7 · When you outgrow minigraph
#
# **Mirrors:** the worksheet's network (`Dense(128)`, relu, `Dense(10)`, softmax, Adam), trained
# in minigraph and then handed over to the frameworks that scale: Keras and TensorFlow (which run on
# GPUs and, with `tf.distribute`, on many machines) and ONNX Runtime.
#
# **You will learn** that a trained model is a graph plus the values of its variables, and that
# moving it means writing both down in a form the other library reads: a *frozen* GraphDef for
# TensorFlow, a Keras model with the same layers and weights, an ONNX file. Each library then
# checks, by computing, that it means what minigraph meant.
#
# (Runs in about a minute: importing TensorFlow, the PCA of MNIST, short training runs.)

# %%
import os

# Set before TensorFlow loads: hide its start-up log, and use its plain kernels (oneDNN off)
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import tempfile

import numpy as np
import onnxruntime
import tensorflow as tf

import minigraph as mg
import minigraph.onnx
from minigraph.examples.worksheet import build_model, load_pca_mnist
from minigraph.keras.models import from_keras
from minigraph.keras.utils import set_random_seed

export_dir = tempfile.mkdtemp()

# %% [markdown]
# ## Trained in minigraph
#
# The worksheet's data (PCA to 60 numbers) and network, one epoch on the first 6,400 rows.

# %%
(x_train, y_train), (x_test, y_test) = load_pca_mnist()
x_test = x_test.astype("float32")  # ONNX Runtime takes exactly the dtype the model declares
set_random_seed(0)
model = build_model()
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train[:6400], y_train[:6400], epochs=1, batch_size=32, verbose=0)
ours = model.predict(x_test)
print("minigraph: test accuracy", model.evaluate(x_test, y_test, verbose=0)[1])

# %% [markdown]
# ## To TensorFlow: a frozen graph
#
# `convert_variables_to_constants` (TF1's name) keeps the nodes the output needs and turns each
# variable into a constant holding its trained value: the initializers, the loss and Adam's
# nodes fall away. Each op is written the way TensorFlow's op registry checks it (`Reshape`'s
# target shape, a reduction's axes: inputs there, attributes in minigraph). `write_graph` writes
# TensorFlow's binary `.pb`.

# %%
output_name = model.output.op.name
frozen = mg.graph_util.convert_variables_to_constants(model.session, model.graph.as_graph_def(), [output_name])
print([(node.name, node.op) for node in frozen.node])
path = mg.train.write_graph(frozen, export_dir, "worksheet.pb", as_text=False)

# %% [markdown]
# TensorFlow reads the file with its own `GraphDef` class, imports it and runs it, fed the same
# test images.

# %%
graph_def = tf.compat.v1.GraphDef()
with open(path, "rb") as file:
    graph_def.ParseFromString(file.read())
with tf.Graph().as_default() as tf_graph:
    tf.compat.v1.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=tf_graph) as session:
        theirs = session.run(model.output.name, {model.input.name: x_test})
print("largest difference:", np.abs(theirs - ours).max(), "(TensorFlow - minigraph)")
print("same predicted digits:", np.array_equal(theirs.argmax(1), ours.argmax(1)))

# %% [markdown]
# The graph TensorFlow imported, drawn: `mg.import_graph_def` rebuilds TensorFlow's GraphDef as
# minigraph nodes (the other direction of the move), and `mg.viz.draw` draws them. The
# variables are constants now: `dense/kernel` and its `read` feed `MatMul` directly.

# %%
with mg.Graph().as_default() as imported:
    mg.import_graph_def(tf_graph.as_graph_def(), name="")
mg.viz.draw(imported, rankdir="LR")

# %% [markdown]
# ## To Keras, and on training there
#
# `model.to_keras()` builds a Keras 3 model with the same layers (by class name and arguments)
# and copies the weights layer by layer. It predicts what minigraph predicts; compiled, it trains
# on, in Keras, from where minigraph stopped.

# %%
keras_model = model.to_keras()
keras_model.summary()
print("largest difference:", np.abs(keras_model.predict(x_test, verbose=0) - ours).max(), "(Keras - minigraph)")

keras_model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
keras_model.fit(x_train[6400:12800], y_train[6400:12800], epochs=1, batch_size=32, verbose=0)
print("Keras, one more epoch: test accuracy", keras_model.evaluate(x_test, y_test, verbose=0)[1])

# %% [markdown]
# And back: `from_keras` makes the minigraph model of the Keras one, to take apart again.

# %%
back = from_keras(keras_model)
print("largest difference:", np.abs(back.predict(x_test) - keras_model.predict(x_test, verbose=0)).max(),
      "(minigraph, back from Keras - Keras)")

# %% [markdown]
# ## To ONNX
#
# `minigraph.onnx.export` writes the same graph as an ONNX model (opset 18): the variables
# become *initializers*, each op one or a few ONNX nodes. ONNX Runtime runs it; `pip install
# netron` then `netron worksheet.onnx` draws it in a browser.

# %%
onnx_path = os.path.join(export_dir, "worksheet.onnx")
minigraph.onnx.export(model.session, model.output, onnx_path)
runtime = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
(from_onnx,) = runtime.run(None, {model.input.op.name: x_test})
print("largest difference:", np.abs(from_onnx - ours).max(), "(ONNX Runtime - minigraph)")
