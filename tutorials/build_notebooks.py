"""Writes the tutorial notebooks in this folder: ``python tutorials/build_notebooks.py``.

The notebooks are generated, not edited by hand: each one is a list of markdown and
code cells below, so a change is reviewed here as plain Python text, and the stored
``.ipynb`` files stay small (no outputs, no execution counts, fixed cell ids), which
keeps their diffs readable. Edit a cell here, run this script, commit both.

``tests/test_tutorials.py`` runs every notebook top to bottom in a real kernel and
checks that the stored notebooks are exactly what this script writes.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def md(text: str):
    return new_markdown_cell(textwrap.dedent(text).strip())


def code(text: str):
    return new_code_cell(textwrap.dedent(text).strip())


# --- 1. computation graphs ---------------------------------------------------------


def computation_graphs() -> list:
    return [
        md('''
            # 1 · Computation graphs

            **Mirrors:** the first half of the worksheet, the cells that make two placeholders with
            `K.placeholder(shape=(2, 2))`, add them (`z = x + y`), print `z` and
            `z.graph.as_graph_def()`, run `z` in a `Session` with a `feed_dict`, then make a variable
            with `K.variable`, initialise it with `global_variables_initializer()` and multiply with
            `K.dot`.

            **You will learn**

            - that `z = x + y` *describes* an addition and does not compute one;
            - how to read a graph, as text (the GraphDef) and as a picture;
            - what a `Session` does with a `feed_dict`;
            - why variables must be initialised, and where their values live.

            The worksheet was written for Keras 2 on TensorFlow 1.x. Here it runs on minigraph, a small
            graph engine written in numpy that keeps TensorFlow 1's names, so only the imports change.
            (Runs in 10 to 15 seconds, most of it importing TensorFlow for the optional last section.)
        '''),
        code('''
            import numpy as np

            import minigraph as mg                      # the worksheet: import tensorflow as tf
            from minigraph.keras import backend as K    # the worksheet: from keras import backend as K
        '''),
        md('''
            ## Placeholders and an op

            A **placeholder** is an input slot of the graph: it has a dtype and a shape, but no value yet.
            `K.placeholder` makes float32 ones, as Keras did.
        '''),
        code('''
            x = K.placeholder(shape=(2, 2))
            y = K.placeholder(shape=(2, 2))
            z = x + y
            print(z)
        '''),
        md('''
            Read that line slowly. `z` is not a matrix. It is a **Tensor**: a handle on the first output
            (`:0`) of an operation named `add`. Its shape and dtype are already known, before any number
            exists: the graph works them out while it is being built. `x + y` called `mg.add`, which added
            one node to the *default graph* and returned that node's output.

            The placeholders have names too. Names are unique in a graph, so the second one is
            `Placeholder_1`.
        '''),
        code('''
            print(x)
            print(y)
            print(f"z is output 0 of the {z.op.type_name} op {z.op.name!r}, whose inputs are",
                  [tensor.name for tensor in z.op.inputs])
        '''),
        md('''
            ## The graph as data: `as_graph_def()`

            Every tensor knows its graph. `as_graph_def()` turns the graph into plain data: a list of
            nodes, each with a name, an op type, its inputs (by name) and its attributes. It prints in
            protobuf text format, the same layout TensorFlow prints.
        '''),
        code('''
            print(z.graph.as_graph_def())
        '''),
        md('''
            There are three nodes: two `Placeholder`s, with their `dtype` and `shape` as attributes, and
            `add`, of op type `AddV2`, whose inputs are the two placeholders in order. There are no values
            anywhere: this text is all a graph is. In TensorFlow 1 this is what was saved to disk, or sent
            to another machine to run.

            ## The graph as a picture

            `mg.viz.draw` draws a tensor and everything it needs. Ellipses are placeholders and rounded
            boxes are operations. Each node shows its name, its op type, and the shape and dtype it
            produces. The edge labels `x` and `y` say which argument each input fills.
        '''),
        code('''
            mg.viz.draw(z)
        '''),
        md('''
            ## Running the graph: `Session.run` and `feed_dict`

            A **Session** runs a graph. `session.run(z, feed_dict=...)` finds the nodes `z` needs, takes
            the placeholders' values from the `feed_dict`, runs the nodes in order and returns the value
            of `z` as a numpy array.
        '''),
        code('''
            session = mg.Session()
            feed = {x: [[1, 2], [3, 4]], y: [[10, 20], [30, 40]]}
            result = session.run(z, feed_dict=feed)
            print(result)
            print(type(result).__name__, result.dtype)
        '''),
        md('''
            The result belongs to this one run: nothing is stored on `z`. A node describes, a session
            computes. Given the session and the same `feed_dict`, `draw` runs the graph once and writes
            each value on its node:
        '''),
        code('''
            mg.viz.draw(z, session=session, feed_dict=feed)
        '''),
        md('''
            Every placeholder the fetched tensor needs must be fed, with a value that fits its shape.
            When one is missing or wrong, the error says which placeholder and why:
        '''),
        code('''
            try:
                session.run(z, feed_dict={x: [[1, 2], [3, 4]]})  # y is not fed
            except Exception as error:
                print(f"{type(error).__name__}: {error}")

            try:
                session.run(z, feed_dict={x: [[1, 2, 3]], y: [[1, 2], [3, 4]]})  # x has the wrong shape
            except Exception as error:
                print(f"{type(error).__name__}: {error}")
        '''),
        md('''
            ## Variables, `global_variables_initializer` and `K.dot`

            A placeholder gets a new value in every run. A **variable** is memory that lasts from one run
            to the next. A network's weights are variables. `K.variable` makes one from an initial value,
            and `K.dot` is the matrix product (`tf.matmul` underneath).
        '''),
        code('''
            w = K.variable(np.array([[1, 0], [0, 2]]))
            product = K.dot(x, w)
            print(w)
            print(product)
        '''),
        md('''
            Making the variable only added nodes to the graph. The session has no value for it yet, so
            running `product` fails, as it did in TensorFlow 1:
        '''),
        code('''
            try:
                session.run(product, feed_dict={x: [[1, 2], [3, 4]]})
            except Exception as error:
                print(f"{type(error).__name__}: {error}")
        '''),
        md('''
            `global_variables_initializer()` returns an op. Running it gives every variable its initial
            value in this session. Keras 2 did this for you behind the scenes, and the worksheet did it
            by hand.
        '''),
        code('''
            init = mg.global_variables_initializer()
            print(init)
            session.run(init)
            print(session.run(product, feed_dict={x: [[1, 2], [3, 4]]}))
        '''),
        md('''
            The value of `w` lives in the session, not in the graph. An `assign_add` op changes it, and the
            change is still there in the next run. A second session on the same graph starts with nothing:
        '''),
        code('''
            grow = mg.assign_add(w, np.eye(2))  # w <- w + I, each time it runs
            session.run(grow)
            session.run(grow)
            print(session.run(w))
            print("is w initialised in a new session?", mg.Session().is_initialized(w))
        '''),
        md('''
            ## The whole graph

            Every cell above added nodes to the same default graph. Here it is, all of it. The variable is
            a cylinder (its storage). `Variable/read` reads it, `Variable/Assign` writes its initial value,
            and orange edges reach the storage itself. `init` is a `NoOp`: it computes nothing, and its
            dashed *control* edge means "run `Variable/Assign` first".
        '''),
        code('''
            mg.viz.draw(mg.get_default_graph())
        '''),
        code('''
            for node in mg.get_default_graph().as_graph_def().node:
                print(f"{node.name:24} {node.op:12} inputs: {node.input}")
        '''),
        md('''
            ## Side by side with TensorFlow 1 (optional)

            If TensorFlow is installed, the next cells build the same graph with `tf.compat.v1` in graph
            mode, which is what `K.placeholder` and `K.variable` did under Keras 2, and print the two
            versions next to each other. A `|` marks the lines that differ. Importing TensorFlow takes a
            few seconds.
        '''),
        code('''
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
        '''),
        md('''
            Each graph gets its own fresh `Graph`, so that names start again from `Placeholder`. The
            TensorFlow variable is made with `use_resource=False`, the kind TensorFlow 1 made.
        '''),
        code('''
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

                side_by_side("\\n".join(str(t) for t in [mg_z, mg_w, mg_product] + mg_values),
                             "\\n".join(str(t) for t in [tf_z, tf_w, tf_product] + tf_values))
        '''),
        md('''
            The tensors print the same and the values agree. TensorFlow 1's variables were "ref" tensors,
            hence its `float32_ref`. Now the two GraphDefs, node by node: name, op type and inputs.
        '''),
        code('''
            def node_lines(graph_def) -> str:
                return "\\n".join(f"{node.name:22} {node.op:10} {list(node.input)}" for node in graph_def.node)


            if tf is not None:
                side_by_side(node_lines(mg_graph.as_graph_def()), node_lines(tf_graph.as_graph_def()), width=76)
        '''),
        md('''
            The same nodes, with the same names, op types and inputs. Print both GraphDefs in full and you
            will see small differences in the attributes: TensorFlow lists a node's attributes in no fixed
            order, stores a constant's numbers as raw bytes (`tensor_content`), and its newer versions add
            a few attributes (`grad_a`, `grad_b` on `MatMul`) that TensorFlow 1 did not have.

            **Next:** notebook 2 builds the worksheet's MNIST network, out of nodes like these.
        '''),
    ]


# --- 2. the MNIST dense network ------------------------------------------------------


def mnist_dense_network() -> list:
    return [
        md('''
            # 2 · The MNIST dense network

            **Mirrors:** the second half of the worksheet: load MNIST, flatten each image to 784 pixels,
            reduce them to 60 numbers with PCA, one-hot the labels, build
            `Sequential([Dense(128), Activation('relu'), Dense(10), Activation('softmax')])`, print its
            `summary()` (9,098 parameters) and draw it with `plot_model`, `compile` with Adam and
            categorical cross-entropy, `fit` for 5 epochs with `batch_size=32` and
            `validation_split=1/6`, and measure the test accuracy (about 0.96).

            **You will learn** what each of those steps does to the data, how to read the training curves
            in `history.history`, and that a Keras model is a computation graph like the one in notebook 1,
            just bigger.

            Only the imports differ from the worksheet:

            | worksheet (Keras 2, TensorFlow 1) | here (minigraph) |
            |---|---|
            | `from keras.datasets import mnist` | `from minigraph.keras.datasets import mnist` |
            | `from sklearn.decomposition import PCA` | `from minigraph.decomposition import PCA` |
            | `from keras.utils import to_categorical, plot_model` | `from minigraph.keras.utils import to_categorical, plot_model` |
            | `from keras.models import Sequential` | `from minigraph.keras.models import Sequential` |
            | `from keras.layers import Dense, Activation` | `from minigraph.keras.layers import Dense, Activation` |

            (Runs in under half a minute: the PCA of 60,000 images takes a few seconds, and each epoch
            about one.)
        '''),
        code('''
            %matplotlib inline
            import matplotlib.pyplot as plt
            import numpy as np

            import minigraph as mg
            from minigraph.decomposition import PCA
            from minigraph.keras.datasets import mnist
            from minigraph.keras.layers import Activation, Dense
            from minigraph.keras.models import Sequential
            from minigraph.keras.utils import plot_model, set_random_seed, to_categorical

            set_random_seed(0)  # the same initial weights and shuffles on every run
        '''),
        md('''
            ## The data

            `load_data()` returns the images as 28×28 arrays of `uint8` grey levels (0 to 255) and the
            labels as digits, 60,000 for training and 10,000 for testing. (The first call downloads
            11 MB and caches it.)
        '''),
        code('''
            (x_train, y_train), (x_test, y_test) = mnist.load_data()
            print("x_train", x_train.shape, x_train.dtype, " y_train", y_train.shape, y_train.dtype)
            print("x_test ", x_test.shape, x_test.dtype, " y_test ", y_test.shape, y_test.dtype)

            fig, axes = plt.subplots(1, 10, figsize=(10, 1.4))
            for image, label, ax in zip(x_train, y_train, axes):
                ax.imshow(image, cmap="gray_r")
                ax.set_title(str(label))
                ax.axis("off")
            plt.show()
        '''),
        md('''
            A dense layer takes a vector per example, so each image is flattened to its 784 pixels, row
            after row. The grey levels stay as they are (0 to 255), as in the worksheet; notebook 3 shows
            what that costs.
        '''),
        code('''
            x_train_flat = x_train.reshape(len(x_train), 784).astype("float32")
            x_test_flat = x_test.reshape(len(x_test), 784).astype("float32")
            print(x_train_flat.shape, x_test_flat.shape)
        '''),
        md('''
            ## PCA: 784 pixels to 60 numbers

            Neighbouring pixels are strongly correlated, so most of the 784 numbers are redundant. PCA finds
            the directions in pixel space along which the training images vary most, and describes each
            image by its coordinates along the first 60. It is fitted on the training images only, and the
            same projection is then applied to the test images.
        '''),
        code('''
            pca = PCA(n_components=60).fit(x_train_flat)
            x_train_pca = pca.transform(x_train_flat)
            x_test_pca = pca.transform(x_test_flat)
            print("x_train_pca", x_train_pca.shape, " x_test_pca", x_test_pca.shape)
            print(f"variance kept by 60 components: {pca.explained_variance_ratio_.sum():.1%}")
            print(f"feature range: {x_train_pca.min():.0f} to {x_train_pca.max():.0f}")
        '''),
        md('''
            60 numbers keep most of the variation between images. What they keep is visible: go back from
            the 60 coordinates to 784 pixels (`mean + coordinates @ components`) and compare with the
            originals. Note also that the features run into the hundreds and thousands: they are not scaled.
        '''),
        code('''
            reconstructed = pca.mean_ + x_test_pca[:8] @ pca.components_
            fig, axes = plt.subplots(2, 8, figsize=(10, 2.8))
            for i in range(8):
                axes[0, i].imshow(x_test[i], cmap="gray_r")
                axes[1, i].imshow(reconstructed[i].reshape(28, 28), cmap="gray_r")
                axes[0, i].axis("off")
                axes[1, i].axis("off")
            axes[0, 0].set_title("original", loc="left")
            axes[1, 0].set_title("from 60 PCA numbers", loc="left")
            plt.show()
        '''),
        md('''
            ## One-hot labels

            The network ends in 10 probabilities, one per digit, so each label becomes a row of 10 numbers
            with a 1 at the digit's place: the distribution the network should predict.
        '''),
        code('''
            y_train_onehot = to_categorical(y_train, 10)
            y_test_onehot = to_categorical(y_test, 10)
            print(y_train[:3])
            print(y_train_onehot[:3])
        '''),
        md('''
            ## The model

            60 inputs, a hidden layer of 128 units with relu, and 10 outputs with softmax, exactly the
            worksheet's `Sequential` model. Only the first layer needs `input_shape`; the others
            work theirs out from the layer before.
        '''),
        code('''
            model = Sequential([
                Dense(128, input_shape=(60,)),
                Activation("relu"),
                Dense(10),
                Activation("softmax"),
            ])
            model.summary()
        '''),
        md('''
            Where 9,098 comes from: the first `Dense` has a 60×128 kernel and 128 biases
            (7,680 + 128 = 7,808), the second a 128×10 kernel and 10 biases (1,280 + 10 = 1,290), and
            activations have no weights.

            `plot_model` draws the model one box per layer, as Keras does. (Give it `to_file="model.png"`
            to also write a picture.)
        '''),
        code('''
            plot_model(model, show_shapes=True)
        '''),
        md('''
            One level down, the model is an ordinary computation graph, like `z = x + y` in notebook 1.
            Each layer's nodes are grouped under its name (`dense/MatMul`, `dense/BiasAdd`...), and `None`
            is the batch size, which is known only when data arrives.
        '''),
        code('''
            mg.viz.draw(model.outputs)
        '''),
        md('''
            ## Compile and fit

            `compile` adds the training part of the graph once: a placeholder for the labels, the loss,
            the accuracy, and the optimizer's gradient and update nodes. `fit` is then a loop of
            `session.run(train_op, feed_dict={images: batch, labels: batch_labels})`.

            `validation_split=1/6` holds out the *last* 10,000 training rows, before any shuffling. The
            network never trains on them; they are scored at the end of each epoch (`val_loss`,
            `val_accuracy`), and the remaining 50,000 rows are shuffled and cut into batches of 32
            (1,563 steps per epoch).
        '''),
        code('''
            model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
            history = model.fit(x_train_pca, y_train_onehot, epochs=5, batch_size=32, validation_split=1 / 6)
        '''),
        md('''
            ## The test set

            The test images played no part in training or in choosing anything, so they give an honest
            estimate of the accuracy on new handwriting.
        '''),
        code('''
            test_loss, test_accuracy = model.evaluate(x_test_pca, y_test_onehot, verbose=0)
            print(f"Test loss: {test_loss:.4f}")
            print(f"Test accuracy: {test_accuracy:.4f}")
        '''),
        md('''
            ## The training curves

            `fit` returned a `History`, and `history.history` holds one number per epoch for each of `loss`,
            `accuracy`, `val_loss` and `val_accuracy`.
        '''),
        code('''
            epochs = np.arange(1, len(history.history["loss"]) + 1)
            fig, (loss_ax, accuracy_ax) = plt.subplots(1, 2, figsize=(11, 3.8))
            for key, style in (("loss", "o-"), ("val_loss", "s--")):
                loss_ax.plot(epochs, history.history[key], style, label=key)
            for key, style in (("accuracy", "o-"), ("val_accuracy", "s--")):
                accuracy_ax.plot(epochs, history.history[key], style, label=key)
            loss_ax.set(title="loss (categorical cross-entropy)", xlabel="epoch")
            accuracy_ax.set(title="accuracy", xlabel="epoch")
            for ax in (loss_ax, accuracy_ax):
                ax.set_xticks(epochs)
                ax.grid(alpha=0.3)
                ax.legend()
            plt.show()
        '''),
        md('''
            How to read them:

            - Training accuracy climbs every epoch. The validation accuracy climbs too, then flattens out
              (and may wobble) near the test accuracy. A growing gap between the two curves would be the
              first sign of overfitting.
            - The losses are large for a 10-class problem (guessing uniformly scores ln 10 ≈ 2.3), even
              though 96% of the answers are right. Because the inputs are not scaled, the network's scores
              (its *logits*) reach the hundreds: when it is wrong it is wrong with near certainty, and each
              such mistake costs a loss of tens or hundreds. Notebook 3 looks at this closely.

            ## A few predictions

            `predict` gives the 10 probabilities per image; the guess is the largest one.
        '''),
        code('''
            probabilities = model.predict(x_test_pca[:10])
            guesses = probabilities.argmax(axis=1)
            fig, axes = plt.subplots(1, 10, figsize=(10, 1.6))
            for image, guess, label, ax in zip(x_test, guesses, y_test, axes):
                ax.imshow(image, cmap="gray_r")
                ax.set_title(f"{guess}", color="green" if guess == label else "red")
                ax.axis("off")
            plt.show()
            print("guesses:", guesses)
            print("labels: ", y_test[:10])
        '''),
        md('''
            **Try it:** scale the features before training (for example
            `x_train_pca / x_train_pca.std()`, and the same number for the test set) and compare the loss
            values and curves. Or keep 30 components instead of 60. Which matters more for accuracy?
        '''),
    ]


# --- 3. how gradients are built -------------------------------------------------------


def how_gradients_are_built() -> list:
    return [
        md('''
            # 3 · How gradients are built

            **Mirrors:** what happens inside the worksheet's `model.compile(optimizer='adam',
            loss='categorical_crossentropy')` and `model.fit(...)`: the optimizer asks for the gradient of
            the loss with respect to every weight, and TensorFlow 1 (and minigraph) answer by adding a
            *backward graph* to the forward one.

            **You will learn**

            - that `mg.gradients` returns ordinary graph nodes, and how to read the backward graph;
            - how to check a gradient with numbers alone (central differences in float64);
            - why the loss must be computed from the logits: on the worksheet's unscaled inputs, the
              textbook formula gives `inf` and `NaN`, and the fused softmax cross-entropy does not;
            - that a gradient can be differentiated again: second derivatives and Hessian-vector products.

            (Runs in about 10 seconds, most of it the PCA of MNIST.)
        '''),
        code('''
            import numpy as np

            import minigraph as mg

            np.set_printoptions(precision=4, suppress=True, linewidth=110)
        '''),
        md('''
            ## A small forward graph

            One dense layer with relu, and a squared error against targets: a network of the worksheet's
            kind, in miniature. It uses float64 so the numeric checks below can be precise.
        '''),
        code('''
            graph = mg.Graph()
            with graph.as_default():
                x = mg.placeholder(mg.float64, shape=(None, 3), name="x")
                target = mg.placeholder(mg.float64, shape=(None, 2), name="target")
                W = mg.Variable(np.array([[0.5, -0.3], [0.2, 0.8], [-0.6, 0.1]]), name="W")
                b = mg.Variable(np.array([0.1, -0.2]), name="b")
                prediction = mg.nn.relu(x @ W + b)
                loss = mg.reduce_mean(mg.square(prediction - target))
            mg.viz.draw(loss)
        '''),
        md('''
            ## `mg.gradients` adds the backward graph

            `mg.gradients(loss, [W, b])` walks from `loss` back to `W` and `b`. At each op it applies that
            op's local derivative rule (the chain rule, one op at a time), and every rule is written with
            ordinary ops. What comes back is therefore not numbers but two new tensors in the same graph:
        '''),
        code('''
            with graph.as_default():
                grad_W, grad_b = mg.gradients(loss, [W, b])
            print(grad_W)
            print(grad_b)
        '''),
        md('''
            Draw the loss and its gradients together. The backward graph sits in the red box, next to the
            forward graph it was built from:

            - each forward op has a `<op>_grad` group that applies its rule: `Mean_grad` spreads the
              incoming 1 evenly over the numbers it averaged, `Square_grad` multiplies by
              2·(prediction − target), `Relu_grad` lets the gradient through only where the relu's
              input was positive, `add_grad` sums over the batch for `b` (the bias was *broadcast* over
              the rows, so its gradient is summed back), and `MatMul_grad` computes `xᵀ @ g` for `W`;
            - the grey edges are forward values the backward graph reads. That is why training keeps
              every layer's activations in memory until the backward pass has used them.
        '''),
        code('''
            mg.viz.draw([loss, grad_W, grad_b], show_gradients=True)
        '''),
        md('''
            With `show_gradients=False` the drawing leaves out the nodes `gradients()` added, and the
            forward graph is back as it was:
        '''),
        code('''
            mg.viz.draw([loss, grad_W, grad_b], show_gradients=False)
        '''),
        md('''
            The gradients are fetched like any tensor. Given a session and a feed, `draw` writes every value
            on its node, so you can follow the numbers back from the loss to `W`:
        '''),
        code('''
            with graph.as_default():
                init = mg.global_variables_initializer()
            session = mg.Session(graph)
            session.run(init)
            feed = {
                x: np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0], [-0.5, 0.7, 0.1], [2.0, 0.4, -1.0]]),
                target: np.array([[0.5, 1.0], [0.0, 0.2], [1.0, 0.0], [0.3, 0.3]]),
            }
            loss_value, grad_W_value, grad_b_value = session.run([loss, grad_W, grad_b], feed)
            print("loss  ", loss_value)
            print("dL/dW\\n", grad_W_value)
            print("dL/db ", grad_b_value)
        '''),
        code('''
            mg.viz.draw([grad_W, grad_b], session=session, feed_dict=feed)
        '''),
        md('''
            ## A numeric gradient check

            A derivative can be checked with nothing but the forward graph. Nudge one weight up by a
            small ε and down by ε, and compare the loss:

            $$\\frac{\\partial L}{\\partial w_i} \\approx \\frac{L(w + \\varepsilon e_i) - L(w - \\varepsilon e_i)}{2\\varepsilon}$$

            The error of this *central* difference shrinks like ε², and rounding adds about
            (machine precision)/ε. In float64 (precision about 1e-16), ε = 1e-6 leaves an error near 1e-10.
            In float32 (about 1e-7) even the best ε leaves errors near 1e-5 to 1e-4, too coarse to tell a
            small bug from rounding. So checks are done in float64.

            `W.load(value, session)` writes a variable's value in a session without adding any node.
        '''),
        code('''
            def numeric_gradient(f, value: np.ndarray, epsilon: float = 1e-6) -> np.ndarray:
                """Central differences: (f(v + eps e_i) - f(v - eps e_i)) / (2 eps), one entry at a time."""
                grad = np.zeros_like(value)
                for i in np.ndindex(value.shape):
                    step = np.zeros_like(value)
                    step[i] = epsilon
                    grad[i] = (f(value + step) - f(value - step)) / (2 * epsilon)
                return grad


            def check_gradient(variable: mg.Variable, gradient: mg.Tensor) -> None:
                """Compares mg.gradients' value with central differences of the loss."""
                original = session.run(variable)

                def loss_at(value):
                    variable.load(value, session)
                    return session.run(loss, feed)

                numeric = numeric_gradient(loss_at, original)
                variable.load(original, session)  # put the weights back
                symbolic = session.run(gradient, feed)
                print(f"{variable.op.name}: max |numeric - symbolic| = {np.abs(numeric - symbolic).max():.1e}")


            check_gradient(W, grad_W)
            check_gradient(b, grad_b)
        '''),
        md('''
            The two agree to about 10 digits. (A relu has a kink at 0, where the derivative jumps. A check
            near a kink can fail even when the code is right, so pick points away from it, as here.)

            ## Why the loss is computed from logits

            The worksheet's network ends in `Activation('softmax')` and is trained on categorical
            cross-entropy. The textbook formula is

            $$L = -\\sum_i y_i \\log \\operatorname{softmax}(z)_i, \\qquad \\operatorname{softmax}(z)_i = \\frac{e^{z_i}}{\\sum_j e^{z_j}}$$

            where $z$ are the *logits*, the scores the last `Dense` produces. Here is the worksheet's
            network, on real MNIST rows reduced to 60 PCA features (not scaled, as in the worksheet),
            with its initial weights:
        '''),
        code('''
            from minigraph.examples.worksheet import build_model, load_pca_mnist
            from minigraph.keras.utils import set_random_seed

            set_random_seed(0)
            (x_train, y_train), _ = load_pca_mnist()  # MNIST, flattened, PCA to 60 numbers, one-hot labels
            # the worksheet's network, untrained: its initial weights
            kernel_1, bias_1, kernel_2, bias_2 = build_model().get_weights()
            print(f"PCA features range from {x_train.min():.0f} to {x_train.max():.0f}")
        '''),
        md('''
            The same network written out in minigraph's core ops (what `Dense` and `Activation` build),
            with both ways of computing the loss, and the gradient of each with respect to the last
            kernel. Everything is float32, as in training.
        '''),
        code('''
            network = mg.Graph()
            with network.as_default():
                images = mg.placeholder(mg.float32, shape=(None, 60), name="images")
                labels = mg.placeholder(mg.float32, shape=(None, 10), name="labels")
                W1, b1 = mg.Variable(kernel_1, name="W1"), mg.Variable(bias_1, name="b1")
                W2, b2 = mg.Variable(kernel_2, name="W2"), mg.Variable(bias_2, name="b2")
                hidden = mg.nn.relu(images @ W1 + b1)
                logits = hidden @ W2 + b2
                probabilities = mg.nn.softmax(logits)

                naive_loss = -mg.reduce_sum(labels * mg.log(probabilities), axis=-1)
                fused_loss = mg.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
                (naive_grad,) = mg.gradients(mg.reduce_mean(naive_loss), [W2])
                (fused_grad,) = mg.gradients(mg.reduce_mean(fused_loss), [W2])
                network_init = mg.global_variables_initializer()

            net_session = mg.Session(network)
            net_session.run(network_init)
            batch = {images: x_train[:32], labels: y_train[:32]}  # the first batch of the first epoch
            print("logits of the first 4 images:")
            print(net_session.run(logits, batch)[:4].round(1))
        '''),
        md('''
            The logits are in the hundreds. Now both losses on this batch of 32, and their gradients.
            Numpy warns about the log of zero as the naive loss is computed:
        '''),
        code('''
            naive, fused, naive_g, fused_g = net_session.run(
                [naive_loss, fused_loss, naive_grad, fused_grad], batch)
            print("naive loss, first 8 rows:", naive[:8])
            print("fused loss, first 8 rows:", fused[:8].round(1))
            print(f"naive loss: {np.isfinite(naive).sum()} of {len(naive)} rows finite; "
                  f"fused loss: {np.isfinite(fused).sum()} of {len(fused)} rows finite")
            print(f"naive gradient: {np.isnan(naive_g).sum()} of {naive_g.size} entries NaN; "
                  f"fused gradient: {np.isfinite(fused_g).sum()} of {fused_g.size} entries finite")
        '''),
        md('''
            Follow one image through the naive formula to see where it breaks:
        '''),
        code('''
            with network.as_default():
                log_probabilities = mg.log(probabilities)
            p, log_p = net_session.run([probabilities, log_probabilities], batch)
            label = int(y_train[0].argmax())
            print("label:", label)
            print("softmax(z):     ", p[0])
            print("log softmax(z): ", log_p[0])
            print("y * log softmax:", y_train[0] * log_p[0])

            label_probability = p[np.arange(32), y_train[:32].argmax(axis=1)]
            print("images in the batch whose label has probability exactly 0:",
                  np.flatnonzero(label_probability == 0))
        '''),
        md('''
            - With logits hundreds apart, $e^{z_j - z_{\\max}}$ is below float32's smallest positive number
              (about $e^{-103}$) for most classes, so those probabilities round to exactly **0**.
            - `log(0)` is `-inf`, and `y · log p` for a class that is *not* the label is `0 · (−inf)` =
              **NaN**. One NaN makes the whole sum NaN, and then the mean over the batch, and every
              gradient computed from it: one such step would turn all the weights to NaN.
            - When the label's own probability rounds to 0 (for most images of this batch), its term alone
              is `−log 0 = +inf`: the loss would be infinite even without the NaNs.

            The fused op never forms the probability. It uses the identity

            $$-\\log \\operatorname{softmax}(z)_i = \\log \\sum_j e^{z_j} - z_i = z_{\\max} + \\log \\sum_j e^{z_j - z_{\\max}} - z_i$$

            in which every exponent is ≤ 0 and the sum is ≥ 1, so nothing overflows and no log of 0 is ever
            taken. A confident wrong answer then costs roughly $z_{\\max} - z_{label}$: large (hundreds),
            but finite. Its gradient with respect to the logits, $\\operatorname{softmax}(z) - y$, stays
            between −1 and 1.

            This is why Keras, on the TensorFlow backend, computes `categorical_crossentropy` from the
            logits when the model ends in a softmax, and minigraph does the same. The worksheet's model
            gets the fused op:
        '''),
        code('''
            model = build_model()
            model.compile(optimizer="adam", loss="categorical_crossentropy")
            print([op.name for op in model.graph.operations
                   if op.type_name == "SoftmaxCrossEntropyWithLogits"])
        '''),
        md('''
            Scaled inputs give small logits, and then the two formulas agree. The trouble is the textbook
            formula in float32 with large logits, not the formula itself:
        '''),
        code('''
            small_batch = {images: x_train[:32] / 1000, labels: y_train[:32]}
            naive_small, fused_small = net_session.run([naive_loss, fused_loss], small_batch)
            print("largest |logit|:", np.abs(net_session.run(logits, small_batch)).max().round(2))
            print("max |naive - fused|:", np.abs(naive_small - fused_small).max())
        '''),
        md('''
            ## Second derivatives

            A gradient is made of ordinary ops, so `mg.gradients` can differentiate it again, as in
            TensorFlow 1. Start with $f(u) = u^3$: $f'(u) = 3u^2$ and $f''(u) = 6u$. (Summing first makes
            the gradient of a sum of independent terms, which is the elementwise derivative.)
        '''),
        code('''
            cubic = mg.Graph()
            with cubic.as_default():
                u = mg.placeholder(mg.float64, shape=(5,), name="u")
                f = u * u * u
                (df,) = mg.gradients(mg.reduce_sum(f), [u])     # 3u²
                (d2f,) = mg.gradients(mg.reduce_sum(df), [u])   # 6u

            u_value = np.array([-2.0, -0.5, 0.0, 1.0, 3.0])
            cubic_session = mg.Session(cubic)
            first, second = cubic_session.run([df, d2f], {u: u_value})
            print("f'  =", first, "  3u² =", 3 * u_value**2)
            print("f'' =", second, "  6u  =", 6 * u_value)

            # f'' checked numerically: central differences of the first derivative
            epsilon = 1e-5
            numeric_second = (cubic_session.run(df, {u: u_value + epsilon})
                              - cubic_session.run(df, {u: u_value - epsilon})) / (2 * epsilon)
            print(f"f'': max |numeric - symbolic| = {np.abs(numeric_second - second).max():.1e}")
        '''),
        md('''
            Nothing simplifies the graph: the product rule is applied mechanically, twice, and `6u` takes
            a couple of dozen nodes. The second pass is built on top of the first, in its own `gradients_1`
            scope:
        '''),
        code('''
            mg.viz.draw(d2f, show_shapes=False)
        '''),
        md('''
            ### A Hessian-vector product

            For a loss $L(w)$ with many weights, the Hessian (the matrix of second derivatives) is too
            big to form, but its product with a vector $v$ is cheap. It is the gradient of
            $\\nabla L \\cdot v$:

            $$H v = \\nabla_w \\left( \\nabla_w L \\cdot v \\right)$$

            Back to the small network from the start: one more `gradients` call gives $Hv$ for `W`, and
            central differences of the gradient along $v$ check it:
            $Hv \\approx (\\nabla L(w + \\varepsilon v) - \\nabla L(w - \\varepsilon v)) / 2\\varepsilon$.
        '''),
        code('''
            with graph.as_default():
                v = mg.placeholder(mg.float64, shape=(3, 2), name="v")
                (hessian_v,) = mg.gradients(mg.reduce_sum(grad_W * v), [W])

            v_value = np.array([[1.0, 0.0], [0.5, -1.0], [0.0, 2.0]])
            symbolic_hv = session.run(hessian_v, {**feed, v: v_value})

            W_value = session.run(W)
            epsilon = 1e-5
            W.load(W_value + epsilon * v_value, session)
            grad_up = session.run(grad_W, feed)
            W.load(W_value - epsilon * v_value, session)
            grad_down = session.run(grad_W, feed)
            W.load(W_value, session)  # put the weights back
            numeric_hv = (grad_up - grad_down) / (2 * epsilon)

            print("Hv (symbolic)\\n", symbolic_hv)
            print(f"Hv: max |numeric - symbolic| = {np.abs(numeric_hv - symbolic_hv).max():.1e}")
        '''),
        md('''
            **Try it:** check a Hessian-vector product for `b` the same way; or give the small network a
            softmax cross-entropy loss and check its gradients.

            **Next:** notebook 4 trains the worksheet's network in minigraph and in Keras from the same
            starting point, and compares the numbers.
        '''),
    ]


# --- 4. minigraph next to Keras --------------------------------------------------------


def minigraph_next_to_keras() -> list:
    return [
        md('''
            # 4 · minigraph next to Keras

            **Mirrors:** the worksheet's model cells (`Sequential`, `compile(optimizer='adam',
            loss='categorical_crossentropy', metrics=['accuracy'])`, `fit(..., batch_size=32)`), run twice:
            once in minigraph and once in real Keras 3 on TensorFlow.

            **You will learn** what it takes to make two frameworks compute the same thing (the same
            initial weights, the same batches in the same order, the same optimizer rule), how close
            float32 arithmetic lets them stay, and why they are not bit-for-bit equal.

            (Runs in 20 to 40 seconds: importing TensorFlow, the PCA of MNIST, and a short training run in
            each.)
        '''),
        code('''
            %matplotlib inline
            import os

            # Set before Keras loads TensorFlow: hide its start-up log. TensorFlow 2.21 still prints a
            # banner about oneDNN's different rounding, unless oneDNN is off (its plain kernels are used then).
            os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
            os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

            import time

            import keras
            import matplotlib.pyplot as plt
            import numpy as np

            from minigraph.examples.worksheet import build_model, load_pca_mnist
            from minigraph.keras.callbacks import Callback
            from minigraph.keras.utils import set_random_seed

            print("Keras", keras.__version__, "on", keras.backend.backend())
        '''),
        md('''
            ## The data

            The worksheet's data (MNIST, flattened, PCA to 60 numbers, one-hot labels), but only the first
            3,200 training rows: with batches of 32 that is 100 steps an epoch, and two epochs make
            200 steps, enough to see whether the two frameworks stay together.
        '''),
        code('''
            (x_train, y_train), (x_test, y_test) = load_pca_mnist()
            x_small, y_small = x_train[:3200], y_train[:3200]
            print(x_small.shape, y_small.shape, x_test.shape)
        '''),
        md('''
            ## The same model twice, from the same weights

            minigraph draws its initial weights (glorot uniform kernels, zero biases) from its own random
            generator, seeded here. Keras's `set_weights` then copies them, array by array, into a Keras
            model with the same layers.
        '''),
        code('''
            set_random_seed(0)
            mg_model = build_model()  # Dense(128), relu, Dense(10), softmax, as in the worksheet
            mg_model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
            initial_weights = mg_model.get_weights()

            keras_model = keras.Sequential([
                keras.Input(shape=(60,)),
                keras.layers.Dense(128),
                keras.layers.Activation("relu"),
                keras.layers.Dense(10),
                keras.layers.Activation("softmax"),
            ])
            keras_model.set_weights(initial_weights)
            keras_model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])

            for mine, theirs in zip(initial_weights, keras_model.get_weights()):
                print(f"{str(mine.shape):10} identical: {np.array_equal(mine, theirs)}")
        '''),
        md('''
            ## The same batches

            `fit` normally shuffles the rows every epoch, each framework with its own random numbers.
            `shuffle=False` makes both take the rows in order: batch 1 is rows 0 to 31 in both. A small
            callback records the running loss after every step, so the two runs can be compared step by
            step and not only per epoch.
        '''),
        code('''
            class MinigraphStepLosses(Callback):
                """Keeps the running epoch loss minigraph reports after every step."""

                def on_train_begin(self, logs=None):
                    self.losses = []

                def on_train_batch_end(self, batch, logs=None):
                    self.losses.append(float(logs["loss"]))


            class KerasStepLosses(keras.callbacks.Callback):
                """Keeps the running epoch loss Keras reports after every step."""

                def on_train_begin(self, logs=None):
                    self.losses = []

                def on_train_batch_end(self, batch, logs=None):
                    self.losses.append(float(logs["loss"]))
        '''),
        code('''
            mg_steps, keras_steps = MinigraphStepLosses(), KerasStepLosses()

            started = time.perf_counter()
            mg_history = mg_model.fit(x_small, y_small, epochs=2, batch_size=32, shuffle=False, verbose=0,
                                      callbacks=[mg_steps])
            mg_seconds = time.perf_counter() - started

            started = time.perf_counter()
            keras_history = keras_model.fit(x_small, y_small, epochs=2, batch_size=32, shuffle=False, verbose=0,
                                            callbacks=[keras_steps])
            keras_seconds = time.perf_counter() - started

            print(f"minigraph: {len(mg_steps.losses)} steps in {mg_seconds:.2f}s")
            print(f"Keras:     {len(keras_steps.losses)} steps in {keras_seconds:.2f}s "
                  "(including building and compiling its training function)")
        '''),
        md('''
            ## The numbers side by side

            Epoch by epoch, the loss and accuracy each framework reported:
        '''),
        code('''
            mg_logs, keras_logs = mg_history.history, keras_history.history
            print(f"{'epoch':>5} | {'minigraph loss':>14} {'Keras loss':>14} {'rel. diff':>9} | "
                  f"{'minigraph acc':>13} {'Keras acc':>10}")
            for epoch in range(2):
                mg_loss, keras_loss = mg_logs["loss"][epoch], keras_logs["loss"][epoch]
                relative = abs(mg_loss - keras_loss) / keras_loss
                print(f"{epoch + 1:>5} | {mg_loss:>14.6f} {keras_loss:>14.6f} {relative:>9.1e} | "
                      f"{mg_logs['accuracy'][epoch]:>13.4f} {keras_logs['accuracy'][epoch]:>10.4f}")
        '''),
        md('''
            Step by step, the running losses lie on top of each other (the running loss starts again at
            step 101, with the second epoch). The lower plot shows how far apart they are, relative to the
            loss:
        '''),
        code('''
            mg_losses, keras_losses = np.array(mg_steps.losses), np.array(keras_steps.losses)
            steps = np.arange(1, len(mg_losses) + 1)
            fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True)
            top.plot(steps, mg_losses, label="minigraph", linewidth=3, alpha=0.5)
            top.plot(steps, keras_losses, "--", label="Keras", color="black")
            top.set(ylabel="running epoch loss", yscale="log")
            top.legend()
            # + 1e-12: a step where the two agree exactly (a difference of 0) still shows on the log scale
            bottom.semilogy(steps, np.abs(mg_losses - keras_losses) / np.abs(keras_losses) + 1e-12, ".")
            bottom.set(xlabel="step", ylabel="relative difference")
            for ax in (top, bottom):
                ax.grid(alpha=0.3)
            plt.show()
        '''),
        md('''
            After 200 steps, the weights. The last column is how far training moved each weight from its
            initial value, for scale:
        '''),
        code('''
            names = ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]
            largest_difference = 0.0
            print(f"{'weight':15} {'shape':10} {'max |minigraph - Keras|':>24} {'max |moved|':>12}")
            trained = zip(names, initial_weights, mg_model.get_weights(), keras_model.get_weights())
            for name, start, mine, theirs in trained:
                difference = np.abs(mine - theirs).max()
                largest_difference = max(largest_difference, difference)
                print(f"{name:15} {str(mine.shape):10} {difference:>24.1e} {np.abs(mine - start).max():>12.4f}")
            print(f"largest weight difference: {largest_difference:.1e}")
        '''),
        md('''
            And what the two trained models say about new images: their guesses for the first five test
            images, how far apart their predicted probabilities are, and their guesses on all 10,000.
        '''),
        code('''
            mg_probabilities = mg_model.predict(x_test[:5])
            keras_probabilities = keras_model.predict(x_test[:5], verbose=0)
            print("minigraph guesses:", mg_probabilities.argmax(axis=1))
            print("Keras guesses:    ", keras_probabilities.argmax(axis=1))
            print("labels:           ", y_test[:5].argmax(axis=1))
            print(f"max |probability difference|: {np.abs(mg_probabilities - keras_probabilities).max():.1e}")

            mg_guesses = mg_model.predict(x_test).argmax(axis=1)
            keras_guesses = keras_model.predict(x_test, verbose=0).argmax(axis=1)
            print(f"same guess for {np.sum(mg_guesses == keras_guesses)} of {len(x_test)} test images")
            print(f"test accuracy: minigraph {np.mean(mg_guesses == y_test.argmax(axis=1)):.4f}, "
                  f"Keras {np.mean(keras_guesses == y_test.argmax(axis=1)):.4f}")
        '''),
        md('''
            The probabilities differ by almost nothing because they are all within a hair of 0 or 1: on the
            unscaled inputs both networks are extremely sure of themselves (notebook 3 shows why).

            ## Why not bit-for-bit equal?

            Both compute in float32, where every addition rounds to about 7 significant digits, and a sum of
            many numbers depends on the order it is done in. A matrix product in TensorFlow's kernels and
            in numpy's BLAS adds in different orders, so the two frameworks differ in the last digit or two
            from the first step. Adam then divides each step by $\\sqrt{v}$, which magnifies tiny differences
            in small gradients, so over a long run the gap can grow. Over these 200 steps it stays within a
            few rounding errors (relative differences of 1e-7 to 1e-6). What the comparison shows is that
            both apply the same mathematics: the same loss, the same gradients and the same Adam rule. A bug
            in any of them would show up as a difference of percent, not of millionths.

            **Try it:** set `shuffle=True` in both `fit` calls. Why do the curves now separate, even though
            the weights start the same?
        '''),
    ]


NOTEBOOKS = {
    "01_computation_graphs.ipynb": computation_graphs,
    "02_mnist_dense_network.ipynb": mnist_dense_network,
    "03_how_gradients_are_built.ipynb": how_gradients_are_built,
    "04_minigraph_next_to_keras.ipynb": minigraph_next_to_keras,
}


def build(name: str) -> nbformat.NotebookNode:
    """The notebook `name`, without outputs, with stable cell ids (so a rebuild changes nothing)."""
    notebook = new_notebook(cells=NOTEBOOKS[name](), nbformat=4, nbformat_minor=5)  # 4.5: cells have ids
    for i, cell in enumerate(notebook.cells):
        cell.id = f"cell-{i:02d}"
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(notebook)
    return notebook


def main(directory: Path = HERE) -> list[Path]:
    written = []
    for name in NOTEBOOKS:
        path = Path(directory) / name
        nbformat.write(build(name), path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print("wrote", path)
