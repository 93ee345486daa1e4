"""``minigraph.keras``: the Keras API the worksheet uses, built on minigraph's graph.

    from minigraph.keras import backend as K
    from minigraph.keras.models import Sequential
    from minigraph.keras.layers import Dense, Activation
"""

from minigraph.keras import (  # noqa: F401
    activations,
    backend,
    callbacks,
    datasets,
    initializers,
    layers,
    losses,
    models,
    optimizers,
    utils,
)
from minigraph.keras.models import Sequential  # noqa: F401
