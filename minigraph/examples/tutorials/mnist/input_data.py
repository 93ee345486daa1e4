"""``input_data.read_data_sets``: MNIST the way TF1's official tutorials read it.

TF1's MNIST tutorials (mnist_softmax.py, mnist_deep.py, fully_connected_feed.py)
start with

    mnist = input_data.read_data_sets("/tmp/data", one_hot=True)
    batch_xs, batch_ys = mnist.train.next_batch(100)

and this module gives them the same data with the same rules, offline:

- the 60,000 training images are split in order: the first ``validation_size``
  (5,000) become ``mnist.validation``, the other 55,000 ``mnist.train``; the 10,000
  test images are ``mnist.test``;
- ``images`` are float32 in [0, 1] (pixel / 255), one row of 784 per image
  (``reshape=False`` keeps them 28x28x1; ``dtype=uint8`` keeps the raw pixels);
- ``labels`` are the digits as uint8, or with ``one_hot=True`` rows of ten float64s
  with a single 1, exactly as TF1 made them;
- ``next_batch(n)`` walks through the examples in a random order, reshuffling at
  each new epoch; a batch that runs past the end of an epoch takes the epoch's last
  examples and fills up from the start of the next, so every batch has n examples.

The pixels come from ``minigraph.keras.datasets.mnist.load_data()`` (the same
images, in the same order, as the files TF1 downloads). ``train_dir`` is only a place
to look for a cached copy (``train_dir/mnist.npz``); nothing is downloaded there.

Randomness: ``seed=`` makes the shuffles repeat exactly. Without it, the shuffles
draw from numpy's global generator when they happen, so ``np.random.seed(...)``
anywhere before the first ``next_batch`` makes them repeat too. (TF1 re-seeded
numpy's global generator from the operating system here, undoing an earlier
``np.random.seed``; minigraph leaves the caller's generator alone.)
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from minigraph import dtypes
from minigraph.keras.datasets import mnist as _mnist

NUM_CLASSES = 10
FAKE_EXAMPLES = 10000  # how many examples a fake_data DataSet claims, as in TF1


def dense_to_one_hot(labels_dense: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Digits (n,) -> rows (n, num_classes) of float64 with a 1 at each digit."""
    one_hot = np.zeros((len(labels_dense), num_classes))
    one_hot[np.arange(len(labels_dense)), labels_dense] = 1.0
    return one_hot


class DataSet:
    """Images and labels of one split, and a cursor that hands them out in batches."""

    def __init__(self, images, labels, fake_data=False, one_hot=False, dtype=dtypes.float32, reshape=True, seed=None):
        dtype = dtypes.as_dtype(dtype)
        if dtype not in (dtypes.uint8, dtypes.float32):
            raise TypeError(f"Invalid image dtype {dtype.name!r}, expected uint8 or float32")
        self.one_hot = one_hot
        self._random = np.random.RandomState(seed) if seed is not None else np.random  # see the module docstring
        if fake_data:
            self._num_examples = FAKE_EXAMPLES
        else:
            if len(images) != len(labels):
                raise ValueError(f"images.shape: {images.shape} labels.shape: {labels.shape}: one label per image")
            self._num_examples = len(images)
            if reshape:  # (n, 28, 28, 1) -> (n, 784)
                images = images.reshape(len(images), -1)
            if dtype == dtypes.float32:
                images = images.astype(np.float32) * np.float32(1.0 / 255.0)
        self._images = images
        self._labels = labels
        self._epochs_completed = 0
        self._index_in_epoch = 0

    @property
    def images(self) -> np.ndarray:
        return self._images

    @property
    def labels(self) -> np.ndarray:
        return self._labels

    @property
    def num_examples(self) -> int:
        return self._num_examples

    @property
    def epochs_completed(self) -> int:
        return self._epochs_completed

    def _shuffle(self) -> None:
        order = np.arange(self._num_examples)
        self._random.shuffle(order)
        self._images = self._images[order]
        self._labels = self._labels[order]

    def next_batch(self, batch_size: int, fake_data: bool = False, shuffle: bool = True):
        """The next `batch_size` (images, labels), continuing into the next epoch when
        this one runs out."""
        if fake_data:
            image = [1] * 784
            label = [1] + [0] * (NUM_CLASSES - 1) if self.one_hot else 0
            return [image] * batch_size, [label] * batch_size
        start = self._index_in_epoch
        if shuffle and start == 0 and self._epochs_completed == 0:
            self._shuffle()  # the first epoch is shuffled too
        end = start + batch_size
        if end <= self._num_examples:
            self._index_in_epoch = end
            return self._images[start:end], self._labels[start:end]
        # the epoch ends inside this batch: its tail, then the head of a new epoch
        self._epochs_completed += 1
        tail_images, tail_labels = self._images[start:], self._labels[start:]
        if shuffle:
            self._shuffle()
        self._index_in_epoch = end - self._num_examples
        head = slice(0, self._index_in_epoch)
        return (
            np.concatenate([tail_images, self._images[head]]),
            np.concatenate([tail_labels, self._labels[head]]),
        )

    def __repr__(self) -> str:
        return f"<DataSet of {self._num_examples} examples, {self._epochs_completed} epochs completed>"


class Datasets(NamedTuple):
    train: DataSet
    validation: DataSet
    test: DataSet


def _load_mnist(train_dir) -> tuple:
    cached = Path(train_dir) / "mnist.npz" if train_dir else None
    if cached is not None and cached.is_file():
        arrays = _mnist.load_from_cache(cached)
        return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
    return _mnist.load_data()


def read_data_sets(
    train_dir,
    fake_data=False,
    one_hot=False,
    dtype=dtypes.float32,
    reshape=True,
    validation_size=5000,
    seed=None,
    source_url=None,
) -> Datasets:
    """MNIST as ``Datasets(train, validation, test)``, TF1's 55,000 / 5,000 / 10,000 split.

    `source_url` is accepted for TF1's signature and unused: nothing is downloaded here.
    """
    options = dict(one_hot=one_hot, dtype=dtype, reshape=reshape, seed=seed)
    if fake_data:
        return Datasets(*(DataSet([], [], fake_data=True, **options) for _ in range(3)))
    (train_images, train_labels), (test_images, test_labels) = _load_mnist(train_dir)
    if not 0 <= validation_size <= len(train_images):
        raise ValueError(f"Validation size should be between 0 and {len(train_images)}. Received: {validation_size}.")
    # TF1's files hold images as (n, 28, 28, 1) and labels as digits or one-hot rows
    train_images, test_images = train_images[..., np.newaxis], test_images[..., np.newaxis]
    if one_hot:
        train_labels, test_labels = dense_to_one_hot(train_labels), dense_to_one_hot(test_labels)
    return Datasets(
        train=DataSet(train_images[validation_size:], train_labels[validation_size:], **options),
        validation=DataSet(train_images[:validation_size], train_labels[:validation_size], **options),
        test=DataSet(test_images, test_labels, **options),
    )
