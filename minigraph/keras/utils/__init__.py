"""Keras-style utilities: one-hot labels and a picture of a model."""

from minigraph.keras.utils.np_utils import to_categorical
from minigraph.keras.utils.vis_utils import model_to_dot, plot_model
from minigraph.keras.initializers import set_random_seed  # noqa: E402,F401
