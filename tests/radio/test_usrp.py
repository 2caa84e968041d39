import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from radio.base import RadioError
from radio.config import RadioConfig
from radio.usrp import USRPRadio
from tests.radio.fakes import FakeUHD, construct_without_network
from tests.radio.hardware import hardware_address, loopback_level


def cfg(**kw):
    base = dict(driver="usrp", uri="serial=3215ABC", center_frequency_hz=2.0e9, sample_rate_sps=1.92e6,
                tx_gain_db=10.0, rx_gain_db=20.0, rx_buffer_size=4096)
    base.update(kw)
    return RadioConfig(**base)


def test_settings_reach_every_channel():
    uhd = FakeUHD()
    r = USRPRadio(cfg(tx_channels=(0, 1), rx_channels=(0, 1), options={"subdev_rx": "A:0 B:0"}), uhd_module=uhd)
    names = [c[0] for c in uhd.calls]
    assert names.count("set_rx_rate") == 2 and names.count("set_tx_freq") == 2
    assert ("set_rx_gain", 20.0, 1) in uhd.calls and ("set_rx_subdev_spec", "A:0 B:0") in uhd.calls
    r.close()


def test_cyclic_tx_repeats_until_replaced_and_rx_collects_num_done():
    uhd = FakeUHD(max_recv=700)
    with USRPRadio(cfg(), uhd_module=uhd) as r:
        x = np.exp(2j * np.pi * np.arange(300) / 30).astype(np.complex64) * 0.5
        r.tx(x, cyclic=True)
        y = r.rx(2000)  # several recv calls of at most 700 samples
        assert y.shape == (1, 2000)
        assert float(np.abs(y).mean()) == pytest.approx(0.25, rel=0.05)
        r.tx(x * 0.5, cyclic=True)  # the old thread stops first
        assert float(np.abs(r.rx(600)).mean()) == pytest.approx(0.125, rel=0.1)


def test_ota_frame_through_the_fake_cable():
    from semcom.data import load_images, sample_images_dir
    from semcom.ota import Transceiver, ofdm_for_radio, run_ota
    from semcom.zoo import load_model

    with USRPRadio(cfg(), uhd_module=FakeUHD()) as r:
        trx = Transceiver(load_model("cnn"), "cnn", ofdm_for_radio(1, 1, 1.92e6))
        row = run_ota(r, trx, load_images(sample_images_dir()).images[0], frames=1)[0]
    assert row["detected"] and row["psnr_db"] > 15


@pytest.mark.parametrize("fail,match", [("timeout", "timed out"), ("overflow", "overflowed")])
def test_rx_errors_are_clear(fail, match):
    with USRPRadio(cfg(), uhd_module=FakeUHD(fail=fail)) as r:
        with pytest.raises(RadioError, match=match):
            r.rx(100)


def test_no_device_args_means_no_discovery():
    with pytest.raises(ValueError, match="broadcast"):
        USRPRadio(cfg(uri=None), uhd_module=FakeUHD())
    with pytest.raises(RadioError, match="USRP not found"):
        USRPRadio(cfg(uri="name=nothing"), uhd_module=FakeUHD())


def _python_with_uhd() -> str | None:
    """A Python that imports Debian's UHD bindings (``.venv-gr`` sees the system's), or None."""
    for python in (Path(".venv-gr/bin/python"), Path("/usr/bin/python3")):
        if python.exists() and subprocess.run([str(python), "-c", "import uhd"], capture_output=True,
                                              timeout=60).returncode == 0:
            return str(python)
    return None


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare")
def test_real_uhd_without_network_fails_cleanly():
    """UHD's real MultiUSRP, in a namespace with no network: one clear RadioError, no discovery."""
    python = _python_with_uhd()
    if python is None:
        pytest.skip("no Python with the UHD bindings (apt install python3-uhd; scripts/test.sh builds .venv-gr)")
    out = construct_without_network(python, "usrp", "USRPRadio", "usrp", "addr=192.0.2.1")
    assert out.startswith("RadioError USRP not found with args 'addr=192.0.2.1'"), out


@pytest.mark.hardware
def test_real_usrp_loopback():
    """Needs a USRP with TX cabled to RX through attenuation; device args in SEMCOM_USRP_ARGS."""
    args = hardware_address("SEMCOM_USRP_ARGS", "serial=3215ABC")
    assert loopback_level(USRPRadio(cfg(uri=args)), 0.3, 2048, 8192) > 1e-3
