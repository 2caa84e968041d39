"""`semcom gr install|doctor` and the hardware settings of the example flowgraphs (no GNU Radio needed)."""

import pytest

from semcom.cli import main
from semcom.gnuradio import cli as gr_cli
from semcom.gnuradio.hardware import hw_settings, require_address


def test_install_copies_every_block_definition(tmp_path, capsys):
    assert main(["gr", "install", "--dest", str(tmp_path / "blocks")]) == 0
    names = sorted(p.name for p in (tmp_path / "blocks").iterdir())
    assert names == sorted(p.name for p in gr_cli.GRC_DIR.glob("*.block.yml"))
    assert len(names) == len(gr_cli.BLOCK_MODULES)
    assert "installed" in capsys.readouterr().out


def test_doctor_names_what_is_missing():
    bad = {"python": "/x/python3", "gnuradio": "3.10.5.1", "numpy": "2.1.0",
           "blocks_missing": {"semantic_source": "ModuleNotFoundError: No module named 'torch'"}, "grc_paths": []}
    checks = {line.split(" ")[0]: ok for ok, line in gr_cli.diagnose(bad)}
    assert checks["GNU"] and not checks["numpy"] and not checks["semcom"]
    lines = [line for ok, line in gr_cli.diagnose(bad) if not ok]
    assert any("semcom gr install" in line for line in lines)
    good = dict(bad, numpy="1.26.4", blocks_missing={}, grc_paths=[str(gr_cli.GRC_DIR)])
    assert all(ok for ok, _ in gr_cli.diagnose(good))


def test_doctor_sees_what_install_wrote(tmp_path):
    """GRC searches ~/.grc_gnuradio recursively; `gr install` writes into its semcom/ subfolder."""
    main(["gr", "install", "--dest", str(tmp_path / ".grc_gnuradio" / "semcom")])
    info = {"python": "/x/python3", "gnuradio": "3.10.5.1", "numpy": "1.26.4", "blocks_missing": {},
            "grc_paths": [str(tmp_path / ".grc_gnuradio")]}
    assert all(ok for ok, _ in gr_cli.diagnose(info))
    assert not all(ok for ok, _ in gr_cli.diagnose(dict(info, grc_paths=[str(tmp_path / "elsewhere")])))


def test_doctor_without_gnuradio_fails_with_rc_1(capsys):
    assert main(["gr", "doctor", "--python", "/nonexistent/python3"]) == 1
    assert "FAIL GNU Radio not importable" in capsys.readouterr().out


def test_hardware_settings_never_assume_an_address():
    cfg = hw_settings("hw_configs/pluto.yaml", "pluto")
    assert cfg.sample_rate_sps == 1.92e6 and cfg.uri is None
    with pytest.raises(SystemExit, match="no device address"):
        require_address(cfg, "")
    assert require_address(cfg, "ip:192.0.2.1") == "ip:192.0.2.1"  # given by the user: used, not contacted here
    with pytest.raises(ValueError, match="needs 'usrp'"):
        hw_settings("hw_configs/pluto.yaml", "usrp")
