"""The GNU Radio blocks (radio/gnuradio) in real GNU Radio 3.10, in the .venv-gr environment
(Debian's GNU Radio + numpy < 2 + torch + semcom-sdr; scripts/test.sh builds it)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
GR_PYTHON = ROOT / ".venv-gr" / "bin" / "python"


@pytest.fixture(scope="module")
def gr_python():
    if not GR_PYTHON.exists():
        pytest.skip("no .venv-gr (GNU Radio + semcom in one Python); scripts/test.sh builds it where GNU Radio is")
    return str(GR_PYTHON)


def test_blocks_decode_frames_through_a_channel_model(gr_python):
    proc = subprocess.run([gr_python, str(ROOT / "tests" / "radio" / "gr_blocks_qa.py"), "60000"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    frames = result["frames"]
    assert len(frames) >= 60000 // result["frame_length"] - 2  # every whole frame but the edges
    assert [f["seq"] for f in frames] == sorted({f["seq"] for f in frames})  # once each, in order
    for f in frames:
        assert abs(f["cfo_hz"] - 1500) < 200 and f["psnr_db"] > 15


def test_example_flowgraph_compiles_with_grcc(gr_python, tmp_path):
    grcc = shutil.which("grcc")
    if grcc is None:
        pytest.skip("grcc not installed")
    env = dict(os.environ, GRC_BLOCKS_PATH=str(ROOT / "radio" / "gnuradio" / "grc"))
    proc = subprocess.run([gr_python, grcc, "-o", str(tmp_path), str(ROOT / "radio/gnuradio/examples/semcom_loopback.grc")],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    generated = (tmp_path / "semcom_loopback.py").read_text()
    assert "semcom_blocks.jscc_frame_source(" in generated and "semcom_blocks.jscc_frame_sink(" in generated
