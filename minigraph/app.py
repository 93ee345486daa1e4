"""``mg.app``: TF1's program shell, ``tf.app.run()`` and ``tf.app.flags``.

A TF1 script ends with

    if __name__ == "__main__":
        tf.app.run()

``run`` parses the command line into ``FLAGS`` (see flags.py), calls the script's
``main(argv)`` with what is left of the command line (the program name and any
argument that is not a known flag), and exits with ``main``'s return value. It is
absl's ``app.run``, as it is in TF1: unknown ``--flags`` are passed on to ``main``
instead of stopping the program, as TF1's ``run`` does, so a script may parse some
arguments with argparse and give the rest to ``run(argv=...)``.
"""

from __future__ import annotations

import sys
from typing import Callable

from absl import app as _absl_app

from minigraph import flags
from minigraph import subset as _subset


def _parse_known_flags(argv: list[str]) -> list[str]:
    return flags.FLAGS(argv, known_only=True)


def run(main: Callable[[list[str]], object] | None = None, argv: list[str] | None = None) -> None:
    """Parses flags from `argv` (default sys.argv), then ``sys.exit(main(remaining argv))``.
    Without `main`, the ``main`` function of the script being run (``__main__``) is used."""
    if main is None:
        main = getattr(sys.modules["__main__"], "main", None)
        if main is None:
            raise AttributeError("mg.app.run() found no `main` function in the script; pass run(main=...)")
    _absl_app.run(main, argv=argv, flags_parser=_parse_known_flags)


__getattr__ = _subset.missing_names(__name__, "tf.app")
