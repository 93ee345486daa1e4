"""The job as the worksheet writes it, in minigraph: Sequential, compile, fit (metrics on)."""

from __future__ import annotations

import minigraph
from benchmarks.jobs.data import Data
from benchmarks.jobs.worksheet_fit import compile_and_fit
from minigraph.keras.callbacks import Callback
from minigraph.keras.layers import Activation, Dense
from minigraph.keras.models import Sequential


def version() -> str:
    return f"minigraph {minigraph.__version__}"


def train(data: Data, batch_size: int, hidden: int, epochs: int, warmup_steps: int):
    model = Sequential([Dense(hidden, input_shape=(data.x.shape[1],)), Activation("relu"),
                        Dense(data.y.shape[1]), Activation("softmax")])
    return compile_and_fit(model, Callback, data, batch_size, hidden, epochs, warmup_steps)
