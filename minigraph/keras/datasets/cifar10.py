"""CIFAR-10 (small colour photos in ten classes), as ``keras.datasets.cifar10``.

``load_data()`` gives ``((x_train, y_train), (x_test, y_test))``: 50,000 training and
10,000 test images of 32x32 pixels with 3 colour channels, uint8, channels last
(shape (n, 32, 32, 3)), and uint8 labels 0-9 (airplane, automobile, bird, cat, deer,
dog, frog, horse, ship, truck) of shape **(n, 1)**, one column, as Keras returns them
(MNIST's labels are (n,)).

The source is the published ``cifar-10-python.tar.gz`` (163 MB), read from disk
(archives.py says where and why: no PyPI package ships it), checked against the SHA-256
Keras checks, and read without unpacking it. Inside are six "batches" (data_batch_1..5,
test_batch), each a Python pickle of a dict: ``b"data"`` a (10000, 3072) uint8 array
(a row is the red plane, then green, then blue, each 32x32 row-major, so channels first)
and ``b"labels"`` a list of ints. A pickle can run code as it loads, so the batches are
read by mnist.py's NumpyOnlyUnpickler, which rebuilds numpy arrays and nothing else.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np

from minigraph.keras.datasets.archives import find_checked_file, keras_datasets_dir, minigraph_data_dir
from minigraph.keras.datasets.mnist import NumpyOnlyUnpickler

DATASET = "cifar-10"
ARCHIVE = "cifar-10-python.tar.gz"
ARCHIVE_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
TRAIN_BATCHES = [f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)]
TEST_BATCH = "cifar-10-batches-py/test_batch"
IMAGE_SHAPE = (3, 32, 32)  # as stored: channels first


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return ``((x_train, y_train), (x_test, y_test))`` as Keras does (channels last)."""
    places = [minigraph_data_dir(DATASET), keras_datasets_dir()]
    how_to_get = (f"Copy {ARCHIVE} (the archive from the CIFAR-10 page, or the one Keras downloaded) "
                  f"into {places[0]}.")
    archive = find_checked_file(DATASET, ARCHIVE, "sha256", ARCHIVE_SHA256, places, how_to_get)
    return read_archive(archive)


def read_archive(path: str | Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The train and test arrays of a cifar-10-python.tar.gz, channels last, labels (n, 1)."""
    with tarfile.open(path, "r:gz") as archive:
        train = [read_batch(archive, member) for member in TRAIN_BATCHES]
        x_test, y_test = read_batch(archive, TEST_BATCH)
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    # Keras turns (n, 3, 32, 32) into (n, 32, 32, 3) and the labels into one column
    return ((x_train.transpose(0, 2, 3, 1), y_train.reshape(-1, 1)),
            (x_test.transpose(0, 2, 3, 1), y_test.reshape(-1, 1)))


def read_batch(archive: tarfile.TarFile, member: str) -> tuple[np.ndarray, np.ndarray]:
    """(images (n, 3, 32, 32), labels (n,)) of one pickled batch in the archive, both uint8."""
    try:
        file = archive.extractfile(member)
    except KeyError:
        raise ValueError(f"{archive.name} has no {member}: not a CIFAR-10 python archive") from None
    with file:
        batch = NumpyOnlyUnpickler(file, encoding="bytes").load()
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise ValueError(f"{member} in {archive.name} is not a dict with b'data' and b'labels'")
    data, labels = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != np.prod(IMAGE_SHAPE) or len(labels) != len(data):
        raise ValueError(f"{member} in {archive.name} holds data of dtype {data.dtype} and shape {data.shape} "
                         f"with {len(labels)} labels; expected uint8 (n, 3072) and n labels")
    return data.reshape((-1,) + IMAGE_SHAPE), labels.astype(np.uint8)
