"""Keras layers, a file per family:

- base.py: ``Layer`` (the build/call split, weights, names, the record of calls) and ``Input``;
- kernels.py: what Dense and Conv2D share (kernel, bias, activation, initializers, regularizers);
- core.py: Dense, Activation, Flatten, Reshape, Lambda;
- dropout.py: Dropout (switched by the learning phase);
- normalization.py: BatchNormalization (batch statistics in training, moving ones otherwise);
- merge.py: Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum, and their functions;
- activation.py: ReLU, LeakyReLU, ELU, Softmax;
- convolutional.py: Conv2D; pooling.py: MaxPooling2D, AveragePooling2D.

``from minigraph.keras.layers import Dense`` works as ``from keras.layers import Dense``.
"""

from minigraph.keras.layers.activation import ELU, LeakyReLU, ReLU, Softmax  # noqa: F401
from minigraph.keras.layers.base import Input, InputLayer, Layer, snake_case, unique_layer_name  # noqa: F401
from minigraph.keras.layers.convolutional import Conv2D  # noqa: F401
from minigraph.keras.layers.core import Activation, Dense, Flatten, Lambda, Reshape  # noqa: F401
from minigraph.keras.layers.dropout import Dropout  # noqa: F401
from minigraph.keras.layers.merge import (  # noqa: F401
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from minigraph.keras.layers.normalization import BatchNormalization  # noqa: F401
from minigraph.keras.layers.pooling import AveragePooling2D, MaxPooling2D  # noqa: F401
