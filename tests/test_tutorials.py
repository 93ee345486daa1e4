"""The tutorials: every notebook in tutorials/ runs top to bottom in a real Jupyter kernel.

Each notebook is executed with nbclient, as a student would run it ("Restart & Run
All"), and the test fails on the first cell that raises. A few key outputs are then
checked where it is cheap: in notebooks 01 and 02, every line the worksheet prints
(`check_prints_like_the_worksheet`, from test_worksheet.py); the test accuracy of the
trained network, the gradient checks, the Keras comparison.

Each notebook's source is a jupytext percent-format .py file beside it; the stored
.ipynb must be exactly what tutorials/build_notebooks.py builds from it.

The kernel is the Python running pytest. Jupyter finds kernels by name in its data
directories, and the `python3` kernelspec that ipykernel installs may be missing (an
install into a prefix Jupyter does not search) or shadowed (a user-level `python3`
spec left behind by another Python, found first, without minigraph installed). So the
`kernel` fixture writes a `python3` spec for `sys.executable` into a temporary
directory and puts it first on JUPYTER_PATH: nothing to set up by hand on a new machine.
"""

import ast
import configparser
import importlib.metadata
import importlib.util
import json
import os
import re
import sys
import time
from pathlib import Path

import nbclient
import nbformat
import pytest
from test_worksheet import FIRST_HALF, SECOND_HALF, check_prints_like_the_worksheet

REPO_ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = REPO_ROOT / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("*.ipynb"))
CELL_TIMEOUT = 600  # seconds; the slowest cell (a fit of 5 epochs on MNIST) takes a few


def load_builder():
    """tutorials/build_notebooks.py, imported from its path (tutorials/ is not a package)."""
    spec = importlib.util.spec_from_file_location("build_notebooks", TUTORIALS / "build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepend(directory: Path, variable: str) -> str:
    """`directory` first, then what the environment variable already lists."""
    return os.pathsep.join(filter(None, [str(directory), os.environ.get(variable)]))


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A `python3` kernelspec that runs this interpreter, found before any other."""
    jupyter_dir = tmp_path_factory.mktemp("jupyter")
    spec_dir = jupyter_dir / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (minigraph tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("JUPYTER_PATH", prepend(jupyter_dir, "JUPYTER_PATH"))
        # connection files go here too, not in a home directory that may be read-only
        monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(jupyter_dir / "runtime"))
        # the kernel imports this checkout's minigraph even where it is not pip-installed
        monkeypatch.setenv("PYTHONPATH", prepend(REPO_ROOT, "PYTHONPATH"))
        # the notebooks draw inline; a GUI backend set in the environment would not
        monkeypatch.delenv("MPLBACKEND", raising=False)
        yield "python3"


def output_text(notebook) -> str:
    """All the text the executed cells printed or displayed, cell after cell."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                parts.append(output.text)
            elif output.output_type in ("execute_result", "display_data"):
                parts.append(output.data.get("text/plain", ""))
    return "\n".join(parts)


def floats_after(label: str, text: str) -> list[float]:
    """The numbers printed after `label`, e.g. every 'max |numeric - symbolic| = 3.1e-11'."""
    numbers = [float(match) for match in re.findall(re.escape(label) + r"\s*([-+0-9.e]+)", text)]
    assert numbers, f"the notebook never printed {label!r}"
    return numbers


def check_computation_graphs(text: str) -> None:
    check_prints_like_the_worksheet(text, FIRST_HALF)
    assert "[[11. 22.]\n [33. 44.]]" in text
    assert "[[1. 4.]\n [3. 8.]]" in text  # K.dot with the variable


def check_mnist_dense_network(text: str) -> None:
    check_prints_like_the_worksheet(text, SECOND_HALF)
    (accuracy,) = floats_after("Test accuracy:", text)  # after both fits, as in test_worksheet.py
    assert accuracy >= 0.955


def check_how_gradients_are_built(text: str) -> None:
    assert max(floats_after("max |numeric - symbolic| =", text)) < 1e-6
    finite = re.search(r"naive loss: (\d+) of (\d+) rows finite; fused loss: (\d+) of (\d+) rows finite", text)
    naive_finite, rows, fused_finite, _ = map(int, finite.groups())
    assert naive_finite < rows and fused_finite == rows
    # the model's loss is the fused op, named as Keras's TF backend names it
    assert "['loss/softmax_cross_entropy_with_logits']" in text


def check_minigraph_next_to_keras(text: str) -> None:
    assert text.count("identical: True") == 4
    (difference,) = floats_after("largest weight difference:", text)
    assert difference < 1e-3  # the weights themselves moved by about 0.1


def check_what_a_graph_compiler_does(text: str) -> None:
    assert text.count("identical: True") == 2  # passes on and off: the same weights, bit for bit
    assert "merged Softmax gradients/softmax_cross_entropy_with_logits_sg_grad/Softmax into output" in text
    assert "into one MultiTensorAdam step" in text
    assert "into one _FusedMatMul step (fused_ops BiasAdd, Relu), named Relu" in text
    assert "divided before broadcasting: BroadcastLike gradients/loss_grad/BroadcastLike" in text
    assert "fused Equal Equal, Cast Cast, Sum correct into one _FusedCount step" in text
    assert "folded Transpose transpose into MatMul gram's transpose_a=True" in text
    assert "def run(x, labels):" in text and "return [" in text  # the plan, compiled to Python


def check_from_dense_to_convolutional(text: str) -> None:
    (difference,) = floats_after("largest difference from the loop:", text)
    assert difference < 1e-5  # conv2d computes what the loop over 3x3 patches computes
    assert "equal to the blocks' maxima: True" in text
    (accuracy,) = floats_after("convolutional network: test accuracy", text)
    assert accuracy >= 0.94  # about 0.96 after 3 epochs on 10,000 rows


def check_when_you_outgrow_minigraph(text: str) -> None:
    differences = floats_after("largest difference:", text)  # TensorFlow, Keras, back from Keras, ONNX Runtime
    assert len(differences) == 4 and max(differences) < 1e-5  # float32 rounding: one model in four libraries
    assert "same predicted digits: True" in text
    (accuracy,) = floats_after("Keras, one more epoch: test accuracy", text)
    assert accuracy >= 0.85  # Keras trained on from where minigraph stopped


CHECKS = {
    "01_computation_graphs": check_computation_graphs,
    "02_mnist_dense_network": check_mnist_dense_network,
    "03_how_gradients_are_built": check_how_gradients_are_built,
    "04_minigraph_next_to_keras": check_minigraph_next_to_keras,
    "05_from_dense_to_convolutional": check_from_dense_to_convolutional,
    "06_what_a_graph_compiler_does": check_what_a_graph_compiler_does,
    "07_when_you_outgrow_minigraph": check_when_you_outgrow_minigraph,
}


def test_every_notebook_is_listed():
    assert [path.stem for path in NOTEBOOKS] == sorted(CHECKS)


def test_every_notebook_has_its_source():
    assert [path.stem for path in load_builder().sources()] == [path.stem for path in NOTEBOOKS]


def test_stored_notebooks_are_what_the_builder_writes(tmp_path):
    """The .ipynb files are built from their .py sources, stored without outputs."""
    builder = load_builder()
    builder.main(tmp_path)
    for path in NOTEBOOKS:
        assert path.read_text() == (tmp_path / path.name).read_text(), (
            f"{path.name} differs from what tutorials/build_notebooks.py builds from {path.stem}.py: "
            "run it and commit both"
        )
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None


def distribution_name(name: str) -> str:
    """A distribution's name as pip compares them: tensorflow_cpu is tensorflow-cpu."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_names() -> set[str]:
    """The distributions `pip install -e .[tutorials]` installs (the core's and the extra's)."""
    setup = configparser.ConfigParser()
    setup.read(REPO_ROOT / "setup.cfg")
    requirements = setup["options"]["install_requires"] + setup["options.extras_require"]["tutorials"]
    return {distribution_name(re.match(r"[A-Za-z0-9_.-]+", line).group()) for line in requirements.split()
            if re.match(r"[A-Za-z]", line)}


def test_the_tutorials_extra_installs_what_the_notebooks_import():
    """`pip install -e .[tutorials]` must give every package a notebook imports."""
    imported = set()
    for source in load_builder().sources():
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    imported -= set(sys.stdlib_module_names) | {"minigraph"}
    installed_by = importlib.metadata.packages_distributions()
    # a module may come from several distributions (tensorflow from tensorflow or tensorflow-cpu): any will do
    providers = {module: {distribution_name(name) for name in installed_by[module]} for module in imported}
    needed = {min(names & declared_names(), default=min(names)) for names in providers.values()}
    declared = declared_names()
    assert {"matplotlib", "keras", "numpy"} <= needed
    assert needed <= declared, f"the notebooks import {sorted(needed - declared)}, missing from [tutorials]"
    assert {"jupyterlab", "ipykernel", "jupytext"} <= declared  # to open them, run them, and open the .py


def test_cell_ids_follow_each_cells_content(tmp_path):
    """Ids are hashes of a cell's type and text: editing one cell changes its id only,
    and a cell that repeats another still gets an id of its own."""
    builder = load_builder()
    source = tmp_path / "01_example.py"
    source.write_text("# %%\nx = 1\n\n# %% [markdown]\n# Some text\n\n# %%\nprint(x)\n\n# %%\nprint(x)\n")
    before = [cell.id for cell in builder.build(source).cells]
    source.write_text(source.read_text().replace("x = 1", "x = 2"))
    after = [cell.id for cell in builder.build(source).cells]
    assert after[0] != before[0] and after[1:] == before[1:]
    assert len(set(before)) == 4


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs(path, kernel, record_property):
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name=kernel,
                                     resources={"metadata": {"path": str(TUTORIALS)}})
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on any error
    seconds = time.perf_counter() - started
    record_property("seconds", round(seconds, 1))
    print(f"{path.name} ran in {seconds:.1f}s")
    CHECKS[path.stem](output_text(notebook))
