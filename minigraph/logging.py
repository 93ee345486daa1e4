"""``mg.logging``: TF1's ``tf.logging``, a thin layer over Python's ``logging``.

TF1 programs report progress with ``tf.logging.info("step %d", step)`` after
``tf.logging.set_verbosity(tf.logging.INFO)``. Nothing here is new machinery: the
messages go to Python's logger named ``minigraph``, and the level constants are
Python's own (``INFO`` is ``logging.INFO``, 20), as they are in TF.

As in TF1: the default verbosity is WARN, so ``info`` prints nothing until
``set_verbosity(INFO)``; a message reads ``INFO:minigraph:step 10``; and a handler is
attached only when the program has not configured logging itself (the root logger
has no handlers), so a program's own ``logging.basicConfig`` wins.
"""

from __future__ import annotations

import logging as _logging
import sys as _sys

from minigraph import subset as _subset

DEBUG = _logging.DEBUG
INFO = _logging.INFO
WARN = _logging.WARN
ERROR = _logging.ERROR
FATAL = _logging.FATAL

_LOGGER_NAME = "minigraph"
_counts: dict[tuple, int] = {}  # call site -> how many times log_every_n / log_first_n ran there


def get_logger() -> _logging.Logger:
    """The Python logger behind mg.logging, given TF1's handler the first time it is used."""
    logger = _logging.getLogger(_LOGGER_NAME)
    if not logger.handlers and not _logging.getLogger().handlers:
        handler = _logging.StreamHandler(_sys.stderr)
        handler.setFormatter(_logging.Formatter(_logging.BASIC_FORMAT))
        logger.addHandler(handler)
    return logger


def set_verbosity(level: int) -> None:
    """Shows messages at `level` and above (DEBUG < INFO < WARN < ERROR < FATAL)."""
    get_logger().setLevel(level)


def get_verbosity() -> int:
    return get_logger().getEffectiveLevel()


def log(level: int, msg, *args, **kwargs) -> None:
    get_logger().log(level, msg, *args, **kwargs)


def debug(msg, *args, **kwargs) -> None:
    get_logger().debug(msg, *args, **kwargs)


def info(msg, *args, **kwargs) -> None:
    get_logger().info(msg, *args, **kwargs)


def warning(msg, *args, **kwargs) -> None:
    get_logger().warning(msg, *args, **kwargs)


warn = warning  # TF1's older name


def error(msg, *args, **kwargs) -> None:
    get_logger().error(msg, *args, **kwargs)


def fatal(msg, *args, **kwargs) -> None:
    """Logs at FATAL; like TF1's, it does not stop the program."""
    get_logger().critical(msg, *args, **kwargs)


def vlog(level: int, msg, *args, **kwargs) -> None:
    get_logger().log(level, msg, *args, **kwargs)


def log_if(level: int, msg, condition, *args) -> None:
    if condition:
        log(level, msg, *args)


def _count_at_call_site() -> int:
    """How many times the caller's caller has reached this line before (0 the first time)."""
    frame = _sys._getframe(2)
    site = (frame.f_code.co_filename, frame.f_lineno)
    count = _counts.get(site, 0)
    _counts[site] = count + 1
    return count


def log_every_n(level: int, msg, n: int, *args) -> None:
    """Logs the 1st, (n+1)th, (2n+1)th... time this line runs."""
    log_if(level, msg, _count_at_call_site() % n == 0, *args)


def log_first_n(level: int, msg, n: int, *args) -> None:
    """Logs only the first `n` times this line runs."""
    log_if(level, msg, _count_at_call_site() < n, *args)


def flush() -> None:
    for handler in get_logger().handlers:
        handler.flush()


__getattr__ = _subset.missing_names(__name__, "tf.logging")
