"""TF 1.x's old keyword names, still accepted where TF1 accepted them.

TF 1.x renamed some arguments and kept the old names working: ``reduction_indices``
became ``axis``, ``keep_dims`` became ``keepdims``, argmax's ``dimension`` and
softmax's ``dim`` became ``axis``. Course programs use both spellings, so minigraph's
builders take both, and, as TF does, refuse a call that gives a value under each name
(which one should win would be a guess).
"""

from __future__ import annotations


def either(new_name: str, new_value, old_name: str, old_value):
    """The value given under the new name or the old one (None when neither was given)."""
    if old_value is None:
        return new_value
    if new_value is not None:
        raise ValueError(f"Cannot specify both '{old_name}' and '{new_name}'.")
    return old_value
