"""The README's two commands, tried as a new user would: tools/setup.sh and tools/python.

Debian's own ``python3`` refuses ``pip install`` outside a virtual environment
("externally-managed-environment", PEP 668), so ``tools/setup.sh`` installs into the
project's ``.venv/``, or into the virtual environment that is already active, and
``tools/python`` runs that environment's Python.

The slow tests clone the repository at HEAD into a temporary folder and run the
README's first command there, as the README spells it (read from README.md, so the
two cannot drift apart) plus ``--epochs 1`` to stay quick:

- with Debian's ``/usr/bin/python3`` first on PATH and no environment active:
  ``.venv/`` is made from that interpreter, and the main job runs in it;
- inside a virtual environment the test made and activated: setup installs into
  that one and makes no ``.venv/``.

pip's cache and the MNIST file in ``~/.cache/minigraph`` make a rerun take seconds.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEBIAN_PYTHON = "/usr/bin/python3"
DEBIAN_PATH = "/usr/bin:/bin"
TEST_ACCURACY = re.compile(r"Test accuracy[^:\n]*:\s*(\d\.\d+)")


def readme_commands() -> list[str]:
    """The README's first code block, line by line: the main job, then the tests."""
    block = re.search(r"```bash\n(.*?)```", (REPO / "README.md").read_text(), re.DOTALL)
    return block.group(1).strip().splitlines()


def readme_interpreter() -> str:
    """What the README runs Python with, after `&&`: `tools/python` in `tools/python -m ...`."""
    after_setup = readme_commands()[0].split("&&")[1]
    return after_setup.split(" -m ")[0].strip()


def user_environment(path: str, virtual_env: Path | None = None) -> dict[str, str]:
    """This machine's environment with PATH replaced and no Python set-up leaking in."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = path
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    if virtual_env is not None:
        env["VIRTUAL_ENV"] = str(virtual_env)
    return env


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=1800, stdin=subprocess.DEVNULL)


def python_prefix(interpreter: str, cwd: Path, env: dict[str, str]) -> Path:
    """sys.prefix of the Python that `interpreter` starts: which environment runs."""
    result = run([interpreter, "-c", "import sys; print(sys.prefix)"], cwd, env)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip())


def installed_minigraph(python: Path, env: dict[str, str]) -> Path:
    """Where `python` imports minigraph from, asked from outside any repository."""
    result = run([str(python), "-c", "import minigraph; print(minigraph.__file__)"], Path("/"), env)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip())


def run_main_job(clone: Path, env: dict[str, str]) -> str:
    """The README's first command, with one epoch, in `clone`; returns what it printed."""
    result = run(["bash", "-c", readme_commands()[0] + " --epochs 1"], clone, env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"the README's first command failed:\n{output[-4000:]}"
    accuracies = [float(value) for value in TEST_ACCURACY.findall(output)]
    assert accuracies, f"no 'Test accuracy' line in:\n{output[-4000:]}"
    assert min(accuracies) > 0.85, accuracies  # one epoch reaches about 0.93
    return output


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A fresh clone of this repository at HEAD: no .venv/, nothing installed."""
    target = tmp_path / "minigraph"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(target)], check=True)
    assert not (target / ".venv").exists()
    return target


def test_readme_has_two_commands_main_job_then_tests():
    main_job, tests = readme_commands()
    assert main_job.startswith("bash tools/setup.sh && ")
    assert main_job.endswith(" -m minigraph.examples.worksheet")
    assert tests.startswith("bash tools/setup.sh --test && ")
    assert tests.endswith(" -m pytest")


def test_ci_runs_the_readme_test_command_and_nothing_else():
    lines = [line for line in (REPO / ".ci" / "run").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines[-1] == readme_commands()[1]
    assert lines[:-1] == ["set -euo pipefail", 'cd "$(dirname "$0")/.."']


def test_tools_python_runs_the_active_environment(tmp_path):
    environment = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(environment)], check=True)
    env = user_environment(DEBIAN_PATH, virtual_env=environment)
    assert python_prefix(str(REPO / "tools" / "python"), tmp_path, env) == environment
    # and puts its bin/ first on PATH, so a `python3` that a test starts is that one too
    result = run([str(REPO / "tools" / "python"), "-c",
                  "import os; print(os.environ['PATH'].split(':')[0])"], tmp_path, env)
    assert result.stdout.strip() == str(environment / "bin")


def test_tools_python_without_an_environment_says_to_run_setup(tmp_path):
    env = user_environment(DEBIAN_PATH, virtual_env=tmp_path / "missing")
    result = run([str(REPO / "tools" / "python"), "-c", "pass"], tmp_path, env)
    assert result.returncode == 1
    assert result.stderr == (f"tools/python: {tmp_path / 'missing'} has no bin/python; "
                             "run 'bash tools/setup.sh' first\n")


def test_setup_stops_on_an_unknown_option(tmp_path):
    result = run(["bash", str(REPO / "tools" / "setup.sh"), "--tests"], tmp_path,
                 user_environment(DEBIAN_PATH))
    assert result.returncode == 1
    assert "setup: FAILED: unknown option '--tests'" in result.stderr
    assert "setup: what to do: run 'bash tools/setup.sh' or 'bash tools/setup.sh --test'" in result.stderr


@pytest.mark.slow
def test_readme_main_job_with_debians_python_in_a_fresh_clone(clone):
    env = user_environment(DEBIAN_PATH)
    output = run_main_job(clone, env)

    venv = clone / ".venv"
    assert f"making the project's virtual environment .venv/ with {DEBIAN_PYTHON}" in output
    assert "home = /usr/bin\n" in (venv / "pyvenv.cfg").read_text()  # made from Debian's python3
    assert python_prefix(readme_interpreter(), clone, env) == venv
    assert installed_minigraph(venv / "bin" / "python", env) == clone / "minigraph" / "__init__.py"


@pytest.mark.slow
def test_readme_main_job_inside_an_active_virtual_environment(clone, tmp_path):
    environment = tmp_path / "env"
    subprocess.run([DEBIAN_PYTHON, "-m", "venv", str(environment)], check=True)
    # what `source env/bin/activate` does
    env = user_environment(f"{environment / 'bin'}:{DEBIAN_PATH}", virtual_env=environment)
    output = run_main_job(clone, env)

    assert f"using the active virtual environment {environment}" in output
    assert not (clone / ".venv").exists()
    assert python_prefix(readme_interpreter(), clone, env) == environment
    assert installed_minigraph(environment / "bin" / "python", env) == clone / "minigraph" / "__init__.py"
