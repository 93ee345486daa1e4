"""The errors a run can raise, under TF's names (``mg.errors.InvalidArgumentError``)."""

from minigraph.ops.state import FailedPreconditionError  # noqa: F401
from minigraph.session import InvalidArgumentError  # noqa: F401
