#!/usr/bin/env bash
# Create (or update) a virtual environment with semcom-sdr installed in it.
#   bash scripts/setup.sh               # what the README's examples use: Sionna, SigMF, pillow-heif, pyzmq
#   bash scripts/setup.sh ""            # the core only (e.g. beside Debian's GNU Radio, numpy < 2)
#   bash scripts/setup.sh dev,sionna    # with these extras (see pyproject.toml)
# VENV=path and PYTHON=python3.x override the defaults; pip's own variables
# (PIP_CONSTRAINT, ...) pass through.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
requested=${1-sionna,sigmf,baseline,zmq}
extras=${requested:+[$requested]}

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
pip_install() { "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$@"; }
# torch first, pinned: an open range would pull a multi-GB CUDA build.
pip_install "torch==2.13.0"
pip_install -e ".${extras}"
echo "semcom-sdr installed in $VENV ($("$VENV/bin/python" -c 'import torch, numpy; print("torch", torch.__version__, "numpy", numpy.__version__)'))"
