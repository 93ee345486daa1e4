"""Shared fixtures. TensorFlow's C++ logging is silenced before anything imports it."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

import minigraph as mg  # noqa: E402
from support.parity import WorstErrors  # noqa: E402

WORST_PARITY_ERRORS = pytest.StashKey[WorstErrors]()


@pytest.fixture
def graph():
    """A fresh graph as the default, so auto-names start at `add`, `Placeholder`."""
    g = mg.Graph()
    with g.as_default():
        yield g


@pytest.fixture(scope="session")
def parity_errors(pytestconfig) -> WorstErrors:
    """The worst relative error against TensorFlow per dtype, over the whole run:
    tests record into it, and the end of the run prints it."""
    return pytestconfig.stash.setdefault(WORST_PARITY_ERRORS, WorstErrors())


def pytest_terminal_summary(terminalreporter, config):
    worst = config.stash.get(WORST_PARITY_ERRORS, None)
    if worst is not None and worst.by_dtype:
        terminalreporter.write_sep("-", "worst relative error against TensorFlow")
        for line in worst.lines():
            terminalreporter.write_line(line)
