#!/usr/bin/env bash
# Set up and run the test suite (with Sionna, for the cross-checks against it),
# then the core once more under numpy 1.26 without Sionna (the environment
# Debian's GNU Radio 3.10 imposes).
#   bash scripts/test.sh              # fast suite
#   bash scripts/test.sh --runslow    # also the slow checks
set -euo pipefail
cd "$(dirname "$0")/.."
export SEMCOM_THREADS=${SEMCOM_THREADS:-2}

bash scripts/setup.sh dev,sionna
.venv/bin/python -m pytest -q "$@"

PIP_CONSTRAINT=scripts/constraints-numpy1.txt VENV=.venv-np1 bash scripts/setup.sh dev
SEMCOM_EXPECT_NUMPY1=1 .venv-np1/bin/python -m pytest -q -p no:cacheprovider tests/compat
