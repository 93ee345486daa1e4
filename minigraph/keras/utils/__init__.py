"""Keras-style utilities: one-hot labels (and, later, plot_model)."""

from minigraph.keras.utils.np_utils import to_categorical
