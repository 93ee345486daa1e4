"""The worksheet, end to end: ``python -m minigraph.examples.worksheet``.

Part 1 (the graph): two placeholders, ``z = x + y``, the GraphDef, a Session run, a
variable and ``K.dot``. Part 2 (the network): MNIST flattened to 784 pixels, PCA to 60
dimensions, one-hot labels, ``Dense(128) + relu, Dense(10) + softmax``, Adam and
categorical cross-entropy, five epochs at batch 32 with a sixth of the training set
held out for validation, and the accuracy on the test set.

Each step is the worksheet's Keras 2 / TensorFlow 1 code with only the imports changed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import minigraph as mg
from minigraph.decomposition import PCA
from minigraph.keras import backend as K
from minigraph.keras.datasets import mnist
from minigraph.keras.layers import Activation, Dense
from minigraph.keras.models import Sequential
from minigraph.keras.utils import set_random_seed, to_categorical


def part_one() -> None:
    """The graph: placeholders, an op, its GraphDef, a session, a variable, K.dot."""
    print("=== Part 1: the computation graph ===")
    x = K.placeholder(shape=(2, 2))
    y = K.placeholder(shape=(2, 2))
    z = x + y
    print(z)
    print(z.graph.as_graph_def())
    with mg.Session() as session:
        print(session.run(z, feed_dict={x: [[1, 2], [3, 4]], y: [[10, 20], [30, 40]]}))
        weights = K.variable(np.eye(2) * 2)
        product = K.dot(x, weights)
        session.run(mg.global_variables_initializer())
        print(product, "=", session.run(product, feed_dict={x: [[1, 2], [3, 4]]}).tolist())


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


def part_two(epochs: int = 5, seed: int | None = None, verbose: int = 1) -> float:
    """Trains the network on PCA'd MNIST and returns its test accuracy."""
    print("=== Part 2: the MNIST network ===")
    if seed is not None:
        set_random_seed(seed)
    started = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = load_pca_mnist()
    print(f"MNIST loaded and reduced to 60 PCA components in {time.perf_counter() - started:.1f}s: "
          f"x_train {x_train.shape}, x_test {x_test.shape}")
    model = build_model()
    model.summary()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, validation_split=1 / 6, verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f}")
    print(f"Test accuracy: {accuracy:.4f}")
    return accuracy


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the initial weights and the shuffles, so a run can be repeated (default 0)")
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))
    parser.add_argument("--skip-graph", action="store_true", help="only part 2, the network")
    args = parser.parse_args(argv)
    if not args.skip_graph:
        part_one()
    part_two(epochs=args.epochs, seed=args.seed, verbose=args.verbose)


if __name__ == "__main__":
    main()
