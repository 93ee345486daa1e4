"""An epoch's time two ways: wall clock, and the CPU time of the whole process.

Wall-clock seconds are what a student waits, and what the tables compare. On a
machine whose cores other work is using, they also count the time this process sat
waiting for a core; CPU time (``time.process_time``: every thread of this process,
user and system) does not, so it is recorded beside them as a check. With one
thread per library the two agree on an idle machine; a framework whose helper
threads spin while they wait shows more CPU time than wall time.
"""

from __future__ import annotations

import time


class EpochClock:
    """start() at an epoch's beginning, stop() at its end; keeps the seconds of each."""

    def __init__(self):
        self.wall_seconds: list[float] = []
        self.cpu_seconds: list[float] = []

    def start(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def stop(self) -> None:
        self.wall_seconds.append(time.perf_counter() - self._wall)
        self.cpu_seconds.append(time.process_time() - self._cpu)


class TimesEpochs:
    """Mixed into a Keras-style callback (minigraph's or Keras's): times each epoch, from
    on_epoch_begin to on_epoch_end, on the callback's `clock`."""

    def on_epoch_begin(self, epoch, logs=None):
        self.clock.start()

    def on_epoch_end(self, epoch, logs=None):
        self.clock.stop()
