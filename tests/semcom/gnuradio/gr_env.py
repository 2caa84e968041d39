"""The GNU Radio Python the GNU Radio tests run in: $SEMCOM_GR_PYTHON, else the checkout's .venv-gr
(Debian's GNU Radio + numpy < 2 + torch + semcom-sdr; scripts/test.sh builds it). The checkout goes
first on its PYTHONPATH, so that the blocks under test are this checkout's."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
EXAMPLES = ROOT / "semcom" / "gnuradio" / "examples"
GRC_DIR = ROOT / "semcom" / "gnuradio" / "grc"


def gr_python() -> str:
    python = os.environ.get("SEMCOM_GR_PYTHON") or str(ROOT / ".venv-gr" / "bin" / "python")
    if not Path(python).exists():
        pytest.skip("no GNU Radio Python (.venv-gr or $SEMCOM_GR_PYTHON); scripts/test.sh builds .venv-gr "
                    "where GNU Radio is installed")
    return python


def gr_env(**extra) -> dict:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return dict(os.environ, PYTHONPATH=path, GRC_BLOCKS_PATH=str(GRC_DIR), QT_QPA_PLATFORM="offscreen",
                SEMCOM_THREADS=os.environ.get("SEMCOM_THREADS", "1"), **extra)


def run_gr(args, timeout=600, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([gr_python(), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=gr_env(**extra))
