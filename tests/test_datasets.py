"""Fashion-MNIST and CIFAR-10 loaders (minigraph/keras/datasets/): files in the published
formats, written here small, read as Keras reads them; wrong files refused by name.

No package ships the real files (archives.py), so the real data sets are tested only when
they are on this machine; the format, the digests and the errors are tested always.
"""

import gzip
import hashlib
import io
import pickle
import tarfile

import numpy as np
import pytest

from minigraph.keras.datasets import cifar10, fashion_mnist
from minigraph.keras.datasets.archives import DatasetUnavailableError


def write_idx(path, array):
    """A gzipped IDX file as Fashion-MNIST publishes them: magic 0x0000 08 ndim, sizes, bytes."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as file:
        file.write(header + array.astype(np.uint8).tobytes())


def small_fashion_set(folder, rng):
    """Four IDX files of 6 training and 4 test images; returns the arrays and the FILES table
    load_data must check them against (their own MD5s, their own shapes)."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"x_train": rng.integers(0, 256, (6, 28, 28)), "y_train": rng.integers(0, 10, 6),
              "x_test": rng.integers(0, 256, (4, 28, 28)), "y_test": rng.integers(0, 10, 4)}
    table = {}
    for key, (name, _, _) in fashion_mnist.FILES.items():
        write_idx(folder / name, arrays[key])
        table[key] = (name, hashlib.md5((folder / name).read_bytes()).hexdigest(), arrays[key].shape)
    return arrays, table


def test_fashion_mnist_reads_the_idx_files_as_keras_does(tmp_path, monkeypatch):
    arrays, table = small_fashion_set(tmp_path / "fashion-mnist", np.random.default_rng(0))
    monkeypatch.setenv("MINIGRAPH_DATA", str(tmp_path))
    monkeypatch.setattr(fashion_mnist, "FILES", table)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    for got, key in [(x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"), (y_test, "y_test")]:
        assert got.dtype == np.uint8 and got.shape == arrays[key].shape
        np.testing.assert_array_equal(got, arrays[key])
        # Keras's own reading: skip the 8- or 16-byte header, the rest is the array
        with gzip.open(tmp_path / "fashion-mnist" / table[key][0]) as file:
            keras_way = np.frombuffer(file.read(), np.uint8, offset=16 if key.startswith("x") else 8)
        np.testing.assert_array_equal(got.ravel(), keras_way)


def test_fashion_mnist_finds_keras_download_cache(tmp_path, monkeypatch):
    arrays, table = small_fashion_set(tmp_path / "keras" / "datasets" / "fashion-mnist", np.random.default_rng(1))
    monkeypatch.setenv("MINIGRAPH_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(fashion_mnist, "FILES", table)
    (_, y_train), _ = fashion_mnist.load_data()
    np.testing.assert_array_equal(y_train, arrays["y_train"])


def test_fashion_mnist_missing_or_wrong_files_are_refused_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGRAPH_DATA", str(tmp_path / "mine"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    # a file under the right name but with other bytes (MNIST's labels, say)
    wrong = tmp_path / "mine" / "fashion-mnist"
    wrong.mkdir(parents=True)
    write_idx(wrong / "train-images-idx3-ubyte.gz", np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(DatasetUnavailableError) as caught:
        fashion_mnist.load_data()
    message = str(caught.value)
    assert "fashion-mnist: no good copy of train-images-idx3-ubyte.gz" in message
    assert "No PyPI package ships fashion-mnist" in message
    assert f"{wrong / 'train-images-idx3-ubyte.gz'}: md5 is " in message
    assert "expected the published 8d4fb7e6c68d591d4c3dfef9ec88bf0d" in message
    keras_copy = tmp_path / "keras" / "datasets" / "fashion-mnist" / "train-images-idx3-ubyte.gz"
    assert f"{keras_copy}: no such file" in message
    assert "Copy the four files (train-images-idx3-ubyte.gz, " in message and str(wrong) in message


def test_read_idx_refuses_a_file_of_another_kind_or_shape(tmp_path):
    path = tmp_path / "labels.gz"
    write_idx(path, np.arange(5))
    with pytest.raises(ValueError, match=r"labels.gz holds an array of shape \(5,\), expected \(6,\)"):
        fashion_mnist.read_idx(path, (6,))
    with gzip.open(path, "wb") as file:
        file.write(b"\x1f\x8b not idx")
    with pytest.raises(ValueError, match=r"labels.gz is not an IDX file of uint8 values"):
        fashion_mnist.read_idx(path, (6,))


# --- CIFAR-10 ----------------------------------------------------------------------


def write_cifar_archive(path, batches):
    """A cifar-10-python.tar.gz: one pickled {b'data', b'labels', ...} dict per batch, as published."""
    with tarfile.open(path, "w:gz") as archive:
        for member, (data, labels) in batches.items():
            payload = pickle.dumps({b"batch_label": member.encode(), b"labels": [int(v) for v in labels],
                                    b"data": data, b"filenames": [b"x.png"] * len(labels)}, protocol=2)
            info = tarfile.TarInfo(member)
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))


def small_cifar_batches(rng):
    members = cifar10.TRAIN_BATCHES + [cifar10.TEST_BATCH]
    return {member: (rng.integers(0, 256, (3, 3072), dtype=np.uint8), rng.integers(0, 10, 3)) for member in members}


def test_cifar10_gives_keras_arrays_channels_last_with_labels_in_one_column(tmp_path):
    batches = small_cifar_batches(np.random.default_rng(2))
    write_cifar_archive(tmp_path / "cifar-10-python.tar.gz", batches)
    (x_train, y_train), (x_test, y_test) = cifar10.read_archive(tmp_path / "cifar-10-python.tar.gz")
    assert x_train.shape == (15, 32, 32, 3) and y_train.shape == (15, 1)
    assert x_test.shape == (3, 32, 32, 3) and y_test.shape == (3, 1)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    # the first image's red plane is the first 1024 bytes of the first row
    np.testing.assert_array_equal(x_train[0, :, :, 0], batches[cifar10.TRAIN_BATCHES[0]][0][0, :1024].reshape(32, 32))
    np.testing.assert_array_equal(y_test[:, 0], batches[cifar10.TEST_BATCH][1])


def test_cifar10_matches_keras_reading_of_the_same_batches(tmp_path):
    """tf_keras's own load_batch on the same files, transposed as its load_data does."""
    from tf_keras.src.datasets import cifar as keras_cifar  # Keras 2's own reader
    batches = small_cifar_batches(np.random.default_rng(3))
    write_cifar_archive(tmp_path / "a.tar.gz", batches)
    (x_train, y_train), _ = cifar10.read_archive(tmp_path / "a.tar.gz")
    with tarfile.open(tmp_path / "a.tar.gz") as archive:
        archive.extractall(tmp_path / "out", filter="data")
    keras_x, keras_y = zip(*(keras_cifar.load_batch(str(tmp_path / "out" / m)) for m in cifar10.TRAIN_BATCHES))
    np.testing.assert_array_equal(x_train, np.concatenate(keras_x).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_train, np.concatenate(keras_y).reshape(-1, 1))


def test_cifar10_refuses_a_batch_that_would_run_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        payload = pickle.dumps({b"data": Evil(), b"labels": []})
        info = tarfile.TarInfo(cifar10.TRAIN_BATCHES[0])
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    with pytest.raises(pickle.UnpicklingError, match="refusing to load builtins.print"):
        cifar10.read_archive(path)


def test_cifar10_without_the_archive_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGRAPH_DATA", str(tmp_path / "mine"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    (tmp_path / "keras" / "datasets").mkdir(parents=True)
    (tmp_path / "keras" / "datasets" / "cifar-10-python.tar.gz").write_bytes(b"truncated")
    with pytest.raises(DatasetUnavailableError) as caught:
        cifar10.load_data()
    message = str(caught.value)
    assert "Copy cifar-10-python.tar.gz (the archive from the CIFAR-10 page" in message
    assert f"into {tmp_path / 'mine' / 'cifar-10'}" in message
    assert f"{tmp_path / 'mine' / 'cifar-10' / 'cifar-10-python.tar.gz'}: no such file" in message
    assert f"sha256 is {hashlib.sha256(b'truncated').hexdigest()}, expected the published " \
           f"{cifar10.ARCHIVE_SHA256}" in message


def test_the_loaders_are_reached_as_keras_programs_reach_them():
    import minigraph.keras as keras

    assert keras.datasets.fashion_mnist.load_data is fashion_mnist.load_data
    assert keras.datasets.cifar10.load_data is cifar10.load_data
    assert callable(keras.datasets.mnist.load_data)
