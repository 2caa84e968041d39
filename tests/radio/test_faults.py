"""Fault injection (radio.faults) on a radio's receive stream, and driver events."""

import numpy as np
import pytest

from radio.base import RadioError
from radio.config import RadioConfig
from radio.faults import KEEP_SAMPLES, EventLog, FaultConfig, FaultInjector
from radio.sim import SimRadio

FS = 1.92e6


def ramp_source():
    """A source whose sample k is k (complex), to see exactly what a fault did to the stream."""
    state = {"next": 0}

    def source(m):
        k = state["next"] + np.arange(m)
        state["next"] += m
        return (k + 0j)[None]
    return source


def injector(**kw):
    return FaultInjector(FaultConfig(seed=0, **kw), FS, 1)


def test_a_bad_profile_is_one_clear_error():
    with pytest.raises(ValueError, match=r"unknown setting\(s\) \['drop_rate'\]"):
        RadioConfig(faults={"drop_rate": 0.1})
    with pytest.raises(ValueError, match="drop_probability=1.5 outside 0..1"):
        RadioConfig(faults={"drop_probability": 1.5})
    with pytest.raises(ValueError, match="beyond ±200 ppm"):
        RadioConfig(faults={"sco_ppm": 500})
    with pytest.raises(ValueError, match="positive whole number"):
        RadioConfig(faults={"gap_samples": 0})


def test_off_by_default_and_an_empty_profile_changes_nothing():
    x = (0.5 * np.exp(2j * np.pi * np.arange(700) / 70)).astype(np.complex64)
    outs = []
    for faults in ({}, {"seed": 5}):
        with SimRadio(RadioConfig(driver="sim", options={"seed": 1}, faults=faults)) as r:
            assert r._faults is None
            r.tx(x, cyclic=True)
            outs.append(r.rx(3000))
    np.testing.assert_array_equal(outs[0], outs[1])


def test_drop_removes_samples_and_gap_inserts_zeros_where_logged():
    log = EventLog()
    y = injector(drop_probability=1.0, drop_samples=100).read(ramp_source(), 1000, 5000, log)[0]
    (event,) = log._recent
    at = event.start - 5000
    assert event.kind == "drop" and y.shape == (1000,)
    np.testing.assert_array_equal(y.real, np.r_[np.arange(at), np.arange(at + 100, 1100)])
    log = EventLog()
    y = injector(gap_probability=1.0, gap_samples=100).read(ramp_source(), 1000, 0, log)[0]
    (event,) = log._recent
    assert event.kind == "gap" and np.all(y[event.start:event.stop] == 0)
    np.testing.assert_array_equal(np.delete(y.real, np.s_[event.start:event.stop]), np.arange(1000 - event.stop
                                                                                              + event.start))


@pytest.mark.parametrize("kind,key", [("gain_step", "gain_step_probability"), ("iq_change", "iq_change_probability"),
                                      ("burst", "burst_probability")])
def test_every_event_is_logged_where_it_changed_the_stream(kind, key):
    clean = ramp_source()(4000)[0] * 1e-3 + 1
    log = EventLog()
    inj = injector(**{key: 1.0})
    y = inj.read(lambda m: clean[None, :m], 4000, 0, log)[0]
    (event,) = log._recent
    assert event.kind in ((kind,) if kind != "burst" else ("impulsive", "narrowband"))
    changed = np.flatnonzero(np.abs(y - clean) > 1e-9)
    assert changed.min() >= event.start and (kind != "burst" or changed.max() < event.stop)
    assert log.kinds_between(event.start, event.start + 1) == [event.kind]
    assert log.kinds_between(0, event.start) == []


def test_event_log_forgets_old_events_but_keeps_counting():
    log = EventLog()
    for i in range(5000):
        log.add("drop", i * 10_000)
    assert log.counts["drop"] == 5000
    assert len(log._recent) <= KEEP_SAMPLES // 10_000 + 2


def test_disconnect_after_t_seconds_of_samples():
    with SimRadio(RadioConfig(driver="sim", sample_rate_sps=FS, faults={"disconnect_after_s": 0.01})) as r:
        r.tx(np.full(100, 0.1, np.complex64), cyclic=True)
        r.rx(int(0.009 * FS))
        with pytest.raises(RadioError, match=r"disconnected after 0.01 s of samples \(injected fault\)"):
            r.rx(int(0.002 * FS))


def test_sco_stretches_the_stream_by_its_ppm():
    """A tone through a 100 ppm sampling-clock offset has its frequency scaled by 1 + 1e-4."""
    f, ramp = 0.05, ramp_source()
    inj, log = injector(sco_ppm=100.0), EventLog()
    y = np.concatenate([inj.read(lambda m: np.exp(2j * np.pi * f * ramp(m)), 5000, i * 5000, log)[0]
                        for i in range(4)])
    k = np.arange(20, len(y))  # past the stream's first samples (no history before them)
    assert np.max(np.abs(y[20:] - np.exp(2j * np.pi * f * (1 + 100e-6) * k))) < 1e-3
    assert not log.counts  # a continuous impairment, not an event


def test_usrp_overflow_is_an_event_not_an_exception():
    from radio.usrp import USRPRadio
    from tests.radio.fakes import FakeUHD

    uhd = FakeUHD(max_recv=700, overflow_calls={1})
    cfg = RadioConfig(driver="usrp", uri="serial=3215ABC", sample_rate_sps=FS, rx_gain_db=20.0)
    with USRPRadio(cfg, uhd_module=uhd) as r:
        r.tx(np.full(300, 0.5, np.complex64), cyclic=True)
        y = r.rx(2000)
        assert y.shape == (1, 2000) and r.events.counts["overflow"] == 1
        assert r.faults_between(0, 2000) == ["overflow"] and r.faults_between(701, 2000) == []
        r.rx(2000)
        assert r.events.counts["overflow"] == 1


def test_pluto_dma_status_bits_are_events_and_are_cleared():
    from radio.pluto import PlutoRadio
    from tests.radio.fakes import FakePluto

    fakes = []

    def factory(uri):
        fakes.append(FakePluto(uri))
        return fakes[-1]
    cfg = RadioConfig(driver="pluto", uri="ip:pluto.fake", sample_rate_sps=FS, rx_gain_db=30.0)
    with PlutoRadio(cfg, driver_factory=factory) as r:
        r.tx(np.full(1000, 0.5, np.complex64), cyclic=True)
        r.rx(1000)
        assert not r.events.counts
        fakes[0]._rxadc.regs[0x80000088] |= 0x4  # the DMA overflowed between reads
        fakes[0]._txdac.regs[0x80000088] |= 0x1  # and the DAC ran dry
        r.rx(1000)
        assert r.events.counts == {"overflow": 1, "underflow": 1}
        assert r.faults_between(1000, 1001) == ["overflow", "underflow"]
        assert fakes[0]._rxadc.regs[0x80000088] == 0 and fakes[0]._txdac.regs[0x80000088] == 0
        r.rx(1000)
        assert sum(r.events.counts.values()) == 2
