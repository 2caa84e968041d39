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
