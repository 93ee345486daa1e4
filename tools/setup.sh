#!/usr/bin/env bash
# Installs what minigraph needs on a fresh Debian or Ubuntu machine, and nothing twice:
#   - Debian's graphviz, for the `dot` binary that renders drawings (only when missing);
#   - a virtual environment for the project, .venv/, made with `python3 -m venv`
#     (installing Debian's python3-venv first when venv is missing); when a virtual
#     environment is active already, that one is used instead and .venv/ is not made;
#   - minigraph itself (editable) with its Python packages, into that environment;
#     with --test, the test tools too (pytest, keras, tensorflow-cpu, scikit-learn, ...);
#   - the MNIST data set, into minigraph's cache (~/.cache/minigraph/mnist.npz).
# Why an environment: Debian's own python3 refuses `pip install` outside one
# ("externally-managed-environment", PEP 668), and one keeps the project's packages
# apart from the system's. Run things with its Python: `tools/python -m ...`.
# Every step that fails stops the script and says what to do.
# Usage: bash tools/setup.sh [--test]
set -Eeuo pipefail
cd "$(dirname "$0")/.."

fail() {  # what failed, then what to do about it
  echo "setup: FAILED: $1" >&2
  echo "setup: what to do: $2" >&2
  exit 1
}
# A net under the explicit checks below: no command fails silently.
trap 'fail "\`$BASH_COMMAND\` (tools/setup.sh, line $LINENO)" "read the messages above, fix their cause, then run the same command again"' ERR

extras=""
case "${1:-}" in
  "") ;;
  --test) extras="[test]" ;;
  *) fail "unknown option '$1'" "run 'bash tools/setup.sh' or 'bash tools/setup.sh --test'" ;;
esac

apt_install() {  # Debian packages; through sudo when not root
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  echo "setup: installing Debian's $* with apt-get"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null; } \
    || fail "apt-get could not install $*" "install it yourself (sudo apt-get install $*), then run this again"
}

if ! command -v dot >/dev/null 2>&1; then
  apt_install graphviz
fi

if [ -n "${VIRTUAL_ENV:-}" ]; then
  env_dir="$VIRTUAL_ENV"
  [ -x "$env_dir/bin/python" ] || fail "the active virtual environment $env_dir has no bin/python" \
    "leave it ('deactivate') or make it again, then run this again"
  echo "setup: using the active virtual environment $env_dir"
else
  env_dir="$PWD/.venv"
  # A .venv without a working pip is one an earlier run left half-made: make it again.
  if ! "$env_dir/bin/python" -m pip --version >/dev/null 2>&1; then
    command -v python3 >/dev/null 2>&1 || fail "there is no python3 on PATH" "install Debian's python3 (sudo apt-get install python3-venv), then run this again"
    # Debian ships venv's ensurepip in a separate package, python3-venv.
    if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
      apt_install python3-venv
      python3 -c "import venv, ensurepip" || fail "$(command -v python3) still has no venv module" \
        "install a python3 with venv (Debian: sudo apt-get install python3-venv), then run this again"
    fi
    echo "setup: making the project's virtual environment .venv/ with $(command -v python3)"
    python3 -m venv --clear "$env_dir" || fail "python3 -m venv could not make .venv/" \
      "read the message above; remove .venv/ (rm -r .venv), then run this again"
  fi
fi
python="$env_dir/bin/python"

echo "setup: installing minigraph${extras} into $env_dir with pip"
"$python" -m pip install -q --disable-pip-version-check -e ".${extras}" \
  || fail "pip could not install minigraph${extras} into $env_dir" \
    "read pip's message above (a network error: run this again; a package that does not fit your Python: use Python 3.10 to 3.12)"

# From outside the repository, so minigraph/ in the current folder cannot stand in
# for an install that did not take.
check="import minigraph, numpy, graphviz"
if [ -n "$extras" ]; then check="$check, pytest"; fi
(cd / && "$python" -c "$check") || fail "the installed packages do not import with $python" \
  "read the error above; remove the environment (rm -r .venv) and run this again"

"$python" -m minigraph.keras.datasets.mnist || fail "the MNIST data set could not be fetched" \
  "read the message above (usually no internet access), then run this again"

echo "setup: done; run Python with this environment's interpreter: tools/python (or: source $env_dir/bin/activate)"
