"""``Progbar``: the progress display Keras 2 prints while it trains, evaluates, predicts.

One call of ``update(current, values)`` per step redraws one status::

    13/16 [=======================>......] - ETA: 0s - loss: 1.2899 - accuracy: 0.3389

and the last one (``current == target``) is the finished line, with the elapsed
time and the time per step instead of the ETA::

    16/16 [==============================] - 1s 23ms/step - loss: 1.2891 - accuracy: 0.3320

With ``verbose=2`` only the finished line is printed, in Keras 2's other shape:
``16/16 - 1s - loss: 1.2891 - accuracy: 0.3320 - 933ms/epoch - 58ms/step``.

**Averages.** A value named in ``stateful_metrics`` is shown as given. Any other is
averaged over the steps so far, each weighted by how far ``current`` moved since the
update before (``add(32, ...)`` after ``add(32, ...)`` weighs both alike; counting
samples, a batch of 8 weighs a quarter of a batch of 32), as Keras 2's Progbar does.

**Where it is drawn.** The status is redrawn in place only where that can work: in
a terminal (``\\r`` back to the start of the line, ANSI codes to clear it) and in
Jupyter (``\\r``). Anywhere else, a pipe or a log file, verbose=1 writes just the
finished line of each run, so a log holds one readable line per epoch. (Keras 2
writes its redraws, ``\\b`` and ``\\r`` included, into files too: it decides that a
display is dynamic when ``"posix" in sys.modules``, which is true on every Linux.)

**Width.** Keras 2 writes the whole status whatever the width, so in an 80-column
terminal the line wraps and the redraw no longer lands on it. Here every number is
always shown, and the *bar* gives way: it shrinks from ``width`` down to
``MIN_BAR_WIDTH`` columns so the status fits on one line; when even that is too
wide, the metrics continue on the rows below (and the redraw moves the cursor up
over them)::

    13/16 [=========>...] - ETA: 0s
     - loss: 1.2899 - accuracy: 0.3389

The finished status never moves the cursor up: what other callbacks print at the end
of an epoch sits between the last step's status and it, and must stay readable. So
in a terminal too narrow for one row, the last step's rows stay above the finished
ones (as Keras 2 leaves its redraws when its line wraps).
"""

from __future__ import annotations

import math
import os
import sys
import time

import numpy as np

MIN_BAR_WIDTH = 10  # below this a bar no longer reads as progress: the metrics take a row below
CLEAR_TO_END = "\x1b[K"  # ANSI: erase from the cursor to the end of the row


def format_duration(seconds: float, unit_name: str) -> str:
    """A time per unit as Keras prints it: '2s/epoch', '23ms/step', '732us/step'."""
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


def format_eta(seconds: float) -> str:
    """Time left as Keras prints it: '5s', '2:05' (past a minute), '1:02:05' (past an hour)."""
    seconds = int(seconds)
    if seconds > 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds > 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def format_value(value) -> str:
    """A metric as Keras prints it: 4 decimals, or scientific notation when tiny.

    (Keras 2's verbose=2 line tests ``value > 1e-3``, without abs, so it prints a negative
    loss such as -0.5 as -5.0000e-01; both lines here print -0.5000.)"""
    if isinstance(value, str):
        return value
    value = float(np.mean(value))  # an array (a metric per class) by its mean, as Keras
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def format_logs(logs: dict) -> str:
    """' - loss: 0.4402 - accuracy: 0.8779': values as Keras prints them after a bar."""
    return "".join(f" - {name}: {format_value(value)}" for name, value in logs.items())


def terminal_columns(stream) -> int | None:
    """The width of the terminal `stream` writes to, or None if it is not a terminal."""
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # no fileno (io.StringIO), or a closed stream
        pass
    return None


def in_jupyter(stream) -> bool:
    """Jupyter's output area understands \\r (but not cursor moves); it has no fixed width."""
    return "ipykernel" in sys.modules and type(stream).__module__.startswith("ipykernel")


class Progbar:
    """Keras 2's progress bar (see the module docstring).

    target: the step count when done (None if unknown); width: the bar's columns;
    verbose: 0 silent, 1 a redrawn bar, 2 one line when done; interval: the least
    time between two redraws, in seconds; stateful_metrics: names shown as given,
    not averaged; unit_name: 'step' or 'sample'; file: where to write (sys.stdout).
    """

    def __init__(self, target: int | None, width: int = 30, verbose: int = 1, interval: float = 0.05,
                 stateful_metrics=None, unit_name: str = "step", file=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self.file = file
        self._sums: dict[str, list] = {}  # name -> [weighted sum, weight]; stateful: [value, 1]
        self._seen_so_far = 0
        self._start = self._epoch_start = time.time()
        self._last_update = 0.0
        self._time_after_first_step = None
        # what the status takes on screen now, for the next redraw to overwrite: rows in a
        # terminal, characters in Jupyter (one line, blanked with spaces)
        self._rows_drawn = 0
        self._chars_drawn = 0

    # --- the public API: Keras 2's -------------------------------------------------
    def update(self, current: int, values=None, finalize: bool | None = None) -> None:
        """Moves the bar to step `current`; `values` is a list of (name, value) pairs."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or []:
            if name in self.stateful_metrics or isinstance(value, str):
                self._sums[name] = [value, 1]
            else:
                # the steps since the last update weigh this value; at least one, so a
                # repeated update of the same step still counts
                weight = max(current - self._seen_so_far, 1)
                total = self._sums.setdefault(name, [0.0, 0])
                total[0] += value * weight
                total[1] += weight
        self._seen_so_far = current

        now = time.time()
        if self.verbose == 1:
            if not finalize and now - self._last_update < self.interval:
                return
            self._draw(current, now, finalize)
        elif self.verbose == 2 and finalize:
            self._write(self._summary_line(current, now) + "\n")
            self._epoch_start = now
        self._last_update = now

    def add(self, n: int, values=None) -> None:
        """update() `n` steps further on."""
        self.update(self._seen_so_far + n, values)

    # --- the pieces of a status ----------------------------------------------------
    def _count(self, current: int) -> str:
        if self.target is None:
            return f"{current:7d}/Unknown"
        digits = len(str(self.target))  # '   5/1563': the count keeps its width as it grows
        return f"{current:{digits}d}/{self.target}"

    def _bar(self, current: int, width: int) -> str:
        """' [=====>....]', `width` columns between the brackets ('' when width is 0)."""
        if self.target is None or width <= 0:
            return ""
        done = int(width * min(current / self.target, 1.0)) if self.target else width
        arrow = ">" if 0 < done and current < self.target else "="
        filled = "=" * (done - 1) + arrow if done else ""
        return " [" + filled + "." * (width - done) + "]"

    def _metrics(self) -> list[str]:
        """' - loss: 0.2041', one piece per value, in the order they first came."""
        # np.mean: a value may be an array (a metric per class), shown by its mean as Keras does
        means = {name: total if isinstance(total, str) else np.mean(total / max(weight, 1))
                 for name, (total, weight) in self._sums.items()}
        return [format_logs({name: mean}) for name, mean in means.items()]

    def _step_time(self, current: int, now: float) -> float:
        """Seconds per step, leaving out the first step (it includes one-off set-up work)."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per_step = (now - self._time_after_first_step) / (current - 1)
        else:
            per_step = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_step

    def _timing(self, current: int, now: float, finalize: bool) -> str:
        per_step = self._step_time(current, now)
        if finalize or self.target is None:
            return f" - {now - self._start:.0f}s {format_duration(per_step, self.unit_name)}"
        return f" - ETA: {format_eta(per_step * (self.target - current))}"

    def _summary_line(self, current: int, now: float) -> str:
        """verbose=2's line: '16/16 - 1s - loss: 1.2891 - 933ms/epoch - 58ms/step'."""
        epoch_time = now - self._epoch_start
        per_step = epoch_time / max(self.target or current, 1)
        return (self._count(current) + f" - {now - self._start:.0f}s" + "".join(self._metrics())
                + f" - {format_duration(epoch_time, 'epoch')} - {format_duration(per_step, self.unit_name)}")

    # --- drawing -----------------------------------------------------------------
    def _draw(self, current: int, now: float, finalize: bool) -> None:
        stream = self._stream()
        columns = terminal_columns(stream)
        head, pieces = self._count(current), [self._timing(current, now, finalize)] + self._metrics()
        if columns is None and not in_jupyter(stream):
            if finalize:  # a pipe or a file: the finished line only
                self._write(head + self._bar(current, self.width) + "".join(pieces) + "\n")
            return
        rows = self.layout(head, lambda width: self._bar(current, width), pieces, columns)
        if columns is None:  # Jupyter: back to the line's start, and blank what the old status had more
            text = "\r" + rows[0].ljust(self._chars_drawn)
            self._chars_drawn = len(rows[0])
        else:
            # up to the first row of the status only between two steps: the finished status starts
            # on the row the cursor is on, because other callbacks print at the end of an epoch
            # (ModelCheckpoint's "Epoch 3: saving model to ...") and moving up would overwrite them
            up = f"\x1b[{self._rows_drawn - 1}A" if self._rows_drawn > 1 and not finalize else ""
            text = "\r" + up + "\n".join(row + CLEAR_TO_END for row in rows)
            # a row longer than the terminal (one huge number) wraps onto more rows
            self._rows_drawn = sum(max(1, math.ceil(len(row) / columns)) for row in rows)
        if finalize:
            text += "\n"
            self._rows_drawn = self._chars_drawn = 0
        self._write(text)

    def layout(self, head: str, bar, pieces: list[str], columns: int | None) -> list[str]:
        """The status as rows that fit in `columns` (one row if `columns` is None).

        `bar(width)` draws the bar at a width. First the bar shrinks (to MIN_BAR_WIDTH)
        so that all fits on one row; if it still does not, the first row keeps the count,
        the bar and the time, and the metrics fill the rows below, as many per row as fit.
        """
        if columns is None:
            return [head + bar(self.width) + "".join(pieces)]
        room = columns - 1  # a row that fills the last column makes some terminals wrap early
        fixed = len(head) + 3 + sum(len(piece) for piece in pieces)  # 3: ' [' and ']'
        if fixed + MIN_BAR_WIDTH <= room:
            return [head + bar(min(self.width, room - fixed)) + "".join(pieces)]
        timing, metrics = pieces[0], pieces[1:]
        width = min(self.width, room - len(head) - 3 - len(timing))
        rows = [head + (bar(width) if width >= MIN_BAR_WIDTH else "") + timing]
        for piece in metrics:
            if len(rows) > 1 and len(rows[-1]) + len(piece) <= room:
                rows[-1] += piece
            else:
                rows.append(piece)
        return rows

    def _stream(self):
        return self.file if self.file is not None else sys.stdout  # looked up late: tests swap sys.stdout

    def _write(self, text: str) -> None:
        stream = self._stream()
        stream.write(text)
        stream.flush()
