"""Writes docs/API.md, the table of the TF 1.x names minigraph has: ``python3 tools/make_api_table.py``.

The table is read off the code, never written by hand: for every namespace that
mirrors one of TensorFlow's (each registers itself with ``subset.missing_names``:
``tf`` is ``minigraph``, ``tf.nn`` is ``minigraph.nn``, ...), every public name, what
it is, and its signature. tests/test_api_table.py fails when the stored table and the
code disagree, so adding a name means running this script again.
"""

from __future__ import annotations

import inspect
import sys
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "docs" / "API.md"

HEADER = """\
# The TensorFlow 1.x names minigraph has

minigraph implements a subset of TensorFlow 1.x (`tf.compat.v1`), under TF's names:
a TF1 program runs with `import minigraph as tf` when every name it uses is listed
here. A name that is not here raises an `AttributeError` that says so.

Generated from the code by `python3 tools/make_api_table.py`; tests/test_api_table.py
checks that it is current.
"""


class _Shown:
    """A default value as the table prints it: dtypes by name, no memory addresses."""

    def __init__(self, value):
        self.value = value

    def __repr__(self) -> str:
        if isinstance(self.value, np.dtype):
            return self.value.name
        text = repr(self.value)
        return f"<{type(self.value).__name__}>" if " at 0x" in text else text


def signature(obj) -> str:
    """`obj`'s parameters as Python shows them, without type hints: (x, y, name=None)."""
    try:
        found = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"
    parameters = [
        p.replace(
            annotation=inspect.Parameter.empty,
            default=p.default if p.default is inspect.Parameter.empty else _Shown(p.default),
        )
        for p in found.parameters.values()
    ]
    return str(found.replace(parameters=parameters, return_annotation=inspect.Signature.empty))


def _origin(value) -> str:
    """Where a callable comes from, as its public module: 'absl.flags', not 'absl.flags._defines'."""
    module = getattr(value, "__module__", "") or ""
    return ".".join(part for part in module.split(".") if not part.startswith("_"))


def describe(name: str, value, namespaces: dict[str, str]) -> tuple[str, str] | None:
    """(kind, detail) for one public name; None for names the table leaves out."""
    if type(value).__module__ == "__future__" or getattr(value, "__module__", None) == "typing":
        return None  # `annotations`, `Callable`: what a module imports for itself, not what it offers
    if isinstance(value, types.ModuleType):
        tf_name = next((tf for tf, module in namespaces.items() if module == value.__name__), None)
        # implementation modules (graph, ops, session) are reachable but are not TF names
        return ("namespace", f"`{tf_name}`, below") if tf_name else None
    if isinstance(value, np.dtype):
        return "dtype", f"`{value.name}`"
    # a name minigraph re-exports (absl's flags, numpy's dtype) shows where it comes from instead
    # of a signature, which would change with that package's version
    origin = _origin(value)
    detail = f"`{name}{signature(value)}`" if origin.startswith("minigraph") else f"from `{origin}`"
    if inspect.isclass(value):
        return "exception" if issubclass(value, BaseException) else "class", detail
    if callable(value) and not hasattr(value, "_flag_values"):
        return "function", detail
    if isinstance(value, (bool, int, float, str)):
        return "constant", f"`{value!r}`"
    return "object", f"`{type(value).__name__}`"


def section(tf_name: str, module_name: str, namespaces: dict[str, str]) -> list[str]:
    module = sys.modules[module_name]
    rows = []
    for name in sorted((n for n in vars(module) if not n.startswith("_")), key=str.lower):
        described = describe(name, getattr(module, name), namespaces)
        if described is not None:
            kind, detail = described
            rows.append(f"| `{tf_name}.{name}` | {kind} | {detail} |")
    return [f"## `{tf_name}` (`{module_name}`)", "", "| name | kind | signature |", "|---|---|---|", *rows, ""]


def api_table() -> str:
    """The whole table, as docs/API.md holds it."""
    import minigraph  # noqa: F401  (importing it imports, and so registers, every namespace)
    from minigraph.subset import NAMESPACES

    namespaces = dict(NAMESPACES)
    lines = [HEADER]
    for tf_name in sorted(namespaces, key=lambda n: (n != "tf", n)):
        lines += section(tf_name, namespaces[tf_name], namespaces)
    return "\n".join(lines)


def main() -> None:
    TABLE.parent.mkdir(exist_ok=True)
    TABLE.write_text(api_table())
    print(f"wrote {TABLE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
