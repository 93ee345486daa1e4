"""``minigraph.keras``: the Keras API the worksheet uses, built on minigraph's graph.

    from minigraph.keras import backend as K
    from minigraph.keras.models import Sequential
    from minigraph.keras.layers import Dense, Activation

``__version__`` reads as a Keras 2 version, '2.3.1+minigraph': 2.3.1 was the last Keras 2
of the worksheet's kind (standalone, "Using TensorFlow backend."), whose summary table
and metric names ('accuracy' logged as given) minigraph prints; '+minigraph' is a PEP 440
local label, so ``packaging.version.Version`` parses it and it compares as 2.3.1, and a
plain string comparison such as ``keras.__version__ >= '2.0'`` holds.
"""

__version__ = "2.3.1+minigraph"

from minigraph.keras import (  # noqa: F401
    activations,
    backend,
    callbacks,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    utils,
)
from minigraph.keras.layers import Input  # noqa: F401
from minigraph.keras.models import Model, Sequential  # noqa: F401
