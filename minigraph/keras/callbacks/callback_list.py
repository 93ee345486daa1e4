"""``CallbackList``: the callbacks of one run, called as one.

A ``CallbackList`` holds a run's callbacks and passes each hook to every one of
them in order, with the *same* logs dict, as Keras 2 does: a callback that writes
into the epoch logs (``ReduceLROnPlateau`` adds ``lr``) is heard by those after it,
which is why ``History`` and the progress bar go last.

A batch hook runs once per batch, thousands of times an epoch, and most callbacks
leave it alone (History, EarlyStopping, ModelCheckpoint listen at epochs only). So
``batch_hook`` hands ``fit`` only the callbacks that override it, or None when none
does, as Keras does (tf.keras skips batch hooks nobody overrides): calling a method
that does nothing costs as much as a small numpy call.
"""

from __future__ import annotations

from minigraph.keras.callbacks.base import Callback
from minigraph.keras.callbacks.history import History
from minigraph.keras.callbacks.progbar_logger import ProgbarLogger

# the base class's training-batch hooks call these, Keras 2's older names of them
OLDER_NAMES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def overrides(callback: Callback, hook: str) -> bool:
    """True when `callback` has its own `hook`: its class's, or a function given to it
    (LambdaCallback), rather than Callback's, which does nothing."""
    return hook in vars(callback) or getattr(type(callback), hook) is not getattr(Callback, hook)


class CallbackList:
    """The callbacks of one run, called together (Keras 2's signature).

    ``callbacks.on_epoch_end(epoch, logs)`` calls ``on_epoch_end`` of each callback in
    the order given. ``add_history`` / ``add_progbar`` append a ``History`` / a
    ``ProgbarLogger`` (counting steps) unless the list has one; ``params`` go to
    every callback's ``set_params``, ``model`` to its ``set_model``, and the model's
    ``history`` becomes the History.
    """

    def __init__(self, callbacks=None, add_history: bool = False, add_progbar: bool = False, model=None,
                 **params):
        if isinstance(callbacks, Callback):  # fit(callbacks=EarlyStopping()): one, not in a list
            callbacks = [callbacks]
        try:
            self.callbacks = list(callbacks or [])
        except TypeError:
            raise TypeError(f"callbacks must be a list of Callback instances, got {callbacks!r}") from None
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {callback!r}")
        self.history = next((c for c in self.callbacks if isinstance(c, History)), None)
        if self.history is None and add_history:
            self.history = History()
            self.callbacks.append(self.history)
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger(count_mode="steps"))
        self.model = None
        self.params: dict = {}
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)

    def batch_hook(self, hook: str):
        """A function calling `hook` ('on_train_batch_end', ...) of the callbacks that do
        something there (with one logs dict, as every hook), or None if no callback does."""
        older = OLDER_NAMES.get(hook)
        methods = [getattr(c, hook) for c in self.callbacks if overrides(c, hook) or (older and overrides(c, older))]
        if not methods:
            return None
        if len(methods) == 1:
            return methods[0]

        def call_each(batch: int, logs=None):
            logs = {} if logs is None else logs
            for method in methods:
                method(batch, logs)
        return call_each

    def __iter__(self):
        return iter(self.callbacks)

    def set_model(self, model) -> None:
        self.model = model
        if self.history is not None:
            model.history = self.history
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params: dict) -> None:
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    # --- the hooks: each passed on to every callback ---
    def _call(self, hook: str, *index, logs=None) -> None:
        logs = {} if logs is None else logs  # one dict for all: what one callback adds, the next sees
        for callback in self.callbacks:
            getattr(callback, hook)(*index, logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs=logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs=logs)

    def on_epoch_begin(self, epoch: int, logs=None):
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch: int, logs=None):
        self._call("on_epoch_end", epoch, logs=logs)

    def on_batch_begin(self, batch: int, logs=None):
        self._call("on_train_batch_begin", batch, logs=logs)  # the older name

    def on_batch_end(self, batch: int, logs=None):
        self._call("on_train_batch_end", batch, logs=logs)

    def on_train_batch_begin(self, batch: int, logs=None):
        self._call("on_train_batch_begin", batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs=None):
        self._call("on_train_batch_end", batch, logs=logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs=logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs=logs)

    def on_test_batch_begin(self, batch: int, logs=None):
        self._call("on_test_batch_begin", batch, logs=logs)

    def on_test_batch_end(self, batch: int, logs=None):
        self._call("on_test_batch_end", batch, logs=logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs=logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs=logs)

    def on_predict_batch_begin(self, batch: int, logs=None):
        self._call("on_predict_batch_begin", batch, logs=logs)

    def on_predict_batch_end(self, batch: int, logs=None):
        self._call("on_predict_batch_end", batch, logs=logs)
