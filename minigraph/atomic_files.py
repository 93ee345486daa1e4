"""Files written whole or not at all.

A program that dies halfway through writing a checkpoint, a model or a data cache
must not leave half a file where a whole one used to be: the next run would read it
and fail far from the cause, or worse, not fail. ``write_atomically`` writes to a
temporary file beside the target, pushes it to the disk, and only then renames it
over the target, which POSIX (and Windows, through ``os.replace``) does in one step.
Checkpoints (train/saver.py), Keras's weight and model files (keras/saving.py), the
MNIST cache, frozen graphs (graph_io.py) and ONNX models (onnx/export.py) are all
written this way.
"""

from __future__ import annotations

import os
import uuid


def write_atomically(path: str, write) -> None:
    """Calls `write(file)` on a temporary file beside `path`, syncs it to disk, then
    renames it to `path`: readers see the old file or the whole new one, never a part."""
    directory, base = os.path.split(os.path.abspath(path))
    temporary = os.path.join(directory, f".{base}.{uuid.uuid4().hex[:8]}.tmp")
    # mode 0o666 less the umask, as open() gives (mkstemp's files are private, 0o600)
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())  # the bytes reach the disk before the name points at them
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    _sync_directory(directory)


def _sync_directory(directory: str) -> None:
    """Makes the rename itself durable (POSIX keeps names in the directory's own data)."""
    if os.name != "posix":
        return
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
