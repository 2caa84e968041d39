import numpy as np
import pytest

from semcom.data import DataError, iter_batches, load_images, sample_images_dir, to_tensor, to_uint8


def test_npz_splits(npz_data):
    tr, te = load_images(npz_data, "train"), load_images(npz_data, "test")
    assert tr.images.shape == (256, 32, 32, 3) and te.images.shape == (64, 32, 32, 3)
    assert te.subset(5).images.shape[0] == 5


def test_subset_offset_takes_a_chunk_and_rejects_bad_ranges(npz_data):
    te = load_images(npz_data, "test")
    chunk = te.subset(5, offset=60)
    np.testing.assert_array_equal(chunk.images, te.images[60:64])  # the last chunk is shorter
    assert chunk.names == te.names[60:64]
    np.testing.assert_array_equal(te.subset(None, offset=10).images, te.images[10:])
    with pytest.raises(DataError, match="--offset must lie in 0..63"):
        te.subset(5, offset=64)
    with pytest.raises(DataError, match="--limit must be >= 1"):
        te.subset(0)


def test_cifar_batches_folder_matches_pixels(cifar_batches):
    from tests.conftest import smooth_images

    tr = load_images(cifar_batches, "train")
    te = load_images(cifar_batches, "test")
    assert tr.images.shape == (50, 32, 32, 3) and te.images.shape == (10, 32, 32, 3)
    np.testing.assert_array_equal(te.images, smooth_images(10, seed=15))  # CHW rows decoded to HWC
    np.testing.assert_array_equal(load_images(cifar_batches.parent, "test").images, te.images)


def test_image_folder_mixed_sizes(image_folder):
    s = load_images(image_folder)
    assert not s.uniform and len(s) == 3
    assert s.names == ["a.png", "b.jpg", "sub/c.png"]
    assert [im.shape for im in s.images] == [(32, 32, 3), (40, 56, 3), (64, 64, 3)]
    assert [len(b) for _, b in iter_batches(s, 10)] == [1, 1, 1]


def test_env_variable_is_used(npz_data, monkeypatch):
    monkeypatch.setenv("SEMCOM_DATA", str(npz_data))
    assert len(load_images(None)) == 64


def test_bundled_samples_load():
    s = load_images(sample_images_dir())
    assert s.uniform and len(s) >= 4 and s.images.shape[1:] == (32, 32, 3)


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def _mkdir(path):
    path.mkdir()
    return path


@pytest.mark.parametrize("make,match", [
    (lambda p: p / "missing", "does not exist"),
    (lambda p: _mkdir(p / "empty"), "no images"),
    (lambda p: _write(p / "bad.npz", b"garbage"), "cannot read"),
    (lambda p: _write(p / "bad.png", b"garbage"), "cannot read image"),
])
def test_bad_paths_name_the_problem(tmp_path, make, match):
    with pytest.raises(DataError, match=match):
        load_images(make(tmp_path))


def test_missing_path_without_env(monkeypatch):
    monkeypatch.delenv("SEMCOM_DATA", raising=False)
    with pytest.raises(DataError, match="SEMCOM_DATA"):
        load_images(None)


def test_npz_without_split(tmp_path):
    p = tmp_path / "x.npz"
    np.savez(p, images=np.zeros((2, 32, 32, 3), np.uint8))
    with pytest.raises(DataError, match="x_test"):
        load_images(p)


def test_tensor_round_trip():
    a = np.random.default_rng(0).integers(0, 256, (2, 8, 6, 3), dtype=np.uint8)
    t = to_tensor(a)
    assert t.shape == (2, 3, 8, 6) and float(t.max()) <= 1.0
    np.testing.assert_array_equal(to_uint8(t), a)
    with pytest.raises(DataError):
        to_tensor(a.astype(np.float32))
