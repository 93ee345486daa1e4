"""Weight files: a model's weights in one ``.npz`` archive, by stable names.

``model.save_weights("w.npz")`` stores each weight under a path such as
``layers/dense_1/kernel``. The path counts layers *by class within the model*
(the first Dense is ``dense``, the second ``dense_1``), as Keras 3 names the entries
of its ``.weights.h5`` files, and not by the process-wide layer names (``dense_7``):
so a file saved by one program loads into the same architecture built by another.

An ``.npz`` holds plain numpy arrays, so loading needs no pickle (``allow_pickle=False``
refuses a file that would run code). Saving is atomic: the archive is written to a
temporary file in the target's directory, flushed to the disk (fsync), then renamed
over the target (``os.replace``, one step on every platform), by ``write_atomically``
(atomic_files.py), as TF1-style checkpoints are (train/saver.py). A crash at any moment
leaves either the old file or the new one, never half a file; a failed save removes
its temporary file. Loading reads and checks every name and shape before it changes
any weight, and a file that is not such an archive (truncated, empty, a pickle, a
Keras ``.h5``) is refused with one error that names the file and what it holds.

Whole models: ``model.save(path)`` and ``load_model(path)``
-----------------------------------------------------------

A saved model is everything needed to go on training where the program stopped, in
one zip archive (Keras 3's ``.keras`` files are zip archives too), written atomically
in the same way:

- ``model.json``: what to build, as JSON. The architecture is the model's
  ``get_config()`` (each layer's constructor arguments, and for a functional model
  which layer is called on which), the compile arguments are the loss's and metrics'
  names and the optimizer's ``serialize()``, and two lists name the arrays below in
  the order they are restored;
- ``weights/<path>.npy``: each weight, under the path ``save_weights`` uses;
- ``optimizer/<index>.npy``: the optimizer's variables (its step count, learning
  rate, and every slot such as Adam's moments), in the optimizer's own order.

Loading builds the model from its config, compiles it as it was compiled (which
creates the optimizer's slots), then checks every stored array's shape before it
assigns any. The step count is restored too: Adam's bias correction and a decayed
learning rate depend on it, so a loaded model's next step is the very step the saved
model would have taken. Plain JSON and ``.npy`` arrays read with
``allow_pickle=False``: nothing in the file can run code.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import zipfile
import zlib

import numpy as np

from minigraph.atomic_files import write_atomically
from minigraph.keras import backend as K
from minigraph.keras import losses, optimizers
from minigraph.keras.layers import snake_case
from minigraph.shapes import format_shape

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
    """Writes every weight of `model` to an .npz archive at exactly `filepath` (a
    temporary file, then a rename). Any name is taken: Keras 2 programs write
    ``weights.h5`` or ``weights.{epoch:02d}.hdf5`` (ModelCheckpoint), and they run
    unchanged; the file holds the .npz archive whatever its name says, which
    load_weights reads back (and Keras itself would not)."""
    values = dict(zip([key for key, _ in weight_keys(model)], model.get_weights()))
    write_file(filepath, lambda file: np.savez(file, **values), "save_weights() could not write the weights file")


def write_file(filepath: str, write, failure: str) -> None:
    """write_atomically, with an OSError that names `filepath` and says what failed."""
    try:
        write_atomically(os.fspath(filepath), write)
    except OSError as error:
        # the error would name the temporary file; the student knows only the real one
        reason = f"{failure}: {error.strerror or error}"
        if error.errno is None:
            raise OSError(f"{reason}: {os.fspath(filepath)!r}") from None
        raise type(error)(error.errno, reason, os.fspath(filepath)) from None


# --- loading -----------------------------------------------------------------------


def load_weights(model, filepath: str) -> None:
    """Reads weights saved by save_weights into `model`; every name and shape is checked first."""
    stored = read_weights_file(filepath)
    model.set_weights(checked_weights(model, stored, f"load_weights({filepath!r})"))


def checked_weights(model, stored: dict[str, np.ndarray], where: str) -> list[np.ndarray]:
    """The stored arrays in the model's weight order, once every name and shape fits."""
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
        raise ValueError(f"{where} does not fit model {model.name}: " + "; ".join(problems))
    return [stored[key] for key, _ in expected]


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


# --- whole models ------------------------------------------------------------------

MODEL_FORMAT = "minigraph.keras model"
MODEL_FORMAT_VERSION = 1
MODEL_JSON = "model.json"


def save_model(model, filepath: str, overwrite: bool = True, include_optimizer: bool = True,
               save_format: str | None = None) -> None:
    """Writes the model's architecture, weights, compile arguments and optimizer state
    to one zip archive at `filepath` (a temporary file, then a rename). Keras 2's
    arguments: overwrite=False refuses an existing file; include_optimizer=False leaves
    out the compile arguments and the optimizer state."""
    if save_format not in (None, "keras", "minigraph"):
        raise ValueError(f"save(): save_format={save_format!r} is not supported; minigraph writes one format, "
                         "a zip of model.json and .npy arrays (leave save_format out)")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"save(): {os.fspath(filepath)!r} exists and overwrite=False")
    weights = dict(zip([key for key, _ in weight_keys(model)], model.get_weights()))
    optimizer_values = K.batch_get_value(optimizer_state(model)) if include_optimizer else []
    description = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "model": {"class_name": type(model).__name__, "config": model.get_config()},
        "compile": compile_config(model) if include_optimizer else None,
        "weights": list(weights),
        "optimizer_weights": [f"optimizer/{index}" for index in range(len(optimizer_values))],
    }
    text = json.dumps(description, indent=1)  # fails here, before any file is touched, if not JSON-able
    arrays = {f"weights/{key}": value for key, value in weights.items()}
    arrays.update(zip(description["optimizer_weights"], optimizer_values))

    def write(file) -> None:
        with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(MODEL_JSON, text)
            for name, value in arrays.items():
                with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asarray(value), allow_pickle=False)

    write_file(filepath, write, "save() could not write the model file")


def optimizer_state(model) -> list:
    """The compiled model's optimizer variables (step count, learning rate, slots); [] for
    a model that was never compiled, or whose training step is not built yet (it has
    never trained: a fresh optimizer is the same)."""
    if getattr(model, "optimizer", None) is None:
        return []
    return list(model.optimizer.variables())


def compile_config(model) -> dict | None:
    """compile()'s arguments, losses and metrics by name ({'loss': 'categorical_crossentropy',
    'metrics': ['accuracy'], ...}), or None for a model that was never compiled."""
    compiled = getattr(model, "_compiled", None)
    if compiled is None or getattr(model, "optimizer", None) is None:
        return None
    return {
        "loss": serialize_identifier(compiled.get("loss"), "loss"),
        "metrics": serialize_identifier(compiled.get("metrics"), "metric"),
        "weighted_metrics": serialize_identifier(compiled.get("weighted_metrics"), "metric"),
        "loss_weights": compiled.get("loss_weights"),
        "optimizer": optimizers.serialize(model.optimizer),
    }


def serialize_identifier(identifier, what: str):
    """A loss or metric as JSON: a name stays a name ('mse'); a function becomes its name;
    a loss object ({'object': 'Huber', 'config': {'delta': 2.0, ...}}) keeps its arguments;
    lists and dicts (one entry per output) keep their shape."""
    if identifier is None or isinstance(identifier, str):
        return identifier
    if isinstance(identifier, (list, tuple)):
        return [serialize_identifier(item, what) for item in identifier]
    if isinstance(identifier, dict):
        return {key: serialize_identifier(item, what) for key, item in identifier.items()}
    if hasattr(identifier, "get_config") and hasattr(type(identifier), "from_config"):
        return {"object": type(identifier).__name__, "config": identifier.get_config()}
    name = getattr(identifier, "__name__", None)
    if not isinstance(name, str) or name == "<lambda>":
        raise ValueError(f"save(): cannot store the {what} {identifier!r}: it has no name to find it by "
                         "when the model is loaded (use a def, and pass it to load_model in custom_objects)")
    return name


def load_model(filepath: str, custom_objects: dict | None = None, compile: bool = True):  # noqa: A002
    """The model saved at `filepath` by model.save(), compiled as it was (unless
    compile=False), with its weights and its optimizer's state: training goes on as if
    it had never stopped. `custom_objects` maps names to your own layers or losses."""
    description, arrays = read_model_file(filepath)
    where = f"load_model({os.fspath(filepath)!r})"
    custom_objects = dict(custom_objects or {})
    model_entry = description["model"]
    model_class = find_class(model_entry.get("class_name"), custom_objects, where)
    config = model_entry.get("config", {})
    if "custom_objects" in inspect.signature(model_class.from_config).parameters:
        model = model_class.from_config(config, custom_objects=custom_objects)
    else:
        model = model_class.from_config(config)
    stored = {name[len("weights/"):]: arrays[name] for name in arrays if name.startswith("weights/")}
    model.set_weights(checked_weights(model, stored, where))
    settings = description.get("compile")
    if compile and settings is not None:
        model.compile(optimizer=optimizers.deserialize(settings["optimizer"]),
                      loss=resolve(settings["loss"], custom_objects),
                      metrics=resolve(settings["metrics"], custom_objects),
                      loss_weights=settings["loss_weights"],
                      weighted_metrics=resolve(settings["weighted_metrics"], custom_objects))
        restore_optimizer_state(model, [arrays[name] for name in description["optimizer_weights"]], where)
    return model


def find_class(class_name, custom_objects: dict, where: str):
    """The model class a saved file names: one of minigraph.keras.models', or your own."""
    if class_name in custom_objects:
        return custom_objects[class_name]
    models = importlib.import_module("minigraph.keras.models")  # models imports this module
    model_class = getattr(models, str(class_name), None)
    if not isinstance(model_class, type) or not hasattr(model_class, "from_config"):
        raise ValueError(f"{where}: the file holds a model of class {class_name!r}, which minigraph.keras.models "
                         "does not have; pass it in custom_objects={'" + str(class_name) + "': TheClass}")
    return model_class


def resolve(identifier, custom_objects: dict):
    """A stored loss or metric back to what compile() takes: a name (your own functions by
    custom_objects), or a loss object rebuilt from its class and arguments."""
    if isinstance(identifier, list):
        return [resolve(item, custom_objects) for item in identifier]
    if isinstance(identifier, dict) and set(identifier) == {"object", "config"}:
        name = identifier["object"]
        loss_class = custom_objects.get(name) or getattr(losses, name, None)
        if loss_class is None:
            raise ValueError(f"load_model(): the model was compiled with a {name} object, which "
                             f"minigraph.keras.losses does not have; pass it in custom_objects={{'{name}': ...}}")
        return loss_class.from_config(identifier["config"])
    if isinstance(identifier, dict):
        return {key: resolve(item, custom_objects) for key, item in identifier.items()}
    return custom_objects.get(identifier, identifier)


def restore_optimizer_state(model, values: list[np.ndarray], where: str) -> None:
    """Gives the freshly compiled optimizer the saved values, every shape checked first
    (none saved: the model had never trained, and the fresh optimizer is the same)."""
    if not values:
        return
    variables = optimizer_state(model)
    if len(variables) != len(values):
        raise ValueError(f"{where}: the file holds {len(values)} optimizer variables, but "
                         f"{type(model.optimizer).__name__} on model {model.name} has {len(variables)}")
    for index, (variable, value) in enumerate(zip(variables, values)):
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(f"{where}: optimizer variable {index} ({variable.op.name}) has shape "
                             f"{format_shape(variable.shape)} in the model but {value.shape} in the file")
    K.batch_set_value(list(zip(variables, values)))


def read_model_file(filepath: str) -> tuple[dict, dict[str, np.ndarray]]:
    """(the model.json description, {array name: array}) of a file written by save_model.
    A missing file raises the usual OSError (it names the file); anything else that is
    not such a file, a ValueError that names it and says what it holds."""
    def refuse(what: str) -> ValueError:
        return ValueError(f"load_model(): {os.fspath(filepath)!r} is not a model file written by model.save(): {what}")

    if not zipfile.is_zipfile(filepath):  # raises FileNotFoundError, IsADirectoryError as they are
        raise refuse(describe_non_archive(filepath))
    try:
        with zipfile.ZipFile(filepath) as archive:
            names = archive.namelist()
            if MODEL_JSON not in names:
                if names and all(name.endswith(".npy") for name in names):
                    raise refuse("it holds only weights (save_weights writes such files): "
                                 "build the model, then call model.load_weights()")
                if "config.json" in names and "model.weights.h5" in names:
                    raise refuse("it is a Keras 3 .keras file (config.json, model.weights.h5), which "
                                 "minigraph does not read; save the weights in Keras as arrays and "
                                 "set_weights() them on the same model built in minigraph")
                raise refuse(f"it has no {MODEL_JSON} (it holds {names[:5]})")
            description = json.loads(archive.read(MODEL_JSON).decode("utf-8"))
            if not isinstance(description, dict) or description.get("format") != MODEL_FORMAT:
                raise refuse(f"its {MODEL_JSON} is not a minigraph model description")
            if description.get("format_version") != MODEL_FORMAT_VERSION:
                raise refuse(f"format version {description.get('format_version')!r}, "
                             f"this minigraph reads {MODEL_FORMAT_VERSION}")
            arrays = {}
            for name in description["weights"]:
                arrays[f"weights/{name}"] = read_member_array(archive, f"weights/{name}.npy", refuse)
            for name in description["optimizer_weights"]:
                arrays[name] = read_member_array(archive, f"{name}.npy", refuse)
    except (zipfile.BadZipFile, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError, KeyError) as error:
        raise refuse(f"the archive is damaged ({type(error).__name__}: {error})") from None
    return description, arrays


def read_member_array(archive: zipfile.ZipFile, name: str, refuse) -> np.ndarray:
    """One .npy member of the archive, read with allow_pickle=False."""
    try:
        with archive.open(name) as member:
            return np.lib.format.read_array(member, allow_pickle=False)
    except KeyError:
        raise refuse(f"it lacks {name}, which its {MODEL_JSON} lists") from None
    except ValueError as error:
        raise refuse(f"{name} is not a plain numpy array ({error})") from None
