"""The README's reading path, with line ranges found in the code itself.

The README tells a new reader which lines to read, in which order. Line numbers rot
as the code changes, so they are not written by hand: this script finds each named
class or function with Python's own parser (``ast``) and prints the README's section.

    python3 tools/reading_path.py            # prints the section
    python3 tools/reading_path.py --write    # replaces it in README.md

tests/test_reading_path.py fails when README.md and the code disagree.
"""

from __future__ import annotations

import argparse
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
BEGIN = "<!-- reading path: made by tools/reading_path.py -->"
END = "<!-- end of reading path -->"

# (file, what to read: "module docstring" or a class/function, "Class.method" for a method, why)
FIRST_READING = [
    ("minigraph/graph.py", "module docstring", "build first, run later; nodes describe, sessions compute"),
    ("minigraph/graph.py", "Tensor", "what `x + y` returns, and the operators that build ops"),
    ("minigraph/graph.py", "Operation", "one node: the calling rule every op follows"),
    ("minigraph/graph.py", "Graph.unique_name", "why the node is called `add`, then `add_1`"),
    ("minigraph/graph.py", "Graph.add_operation", "creation order is a topological order"),
    ("minigraph/graph.py", "get_default_graph", "where a node goes when no graph is named"),
    ("minigraph/ops/array.py", "Placeholder", "`x` and `y`: values fed at run time"),
    ("minigraph/ops/array.py", "placeholder", ""),
    ("minigraph/ops/array.py", "Const", "a value stored in the graph itself"),
    ("minigraph/ops/array.py", "constant", ""),
    ("minigraph/ops/array.py", "convert_to_tensor", ""),
    ("minigraph/ops/math.py", "broadcast_shapes", "the static shape of `x + y`"),
    ("minigraph/ops/math.py", "BinaryOp", ""),
    ("minigraph/ops/math.py", "binary", "`x + 1.0`: a Python number becomes a constant"),
    ("minigraph/ops/math.py", "Add", "forward, shape rule and gradient side by side"),
    ("minigraph/session.py", "module docstring", "what `sess.run` does, and what it promises"),
    ("minigraph/session.py", "Session.run", ""),
    ("minigraph/session.py", "Session._check_feeds", "a bad feed is refused before anything runs"),
    ("minigraph/session.py", "Session._make_plan", "which ops a fetch needs, in which order"),
    ("minigraph/plan.py", "module docstring", "a plan runs step by step, then compiled to Python"),
    ("minigraph/plan.py", "Step", ""),
    ("minigraph/plan.py", "Plan._interpret", "the loop that runs a graph"),
    ("minigraph/graph.py", "walk", "one graph walk; the edge rule is an argument"),
    ("minigraph/graph.py", "run_dependencies", ""),
    ("minigraph/gradients.py", "module docstring", "reverse mode, building nodes instead of numbers"),
    ("minigraph/gradients.py", "_ops_between", "which ops lie between the xs and the ys"),
    ("minigraph/gradients.py", "_check_gradient", ""),
    ("minigraph/gradients.py", "gradients", ""),
    ("minigraph/gradients.py", "_sum_paths", "where two paths meet, their gradients add up"),
    ("minigraph/ops/array.py", "SumLike", "the gradient of a broadcast input is a sum..."),
    ("minigraph/ops/array.py", "BroadcastLike", "...and the gradient of a sum is a broadcast"),
]

SECOND_READING = [
    ("minigraph/ops/state.py", "module docstring", "variables: memory between runs"),
    ("minigraph/ops/state.py", "Variable", "the four nodes TF1 builds for one variable"),
    ("minigraph/variable_store.py", "module docstring", "where values live; how stateful kernels reach them"),
    ("minigraph/ops/state.py", "Assign", ""),
    ("minigraph/train/optimizer.py", "module docstring", "optimizers build graphs"),
    ("minigraph/train/optimizer.py", "Optimizer.apply_gradients", ""),
    ("minigraph/train/updates.py", "ApplyAdam", "one fused update per variable"),
    ("minigraph/viz.py", "module docstring", "drawings are data"),
    ("minigraph/viz.py", "draw", ""),
]


def locate(path: str, name: str) -> tuple[int, int, str]:
    """The first and last line of a module's docstring, or of a class or function
    (a method as "Class.method"), decorators included, and what it is."""
    tree = ast.parse((ROOT / path).read_text())
    if name == "module docstring":
        docstring = tree.body[0]
        if not (isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant)):
            raise ValueError(f"{path} has no module docstring")
        return docstring.lineno, docstring.end_lineno, "the module docstring"
    body = tree.body
    node = None
    for part in name.split("."):
        node = next((n for n in body if isinstance(n, (ast.ClassDef, ast.FunctionDef)) and n.name == part), None)
        if node is None:
            raise ValueError(f"{path} has no {name!r}")
        body = node.body
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    kind = "class" if isinstance(node, ast.ClassDef) else "def"
    owner = f" of `{name.split('.')[0]}`" if "." in name else ""
    return first, node.end_lineno, f"`{kind} {node.name}`{owner}"


def rows(entries) -> tuple[list[str], int]:
    lines, total = [], 0
    for number, (path, name, why) in enumerate(entries, start=1):
        first, last, what = locate(path, name)
        total += last - first + 1
        note = f": {why}" if why else ""
        lines.append(f"{number}. `{path}` lines {first}-{last}, {what}{note}")
    return lines, total


def section() -> str:
    first, first_total = rows(FIRST_READING)
    second, second_total = rows(SECOND_READING)
    return "\n".join([
        BEGIN,
        f"**First reading** ({first_total} lines): `z = x + y`, `sess.run(z, feed_dict)`, "
        "`mg.gradients(loss, [x])`.",
        "",
        *first,
        "",
        f"**Second sitting** ({second_total} lines): variables, optimizers, drawings.",
        "",
        *second,
        END,
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the section in README.md")
    args = parser.parse_args()
    text = section()
    if not args.write:
        print(text)
        return
    readme = ROOT / "README.md"
    content = readme.read_text()
    start, end = content.index(BEGIN), content.index(END) + len(END)
    readme.write_text(content[:start] + text + content[end:])


if __name__ == "__main__":
    main()
