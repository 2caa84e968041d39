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
    proc = run_gr([grcc, "-o", out, *GRC_FILES], timeout=600)  # one run: GRC loads its block library once
    return out, proc


@pytest.mark.parametrize("grc", GRC_FILES, ids=[f.stem for f in GRC_FILES])
def test_grcc_compiles(compiled, grc):
    out, proc = compiled  # grcc stops at the first flowgraph that does not compile
    assert (out / f"{grc.stem}.py").exists(), proc.stdout[-2000:] + proc.stderr[-2000:]


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


@pytest.mark.slow
def test_zmq_bridge_carries_semcom_ota(compiled):
    pytest.importorskip("zmq")
    import socket
    import subprocess

    from radio.config import RadioConfig
    from radio.zmq import ZMQRadio
    from semcom.data import load_images, sample_images_dir
    from semcom.ota import Transceiver, ofdm_for_radio, run_ota
    from semcom.zoo import load_model

    from .gr_env import gr_env, gr_python

    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    tx, rx = (f"tcp://127.0.0.1:{p}" for p in ports)
    out, _ = compiled
    bridge = subprocess.Popen([gr_python(), str(out / "semcom_zmq_bridge.py"), "--tx-address", tx, "--rx-address", rx,
                               "--snr-db", "25", "--cfo-hz", "3000"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=gr_env())
    try:
        cfg = RadioConfig(driver="zmq", rx_gain_db=0.0, timeout_s=60.0,
                          options={"tx_address": tx, "rx_address": rx, "settle_s": 3.0})
        trx = Transceiver(load_model("cnn"), "cnn", ofdm_for_radio(1, 1, 1.92e6))
        with ZMQRadio(cfg) as radio:
            rows = run_ota(radio, trx, load_images(sample_images_dir()).images[0], frames=2)
    finally:
        bridge.terminate()
        bridge.wait(timeout=30)
    for row in rows:
        assert row["detected"] and abs(row["cfo_hz"] - 3000) < 200 and row["psnr_db"] > 20, row


@pytest.mark.slow
def test_semantic_and_digital_side_by_side(compiled):
    out, _ = compiled
    proc = run_gr([out / "semcom_side_by_side.py", "--snr-db", "15"], timeout=600)
    if "No module named 'sionna'" in proc.stderr:
        pytest.skip("no Sionna in GNU Radio's Python: the digital-baseline blocks need it")
    assert proc.returncode == 0, proc.stderr[-3000:]
    reports = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(reports) == 2  # one per sink
    for report in reports:
        assert [f["seq"] for f in report["frames"]] == list(range(8)) and report["other_frames"] == 8
        assert all(f["psnr_db"] > 20 and "error" not in f for f in report["frames"])
