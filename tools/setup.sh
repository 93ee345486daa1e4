#!/usr/bin/env bash
# Installs what minigraph needs on a fresh Debian machine, and nothing twice:
#   - Debian's graphviz, for the `dot` binary that renders drawings (only when missing);
#   - minigraph itself (editable) with its Python dependencies; with --test, the
#     test tools too (pytest, keras, tensorflow-cpu, scikit-learn, nbclient, ...);
#   - the MNIST data set, into minigraph's cache (~/.cache/minigraph/mnist.npz).
# Usage: bash tools/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
if [ "${1:-}" = "--test" ]; then extras="[test]"; fi

if ! command -v dot >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  echo "setup: installing Debian's graphviz (for the dot binary)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq graphviz >/dev/null
fi

echo "setup: installing minigraph${extras} with pip"
python3 -m pip install -q --disable-pip-version-check -e ".${extras}" 2>&1 \
  | grep -v "Running pip as the 'root' user" || true
python3 -c "import minigraph" # fails loudly if the install did not take

python3 -m minigraph.keras.datasets.mnist
