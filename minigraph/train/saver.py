"""``mg.train.Saver``: a session's variable values written to disk and read back.

Training for an hour and losing it to a closed notebook is how a student learns to
checkpoint. TF1's way, which this mirrors::

    saver = mg.train.Saver()                                # every variable of the graph
    path = saver.save(sess, "ckpt/model", global_step=100)  # -> 'ckpt/model-100'
    ...
    saver.restore(sess, mg.train.latest_checkpoint("ckpt"))

**What is on disk.** ``save`` returns a *checkpoint prefix* (``ckpt/model-100``), as
TF does, and writes one file, ``<prefix>.npz``: a zip archive holding one ``.npy``
array per variable, named by the variable (``dense/kernel.npy``). Any numpy reads it
with ``np.load(path, allow_pickle=False)``: plain arrays, no pickle, so opening a
checkpoint can never run code. (TF's own format, an ``.index`` file plus data
shards, is not needed to learn what a checkpoint is.) Beside it, a small text file
named ``checkpoint`` records the newest checkpoint and the ones still kept, in TF's
words::

    model_checkpoint_path: "model-300"
    all_model_checkpoint_paths: "model-200"
    all_model_checkpoint_paths: "model-300"

``latest_checkpoint(directory)`` reads it. Paths in it are relative to the directory,
so a directory of checkpoints can be moved or copied whole.

**Atomic writes.** Every file is first written to a temporary file in the same
directory, flushed to the disk (``fsync``), and only then renamed over its final name
(``write_atomically``, atomic_files.py).
A rename within one file system is atomic: a crash before it leaves the previous
checkpoint and state file exactly as they were, never half a file under the real
name. The state file is updated after the checkpoint is in place, and old checkpoints
(beyond ``max_to_keep``) are deleted last, so the state file never names a missing file.

**All or nothing on restore.** ``restore`` checks every variable's name, shape and
dtype against the file before it writes any value. A checkpoint that does not fit
changes nothing and raises one error naming each variable that doesn't fit, with the
shape it expects and the shape it found. A file may hold more arrays than the Saver
restores (a Saver over some of the variables reads them from a full checkpoint).

**Why plain Python, not graph ops.** TF1's Saver adds ``SaveV2`` and ``RestoreV2``
ops to the graph, because TF's variables live in its C++ runtime (possibly on
another device or machine) and only a run can reach them. minigraph's variables live
in the Session's ``VariableStore`` in this very process, and ``Session.variable_value``
and ``set_variable_value`` read and write them directly. Ops would add nodes to every
drawing of the graph and do file work inside a run, whose all-or-nothing promise
covers variables, not files; so the Saver is ordinary code over the session.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field

import numpy as np

from minigraph.atomic_files import write_atomically
from minigraph.errors import InvalidArgumentError
from minigraph.graph import get_default_graph, tensor_or_none
from minigraph.ops.state import Variable, global_variables
from minigraph.shapes import format_shape

STATE_FILE = "checkpoint"  # TF's name for the file that lists a directory's checkpoints
SUFFIX = ".npz"


class Saver:
    """Saves and restores a list of variables (default: every variable of the graph)."""

    def __init__(self, var_list=None, max_to_keep: int | None = 5):
        if var_list is None:
            var_list = global_variables(get_default_graph())
        self.variables = _named_variables(var_list)
        if not self.variables:
            raise ValueError("No variables to save: the graph has none yet (build the model before the Saver)")
        self.max_to_keep = max_to_keep
        self._last_checkpoints: list[str] = []  # prefixes this Saver wrote and still keeps, oldest first

    @property
    def last_checkpoints(self) -> list[str]:
        """The checkpoints this Saver wrote that are not deleted yet, oldest first."""
        return list(self._last_checkpoints)

    def save(self, sess, save_path: str, global_step=None, latest_filename: str | None = None,
             write_state: bool = True) -> str:
        """Writes the variables' values to ``<save_path>[-<global_step>].npz``; returns the prefix."""
        save_path = os.fspath(save_path)
        if global_step is not None:
            if not isinstance(global_step, (int, np.integer)):  # a step counter variable or tensor
                global_step = sess.run(global_step)
            save_path = f"{save_path}-{int(global_step)}"
        directory = os.path.dirname(os.path.abspath(save_path))
        if not os.path.isdir(directory):
            raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save.")
        # read every value before writing anything: an uninitialized variable fails here
        values = {name: sess.variable_value(self._own(variable, sess)) for name, variable in self.variables.items()}
        write_atomically(save_path + SUFFIX, lambda file: _write_arrays(file, values))
        if write_state:
            self._record(save_path)
            kept = self._last_checkpoints or [save_path]
            update_checkpoint_state(directory, save_path, kept, latest_filename)
            self._delete_beyond_max_to_keep()
        return save_path

    def restore(self, sess, save_path: str) -> None:
        """Gives every variable its value from the checkpoint, or, if any doesn't fit, none."""
        if save_path is None:
            raise ValueError("Can't load save_path when it is None (did latest_checkpoint find no checkpoint?)")
        prefix = _prefix(os.fspath(save_path))
        if not os.path.isfile(prefix + SUFFIX):
            raise ValueError(f"The passed save_path is not a valid checkpoint: {prefix} (no file {prefix + SUFFIX})")
        try:
            with np.load(prefix + SUFFIX, allow_pickle=False) as archive:
                stored = {name: archive[name] for name in archive.files}
        except (zipfile.BadZipFile, ValueError, OSError) as error:  # not a zip of plain arrays
            raise ValueError(f"{prefix + SUFFIX} is not a readable checkpoint: {error}") from error
        problems = []
        for name, variable in self.variables.items():
            self._own(variable, sess)
            if name not in stored:
                problems.append(f"variable '{name}' (shape {format_shape(variable.shape)}) is not in the checkpoint")
            elif stored[name].shape != tuple(variable.shape):
                problems.append(f"variable '{name}' expects shape {format_shape(variable.shape)} but the "
                                f"checkpoint holds shape {format_shape(stored[name].shape)}")
            elif stored[name].dtype != variable.dtype:
                problems.append(f"variable '{name}' expects dtype {variable.dtype.name} but the "
                                f"checkpoint holds dtype {stored[name].dtype.name}")
        if problems:
            held = ", ".join(sorted(stored)) or "nothing"
            raise InvalidArgumentError(
                f"Restoring from checkpoint {prefix} failed and changed no variable: " + "; ".join(problems)
                + f". The checkpoint holds: {held}"
            )
        for name, variable in self.variables.items():  # every check passed: these writes cannot fail
            sess.set_variable_value(variable, stored[name])

    # --- helpers -------------------------------------------------------------------
    def _own(self, variable: Variable, sess) -> Variable:
        if variable.graph is not sess.graph:
            raise ValueError(f"{variable!r} is not in the session's graph: the Saver can't reach its value")
        return variable

    def _record(self, prefix: str) -> None:
        """TF1's bookkeeping: the newest prefix goes last; saving a path again moves it."""
        if not self.max_to_keep:  # None or 0: keep every file, track none
            return
        if prefix in self._last_checkpoints:
            self._last_checkpoints.remove(prefix)
        self._last_checkpoints.append(prefix)

    def _delete_beyond_max_to_keep(self) -> None:
        while self.max_to_keep and len(self._last_checkpoints) > self.max_to_keep:
            oldest = self._last_checkpoints.pop(0)
            if os.path.exists(oldest + SUFFIX):
                os.remove(oldest + SUFFIX)


def _named_variables(var_list) -> dict[str, Variable]:
    """{name in the file: variable}, from a list (named by the variables) or a dict, as TF1."""
    if isinstance(var_list, dict):
        pairs = list(var_list.items())
    elif isinstance(var_list, (list, tuple)):
        pairs = [(v.op.name if isinstance(v, Variable) else None, v) for v in var_list]
    else:
        raise TypeError(f"var_list must be a list of variables or a dict {{name: variable}}, got {var_list!r}")
    named: dict[str, Variable] = {}
    for name, variable in pairs:
        if not isinstance(variable, Variable):
            found = tensor_or_none(variable)
            raise TypeError(f"Saver can only save variables; {found if found is not None else variable!r} is not one")
        if not isinstance(name, str) or not name:
            raise TypeError(f"A checkpoint name must be a non-empty string, got {name!r} for {variable!r}")
        if name in named:
            raise ValueError(f"The same name '{name}' is used for two variables: {named[name]!r} and {variable!r}")
        named[name] = variable
    return named


def _prefix(path: str) -> str:
    """'model-3' from 'model-3' or 'model-3.npz': restore takes either."""
    return path[: -len(SUFFIX)] if path.endswith(SUFFIX) else path


def _write_arrays(file, values: dict[str, np.ndarray]) -> None:
    """An .npz archive: a zip holding `<name>.npy` per array (np.savez would take the names
    as keyword arguments, and a variable named 'file' would collide with its own)."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, value in values.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, np.asarray(value), allow_pickle=False)


# --- the state file: which checkpoints a directory holds -----------------------------


@dataclass
class CheckpointState:
    """What a directory's ``checkpoint`` file says (TF's CheckpointState, with TF's field names)."""

    model_checkpoint_path: str
    all_model_checkpoint_paths: list[str] = field(default_factory=list)


def update_checkpoint_state(directory: str, newest: str, kept: list[str], latest_filename: str | None = None) -> None:
    """Writes the state file of `directory`: `newest` and every prefix in `kept`, each
    relative to the directory when it lies inside it."""

    def relative(path: str) -> str:
        inside = os.path.dirname(os.path.abspath(path)) == os.path.abspath(directory)
        return os.path.basename(path) if inside else path

    # a JSON string is a valid protobuf text-format string for any path: quotes and
    # backslashes escaped, non-ASCII left as UTF-8
    lines = [f"model_checkpoint_path: {json.dumps(relative(newest), ensure_ascii=False)}"]
    lines += [f"all_model_checkpoint_paths: {json.dumps(relative(p), ensure_ascii=False)}" for p in kept]
    text = "\n".join(lines) + "\n"
    state_path = os.path.join(directory, latest_filename or STATE_FILE)
    write_atomically(state_path, lambda file: file.write(text.encode("utf-8")))


def get_checkpoint_state(checkpoint_dir: str, latest_filename: str | None = None) -> CheckpointState | None:
    """The directory's state file, read (None when there is none); relative paths are
    joined to the directory, as TF does."""
    state_path = os.path.join(os.fspath(checkpoint_dir), latest_filename or STATE_FILE)
    if not os.path.isfile(state_path):
        return None
    entries: dict[str, list[str]] = {"model_checkpoint_path": [], "all_model_checkpoint_paths": []}
    with open(state_path, encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            key, colon, value = line.strip().partition(": ")
            if not colon or key not in entries:
                raise ValueError(f"{state_path}, line {number}: not a checkpoint state entry: {line.strip()!r}")
            entries[key].append(json.loads(value))
    if not entries["model_checkpoint_path"]:
        raise ValueError(f"{state_path} names no model_checkpoint_path")

    def located(path: str) -> str:
        return path if os.path.isabs(path) else os.path.join(checkpoint_dir, path)

    return CheckpointState(located(entries["model_checkpoint_path"][-1]),
                           [located(p) for p in entries["all_model_checkpoint_paths"]])


def latest_checkpoint(checkpoint_dir: str, latest_filename: str | None = None) -> str | None:
    """The prefix of the newest checkpoint in `checkpoint_dir`, or None if there is none."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None or not os.path.isfile(state.model_checkpoint_path + SUFFIX):
        return None
    return state.model_checkpoint_path
