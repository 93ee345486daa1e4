"""The ``tensorboard`` package, imported only when a summary is built or written.

TensorBoard's file format is protocol buffers (``Summary``, ``Event``, ``GraphDef``)
in TFRecord files. minigraph writes them with the ``tensorboard`` package's own
classes, never a copy of them, so what it writes is what TensorBoard reads. That
package is an optional extra (``pip install -e .[tensorboard]``): ``import minigraph``
must work without it, so the summary modules import it here, on first use, and a
missing package says which extra to install.
"""

from __future__ import annotations

import importlib
from types import ModuleType

INSTALL_HINT = "pip install -e .[tensorboard] (or pip install tensorboard)"


def need(module_name: str) -> ModuleType:
    """Imports a module of the tensorboard package (or protobuf, which it brings along)."""
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        raise ModuleNotFoundError(
            f"mg.summary writes TensorBoard files with the tensorboard package, which is not installed "
            f"(importing {module_name} failed: {error}). Install minigraph's tensorboard extra: {INSTALL_HINT}"
        ) from error


def summary_pb2() -> ModuleType:
    """TensorBoard's ``Summary`` and ``HistogramProto`` messages."""
    return need("tensorboard.compat.proto.summary_pb2")
