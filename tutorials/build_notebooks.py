"""Builds each tutorial notebook from its source: ``python3 tutorials/build_notebooks.py``.

A notebook's source is the ``.py`` file of the same name beside it, in jupytext's
"percent" format: plain Python in which ``# %%`` starts a code cell and
``# %% [markdown]`` a markdown cell whose lines are comments. It reads, diffs and
lints like any Python file, and Jupyter opens it as a notebook once jupytext is
installed (``pip install -e .[tutorials]``).

The ``.ipynb`` beside it is built from it and committed too, so the notebooks open
anywhere, even on GitHub. It holds no outputs and no execution counts, and each
cell's id is derived from its content, so building twice gives the same bytes and a
changed cell changes one id, not every id after it. Edit the ``.py``, run this script,
commit both; ``tests/test_tutorials.py`` checks that the stored ``.ipynb`` is what this
script builds.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def sources(directory: Path = HERE) -> list[Path]:
    """The notebook sources: tutorials/NN_name.py."""
    return sorted(Path(directory).glob("[0-9][0-9]_*.py"))


def cell_id(cell, seen: set[str]) -> str:
    """The first 8 hex digits of a hash of the cell's type and text. Ids must be unique
    in a notebook, so a cell that repeats an earlier one also hashes its repeat number."""
    text = f"{cell.cell_type}\n{cell.source}"
    digest, repeat = hashlib.sha256(text.encode()).hexdigest()[:8], 0
    while digest in seen:
        repeat += 1
        digest = hashlib.sha256(f"{text}\n{repeat}".encode()).hexdigest()[:8]
    seen.add(digest)
    return digest


def build(source: Path):
    """The notebook that `source` (a percent-format .py file) describes, ready to store."""
    notebook = jupytext.read(source, fmt="py:percent")
    notebook.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    seen: set[str] = set()
    for cell in notebook.cells:
        cell.id = cell_id(cell, seen)
        cell.metadata = {}  # jupytext's layout hints (blank lines between cells) are not the notebook's
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(notebook)
    return notebook


def main(directory: Path = HERE) -> list[Path]:
    """Writes NN_name.ipynb for every NN_name.py of tutorials/ into `directory`."""
    written = []
    for source in sources():
        path = Path(directory) / source.with_suffix(".ipynb").name
        nbformat.write(build(source), path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print("wrote", path)
