from semcom.cli import main


def test_demo_prints_table_and_writes_png(tmp_path, capsys):
    out = tmp_path / "demo.png"
    assert main(["demo", "--snr", "0,20", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "cnn" in text and "vit" in text and "20 dB" in text
    assert "flat AWGN" in text and "MIMO-OFDM" in text
    assert out.stat().st_size > 10_000
    from PIL import Image

    with Image.open(out) as im:
        assert im.width > im.height  # originals beside received images


def test_demo_on_a_user_folder_with_one_model(tmp_path, capsys):
    from tests.conftest import smooth_images
    from PIL import Image

    folder = tmp_path / "imgs"
    folder.mkdir()
    for i, im in enumerate(smooth_images(2, 64, 64)):
        Image.fromarray(im).save(folder / f"{i}.png")
    assert main(["demo", "--models", "cnn", "--snr", "10", "--data", str(folder), "--out", str(tmp_path / "d.png")]) == 0
    assert "cnn" in capsys.readouterr().out


def test_demo_out_folder_and_bare_name_say_where_they_wrote(tmp_path, capsys):
    folder = tmp_path / "figs"
    folder.mkdir()
    assert main(["demo", "--models", "cnn", "--snr", "10", "--out", str(folder) + "/"]) == 0
    assert (folder / "semcom_demo.png").stat().st_size > 1000
    assert f"wrote {folder / 'semcom_demo.png'}" in capsys.readouterr().out
    assert main(["demo", "--models", "cnn", "--snr", "10", "--out", str(tmp_path / "noext")]) == 0
    assert (tmp_path / "noext.png").is_file() and not (tmp_path / "noext").exists()
    assert f"wrote {tmp_path / 'noext.png'}" in capsys.readouterr().out


def test_demo_refuses_bad_out_and_empty_models_before_any_work(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "table.txt")]) == 2
    assert "writes an image" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["demo", "--out", str(tmp_path / "file" / "d.png")]) == 2
    assert "cannot create folder" in capsys.readouterr().err
    try:
        main(["demo", "--models", ""])
    except SystemExit as exc:
        assert exc.code == 2


def test_demo_sends_a_single_image_file_and_mixed_sizes(tmp_path, capsys):
    from tests.conftest import smooth_images
    from PIL import Image

    one = tmp_path / "one.png"
    Image.fromarray(smooth_images(1, 48, 40)[0]).save(one)
    assert main(["demo", "--models", "cnn", "--snr", "10", "--data", str(one), "--out", str(tmp_path / "a.png")]) == 0
    folder = tmp_path / "mixed"
    folder.mkdir()
    Image.fromarray(smooth_images(1, 32, 48)[0]).save(folder / "land.png")
    Image.fromarray(smooth_images(1, 48, 32)[0]).save(folder / "port.png")
    assert main(["demo", "--models", "vit", "--snr", "10", "--data", str(folder), "--out", str(tmp_path / "b.png")]) == 0
    assert "over 2 images" in capsys.readouterr().out


def test_demo_uses_the_link_trained_models_on_the_ofdm_link(tmp_path, capsys):
    assert main(["demo", "--models", "vit", "--snr", "10", "--out", str(tmp_path / "d.png")]) == 0
    out = capsys.readouterr().out
    assert "vit-tdla-bf" in out and "SVD beamforming" in out
