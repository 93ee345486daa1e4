"""The number a callback watches, and which way is better.

EarlyStopping, ModelCheckpoint and ReduceLROnPlateau each watch one entry of the
epoch logs (``monitor='val_loss'``) and ask "is this better than the best so far?".
``mode='min'`` means lower is better, ``'max'`` higher; ``'auto'`` guesses from the
name. Keras 2's three callbacks guess slightly differently (an accuracy is maximised
by all three, but EarlyStopping looks at how the name ends, 'val_accuracy',
'auc', and the other two at whether it contains 'acc'), and minigraph keeps each
one's rule, so the same program stops at the same epoch.
"""

from __future__ import annotations

import warnings

MODES = ("auto", "min", "max")


def resolve_mode(mode: str, owner: str, maximize_when_auto: bool) -> str:
    """'min' or 'max'. An unknown mode falls back to 'auto' with a warning, as in Keras 2."""
    if mode not in MODES:
        warnings.warn(f"{owner} mode {mode!r} is unknown, fallback to auto mode.", stacklevel=3)
        mode = "auto"
    if mode == "auto":
        return "max" if maximize_when_auto else "min"
    return mode


def monitored_value(logs, monitor: str, what: str):
    """logs[monitor], or None with Keras 2's warning naming the values there are."""
    value = (logs or {}).get(monitor)
    if value is None:
        warnings.warn(f"{what} conditioned on metric `{monitor}` which is not available. "
                      f"Available metrics are: {','.join(logs or {})}", stacklevel=3)
    return value
