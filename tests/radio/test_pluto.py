import shutil
import sys

import numpy as np
import pytest

from radio.base import RadioError
from radio.config import RadioConfig
from radio.pluto import PlutoRadio
from tests.radio.fakes import FakePluto, construct_without_network
from tests.radio.hardware import hardware_address, loopback_level


def cfg(**kw):
    base = dict(driver="pluto", uri="usb:1.4.5", center_frequency_hz=2.4e9, sample_rate_sps=1.92e6,
                tx_gain_db=-10.0, rx_gain_db=40.0, rx_buffer_size=4096)
    base.update(kw)
    return RadioConfig(**base)


def radio(fake=None, **kw):
    fake = fake or FakePluto("usb:1.4.5")
    return PlutoRadio(cfg(**kw), driver_factory=lambda uri: fake), fake


def test_configuration_reaches_the_driver():
    r, fake = radio(gain_mode="manual")
    assert fake.sample_rate == 1920000 and fake.rx_lo == fake.tx_lo == 2400000000
    assert fake.rx_rf_bandwidth == 1920000 and fake.rx_buffer_size == 4096
    assert fake.rx_hardwaregain_chan0 == 40.0 and fake.tx_hardwaregain_chan0 == -10.0
    assert fake.gain_control_mode_chan0 == "manual"


def test_timeout_reaches_libiio():
    _, fake = radio(timeout_s=2.5)
    assert fake.ctx.timeout_ms == 2500


def test_tx_scales_to_2_pow_14_and_replaces_a_cyclic_buffer():
    r, fake = radio()
    x = np.exp(2j * np.pi * np.arange(256) / 64).astype(np.complex64) * 0.99
    r.tx(x, cyclic=True)
    assert np.abs(fake._txbuf).max() <= 2 ** 14 and np.abs(fake._txbuf).max() > 0.98 * 2 ** 14
    r.tx(x * 0.5, cyclic=True)  # the fake raises if the old cyclic buffer was not destroyed first
    assert fake.tx_cyclic_buffer is True


def test_rx_is_full_scale_one_and_sizes_the_buffer():
    r, fake = radio()
    r.tx(np.full(512, 0.8 + 0j, np.complex64), cyclic=True)
    y = r.rx(1000)
    assert y.shape == (1, 1000) and y.dtype == np.complex64
    assert fake.rx_buffer_size == 1000
    assert float(np.abs(y).mean()) == pytest.approx(0.8 * 0.5, rel=0.05)  # the fake's cable loses 6 dB


def test_ota_frame_through_the_fake_cable():
    """The same transceiver code as over the sim radio decodes a frame through the Pluto backend."""
    from semcom.data import load_images, sample_images_dir
    from semcom.ota import Transceiver, ofdm_for_radio, run_ota
    from semcom.zoo import load_model

    r, _ = radio()
    trx = Transceiver(load_model("cnn"), "cnn", ofdm_for_radio(1, 1, 1.92e6))
    row = run_ota(r, trx, load_images(sample_images_dir()).images[0], frames=1)[0]
    assert row["detected"] and row["psnr_db"] > 15 and abs(row["cfo_hz"] - 1500) < 200


def test_missing_uri_and_missing_device():
    with pytest.raises(ValueError, match="needs a uri"):
        PlutoRadio(cfg(uri=None), driver_factory=FakePluto)
    with pytest.raises(RadioError, match="not found at serial:x"):
        PlutoRadio(cfg(uri="serial:x"), driver_factory=FakePluto)


def test_driver_refusing_a_setting_is_one_clear_error():
    with pytest.raises(ValueError, match="tx_gain_db"):
        radio(tx_gain_db=5.0)
    fake = FakePluto("usb:1.4.5")
    with pytest.raises(RadioError, match="refused a setting"):
        PlutoRadio(cfg(gain_mode="hybrid", center_frequency_hz=2.4e9, rx_buffer_size=4096),
                   driver_factory=lambda uri: _refusing(fake))


def _refusing(fake):
    fake._check = lambda name, value: (_ for _ in ()).throw(OSError(22, "Invalid argument"))
    return fake


def test_disconnect_is_reported():
    r, fake = radio()
    fake.connected = False
    with pytest.raises(RadioError, match="disconnected"):
        r.rx(100)


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare")
def test_real_driver_without_network_fails_cleanly():
    """pyadi-iio's real adi.Pluto, in a namespace with no network: a clear RadioError, fast."""
    try:
        import adi  # noqa: F401  (pylibiio loads libiio.so.0 with ctypes: OSError when it is missing)
    except Exception as exc:
        pytest.skip(f"pyadi-iio unavailable: {exc}")
    out = construct_without_network(sys.executable, "pluto", "PlutoRadio", "pluto", "ip:192.0.2.1")
    assert out.startswith("RadioError PlutoSDR not found at ip:192.0.2.1"), out


@pytest.mark.hardware
def test_real_pluto_loopback():
    """Needs a Pluto with TX cabled to RX (via 30 dB attenuation); its address in SEMCOM_PLUTO_URI."""
    uri = hardware_address("SEMCOM_PLUTO_URI", "usb:1.4.5")
    assert loopback_level(PlutoRadio(cfg(uri=uri)), 0.5, 1024, 4096) > 0.01
