"""``Callback``: the hooks ``fit``, ``evaluate`` and ``predict`` call; ``LambdaCallback``.

A callback is an object with one method per moment of a run; each does nothing
until a subclass overrides it. ``fit`` calls them in this order::

    on_train_begin
        on_epoch_begin(0)
            on_train_batch_begin(0), on_train_batch_end(0, logs), ...   # one pair per batch
        on_epoch_end(0, logs)       # logs: {'loss': ..., 'accuracy': ..., 'val_loss': ...}
        ...
    on_train_end

``evaluate`` calls ``on_test_begin``, ``on_test_batch_begin``/``_end`` and
``on_test_end``; ``predict`` the ``on_predict_*`` ones. ``on_batch_begin`` and
``on_batch_end`` are Keras 2's older names of the training-batch hooks: the base
class's ``on_train_batch_end`` calls ``on_batch_end``, so overriding either works.

``callback.model`` is the model being run, and ``callback.params`` what the run
was asked for (``{'epochs': 5, 'steps': 1563, 'verbose': 1, ...}``). A callback stops
training by setting ``self.model.stop_training = True``: ``fit`` looks after each
batch and each epoch.

A ``CallbackList`` (callback_list.py) calls every callback of a run. ``LambdaCallback``
is a callback made of functions, for a hook or two without a class.
"""

from __future__ import annotations


class Callback:
    """Hooks a run calls; override the ones you need. `self.model`, `self.params`."""

    def __init__(self):
        self.model = None
        self.params: dict = {}
        self.validation_data = None  # Keras 2 keeps the attribute; fit passes validation itself

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    # --- training ---
    def on_train_begin(self, logs=None): ...

    def on_train_end(self, logs=None): ...

    def on_epoch_begin(self, epoch: int, logs=None): ...

    def on_epoch_end(self, epoch: int, logs=None): ...

    def on_batch_begin(self, batch: int, logs=None): ...

    def on_batch_end(self, batch: int, logs=None): ...

    def on_train_batch_begin(self, batch: int, logs=None):
        self.on_batch_begin(batch, logs)  # Keras 2's older name of the same moment

    def on_train_batch_end(self, batch: int, logs=None):
        self.on_batch_end(batch, logs)

    # --- evaluate() and fit's validation ---
    def on_test_begin(self, logs=None): ...

    def on_test_end(self, logs=None): ...

    def on_test_batch_begin(self, batch: int, logs=None): ...

    def on_test_batch_end(self, batch: int, logs=None): ...

    # --- predict() ---
    def on_predict_begin(self, logs=None): ...

    def on_predict_end(self, logs=None): ...

    def on_predict_batch_begin(self, batch: int, logs=None): ...

    def on_predict_batch_end(self, batch: int, logs=None): ...


class LambdaCallback(Callback):
    """A callback made of functions: LambdaCallback(on_epoch_end=lambda epoch, logs: ...).

    Each function replaces the hook of its name and is called as the hook is:
    on_epoch_begin/on_epoch_end(epoch, logs), on_batch_begin/on_batch_end(batch, logs),
    on_train_begin/on_train_end(logs). Any other hook may be given by name too
    (on_test_end=...), as Keras 2 allows.
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None, on_batch_end=None,
                 on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        given = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_batch_begin=on_batch_begin,
                     on_batch_end=on_batch_end, on_train_begin=on_train_begin, on_train_end=on_train_end, **kwargs)
        for hook, function in given.items():
            if function is None:
                continue
            if not hook.startswith("on_") or not callable(getattr(Callback, hook, None)):
                raise ValueError(f"LambdaCallback: {hook!r} is not a callback hook; hooks are on_epoch_end, "
                                 "on_batch_end, on_train_begin, ...")
            if not callable(function):
                raise TypeError(f"LambdaCallback: {hook} must be a function, got {function!r}")
            setattr(self, hook, function)  # an instance attribute: it takes the hook's arguments, not self
