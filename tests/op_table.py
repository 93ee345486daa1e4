"""Moved to the tests/support/ package: import from there (support.op_cases,
support.inputs, support.derivatives, support.tensorflow, support.parity). These names
remain only for a test written against the old module; remove this file when none is."""

from support.derivatives import gradient_check, run_minigraph  # noqa: F401
from support.inputs import away_from, distribution, normal, positive, small_integers  # noqa: F401
from support.op_cases import CASES, NO_GRADIENT_CASES, Case, case_arrays  # noqa: F401
from support.parity import relative_error  # noqa: F401
from support.tensorflow import run_tensorflow, tensorflow_lib  # noqa: F401
