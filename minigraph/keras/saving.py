"""Weight files: a model's weights in one ``.npz`` archive, by stable names.

``model.save_weights("w.npz")`` stores each weight under a path such as
``layers/dense_1/kernel``. The path counts layers *by class within the model*
(the first Dense is ``dense``, the second ``dense_1``), as Keras 3 names the entries
of its ``.weights.h5`` files, and not by the process-wide layer names (``dense_7``):
so a file saved by one program loads into the same architecture built by another.

An ``.npz`` holds plain numpy arrays, so loading needs no pickle (``allow_pickle=False``
refuses a file that would run code). Saving is atomic: the archive is written to a
temporary file beside the target, then renamed over it, so a crash never leaves half
a file. Loading checks every name and shape before it changes any weight.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

from minigraph.keras.layers import snake_case
from minigraph.shapes import format_shape


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


def save_weights(model, filepath: str) -> None:
    """Writes every weight of `model` to an .npz file (a temporary file, then a rename)."""
    if not str(filepath).endswith(".npz"):
        raise ValueError(f"save_weights(): the file name must end in .npz, got {filepath!r}")
    values = dict(zip([key for key, _ in weight_keys(model)], model.get_weights()))
    directory = os.path.dirname(os.path.abspath(filepath))
    handle, temporary = tempfile.mkstemp(suffix=".npz", dir=directory)
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **values)
        os.replace(temporary, filepath)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def load_weights(model, filepath: str) -> None:
    """Reads weights saved by save_weights into `model`; every name and shape is checked first."""
    with np.load(filepath, allow_pickle=False) as data:
        stored = {key: data[key] for key in data.files}
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
