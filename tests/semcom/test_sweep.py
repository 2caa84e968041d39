import csv
import json

import numpy as np
import pytest

from semcom.cli import main
from semcom.link import ofdm_for, parse_mimo


def test_sweep_json_contract(npz_data, capsys):
    assert main(["sweep", "--model", "cnn", "--link", "ofdm", "--channel", "awgn", "--mimo", "2x2", "--pa", "rapp",
                 "--ibo", "3", "--snr", "0,20", "--data", str(npz_data), "--limit", "4", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 2
    for r in rows:
        assert {"snr_db", "psnr_db", "papr_db_1e-3", "scheme"} <= set(r) and r["scheme"] == "cnn"
        assert 5 < r["psnr_db"] < 60 and 3 < r["papr_db_1e-3"] < 20
    assert rows[1]["psnr_db"] > rows[0]["psnr_db"]


def test_sweep_resumes_from_csv(npz_data, tmp_path, capsys):
    out = tmp_path / "s.csv"
    def args(snrs):
        return ["sweep", "--model", "cnn", "--link", "flat", "--channel", "awgn", "--snr", snrs,
                "--data", str(npz_data), "--limit", "4", "--out", str(out), "--quiet"]

    assert main(args("5")) == 0
    assert main(args("5,15")) == 0
    with open(out) as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["snr_db"]) for r in rows] == [5.0, 15.0]  # 5 dB was not run twice
    assert out.with_suffix(".png").stat().st_size > 5000
    assert json.loads(out.with_suffix(".json").read_text())["limit"] == 4


def test_sweep_refuses_csv_made_with_other_settings(npz_data, tmp_path, capsys):
    out = tmp_path / "s.csv"
    def args(precoding):
        return ["sweep", "--model", "cnn", "--link", "ofdm", "--channel", "awgn", "--mimo", "2x2x1", "--snr", "10",
                "--precoding", precoding, "--data", str(npz_data), "--limit", "2", "--out", str(out), "--quiet"]

    assert main(args("identity")) == 0
    assert main(args("svd")) == 2
    err = capsys.readouterr().err
    assert "precoding" in err and "'identity' in the file" in err and "another --out" in err
    with open(out) as fh:
        assert len(list(csv.DictReader(fh))) == 1  # nothing appended to the other link's CSV


def test_sweep_settings_track_weights(tmp_path):
    from semcom.sweep import check_settings

    out = tmp_path / "s.csv"
    base = {"link_kwargs": {"precoding": "svd"}, "ratio": "1/6", "limit": 4}
    check_settings(out, {**base, "weights": {"cnn": "aa"}})
    out.write_text("scheme\n")  # the CSV now exists
    check_settings(out, {**base, "weights": {"vit": "bb"}})  # a new scheme joins the file
    assert json.loads(out.with_suffix(".json").read_text())["weights"] == {"cnn": "aa", "vit": "bb"}
    with pytest.raises(ValueError, match="weights.cnn: 'aa' in the file, 'cc' now"):
        check_settings(out, {**base, "weights": {"cnn": "cc"}})  # retrained cnn: old rows must not be reused
    with pytest.raises(ValueError, match="limit"):
        check_settings(out, {**base, "limit": 8, "weights": {}})


def test_sweep_bad_arguments(npz_data, capsys):
    for extra, match in ((["--mimo", "2by2"], "--mimo"), (["--link", "wire"], "--link"),
                         (["--channel", "tdl-q"], "channel")):
        assert main(["sweep", "--model", "cnn", "--data", str(npz_data), "--limit", "2", "--snr", "5"] + extra) == 2
        assert match in capsys.readouterr().err


def test_mimo_parsing():
    assert parse_mimo("2x2") == (2, 2, 2)
    assert parse_mimo("2x2x1") == (2, 2, 1)
    cfg = ofdm_for("2x1")
    assert (cfg.num_tx_ant, cfg.num_rx_ant, cfg.num_streams) == (2, 1, 1)
    cfg = ofdm_for("4x2x1")
    assert (cfg.num_tx_ant, cfg.num_rx_ant, cfg.num_streams) == (4, 2, 1)
    for bad in ("0x2", "2x2x3", "2x2x0", "2x2x1x1", "2x"):
        with pytest.raises(ValueError, match="--mimo"):
            parse_mimo(bad)


def _photo_folder(tmp_path):
    """Landscape and portrait images (mixed sizes), as a photo folder has."""
    from PIL import Image

    from tests.conftest import smooth_images

    root = tmp_path / "photos"
    root.mkdir()
    Image.fromarray(smooth_images(1, 48, 64, seed=7)[0]).save(root / "land.png")
    Image.fromarray(smooth_images(1, 64, 48, seed=8)[0]).save(root / "port.png")
    return root


def test_sweep_digital_on_a_mixed_size_folder(tmp_path, capsys):
    pytest.importorskip("sionna.phy")
    folder = _photo_folder(tmp_path)
    assert main(["sweep", "--baseline", "digital,jpeg@capacity", "--link", "flat", "--channel", "awgn",
                 "--snr", "15", "--ratio", "1/6", "--data", str(folder), "--json"]) == 0
    rows = {r["scheme"]: r for r in json.loads(capsys.readouterr().out)}
    assert {"best-ldpc", "best-ldpc-practical", "best@capacity", "jpeg-ldpc(best)", "jpeg@capacity"} <= set(rows)
    assert all(r["n_images"] == 2 for r in rows.values())
    assert rows["best@capacity"]["psnr_db"] >= rows["jpeg@capacity"]["psnr_db"]
    assert rows["best@capacity"]["psnr_db"] >= rows["best-ldpc"]["psnr_db"] > 20
    assert 0 <= rows["best-ldpc-practical"]["bler"] <= 1 and "+" in rows["best-ldpc"]["mcs"]


def test_sweep_refuses_bad_images_before_any_work(tmp_path, capsys):
    from PIL import Image

    folder = _photo_folder(tmp_path)
    Image.fromarray(np.zeros((4, 40, 3), np.uint8)).save(folder / "tiny.png")
    assert main(["sweep", "--model", "cnn", "--baseline", "jpeg@capacity", "--link", "flat", "--snr", "5",
                 "--data", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "tiny.png" in err and "too small" in err and len(err.strip().splitlines()) == 1
    (folder / "tiny.png").write_bytes(b"\x89PNG not really")
    assert main(["sweep", "--baseline", "jpeg@capacity", "--link", "flat", "--snr", "5", "--data", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "tiny.png" in err and len(err.strip().splitlines()) == 1


def test_mosaic_tiles_64_and_the_rest():
    from semcom.mosaic import tile_mosaics

    images = np.random.default_rng(0).integers(0, 256, (80, 32, 32, 3), dtype=np.uint8)
    mosaics, counts = tile_mosaics(images, (8, 8))
    assert [m.shape for m in mosaics] == [(256, 256, 3), (128, 128, 3)] and counts.tolist() == [64, 16]
    assert np.array_equal(mosaics[0][32:64, 64:96], images[8 + 2]) and np.array_equal(mosaics[1][:32, 32:64], images[65])
    with pytest.raises(ValueError, match="--mosaic"):
        from semcom.sweep import _parse_mosaic

        _parse_mosaic("8by8")


@pytest.mark.parametrize("count, shape", [(1024, (32, 32)), (784, (28, 28)), (16, (4, 4)), (1000, (25, 40)),
                                          (12, (3, 4)), (17, (1, 17))])
def test_mosaic_last_group_laid_out_as_imbatchtoimage(count, shape):
    """The published notebook's layout: rows the largest divisor not above sqrt(count), no padding."""
    from semcom.mosaic import tile_mosaics

    images = np.random.default_rng(1).integers(0, 256, (1024 + count, 4, 4, 3), dtype=np.uint8)
    mosaics, counts = tile_mosaics(images, (32, 32))
    assert counts.tolist() == [1024, count]
    rows, cols = shape
    assert mosaics[-1].shape == (rows * 4, cols * 4, 3)
    last = images[1024:]
    assert np.array_equal(mosaics[-1][-4:, -4:], last[-1]) and np.array_equal(mosaics[-1][:4, 4:8], last[1])


def test_mosaic_budget_is_the_published_one():
    """b * 3072 * ratio * bits / 8 bytes plus 22 free header bytes; the TB carries all of it."""
    from phy.digital import parse_mcs
    from semcom.baseline import FRAME_OVERHEAD_BYTES
    from semcom.mosaic import MosaicSearch

    search = MosaicSearch(1 / 6, ["heic444"], mcs=["ldpc1/2-qpsk"])
    k = 64 * 3072 // 6  # channel uses of one mosaic of 64 CIFAR images
    assert search.capacity_budget(k, 0.0) == 64 * 512 // 8 + 22 - FRAME_OVERHEAD_BYTES
    chain, budget = search.payload_budget(k, parse_mcs("ldpc1/2-qpsk"))
    assert budget == 4096 + 22 - FRAME_OVERHEAD_BYTES and chain.k // 8 >= budget + FRAME_OVERHEAD_BYTES
    assert k < chain.num_symbols < 1.03 * k  # stretched by the 22 bytes, the CRCs and the TB-size steps only


def test_mosaic_capacity_row_takes_the_published_budget(npz_data, capsys):
    pytest.importorskip("pillow_heif")
    from semcom.codecs import make_codec
    from semcom.mosaic import published_capacity_bytes, tile_mosaics

    assert main(["sweep", "--baseline", "heic444@capacity", "--mosaic", "4x4", "--link", "flat", "--snr", "10",
                 "--data", str(npz_data), "--limit", "16", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    mosaic = tile_mosaics(np.load(npz_data)["x_test"][:16], (4, 4))[0][0]
    fit = make_codec("heic444").fit_psnr(mosaic, published_capacity_bytes(16 * 512, 10.0))
    assert row["n_images"] == 1 and row["psnr_db"] == pytest.approx(fit[2], abs=1e-3)


def test_mosaic_chunk_by_offset_codes_the_pictures_of_the_whole_run(npz_data, capsys, tmp_path):
    """--offset 16 --limit 16 with --mosaic 4x4 is the second picture of a run over the first 32 images."""
    pytest.importorskip("pillow_heif")
    args = ["sweep", "--baseline", "heic444@capacity", "--mosaic", "4x4", "--link", "flat", "--snr", "10",
            "--data", str(npz_data), "--json"]
    assert main(args + ["--offset", "16", "--limit", "16", "--out", str(tmp_path / "chunk.csv")]) == 0
    chunk = json.loads(capsys.readouterr().out)[0]
    assert json.loads((tmp_path / "chunk.json").read_text())["offset"] == 16  # a resumed chunk must match it
    from semcom.codecs import make_codec
    from semcom.mosaic import published_capacity_bytes, tile_mosaics

    second = tile_mosaics(np.load(npz_data)["x_test"][:32], (4, 4))[0][1]
    fit = make_codec("heic444").fit_psnr(second, published_capacity_bytes(16 * 512, 10.0))
    assert chunk["n_images"] == 1 and chunk["psnr_db"] == pytest.approx(fit[2], abs=1e-3)
    assert main(args + ["--offset", "8", "--limit", "16"]) == 2  # not on a picture boundary
    assert "multiple of 16" in capsys.readouterr().err


def test_sweep_names_the_missing_extra_in_one_line(npz_data, monkeypatch, capsys):
    import phy.digital
    import phy.extras

    def missing():
        raise phy.extras.MissingExtraError("the digital baseline (5G LDPC, QAM) needs Sionna: "
                                            "pip install 'semcom-sdr[sionna]'")

    monkeypatch.setattr(phy.digital, "require_sionna", missing)
    assert main(["sweep", "--baseline", "heic-ldpc", "--link", "flat", "--snr", "5", "--data", str(npz_data),
                 "--limit", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert "semcom-sdr[sionna]" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("out,match", [("{tmp}/", "is a folder"), ("{tmp}/table.txt", "writes a .csv"),
                                       ("{tmp}/file/s.csv", "cannot create folder")])
def test_sweep_out_is_checked_before_any_work(out, match, tmp_path, capsys):
    from semcom.cli import main

    (tmp_path / "file").write_text("x")
    rc = main(["sweep", "--model", "cnn", "--link", "flat", "--snr", "10", "--data", "x",
               "--out", out.format(tmp=tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and match in err[0], err


def _flat_rows(npz_data, capsys, *extra):
    assert main(["sweep", "--model", "cnn", "--link", "flat", "--channel", "awgn", "--data", str(npz_data),
                 "--limit", "4", "--json", "--quiet", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_snr_mismatch_zero_is_the_plain_sweep(npz_data, capsys):
    plain = _flat_rows(npz_data, capsys, "--snr", "4,12")
    zero = _flat_rows(npz_data, capsys, "--snr", "4,12", "--snr-mismatch", "0")
    assert [r["psnr_db"] for r in zero] == [r["psnr_db"] for r in plain]
    assert all(r["mismatch_db"] == 0 for r in zero)


def test_snr_mismatch_tells_the_model_the_believed_snr(npz_data, capsys, monkeypatch):
    import semcom.sweep as sweep
    from semcom.zoo import load_model

    told = {"encode": [], "decode": []}

    def spy(name):
        model = load_model(name)
        enc, dec = model.encode, model.decode
        model.encode = lambda x, snr: told["encode"].append(float(torch_mean(snr))) or enc(x, snr)
        model.decode = lambda y, snr, size: told["decode"].append(float(torch_mean(snr))) or dec(y, snr, size)
        return model

    monkeypatch.setattr(sweep, "load_model", spy)
    rows = _flat_rows(npz_data, capsys, "--snr", "12", "--snr-mismatch", "0,6")
    assert [(r["snr_db"], r["mismatch_db"]) for r in rows] == [(12, 0), (12, 6)]
    assert told["encode"] == [12.0, 12.0] and told["decode"] == pytest.approx([12.0, 12.0])
    assert rows[1]["psnr_db"] < rows[0]["psnr_db"] - 0.5  # the channel delivered 6 dB


def torch_mean(t):
    import torch

    return torch.as_tensor(t, dtype=torch.float32).mean()


def test_snr_mismatch_rows_in_the_csv(npz_data, tmp_path, capsys):
    out = tmp_path / "s.csv"
    args = ["sweep", "--model", "cnn", "--link", "flat", "--snr", "10", "--data", str(npz_data), "--limit", "2",
            "--out", str(out), "--quiet"]
    assert main(args + ["--snr-mismatch", "0,4"]) == 0
    assert main(args + ["--snr-mismatch", "4"]) == 0  # resumed: nothing added
    with open(out) as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["mismatch_db"]) for r in rows] == [0.0, 4.0]
    old = tmp_path / "old.csv"  # a CSV from before the column: mismatch 0 rows only
    old.write_text("\n".join(out.read_text().replace(",mismatch_db", "").splitlines()[:1]) + "\n")
    assert main(args[:-3] + ["--out", str(old), "--quiet", "--snr-mismatch", "3"]) == 2
    assert "before --snr-mismatch" in capsys.readouterr().err
    assert main(args[:-3] + ["--out", str(tmp_path / "n.csv"), "--snr-mismatch", "-2"]) == 2
    assert "--snr-mismatch" in capsys.readouterr().err


def test_snr_mismatch_practical_mcs_is_the_believed_snrs(tmp_path, capsys):
    pytest.importorskip("sionna.phy")
    from phy.digital import nr_grid, practical_mcs

    folder = _photo_folder(tmp_path)
    def rows(snr, mismatch):
        assert main(["sweep", "--baseline", "digital", "--link", "flat", "--snr", snr, "--snr-mismatch", mismatch,
                     "--data", str(folder), "--json"]) == 0
        return {r["scheme"]: r for r in json.loads(capsys.readouterr().out)}

    cliff, plain = rows("16", "6"), rows("10", "0")
    assert cliff["best-ldpc-practical"]["mcs"] == practical_mcs(16.0, list(nr_grid())).name
    assert plain["best-ldpc-practical"]["mcs"] == practical_mcs(10.0, list(nr_grid())).name
    assert plain["best-ldpc-practical"]["mcs"] != cliff["best-ldpc-practical"]["mcs"]
    assert cliff["best-ldpc-practical"]["bler"] == 1.0  # an MCS for 16 dB does not decode at 10 dB
    for genie in ("best-ldpc", "best@capacity"):  # they know the channel: the rows of 10 dB
        assert cliff[genie]["psnr_db"] == plain[genie]["psnr_db"] and cliff[genie]["mcs"] == plain[genie]["mcs"]
    below = rows("0", "8")  # a channel at -8 dB, under every MCS's measured threshold: the most robust one fails
    assert below["best-ldpc"]["bler"] == 1.0 and below["best-ldpc-practical"]["bler"] == 1.0
    assert below["best@capacity"]["psnr_db"] > below["best-ldpc"]["psnr_db"]
