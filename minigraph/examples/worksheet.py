"""The worksheet, cell for cell: ``python3 -m minigraph.examples.worksheet``.

minigraph exists to re-teach one worksheet, "Worksheet 4: Deep Learning", written for
Keras 2 on TensorFlow 1.x. `worksheet_cells` below runs its code cells in order, each
under its ``# In [n]:`` label, and prints what the worksheet prints. The cells are the
worksheet's, changed in three ways only, all of them so that they run as a script:

- the imports name minigraph. ``import minigraph as tf`` keeps the name ``tf``, so
  ``tf.Session()`` and ``tf.global_variables_initializer()`` read as they did;
- a cell that ends in a bare expression (``result``), whose value Jupyter shows below
  the cell, hands it to `display`, which prints what Jupyter shows;
- ``epochs=5`` reads ``epochs=epochs``: 5, as in the worksheet, unless ``--epochs``
  says otherwise.

The worksheet's first cell, ``!pip install keras``, is a shell command, not Python:
``tools/setup.sh`` installs minigraph instead. After the last cell comes one addition
of minigraph's own, marked as such: the worksheet stops when training ends, and this
module goes on to score the model on the test set.

Where minigraph prints something else than the worksheet shows, and why:

- the GraphDef says ``op: "AddV2"`` where the worksheet says ``op: "Add"``: newer
  TensorFlow builds ``x + y`` as ``AddV2``, and minigraph uses today's name; ``producer`` is the
  GraphDef version of today's TensorFlow, not 21;
- ``print(c)`` shows ``MatMul:0``, not ``MatMul_1:0``: the student had run cells
  In [4] to In [12], left out of the worksheet, and one of them had already made a
  ``MatMul`` in the same graph (names are unique in a graph, so the next one is
  ``MatMul_1``);
- the summary names the layers ``dense``, ``dense_1``...: the student had built the
  model seven times before (``dense_7``), and Keras numbers layers per session;
- the first ``fit`` prints a progress bar with the loss and accuracy per epoch, which
  the worksheet's export left out; the returned History prints with its module name.

The helpers at the bottom (`load_pca_mnist`, `build_model`, `build_keras_model`) hand
the worksheet's data and network to the tests, the benchmarks and the tutorials.
"""

from __future__ import annotations

import argparse

from minigraph.decomposition import PCA
from minigraph.keras.datasets import mnist
from minigraph.keras.layers import Activation, Dense
from minigraph.keras.models import Sequential
from minigraph.keras.utils import set_random_seed, to_categorical


def display(value) -> None:
    """What Jupyter shows below a cell that ends in an expression: the value's repr."""
    print(repr(value))


def worksheet_cells(epochs: int = 5) -> float:
    """The worksheet's code cells, in order; then minigraph's addition: returns the test accuracy."""
    # In [1]:
    # The first time you run this, tensorflow is started up, which may take a while.

    from minigraph.keras import backend as K

    # In [2]:
    x = K.placeholder(shape=(2,2))
    y = K.placeholder(shape=(2,2))

    z = x + y
    print(z)

    # In [3]:
    display(z.graph.as_graph_def())

    # In [13]:
    import minigraph as tf
    import numpy as np

    with tf.Session() as session:
        x_value = np.random.rand(2,2)
        y_value = np.random.rand(2,2)

        result = session.run(z, feed_dict={x: x_value, y: y_value})

    display(result)

    # In [14]:
    a = K.placeholder(shape=(2,2))
    b = K.variable(value=np.random.rand(2,2)) # not that we have to provide an actual matrix

    c = K.dot(a, b) # matrix multiplication
    print(c)

    # In [18]:
    import minigraph as tf
    import numpy as np


    with tf.Session() as session:
        session.run(tf.global_variables_initializer()) # low level stuff, normally Keras handles this

        a_value = np.random.rand(2,2)

        result = session.run(c, feed_dict={a: a_value})

    display(result)

    # In [56]:
    from minigraph.keras.datasets import mnist

    (x_train, y_train), (x_test, y_test) = mnist.load_data()

    print(x_train.shape)
    print(x_test.shape)

    # In [57]:
    x_train = x_train.reshape(60000, -1)
    x_test = x_test.reshape(10000, -1)

    print(x_train.shape)
    print(x_test.shape)

    # In [58]:
    from minigraph.decomposition import PCA

    pca = PCA(n_components=60) # reduce to 60 dimensions
    pca.fit(x_train)

    x_train = pca.transform(x_train)
    x_test = pca.transform(x_test)

    print(x_train.shape)
    print(x_test.shape)

    # In [59]:
    from minigraph.keras.utils import to_categorical

    print(y_train.shape, y_test.shape)

    y_train = to_categorical(y_train)
    y_test = to_categorical(y_test)

    print(y_train.shape, y_test.shape)

    # In [60]:
    print(y_train[0, :])

    # In [61]:
    from minigraph.keras.models import Sequential
    from minigraph.keras.layers import Dense, Activation

    model = Sequential()
    model.add(Dense(128, input_shape=(60,))) # first dense layer, 32 hidden units
    model.add(Activation('relu'))           # activation layer
    model.add(Dense(10))                    # second dense layer
    model.add(Activation('softmax'))        # output class probabilities

    model.summary()

    # In [62]:
    from minigraph.keras.optimizers import SGD, Adam

    optimizer = Adam()
    model.compile(optimizer=optimizer, loss='categorical_crossentropy', metrics=['accuracy'])

    # In [63]:
    # Train the model, iterating on the data in batches of 32 samples
    model.fit(x_train, y_train, epochs=epochs, batch_size=32);

    # In [64]:
    # Train the model, iterating on the data in batches of 32 samples
    display(model.fit(x_train, y_train, epochs=epochs, batch_size=32, validation_split=1/6))

    # minigraph's addition, not a cell of the worksheet: the worksheet stops here, and
    # the test set, which played no part in training, says how well the model does.
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy after both fits (minigraph's addition): {test_accuracy:.4f}")
    return test_accuracy


# --- the worksheet's data and network, for the tests, benchmarks and tutorials ------


def load_pca_mnist(components: int = 60):
    """MNIST flattened to 784 pixels, projected on its first `components` principal axes."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = x_train.reshape(len(x_train), 784).astype("float32")
    x_test = x_test.reshape(len(x_test), 784).astype("float32")
    pca = PCA(n_components=components).fit(x_train)
    return (pca.transform(x_train), to_categorical(y_train, 10)), (pca.transform(x_test), to_categorical(y_test, 10))


def build_model() -> Sequential:
    """The worksheet's network: 60 -> Dense(128) relu -> Dense(10) softmax (9,098 weights)."""
    return Sequential([
        Dense(128, input_shape=(60,)),
        Activation("relu"),
        Dense(10),
        Activation("softmax"),
    ])


def build_keras_model(initial_weights=None):
    """The same network in Keras 3 (imported here, only when asked), for side-by-side
    comparisons: give it minigraph's `get_weights()` to start both from one point."""
    import keras

    model = keras.Sequential([
        keras.Input(shape=(60,)),
        keras.layers.Dense(128),
        keras.layers.Activation("relu"),
        keras.layers.Dense(10),
        keras.layers.Activation("softmax"),
    ])
    if initial_weights is not None:
        model.set_weights(initial_weights)
    return model


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs of each of the two fits (default 5)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the worksheet's random matrices, the initial weights and the shuffles, "
                             "so a run can be repeated (default 0)")
    args = parser.parse_args(argv)
    set_random_seed(args.seed)
    worksheet_cells(epochs=args.epochs)


if __name__ == "__main__":
    main()
