"""Keras layers, a file per family:

- base.py: ``Layer`` (the build/call split, weights, names, the record of calls) and ``Input``;
- kernels.py: what Dense and Conv2D share (kernel, bias, activation, initializers, regularizers);
- core.py: Dense, Activation, Flatten, Reshape, Lambda;
- convolutional.py: Conv2D; pooling.py: MaxPooling2D, AveragePooling2D.

``from minigraph.keras.layers import Dense`` works as ``from keras.layers import Dense``.
"""

from minigraph.keras.layers.base import Input, InputLayer, Layer, snake_case, unique_layer_name  # noqa: F401
from minigraph.keras.layers.convolutional import Conv2D  # noqa: F401
from minigraph.keras.layers.core import Activation, Dense, Flatten, Lambda, Reshape  # noqa: F401
from minigraph.keras.layers.pooling import AveragePooling2D, MaxPooling2D  # noqa: F401
