"""Seconds per epoch of minigraph and of Keras 3 (TensorFlow backend) on the worksheet job.

    python benchmarks/fit_vs_keras.py [--epochs 3]

Both get the same arrays: MNIST flattened, PCA to 60 dimensions (fitted on the
training set), one-hot labels; the worksheet's network (Dense(128) relu, Dense(10)
softmax) from the same initial weights, Adam, batch 32, validation_split=1/6 (50,000
training rows, 1,563 steps per epoch, then the 10,000 validation rows). Each epoch is
timed by a callback, validation included; the first Keras epoch also traces its graph,
so the table gives the mean of the later epochs as the figure to compare.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import minigraph  # noqa: E402
from minigraph.examples.worksheet import build_keras_model, build_model, load_pca_mnist  # noqa: E402
from minigraph.keras.callbacks import Callback  # noqa: E402
from minigraph.keras.utils import set_random_seed  # noqa: E402


class EpochTiming:
    """Records the wall-clock seconds of each epoch; mixed into a minigraph or a Keras callback."""

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


class EpochTimer(EpochTiming, Callback):
    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []


def keras_timer():
    import keras

    class KerasEpochTimer(EpochTiming, keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []

    return KerasEpochTimer()


def time_minigraph(x, y, initial_weights, epochs: int, verbose: int):
    model = build_model()
    model.set_weights(initial_weights)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    history = model.fit(x, y, batch_size=32, epochs=epochs, validation_split=1 / 6, verbose=verbose,
                        callbacks=[timer])
    return timer.seconds, history.history


def time_keras(x, y, initial_weights, epochs: int, verbose: int):
    import keras

    model = build_keras_model(initial_weights)
    model.compile(optimizer=keras.optimizers.Adam(), loss="categorical_crossentropy", metrics=["accuracy"])
    timer = keras_timer()
    history = model.fit(x, y, batch_size=32, epochs=epochs, validation_split=1 / 6, verbose=verbose,
                        callbacks=[timer])
    return timer.seconds, history.history


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--verbose", type=int, default=0, choices=(0, 2))
    args = parser.parse_args(argv)

    set_random_seed(0)
    (x_train, y_train), _ = load_pca_mnist()
    initial_weights = build_model().get_weights()

    import keras
    import tensorflow as tf

    rows = []
    for label, run in ((f"minigraph {minigraph.__version__}", time_minigraph),
                       (f"Keras {keras.__version__} (TF {tf.__version__})", time_keras)):
        seconds, history = run(x_train, y_train, initial_weights, args.epochs, args.verbose)
        later = seconds[1:] or seconds
        rows.append((label, seconds, float(np.mean(later)), history["val_accuracy"][-1]))

    print(f"\nworksheet job, {len(x_train)} rows (50,000 train / 10,000 validation), batch 32, "
          f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}")
    header = ["framework"] + [f"epoch {i + 1}" for i in range(args.epochs)] + ["s/epoch", "val_acc"]
    print(f"{header[0]:<30}" + "".join(f"{h:>10}" for h in header[1:]))
    for label, seconds, mean, val_accuracy in rows:
        cells = [f"{s:.2f}" for s in seconds] + [f"{mean:.2f}", f"{val_accuracy:.4f}"]
        print(f"{label:<30}" + "".join(f"{c:>10}" for c in cells))
    print(f"s/epoch: mean of epochs 2..{args.epochs} (the first Keras epoch traces its graph); "
          f"Keras / minigraph = {rows[1][2] / rows[0][2]:.1f}x")


if __name__ == "__main__":
    main()
