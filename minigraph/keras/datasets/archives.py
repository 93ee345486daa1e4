"""Finding a data set's published files on this machine, and proving they are the right ones.

MNIST comes in a PyPI wheel (see mnist.py), so it loads anywhere pip works. Fashion-MNIST
and CIFAR-10 do not: no package on PyPI ships their files. The packages that promise them
(``mnists``, ``pure-cifar-10``, ``cifar10``, ``ml-fashion-cnn``,
``therrshan-datasetloader`` and others) hold only code that downloads them from the
authors' sites at run time, which this offline machine cannot reach. So minigraph loads
them from files already on the disk, in this order:

1. ``$MINIGRAPH_DATA/<data set>/`` (``~/.cache/minigraph/<data set>/`` when MINIGRAPH_DATA
   is not set): copy the files there by hand;
2. Keras's download cache (``$KERAS_HOME``, else ``~/.keras``, then ``datasets/...``), left
   by an earlier ``keras.datasets.<name>.load_data()`` on a machine with internet.

A file is used only when its digest is the one its authors published (Keras checks the
same digest of cifar-10-python.tar.gz; Fashion-MNIST's README lists an MD5 per file), so
a truncated download or another data set under the same name is refused, not trained on.
When no place has a good copy, DatasetUnavailableError lists each place looked at and what
was wrong there, and says which file to put where.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


class DatasetUnavailableError(RuntimeError):
    """A data set's files are not on this machine; the message says where to put them."""


def minigraph_data_dir(dataset: str) -> Path:
    """``$MINIGRAPH_DATA/<dataset>``, else ``~/.cache/minigraph/<dataset>``."""
    data_dir = os.environ.get("MINIGRAPH_DATA")
    root = Path(data_dir) if data_dir else Path.home() / ".cache" / "minigraph"
    return root / dataset


def keras_datasets_dir() -> Path:
    """Keras's cache of downloads: ``$KERAS_HOME/datasets``, else ``~/.keras/datasets``."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "datasets"


def file_digest(path: Path, algorithm: str) -> str:
    """The hex digest of a file's bytes ('md5' or 'sha256'), read a megabyte at a time."""
    # MD5 is here only to compare with the digests the authors published, not for security
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_checked_file(dataset: str, name: str, algorithm: str, expected: str,
                      places: list[Path], how_to_get: str) -> Path:
    """The first file called `name` in `places` whose digest is `expected`.

    Raises DatasetUnavailableError naming every place tried (missing, or the wrong digest)
    and what to do: `how_to_get`.
    """
    tried = []
    for place in places:
        path = place / name
        if not path.is_file():
            tried.append(f"{path}: no such file")
            continue
        digest = file_digest(path, algorithm)
        if digest == expected:
            return path
        tried.append(f"{path}: {algorithm} is {digest}, expected the published {expected} "
                     "(a damaged or different file)")
    raise DatasetUnavailableError(
        f"{dataset}: no good copy of {name} on this machine. No PyPI package ships {dataset} "
        f"(they download it at run time), so minigraph reads it from disk. {how_to_get} "
        f"Looked at:\n" + "\n".join(f"  - {line}" for line in tried)
    )
