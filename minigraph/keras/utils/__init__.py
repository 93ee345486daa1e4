"""Keras-style utilities: one-hot labels, a picture of a model, the seed, and the progress bar."""

from minigraph.keras.initializers import set_random_seed
from minigraph.keras.progbar import Progbar  # keras.utils.Progbar, as Keras 2 exports it
from minigraph.keras.utils.np_utils import to_categorical
from minigraph.keras.utils.vis_utils import model_to_dot, plot_model
