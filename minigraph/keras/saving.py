"""Weight files: a model's weights in one ``.npz`` archive, by stable names.

``model.save_weights("w.npz")`` stores each weight under a path such as
``layers/dense_1/kernel``. The path counts layers *by class within the model*
(the first Dense is ``dense``, the second ``dense_1``), as Keras 3 names the entries
of its ``.weights.h5`` files, and not by the process-wide layer names (``dense_7``):
so a file saved by one program loads into the same architecture built by another.

An ``.npz`` holds plain numpy arrays, so loading needs no pickle (``allow_pickle=False``
refuses a file that would run code). Saving is atomic: the archive is written to a
temporary file in the target's directory, flushed to the disk (fsync), then renamed
over the target (``os.replace``, one step on every platform), by the same
``write_atomically`` as TF1-style checkpoints (train/saver.py). A crash at any moment
leaves either the old file or the new one, never half a file; a failed save removes
its temporary file. Loading reads and checks every name and shape before it changes
any weight, and a file that is not such an archive (truncated, empty, a pickle, a
Keras ``.h5``) is refused with one error that names the file and what it holds.
"""

from __future__ import annotations

import os
import zipfile
import zlib

import numpy as np

from minigraph.keras.layers import snake_case
from minigraph.shapes import format_shape
from minigraph.train.saver import write_atomically

# how the files load_weights is most often handed by mistake begin
FILE_SIGNATURES = {
    b"\x93NUMPY": "a single .npy array (np.save), not an .npz archive of named weights",
    b"\x89HDF": "an HDF5 file (Keras's .h5 format); minigraph saves weights as .npz",
    b"\x80": "a Python pickle",
}


def weight_keys(model) -> list[tuple[str, object]]:
    """(path, variable) for each of the model's weights: ('layers/dense_1/kernel', kernel)."""
    seen: dict[str, int] = {}
    keys = []
    for layer in model.layers:
        base = snake_case(type(layer).__name__)
        count = seen.get(base, 0)
        seen[base] = count + 1
        path = base if count == 0 else f"{base}_{count}"
        for weight in layer.weights:
            keys.append((f"layers/{path}/{weight.op.name.rsplit('/', 1)[-1]}", weight))
    return keys


# --- saving ------------------------------------------------------------------------


def save_weights(model, filepath: str) -> None:
    """Writes every weight of `model` to an .npz file (a temporary file, then a rename)."""
    if not str(filepath).endswith(".npz"):
        raise ValueError(f"save_weights(): the file name must end in .npz, got {filepath!r}")
    values = dict(zip([key for key, _ in weight_keys(model)], model.get_weights()))
    try:
        write_atomically(os.fspath(filepath), lambda file: np.savez(file, **values))
    except OSError as error:
        # the error would name the temporary file; the student knows only the real one
        reason = f"save_weights() could not write the weights file: {error.strerror or error}"
        if error.errno is None:
            raise OSError(f"{reason}: {os.fspath(filepath)!r}") from None
        raise type(error)(error.errno, reason, os.fspath(filepath)) from None


# --- loading -----------------------------------------------------------------------


def load_weights(model, filepath: str) -> None:
    """Reads weights saved by save_weights into `model`; every name and shape is checked first."""
    stored = read_weights_file(filepath)
    expected = weight_keys(model)
    problems = []
    missing = [key for key, _ in expected if key not in stored]
    unexpected = sorted(set(stored) - {key for key, _ in expected})
    if missing:
        problems.append(f"missing weights {missing}")
    if unexpected:
        problems.append(f"unexpected weights {unexpected}")
    for key, variable in expected:
        if key in stored and stored[key].shape != tuple(variable.shape):
            problems.append(
                f"{key} has shape {stored[key].shape} in the file but {format_shape(variable.shape)} in the model"
            )
    if problems:
        raise ValueError(f"load_weights({filepath!r}) does not fit model {model.name}: " + "; ".join(problems))
    model.set_weights([stored[key] for key, _ in expected])


def read_weights_file(filepath: str) -> dict[str, np.ndarray]:
    """{name: array} from an .npz archive. A missing file raises the usual OSError (it
    names the file); a file that is not a readable archive of arrays, a ValueError."""
    def refuse(what: str) -> ValueError:
        return ValueError(f"load_weights(): {filepath!r} is not a weights file written by save_weights: {what}")

    if not zipfile.is_zipfile(filepath):  # raises FileNotFoundError, IsADirectoryError as they are
        raise refuse(describe_non_archive(filepath))
    stored = {}
    try:
        with np.load(filepath, allow_pickle=False) as data:
            for key in data.files:
                try:
                    stored[key] = data[key]
                except ValueError as error:
                    if "allow_pickle" in str(error):
                        raise refuse(f"entry {key!r} holds Python objects, which only pickle could read, "
                                     "and loading a pickle can run any code") from None
                    raise refuse(f"entry {key!r} is not a numpy array ({error})") from None
                if not isinstance(stored[key], np.ndarray):  # np.load hands other members over as bytes
                    raise refuse(f"entry {key!r} is not a numpy array (a zip archive, but not one np.savez wrote)")
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as error:
        if isinstance(error, (FileNotFoundError, IsADirectoryError, PermissionError)):
            raise
        raise refuse(f"the archive is damaged ({type(error).__name__}: {error})") from None
    return stored


def describe_non_archive(filepath: str) -> str:
    """What a file that is not a zip archive holds, as far as its first bytes tell."""
    with open(filepath, "rb") as file:
        head = file.read(8)
    if not head:
        return "the file is empty"
    if head.startswith(b"PK"):
        return "it starts as a zip archive (.npz) does, but is truncated or damaged"
    for signature, what in FILE_SIGNATURES.items():
        if head.startswith(signature):
            return f"it is {what}"
    return f"an .npz file is a zip archive, and this file starts with {head!r}"
