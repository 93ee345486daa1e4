"""minigraph implements a subset of TensorFlow 1.x, and says so.

A TF1 program run on minigraph (``import minigraph as tf``) may reach for a name
minigraph does not have: ``tf.contrib``, ``tf.nn.ctc_loss``. Python's own error,
``module 'minigraph' has no attribute 'contrib'``, reads like a typo or a broken
install. Instead, each public namespace (``minigraph``, ``minigraph.nn``,
``minigraph.train``, ...) ends with

    __getattr__ = subset.missing_names("minigraph.nn", "tf.nn")

Python calls a module's ``__getattr__`` only for names the module lacks, so this costs
nothing for the names that exist. A submodule that exists but was not imported yet
(``mg.keras`` after a plain ``import minigraph``) is imported and returned. The error is still an ``AttributeError`` (so
``hasattr`` and ``getattr(module, name, default)`` behave as ever); its message names
the missing ``tf.X``, says minigraph implements a subset of TF 1.x, and points to
docs/API.md, the table of what exists (generated from the code by
tools/make_api_table.py).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Callable

API_TABLE = "docs/API.md"

# every namespace that mirrors one of TF's: TF's name -> minigraph's module ("tf.nn" -> "minigraph.nn");
# tools/make_api_table.py writes one section of the API table per entry
NAMESPACES: dict[str, str] = {}


class NotInMinigraph(AttributeError):
    """A TF 1.x name that minigraph does not implement."""


def missing_names(module_name: str, tf_name: str) -> Callable[[str], object]:
    """A module ``__getattr__`` that explains, for `module_name` (which mirrors `tf_name`),
    that a name it lacks is outside the subset minigraph implements."""
    NAMESPACES[tf_name] = module_name

    def __getattr__(name: str):
        if name.startswith("_"):  # dunders and private names: tools probe these; keep Python's words
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        if _is_submodule(module_name, name):
            # a submodule not imported yet (mg.keras, mg.decomposition) exists: import it
            return importlib.import_module(f"{module_name}.{name}")
        raise NotInMinigraph(
            f"{tf_name}.{name} ({module_name}.{name}) is not implemented: minigraph implements "
            f"a subset of TensorFlow 1.x. {API_TABLE} lists what exists in each module."
        )

    return __getattr__


def _is_submodule(package: str, name: str) -> bool:
    try:
        return importlib.util.find_spec(f"{package}.{name}") is not None
    except ModuleNotFoundError:  # `package` is a plain module (minigraph.nn): no submodules
        return False
