#!/usr/bin/env bash
# Set up and run the test suite (with Sionna, for the cross-checks against it),
# then the core once more under numpy 1.26 without Sionna (the environment
# Debian's GNU Radio 3.10 imposes).
#   bash scripts/test.sh              # fast suite
#   bash scripts/test.sh --runslow    # also the slow checks
set -euo pipefail
cd "$(dirname "$0")/.."
export SEMCOM_THREADS=${SEMCOM_THREADS:-2}

# Debian's packages: libiio0 for pyadi-iio's pylibiio 0.25 (the Pluto driver probe), GNU Radio
# (the zmq backend's flowgraph, run by Debian's python3) and UHD's Python API (the USRP driver
# probe). Best effort: without them those tests skip.
need=""
ldconfig -p | grep -q libiio.so.0 || need="$need libiio0"
/usr/bin/python3 -c "import gnuradio.zeromq" 2>/dev/null || need="$need gnuradio"
/usr/bin/python3 -c "import uhd" 2>/dev/null || need="$need python3-uhd"
if [ -n "$need" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need) \
        >/dev/null 2>&1 || echo "note: could not install$need; their tests will be skipped"
fi
bash scripts/setup.sh dev,sionna,pluto,zmq,onnx,fpga

# GNU Radio and UHD live in Debian's Python (numpy < 2): .venv-gr sees them and this project.
# tests/semcom/gnuradio (the blocks, grcc, the examples) and the USRP driver probe use it; they skip without it.
if /usr/bin/python3 -c "import gnuradio.zeromq" 2>/dev/null; then
    [ -x .venv-gr/bin/python ] || /usr/bin/python3 -m venv --system-site-packages .venv-gr
    PIP_CONSTRAINT=scripts/constraints-numpy1.txt VENV=.venv-gr bash scripts/setup.sh ""
    # the digital-baseline blocks need Sionna's 5G LDPC; sionna-no-rt declares numpy >= 2.2 but its LDPC
    # and QAM run on numpy 1.26 (tests/semcom/gnuradio/qa_digital_*.py check it), so install it without deps
    .venv-gr/bin/python -c "import sionna" 2>/dev/null ||
        .venv-gr/bin/python -m pip install -q --no-deps "sionna-no-rt>=2.0" "importlib-resources>=6" ||
        echo "note: no Sionna in .venv-gr; the digital-baseline GNU Radio blocks' tests will be skipped"
fi

.venv/bin/python -m pytest -q "$@"

PIP_CONSTRAINT=scripts/constraints-numpy1.txt VENV=.venv-np1 bash scripts/setup.sh dev
SEMCOM_EXPECT_NUMPY1=1 .venv-np1/bin/python -m pytest -q -p no:cacheprovider tests/compat
