"""Fashion-MNIST (Zalando's clothes in MNIST's format), as ``keras.datasets.fashion_mnist``.

``load_data()`` gives ``((x_train, y_train), (x_test, y_test))``: 60,000 training and
10,000 test greyscale images of 28x28 uint8 pixels, and uint8 labels 0-9 (0 T-shirt/top,
1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag, 9 ankle
boot): the same shapes and dtypes as MNIST, so a program swaps one for the other.

The four gzip files are the published ones, read from disk (archives.py says where and
why: no PyPI package ships them). Each is checked against the MD5 Fashion-MNIST's authors
publish before it is read. Inside, an IDX file is a big-endian header (a magic number
whose last byte is the number of dimensions, then one 4-byte size per dimension) followed
by the raw uint8 values; Keras skips the header by its length (8 bytes for labels, 16 for
images), minigraph reads it, so a file of the wrong kind is refused by name.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from minigraph.keras.datasets.archives import find_checked_file, keras_datasets_dir, minigraph_data_dir

DATASET = "fashion-mnist"
# (file, the MD5 its authors publish, the array's shape)
FILES = {
    "x_train": ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", (60000, 28, 28)),
    "y_train": ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", (60000,)),
    "x_test": ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", (10000, 28, 28)),
    "y_test": ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", (10000,)),
}
IDX_UINT8 = 0x08  # the IDX type code of unsigned bytes


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return ``((x_train, y_train), (x_test, y_test))`` as Keras does (uint8 arrays)."""
    places = [minigraph_data_dir(DATASET), keras_datasets_dir() / DATASET]
    how_to_get = (f"Copy the four files ({', '.join(name for name, _, _ in FILES.values())}) into "
                  f"{places[0]}, or run keras.datasets.fashion_mnist.load_data() once on a machine "
                  f"with internet and copy its {places[1]} folder.")
    arrays = {}
    for key, (name, md5, shape) in FILES.items():
        path = find_checked_file(DATASET, name, "md5", md5, places, how_to_get)
        arrays[key] = read_idx(path, shape)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def read_idx(path: str | Path, expected_shape: tuple) -> np.ndarray:
    """The uint8 array in a gzipped IDX file, checked to have `expected_shape`."""
    with gzip.open(path, "rb") as file:
        data = file.read()
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] != IDX_UINT8:
        raise ValueError(f"{path} is not an IDX file of uint8 values (it starts with {data[:4]!r})")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if shape != expected_shape:
        raise ValueError(f"{path} holds an array of shape {shape}, expected {expected_shape}")
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)
