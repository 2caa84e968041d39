"""The zmq backend against a real GNU Radio flowgraph (Debian's gnuradio, run by /usr/bin/python3) on loopback."""

import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from radio.base import RadioError
from radio.config import RadioConfig

pytest.importorskip("zmq")
FLOWGRAPH = Path(__file__).parents[2] / "radio" / "gnuradio" / "zmq_channel.py"
SYSTEM_PYTHON = "/usr/bin/python3"


def _have_gnuradio() -> bool:
    try:
        return subprocess.run([SYSTEM_PYTHON, "-c", "import gnuradio.zeromq, gnuradio.channels"],
                              capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _free_ports(n=2):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


@pytest.fixture
def flowgraph():
    if not _have_gnuradio():
        pytest.skip("GNU Radio (Debian's gnuradio for /usr/bin/python3) is not installed")
    tx_port, rx_port = _free_ports()
    tx, rx = f"tcp://127.0.0.1:{tx_port}", f"tcp://127.0.0.1:{rx_port}"
    proc = subprocess.Popen([SYSTEM_PYTHON, str(FLOWGRAPH), "--tx-address", tx, "--rx-address", rx, "--snr-db", "25",
                             "--cfo-hz", "3000", "--signal-power", "0.05"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    assert "running" in line, line + (proc.stdout.read() if proc.poll() is not None else "")
    yield RadioConfig(driver="zmq", rx_gain_db=0.0, timeout_s=30.0, options={"tx_address": tx, "rx_address": rx})
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_ota_through_gnuradio_over_zmq(flowgraph):
    from radio.zmq import ZMQRadio
    from semcom.data import load_images, sample_images_dir
    from semcom.ota import Transceiver, ofdm_for_radio, run_ota
    from semcom.zoo import load_model

    trx = Transceiver(load_model("cnn"), "cnn", ofdm_for_radio(1, 1, 1.92e6))
    with ZMQRadio(flowgraph) as radio:
        rows = run_ota(radio, trx, load_images(sample_images_dir()).images[0], frames=2, baseline="jpeg-ldpc")
    for row in rows:
        assert row["detected"] and abs(row["cfo_hz"] - 3000) < 200, row
        assert row["psnr_db"] > 15 and row["baseline_psnr_db"] is not None, row


def test_no_flowgraph_is_a_clear_timeout():
    from radio.zmq import ZMQRadio

    tx_port, rx_port = _free_ports()
    cfg = RadioConfig(driver="zmq", timeout_s=0.5, options={"tx_address": f"tcp://127.0.0.1:{tx_port}",
                                                            "rx_address": f"tcp://127.0.0.1:{rx_port}",
                                                            "settle_s": 0})
    with ZMQRadio(cfg) as radio:
        t0 = time.monotonic()
        with pytest.raises(RadioError, match="is the flowgraph running"):
            radio.rx(1000)
        assert time.monotonic() - t0 < 5
        with pytest.raises(RadioError, match="is the flowgraph running"):
            radio.tx(np.zeros(100000, np.complex64))


def test_short_soak_with_faults_loses_only_touched_frames(flowgraph, tmp_path, capsys):
    """``semcom ota --radio zmq --loop --duration`` for a few seconds with a fault profile on our
    receive stream (the 30-minute run is benchmarks/bench_soak.py)."""
    import json

    import yaml

    from semcom.cli import main

    faults = {"seed": 2, "sco_ppm": 20.0, "drop_probability": 0.2, "burst_probability": 0.2,
              "gain_step_probability": 0.2}
    config = tmp_path / "soak.yaml"
    config.write_text(yaml.safe_dump({"radio": {**flowgraph.to_dict(), "faults": faults}}))
    rc = main(["ota", "--radio", "zmq", "--config", str(config), "--loop", "--duration", "8", "--json"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    summary = lines[-1]
    assert rc == 0 and summary["counters"]["sent"] >= 5 and summary["counters"]["lost_untouched"] == 0, summary
    assert summary["events"] and summary["peak_rss_mb"] > 0
