"""``mg.flags`` (also ``mg.app.flags``): TF1's command-line flags, which are absl's.

A TF1 program declares its settings at the top,

    flags = tf.app.flags
    flags.DEFINE_float("learning_rate", 0.01, "Initial learning rate.")
    FLAGS = flags.FLAGS

and reads ``FLAGS.learning_rate`` in ``main``; ``python prog.py --learning_rate 0.5``
changes it. TF1 did not write its own parser: ``tf.app.flags`` *is* Google's absl
flags library (the ``absl-py`` package) with one addition, kept here: ``FLAGS`` parses
``sys.argv`` by itself the first time a flag is read, so a program that reads a flag
before (or without) ``mg.app.run`` still works.

One difference, on purpose: that first implicit parse skips arguments it does not
know instead of stopping the program. TF1's stopped with ``UnrecognizedFlagError``,
which is what a Jupyter kernel's own ``-f kernel.json`` argument triggered in many a
notebook.
"""

from __future__ import annotations

import sys

from absl.flags import (  # noqa: F401  (TF1's tf.flags re-exports absl's names)
    DEFINE,
    DEFINE_alias,
    DEFINE_bool,
    DEFINE_boolean,
    DEFINE_enum,
    DEFINE_float,
    DEFINE_integer,
    DEFINE_list,
    DEFINE_multi_enum,
    DEFINE_multi_float,
    DEFINE_multi_integer,
    DEFINE_multi_string,
    DEFINE_spaceseplist,
    DEFINE_string,
    Error,
    Flag,
    FlagValues,
    IllegalFlagValueError,
    UnrecognizedFlagError,
    adopt_module_key_flags,
    declare_key_flag,
    mark_flag_as_required,
    mark_flags_as_mutual_exclusive,
    mark_flags_as_required,
    register_validator,
    validator,
)
from absl.flags import FLAGS as _ABSL_FLAGS

from minigraph import subset as _subset


class _FlagsParsedOnFirstRead:
    """absl's FLAGS, except that reading a flag first parses ``sys.argv`` if nothing has."""

    def __init__(self, flag_values: FlagValues):
        object.__setattr__(self, "_flag_values", flag_values)

    def _parsed(self) -> FlagValues:
        flag_values = self._flag_values
        if not flag_values.is_parsed():
            flag_values(sys.argv, known_only=True)
        return flag_values

    def __getattr__(self, name):
        if name.startswith("__"):  # Python's own probes (copy, inspect) must not parse the command line
            raise AttributeError(name)
        return getattr(self._parsed(), name)

    def __setattr__(self, name, value):
        setattr(self._flag_values, name, value)

    def __delattr__(self, name):
        delattr(self._flag_values, name)

    def __getitem__(self, name):
        return self._flag_values[name]

    def __contains__(self, name) -> bool:
        return name in self._flag_values

    def __iter__(self):
        return iter(self._flag_values)

    def __len__(self) -> int:
        return len(self._flag_values)

    def __dir__(self):
        return dir(self._flag_values)

    def __call__(self, argv, known_only: bool = False):
        """Parses `argv` (argv[0] is the program); returns the arguments that are not flags."""
        return self._flag_values(argv, known_only=known_only)

    def __repr__(self) -> str:
        return f"<minigraph.flags.FLAGS wrapping {self._flag_values!r}>"


FLAGS = _FlagsParsedOnFirstRead(_ABSL_FLAGS)

__getattr__ = _subset.missing_names(__name__, "tf.flags")
