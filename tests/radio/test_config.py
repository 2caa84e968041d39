from pathlib import Path

import numpy as np
import pytest

from radio.config import RadioConfig

CONFIGS = sorted((Path(__file__).parents[2] / "hw_configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_shipped_configs_load(path):
    cfg = RadioConfig.from_yaml(path)
    assert cfg.sample_rate_sps > 0 and cfg.center_frequency_hz > 1e6


def test_no_shipped_config_names_an_address():
    """Hardware addresses come only from the user: every shipped config leaves uri empty."""
    for path in CONFIGS:
        assert RadioConfig.from_yaml(path).uri in (None, "")


@pytest.mark.parametrize("kw,field", [({"driver": "hackrf"}, "driver"), ({"sample_rate_sps": 10.0}, "sample_rate_sps"),
                                      ({"gain_mode": "auto"}, "gain_mode"), ({"rx_buffer_size": 8}, "rx_buffer_size"),
                                      ({"center_frequency_hz": 0}, "center_frequency_hz")])
def test_bad_values_name_the_field(kw, field):
    with pytest.raises(ValueError, match=f"RadioConfig.{field}"):
        RadioConfig(**kw)


def test_yaml_errors_name_the_file(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("radio:\n  driver: sim\n  sample_rate: 1e6\n")
    with pytest.raises(ValueError, match="r.yaml.*sample_rate"):
        RadioConfig.from_yaml(p)
    p.write_text("radio: [unclosed\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        RadioConfig.from_yaml(p)
    with pytest.raises(ValueError, match="not found"):
        RadioConfig.from_yaml(tmp_path / "missing.yaml")


def test_round_trip():
    cfg = RadioConfig(driver="sim", tx_channels=(0, 1), rx_channels=(0, 1), options={"snr_db": 10})
    assert RadioConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_shipped_configs_open_or_ask_for_an_address(path):
    """Simulated configs open; hardware ones refuse to start without the user's address."""
    from radio import open_radio

    cfg = RadioConfig.from_yaml(path)
    if cfg.driver in ("pluto", "usrp"):
        with pytest.raises(ValueError, match="uri"):
            open_radio(cfg)
    elif cfg.driver == "sim":
        with open_radio(cfg) as radio:
            radio.tx(np.full(64, 0.1 + 0j, np.complex64), cyclic=True)
            assert radio.rx(128).shape == (cfg.num_rx, 128)


def test_rx_gain_defaults_to_the_drivers_own():
    from radio.config import RadioConfig

    assert RadioConfig(driver="sim").rx_gain_db == 0.0  # unity: a sim config without a gain does not clip its ADC
    assert RadioConfig(driver="pluto", uri="usb:1.2.3").rx_gain_db == 30.0
    assert RadioConfig(driver="sim", rx_gain_db=12).rx_gain_db == 12.0
