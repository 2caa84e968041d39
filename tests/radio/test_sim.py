import numpy as np
import pytest

from radio.base import RadioError
from radio.config import RadioConfig
from radio.sim import SimRadio


def sim(**options):
    opts = {"snr_db": 60.0, "adc_bits": 16, "seed": 1, **options}
    return SimRadio(RadioConfig(driver="sim", rx_gain_db=0.0, options=opts))


def tone(n=1024, cycles=8):
    return (0.5 * np.exp(2j * np.pi * cycles * np.arange(n) / n)).astype(np.complex64)


def test_cyclic_buffer_repeats_from_an_unknown_start():
    x = (0.5 * np.exp(2j * np.pi * np.random.default_rng(0).random(500))).astype(np.complex64)
    with sim() as r:
        r.tx(x, cyclic=True)
        y = r.rx(1500)[0]
    start = int(np.argmax(np.abs(np.correlate(np.tile(x, 3), y[:500]))))  # where the capture begins
    np.testing.assert_allclose(y[:1000], np.tile(x, 3)[start:start + 1000], atol=2e-3)
    np.testing.assert_allclose(y[500:1000], y[:500], atol=2e-3)  # period = buffer length


def test_consecutive_reads_are_one_continuous_stream():
    with sim(seed=3) as r:
        r.tx(tone(), cyclic=True)
        a, b = r.rx(300)[0], r.rx(300)[0]
    ab = np.concatenate([a, b])
    np.testing.assert_allclose(ab[1:] / ab[:-1], np.full(599, ab[1] / ab[0]), atol=1e-2)  # steady phasor


def test_cfo_appears_as_a_frequency_shift():
    fs, fc, ppm = 1.92e6, 2.4e9, 10.0
    r = SimRadio(RadioConfig(driver="sim", center_frequency_hz=fc, sample_rate_sps=fs, rx_gain_db=0.0,
                             options={"cfo_ppm": ppm, "snr_db": 60, "adc_bits": 16, "seed": 0}))
    r.tx(np.full(256, 0.5, np.complex64), cyclic=True)
    y = r.rx(4096)[0]
    measured = np.angle(np.sum(y[1:] * np.conj(y[:-1]))) * fs / (2 * np.pi)
    assert measured == pytest.approx(ppm * 1e-6 * fc, rel=1e-3)


def test_snr_option_sets_the_noise_power():
    r = sim(snr_db=10.0)
    r.tx(np.full(64, 0.1, np.complex64), cyclic=True)  # power 0.01 -> noise power 0.001
    y = r.rx(100000)[0]
    noise = y - 0.1
    assert float(np.mean(np.abs(noise) ** 2)) == pytest.approx(0.001, rel=0.05)


def test_adc_clips_and_quantises():
    r = sim(adc_bits=4, adc_full_scale=0.25)
    r.tx(np.full(64, 0.9, np.complex64), cyclic=True)
    y = r.rx(64)[0]
    assert np.all(np.abs(y.real) <= 0.25) and len(np.unique(np.round(y.real / (0.25 / 8)))) <= 16


def test_one_shot_buffer_is_followed_by_noise_only():
    with sim(snr_db=40.0) as r:
        r.tx(np.full(200, 0.5, np.complex64), cyclic=False)
        y = r.rx(2000)[0]
    loud = np.abs(y) > 0.25
    assert 150 < loud.sum() <= 200 and not loud[-1000:].any()


def test_iq_imbalance_and_dc_offset():
    r = sim(iq_gain_imbalance_db=1.0, dc_offset=0.05)
    r.tx(tone(), cyclic=True)
    y = r.rx(4096)[0]
    assert abs(np.mean(y) - 0.05) < 5e-3
    image = np.abs(np.fft.fft(y - np.mean(y)))  # an image tone appears at the mirrored frequency
    k = int(np.argmax(image))
    assert image[(-k) % len(y)] > 0.01 * image[k]


@pytest.mark.parametrize("bad,match", [(np.full(10, 2.0 + 0j), "full scale"), (np.array([np.nan + 0j]), "NaN"),
                                       (np.ones(10), "complex"), (np.zeros((2, 10), np.complex64), r"\[1, samples\]"),
                                       (np.zeros(0, np.complex64), "empty")])
def test_bad_tx_buffers(bad, match):
    with pytest.raises(ValueError, match=match):
        sim().tx(bad)


def test_lifecycle_errors():
    r = SimRadio()
    with pytest.raises(RadioError, match="not configured"):
        r.rx(10)
    r.configure(RadioConfig(driver="sim"))
    r.close()
    with pytest.raises(RadioError, match="closed"):
        r.rx(10)
    with pytest.raises(ValueError, match="unknown option"):
        SimRadio(RadioConfig(driver="sim", options={"snr": 3}))


def test_mimo_and_multipath():
    r = SimRadio(RadioConfig(driver="sim", tx_channels=(0, 1), rx_channels=(0, 1), rx_gain_db=0.0,
                             options={"channel": "multipath", "seed": 2, "snr_db": 50}))
    r.tx(np.stack([tone(), tone(cycles=16)]), cyclic=True)
    assert r.rx(512).shape == (2, 512)


@pytest.mark.parametrize("channel", ["multipath", "tdl-a"])
def test_same_seed_same_channel_realisations_and_samples(channel):
    """A live run is repeatable: the channel's taps (Sionna's TDL too) follow the radio's seed."""
    if channel.startswith("tdl"):
        pytest.importorskip("sionna")

    def run(seed):
        with sim(seed=seed, channel=channel, snr_db=30.0) as r:
            reads = []
            for cycles in (8, 16):  # every tx draws a new realisation
                r.tx(tone(cycles=cycles), cyclic=True)
                reads.append(r.rx(600))
        return np.concatenate(reads, -1)

    a, b, c = run(5), run(5), run(6)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0.1
