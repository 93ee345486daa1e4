"""docs/API.md, the table of the TF 1.x names minigraph has, is the one the code gives
(tools/make_api_table.py); and a name minigraph lacks says so in words (subset.py)."""

import importlib.util
from pathlib import Path

import pytest

import minigraph as mg

ROOT = Path(__file__).resolve().parent.parent


def load_tool():
    spec = importlib.util.spec_from_file_location("make_api_table", ROOT / "tools" / "make_api_table.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_stored_table_is_the_generated_one():
    stored = (ROOT / "docs" / "API.md").read_text()
    assert stored == load_tool().api_table(), "docs/API.md is out of date: run python3 tools/make_api_table.py"


def test_table_lists_each_namespace_and_what_exists_in_it():
    table = load_tool().api_table()
    for section in ["tf", "tf.nn", "tf.train", "tf.app", "tf.flags", "tf.gfile", "tf.logging"]:
        assert f"## `{section}` (`minigraph" in table
    assert "| `tf.zeros` | function | `zeros(shape, dtype=float32, name=None)` |" in table
    assert "| `tf.float32` | dtype | `float32` |" in table
    assert "| `tf.logging.INFO` | constant | `20` |" in table
    assert "| `tf.flags.DEFINE_string` | function | from `absl.flags` |" in table
    assert "annotations" not in table and " at 0x" not in table


@pytest.mark.parametrize(
    "namespace, name, tf_name, module_path",
    [
        (mg, "contrib", "tf.contrib", "minigraph.contrib"),
        (mg.nn, "ctc_loss", "tf.nn.ctc_loss", "minigraph.nn.ctc_loss"),
        (mg.train, "SyncReplicasOptimizer", "tf.train.SyncReplicasOptimizer", "minigraph.train.SyncReplicasOptimizer"),
        (mg.gfile, "FooBar", "tf.gfile.FooBar", "minigraph.gfile.FooBar"),
        (mg.logging, "log_every_n_seconds", "tf.logging.log_every_n_seconds", "minigraph.logging.log_every_n_seconds"),
        (mg.app.flags, "FooBar", "tf.flags.FooBar", "minigraph.flags.FooBar"),
    ],
)
def test_a_missing_name_says_minigraph_is_a_subset(namespace, name, tf_name, module_path):
    with pytest.raises(AttributeError) as raised:
        getattr(namespace, name)
    assert str(raised.value) == (
        f"{tf_name} ({module_path}) is not implemented: minigraph implements a subset of "
        "TensorFlow 1.x. docs/API.md lists what exists in each module."
    )


def test_python_machinery_keeps_pythons_answers():
    assert not hasattr(mg, "contrib")  # still an AttributeError: hasattr and getattr(..., default) work
    assert getattr(mg.nn, "ctc_loss", None) is None
    with pytest.raises(AttributeError, match="module 'minigraph' has no attribute '__wrapped__'"):
        mg.__wrapped__


def test_submodules_not_imported_yet_are_found():
    """`import minigraph as tf` then `tf.keras` works: a submodule is not a missing name."""
    assert mg.keras.__name__ == "minigraph.keras"
    assert mg.decomposition.PCA is not None
