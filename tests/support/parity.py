"""How far minigraph's numbers are from TensorFlow's, and the worst seen in a run.

conftest.py hands one ``WorstErrors`` to the tests through the ``parity_errors``
fixture and prints it at the end of the run."""

from __future__ import annotations

import numpy as np


def relative_error(ours, theirs) -> float:
    """max |ours - theirs| / max |theirs|: relative to the array's scale, so an
    element that cancels to ~0 does not turn rounding noise into a huge ratio."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    scale = np.max(np.abs(theirs), initial=0.0)
    difference = np.max(np.abs(ours - theirs), initial=0.0)
    return 0.0 if difference == 0 else difference / max(scale, np.finfo(np.float64).tiny)


class WorstErrors:
    """dtype name -> (the worst relative error recorded, where it was seen)."""

    def __init__(self):
        self.by_dtype: dict[str, tuple[float, str]] = {}

    def record(self, dtype: str, error: float, where: str) -> None:
        if error > self.by_dtype.get(dtype, (-1.0, ""))[0]:
            self.by_dtype[dtype] = (error, where)

    def lines(self) -> list[str]:
        return [f"{dtype}: {error:.3g} ({where})" for dtype, (error, where) in sorted(self.by_dtype.items())]
