"""Every block's qa_<block>.py (gr_unittest, GNU Radio's convention) in the GNU Radio Python."""

from pathlib import Path

import pytest

from .gr_env import run_gr

QA_FILES = sorted(Path(__file__).parent.glob("qa_*.py"))
BLOCKS = ("semantic_source", "semantic_sink", "digital_source", "digital_sink", "pa_model", "clip_filter",
          "frame_sync", "image_display")


def test_every_block_has_a_qa_file_and_a_grc_definition():
    root = Path(__file__).parents[3] / "semcom" / "gnuradio"
    for block in BLOCKS:
        assert (root / f"{block}.py").exists(), block
        assert Path(__file__).with_name(f"qa_{block}.py") in QA_FILES, block
        assert (root / "grc" / f"semcom_{block}.block.yml").exists(), block


@pytest.mark.parametrize("qa", QA_FILES, ids=[q.stem for q in QA_FILES])
def test_qa(qa):
    proc = run_gr([qa], timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    if "skipped=" in proc.stderr:
        pytest.skip(proc.stderr.strip().splitlines()[-1] + " (see the qa file's skip reason)")
