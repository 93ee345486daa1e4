"""Shared fixtures. TensorFlow's C++ logging is silenced before anything imports it."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

import minigraph as mg  # noqa: E402


@pytest.fixture
def graph():
    """A fresh graph as the default, so auto-names start at `add`, `Placeholder`."""
    g = mg.Graph()
    with g.as_default():
        yield g


def pytest_terminal_summary(terminalreporter):
    """Reports the worst TensorFlow parity errors the op table saw (see op_table.py)."""
    import sys

    op_table = sys.modules.get("op_table")
    if op_table is not None and op_table.WORST_PARITY_ERROR:
        terminalreporter.write_sep("-", "worst relative error against TensorFlow")
        for dtype, (error, where) in sorted(op_table.WORST_PARITY_ERROR.items()):
            terminalreporter.write_line(f"{dtype}: {error:.3g} ({where})")
