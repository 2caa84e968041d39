import numpy as np
import pytest
import torch

from phy.channels import AWGNChannel
from semcom.baseline import (FRAME_OVERHEAD_BYTES, DigitalBaseline, codec_at_capacity, pack_frame, parse_scheme,
                             raw_256qam, split_scheme, unpack_frame)
from semcom.codecs import CodecError, available_codecs, fallback_image, make_codec, psnr_u8
from semcom.data import load_images, sample_images_dir, to_tensor
from semcom.metrics import psnr

IMAGES = load_images(sample_images_dir()).images[:4]
CODECS = available_codecs()


@pytest.mark.parametrize("name", CODECS)
def test_codec_round_trip_without_headers(name):
    codec = make_codec(name)
    for variant in codec.variants:
        s = codec.setting(75, variant)
        payload = codec.encode(IMAGES[0], s)
        out = codec.decode(payload, 32, 32, s)
        assert out.shape == (32, 32, 3)
        assert float(psnr(to_tensor(out), to_tensor(IMAGES[0]))) > 25
    rng = np.random.default_rng(0)
    for _ in range(20):  # garbage never crashes: an image (libjpeg fills gaps) or a CodecError
        try:
            assert codec.decode(rng.bytes(int(rng.integers(0, 64))), 32, 32, codec.setting(75)).shape == (32, 32, 3)
        except CodecError:
            pass


@pytest.mark.parametrize("name", CODECS)
def test_codec_rate_distortion_is_monotone_in_quality(name):
    codec = make_codec(name)
    image = np.asarray(IMAGES[1])
    sizes, quality = [], []
    for q in (10, 30, 50, 70, 90):
        payload = codec.encode(image, codec.setting(q))
        sizes.append(len(payload))
        quality.append(psnr_u8(codec.decode(payload, 32, 32, codec.setting(q)), image))
    assert sizes == sorted(sizes) and quality == sorted(quality), (sizes, quality)


def test_fit_picks_the_highest_quality_within_budget():
    codec = make_codec("jpeg")
    setting, payload = codec.fit(IMAGES[1], 150)
    assert len(payload) <= 150
    q = setting % 128
    assert q == 100 or len(codec.encode(IMAGES[1], setting + 1)) > 150
    assert codec.fit(IMAGES[1], 5) is None


def test_encodes_are_cached_per_image_and_quality(monkeypatch):
    from semcom.codecs import JPEG

    codec, calls = JPEG(), []
    real = codec.encode
    monkeypatch.setattr(codec, "encode", lambda image, s: calls.append(s) or real(image, s))
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    first = codec.fit(image, 400)
    searched = len(calls)
    assert searched > 1 and codec.fit(image, 400) == first and len(calls) == searched  # no new encode
    codec.fit(image, 390)  # a nearby budget reuses most of the search
    assert len(calls) - searched < searched


def test_frame_round_trip_and_bad_length():
    bits = pack_frame(42, b"hello world", 200)
    assert len(bits) == 200
    assert unpack_frame(bits) == (42, b"hello world")
    bits[:24] = 1  # length field beyond the frame
    with pytest.raises(CodecError):
        unpack_frame(bits)
    with pytest.raises(ValueError):
        pack_frame(1, b"x" * 100, 64)


def test_scheme_names_old_and_new():
    assert parse_scheme("jpeg+ldpc1/2-16qam") == ("jpeg", "1/2", "16qam")
    assert split_scheme("jpeg+ldpc1/2-16qam") == ("jpeg", "ldpc1/2-16qam")
    assert split_scheme("heic+nr256-mcs27") == ("heic", "nr256-mcs27")
    assert split_scheme("heic@capacity") == ("heic", None)
    for bad in ("gif+ldpc1/2-16qam", "jpeg+nr64-mcs40", "jpeg+ldpc1/7-qpsk"):
        with pytest.raises(ValueError):
            parse_scheme(bad)


@pytest.mark.parametrize("codec", CODECS)
def test_baseline_clean_at_high_snr_and_fails_at_low_snr(codec):
    pytest.importorskip("sionna.phy")
    torch.manual_seed(0)
    base = DigitalBaseline(codec, num_symbols=512, modulation="16qam", code_rate="1/2")
    assert base.max_payload == base.phy.k // 8 - FRAME_OVERHEAD_BYTES and base.phy.k > 900
    good = base.transmit(IMAGES, 15.0, AWGNChannel())
    assert good.failures == 0 and good.bit_errors == 0
    assert float(psnr(to_tensor(good.images), to_tensor(IMAGES)).mean()) > 18
    bad = base.transmit(IMAGES, -5.0, AWGNChannel())
    assert bad.failures == 4
    assert np.array_equal(bad.images[0], fallback_image(32, 32))


@pytest.mark.slow
def test_baseline_sends_a_photo_sized_image():
    """A 256x192 image at 1/6 is a TB of several code blocks (once: 'takes 12..8448 per codeword')."""
    pytest.importorskip("sionna.phy")
    rng = np.random.default_rng(0)
    image = np.kron(rng.integers(0, 256, (1, 32, 24, 3)), np.ones((1, 8, 8, 1))).astype(np.uint8)
    base = DigitalBaseline("jpeg", num_symbols=256 * 192 * 3 // 6, mcs="nr64-mcs10")
    assert base.phy.encoder.num_cbs > 1
    res = base.transmit(image, 20.0, AWGNChannel())
    assert res.failures == 0 and float(psnr(to_tensor(res.images), to_tensor(image))) > 20


def test_capacity_bound_grows_with_snr():
    lo = codec_at_capacity("jpeg", IMAGES, 512, 0.0)
    hi = codec_at_capacity("jpeg", IMAGES, 512, 20.0)
    p_lo = float(psnr(to_tensor(lo.images), to_tensor(IMAGES)).mean())
    p_hi = float(psnr(to_tensor(hi.images), to_tensor(IMAGES)).mean())
    assert p_hi > p_lo + 5


def test_raw_256qam_is_exact_at_high_snr():
    pytest.importorskip("sionna.phy")
    res = raw_256qam(IMAGES, 45.0, AWGNChannel())
    assert res.bit_errors == 0 and np.array_equal(res.images, IMAGES)
    noisy = raw_256qam(IMAGES, 10.0, AWGNChannel())
    assert noisy.bit_errors > 0


def test_practical_mcs_is_one_the_chain_can_build_at_the_images_size():
    pytest.importorskip("sionna.phy")
    from phy.digital import measured_thresholds, practical_mcs
    from semcom.digital import DigitalSearch

    search = DigitalSearch(1 / 6, ["jpeg"], mcs=["nr64-mcs3", "nr64-mcs4", "nr64-mcs5"])
    at = measured_thresholds()["nr64-mcs4"] + 0.01  # where the thresholds alone pick nr64-mcs4
    assert practical_mcs(at, search.grid).name == "nr64-mcs4"
    photo = 481 * 321 * 3 // 6  # a BSDS500 photo: TBs large enough for LDPC base graph 1 (rate >= 1/3)
    assert search.practical(at, photo).name == "nr64-mcs3"  # nr64-mcs4's rate 0.30 would need repetition
    assert search.chain(photo, search.grid[1]) is None
    assert search.practical(at, 1024).name == "nr64-mcs4"  # a CIFAR image's short TB takes it


def test_heic_turns_off_the_psy_settings_libheif_turns_on():
    """libheif's x265 plugin sets psy-rd, psy-rdoq and AQ after tune=psnr; the HEIC codec's x265: parameters turn
    them off again, which must give a higher PSNR at the same byte budget than tune=psnr alone."""
    pytest.importorskip("pillow_heif")
    from semcom.codecs import HEIC444, _pil_bytes
    from semcom.mosaic import tile_mosaics
    from tests.conftest import smooth_images

    class TunePsnrOnly(HEIC444):
        def _file(self, image, quality, variant):
            return _pil_bytes(image, "HEIF", quality=quality, chroma=444,
                              enc_params={"preset": "slower", "tune": "psnr"})

    mosaic = tile_mosaics(smooth_images(16, seed=3), (4, 4))[0][0].astype(float)
    mosaic = np.clip(mosaic + np.random.default_rng(0).normal(0, 12, mosaic.shape), 0, 255).astype(np.uint8)
    for budget in (3000, 8000):
        assert HEIC444().fit_psnr(mosaic, budget)[2] > TunePsnrOnly().fit_psnr(mosaic, budget)[2] + 0.1


@pytest.mark.slow
def test_mcs_skipping_keeps_the_genies_best(monkeypatch):
    """The MCS the thresholds skip (and the search's descent/ascent) never hide the MCS a search over the
    whole grid finds best."""
    pytest.importorskip("sionna.phy")
    import semcom.digital as digital

    images = [np.asarray(im) for im in IMAGES[:2]]
    grid = ["nr64-mcs5", "nr64-mcs7", "nr64-mcs9", "nr64-mcs11", "nr64-mcs13", "nr64-mcs15", "nr64-mcs17",
            "nr64-mcs19", "nr64-mcs21"]
    for snr in (4.0, 9.0):
        fast = digital.DigitalSearch(1 / 6, ["jpeg"], mcs=grid).run(images, snr, AWGNChannel(), seed=3)
        with monkeypatch.context() as m:
            m.setattr(digital, "worth_trying", lambda candidates, snr_db: list(candidates))
            full = digital.DigitalSearch(1 / 6, ["jpeg"], mcs=grid).run(images, snr, AWGNChannel(), seed=3)
        assert fast["best-ldpc"]["psnr_db"] == full["best-ldpc"]["psnr_db"]
        assert fast["best-ldpc"]["mcs"] == full["best-ldpc"]["mcs"]
        assert fast["best-ldpc-practical"]["mcs"] == full["best-ldpc-practical"]["mcs"]


def test_codec_searches_on_threads_give_the_serial_rows():
    """The quality searches run on ``workers`` threads sharing each codec's cache: the same rows as one thread."""
    pytest.importorskip("sionna.phy")
    from semcom.codecs import make_codec
    from semcom.digital import DigitalSearch

    images = [np.asarray(im) for im in IMAGES[:6]]
    rows = []
    for workers in (1, 4):
        for name in ("jpeg", "webp"):
            make_codec(name)._encodes.clear(), make_codec(name)._sizes.clear()  # each run searches afresh
        out = DigitalSearch(1 / 6, ["jpeg", "webp"], mcs=["nr64-mcs9", "nr64-mcs11"], workers=workers).run(
            images, 8.0, AWGNChannel(), seed=1)
        rows.append({k: (v["psnr_db"], v["bler"], v["mcs"]) for k, v in out.items()})
    assert rows[0] == rows[1]
