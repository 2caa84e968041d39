from semcom.cli import main


def test_demo_prints_table_and_writes_png(tmp_path, capsys):
    out = tmp_path / "demo.png"
    assert main(["demo", "--snr", "0,20", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "cnn" in text and "vit" in text and "20 dB" in text
    assert "flat AWGN" in text and "MIMO-OFDM" in text
    assert "coffee.jpg" in text and "cnn-bsds" in text  # the bundled photo, with the photo model
    assert out.stat().st_size > 10_000
    from PIL import Image

    with Image.open(out) as im:  # originals beside received images: 1 + 2 models x 2 SNRs columns, 4 + 1 rows
        assert im.width > 5 * 1.3 * 110 * 0.9 and im.height > 5 * 1.45 * 110 * 0.9


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


def test_bundled_photos_are_licensed_small_jpegs():
    from PIL import Image

    from semcom.photos import default_photo, photos_dir

    licence = (photos_dir() / "LICENSE.md").read_text()
    photos = sorted(photos_dir().glob("*.jpg"))
    assert default_photo() in photos and len(photos) >= 1
    for path in photos:
        assert path.stat().st_size < 300_000 and path.name in licence
        with Image.open(path) as im:
            assert im.format == "JPEG" and min(im.size) >= 256


def test_crop_is_unscaled_and_centred():
    import numpy as np

    from semcom.photos import crop

    image = np.arange(300 * 200 * 3, dtype=np.uint32).reshape(300, 200, 3)
    c = crop(image, 128)
    assert c.shape == (128, 128, 3) and np.array_equal(c, image[86:214, 36:164])
    assert crop(image[:50], 128).shape == (50, 128, 3)


def test_demo_sends_a_photo_with_the_photo_model(tmp_path, capsys):
    from PIL import Image

    from tests.conftest import smooth_images

    photo = tmp_path / "photo.png"
    Image.fromarray(smooth_images(1, 96, 160, seed=3)[0]).save(photo)
    results = {}
    from semcom import demo

    results = demo.run_demo(models=["cnn"], snrs_db=[0, 20], out=str(tmp_path / "d.png"), photo=photo)
    out = " ".join(capsys.readouterr().out.split())  # rich wraps titles
    assert "photo.png 160x96" in out and "cnn-bsds" in out
    table = results["photo photo.png"]
    assert list(table) == ["cnn-bsds"] and table["cnn-bsds"][20] > table["cnn-bsds"][0] > 15
    with Image.open(tmp_path / "d.png") as im:
        assert im.height > 5 * 1.45 * 110 * 0.9  # four tile rows and the photo row
    assert main(["demo", "--models", "cnn", "--snr", "10", "--photo", "none", "--out", str(tmp_path / "n.png")]) == 0
    assert "whole photo" not in " ".join(capsys.readouterr().out.split())
    assert main(["demo", "--models", "cnn", "--snr", "10", "--photo", str(tmp_path / "missing.jpg"),
                 "--out", str(tmp_path / "m.png")]) == 2
    err = capsys.readouterr().err
    assert "missing.jpg" in err and len(err.strip().splitlines()) == 1
