"""Callbacks: code that ``fit``, ``evaluate`` and ``predict`` call at the edges of a
run, its epochs and its batches (Keras 2's ``keras.callbacks``).

    from minigraph.keras.callbacks import EarlyStopping, ModelCheckpoint
    model.fit(x, y, epochs=50, validation_split=0.2,
              callbacks=[EarlyStopping(patience=3), ModelCheckpoint("best.npz", save_best_only=True)])

One concept per file:

- base.py            ``Callback`` (every hook, doing nothing) and ``LambdaCallback``
- callback_list.py   ``CallbackList``: a run's callbacks called as one, sharing the logs
- history.py         ``History`` (what fit returns), ``CSVLogger``, ``BaseLogger``
- progbar_logger.py  ``ProgbarLogger``: the progress display (drawn by keras/progbar.py)
- monitor.py         which way is better for a watched number (min, max, auto)
- stopping.py        ``EarlyStopping``, ``TerminateOnNaN``
- learning_rate.py   ``LearningRateScheduler``, ``ReduceLROnPlateau``
- checkpoint.py      ``ModelCheckpoint``
- tensorboard.py     ``TensorBoard``, through ``mg.summary``'s event writer
"""

from minigraph.keras.callbacks.base import Callback, LambdaCallback
from minigraph.keras.callbacks.callback_list import CallbackList
from minigraph.keras.callbacks.checkpoint import ModelCheckpoint
from minigraph.keras.callbacks.history import BaseLogger, CSVLogger, History
from minigraph.keras.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from minigraph.keras.callbacks.progbar_logger import ProgbarLogger
from minigraph.keras.callbacks.stopping import EarlyStopping, TerminateOnNaN
from minigraph.keras.callbacks.tensorboard import TensorBoard
from minigraph.keras.progbar import format_logs

__all__ = [
    "BaseLogger", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History", "LambdaCallback",
    "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger", "ReduceLROnPlateau", "TensorBoard",
    "TerminateOnNaN", "format_logs",
]
