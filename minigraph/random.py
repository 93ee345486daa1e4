"""``mg.random``: the random ops under the names ``tf.random`` gives them in TF 1.x
(``tf.random.normal`` is ``tf.random_normal``). How seeds work: ops/random.py."""

from minigraph import subset as _subset
from minigraph.ops.random import (  # noqa: F401
    categorical,
    get_seed,
    multinomial,
    set_random_seed,
    truncated_normal,
)
from minigraph.ops.random import random_normal as normal  # noqa: F401
from minigraph.ops.random import random_shuffle as shuffle  # noqa: F401
from minigraph.ops.random import random_uniform as uniform  # noqa: F401

__getattr__ = _subset.missing_names(__name__, "tf.random")
