"""The example flowgraphs: grcc compiles every one; the headless loopback recovers the bundled images
within 1 dB of `semcom eval` at the same SNR; the hardware flowgraphs refuse to start without an address."""

import json
import shutil
import statistics

import pytest

from semcom.cli import main as semcom_main

from .gr_env import EXAMPLES, run_gr

GRC_FILES = sorted(EXAMPLES.glob("*.grc"))


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    grcc = shutil.which("grcc")
    if grcc is None:
        pytest.skip("grcc (GNU Radio Companion's compiler) is not installed")
    out = tmp_path_factory.mktemp("grc")
    results = {f.stem: run_gr([grcc, "-o", out, f], timeout=300) for f in GRC_FILES}
    return out, results


@pytest.mark.parametrize("grc", GRC_FILES, ids=[f.stem for f in GRC_FILES])
def test_grcc_compiles(compiled, grc):
    out, results = compiled
    proc = results[grc.stem]
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (out / f"{grc.stem}.py").exists()


def test_headless_loopback_matches_semcom_eval(compiled, capsys):
    out, _ = compiled
    snr_db = 10.0
    proc = run_gr([out / "semcom_loopback.py", "--snr-db", snr_db], timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    frames = report["frames"]
    assert [f["seq"] for f in frames] == list(range(8))  # every bundled image, once, in order
    assert all("psnr_db" in f and f["image"].endswith(".png") for f in frames)
    assert semcom_main(["eval", "--model", "cnn", "--snr", str(snr_db), "--json", "--quiet",
                        "--data", str(EXAMPLES.parents[1] / "assets" / "images")]) == 0
    evaluated = json.loads(capsys.readouterr().out)[0]["psnr_db"]
    assert abs(statistics.mean(f["psnr_db"] for f in frames) - evaluated) < 1.0


@pytest.mark.parametrize("name", ["semcom_pluto", "semcom_usrp"])
def test_hardware_flowgraphs_refuse_an_empty_address(compiled, name):
    out, _ = compiled
    proc = run_gr([out / f"{name}.py"], timeout=300)  # the shipped configs have `uri: null`
    assert proc.returncode != 0
    assert "no device address" in proc.stderr and "no default address is assumed" in proc.stderr
