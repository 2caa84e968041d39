"""Fakes at the driver call boundary, named as such. They reproduce the drivers'
documented behaviour that our backends rely on, and nothing more.

FakePluto stands in for ``adi.Pluto`` (pyadi-iio): settable attributes with the
device's ranges (out-of-range writes raise OSError(22) as libiio does), ``tx``
casting to int16 (values past int16 wrap, as numpy's cast in pyadi-iio does) and
refusing a second push while a cyclic buffer exists, ``rx`` returning
``rx_buffer_size`` complex samples in 12-bit ADC units, and its DMA cores ``_rxadc`` /
``_txdac`` with the ADI status register (overflow / underflow bits). The RF side is a cable:
what is transmitted comes back attenuated, offset in frequency and with noise.
"""

from __future__ import annotations

import numpy as np

MODES = ("manual", "slow_attack", "fast_attack", "hybrid")


class FakeIIOContext:
    """libiio's ``iio.Context``, as far as the Pluto backend uses it."""

    def __init__(self):
        self.timeout_ms = 0  # libiio's default: wait forever

    def set_timeout(self, timeout):
        if not isinstance(timeout, int) or timeout < 0:
            raise OSError(22, "Invalid argument")
        self.timeout_ms = timeout


class FakeIIODevice:
    """A libiio ``iio.Device`` as far as register access goes: the ADI DMA status register
    (0x80000088), whose bits are cleared by writing 1s to them."""

    STATUS = 0x80000088

    def __init__(self):
        self.regs = {self.STATUS: 0}

    def reg_read(self, reg):
        return self.regs.get(reg, 0)

    def reg_write(self, reg, value):
        self.regs[reg] = self.regs.get(reg, 0) & ~value if reg == self.STATUS else value


class FakePluto:
    def __init__(self, uri: str, loopback_gain: float = 0.5, cfo_hz: float = 1500.0, noise_adc: float = 2.0,
                 seed: int = 0):
        if not uri.startswith(("ip:", "usb:")):
            raise OSError(2, f"No such file or directory: cannot create context for {uri}")
        self.uri = uri
        self._attrs = {"sample_rate": 30720000, "rx_lo": 2400000000, "tx_lo": 2450000000,
                       "rx_rf_bandwidth": 18000000, "tx_rf_bandwidth": 18000000, "rx_buffer_size": 1024,
                       "tx_cyclic_buffer": False, "rx_enabled_channels": [0], "tx_enabled_channels": [0]}
        self._txbuf = None
        self._pos = 0
        self.connected = True
        self.gain, self.cfo_hz, self.noise = loopback_gain, cfo_hz, noise_adc
        self.rng = np.random.default_rng(seed)
        self.writes: list[tuple[str, object]] = []
        self._ctx = FakeIIOContext()
        self._rxadc, self._txdac = FakeIIODevice(), FakeIIODevice()  # pyadi-iio's DMA cores

    @property
    def ctx(self):
        """pyadi-iio's ``context_manager.ctx``: the libiio context."""
        return self._ctx

    # -- attributes, with the AD9363/AD9361 ranges --------------------------------------
    def __setattr__(self, name, value):
        if name.startswith("_") or name in ("uri", "connected", "gain", "cfo_hz", "noise", "rng", "writes"):
            return object.__setattr__(self, name, value)
        self._check(name, value)
        self._attrs[name] = value
        self.writes.append((name, value))

    def __getattr__(self, name):
        attrs = object.__getattribute__(self, "_attrs")
        if name in attrs:
            return attrs[name]
        raise AttributeError(name)

    @staticmethod
    def _check(name, value):
        bad = False
        if name == "sample_rate":
            bad = not 521e3 <= value <= 61.44e6
        elif name in ("rx_lo", "tx_lo"):
            bad = not 70e6 <= value <= 6e9
        elif name.startswith("tx_hardwaregain_chan"):
            bad = not -89.75 <= value <= 0
        elif name.startswith("rx_hardwaregain_chan"):
            bad = not -3 <= value <= 73
        elif name.startswith("gain_control_mode_chan"):
            bad = value not in MODES
        if bad:
            raise OSError(22, f"Invalid argument: {name}={value}")

    # -- buffers ------------------------------------------------------------------------
    def tx(self, data):
        if self._txbuf is not None and self._attrs["tx_cyclic_buffer"]:
            raise Exception("TX buffer has been submitted in cyclic mode. "
                            "To push more data the tx buffer must be destroyed first.")
        x = np.asarray(data)
        i = np.real(x).astype(int).astype(np.int16)  # pyadi-iio: astype(int) into an int16 array
        q = np.imag(x).astype(int).astype(np.int16)
        self._txbuf = i + 1j * q.astype(float)
        self._pos = 0

    def tx_destroy_buffer(self):
        self._txbuf = None

    def rx_destroy_buffer(self):
        pass

    def rx(self):
        if not self.connected:
            raise OSError(19, "No such device")
        n = int(self._attrs["rx_buffer_size"])
        if self._txbuf is None:
            base = np.zeros(n, complex)
        else:
            idx = (self._pos + np.arange(n)) % len(self._txbuf)
            base = self._txbuf[idx] if self._attrs["tx_cyclic_buffer"] else np.where(
                self._pos + np.arange(n) < len(self._txbuf), self._txbuf[np.minimum(idx, len(self._txbuf) - 1)], 0)
        k = self._pos + np.arange(n)
        rate = float(self._attrs["sample_rate"])
        y = base / 2 ** 14 * 2 ** 11 * self.gain * np.exp(2j * np.pi * self.cfo_hz * k / rate)
        y = y + self.noise * (self.rng.standard_normal(n) + 1j * self.rng.standard_normal(n))
        self._pos += n
        y = np.clip(np.round(y.real), -2048, 2047) + 1j * np.clip(np.round(y.imag), -2048, 2047)
        return y if len(self._attrs["rx_enabled_channels"]) == 1 else [y] * len(self._attrs["rx_enabled_channels"])


class FakeUHD:
    """A stand-in for the ``uhd`` package at the ``uhd.usrp.MultiUSRP`` boundary.

    Reproduces what USRPRadio relies on: MultiUSRP(args) fails without device
    arguments it can match (here: ``serial=``/``addr=``/``type=``), setters with
    per-channel arguments, fc32 streamers whose ``send`` blocks for the burst's
    air time and whose ``recv`` fills at most ``max_recv`` samples per call
    after a ``num_done`` stream command and reports timeout/overflow through
    ``RXMetadata.error_code`` (``overflow_calls``: recv calls that report an overflow, losing 1000
    samples; modelled as ending the ``num_done`` command, our backend asks again either way).
    The RF side is a cable, as in FakePluto.
    """

    def __init__(self, gain=0.5, noise=0.002, max_recv=2000, fail=None, overflow_calls=()):
        self.air = None  # last burst on the cable, [tx, n]
        self.gain, self.noise, self.max_recv, self.fail = gain, noise, max_recv, fail
        self.overflow_calls = set(overflow_calls)  # recv calls (0, 1, ...) that report one overflow
        self.recv_calls = 0
        self.calls: list[tuple] = []
        fake = self

        class TimeSpec(float):
            def __add__(self, other):
                return TimeSpec(float(self) + float(other))

        class TuneRequest:
            def __init__(self, freq):
                self.target_freq = freq

        class StreamMode:
            num_done, start_cont, stop_cont = "num_done", "start_cont", "stop_cont"

        class StreamCMD:
            def __init__(self, mode):
                self.mode, self.num_samps, self.stream_now, self.time_spec = mode, 0, True, TimeSpec(0)

        class RXMetadataErrorCode:
            none, timeout, overflow, late = "none", "timeout", "overflow", "late"

        class RXMetadata:
            error_code = "none"

        class TXMetadata:
            start_of_burst = end_of_burst = has_time_spec = False

        class StreamArgs:
            def __init__(self, cpu, otw):
                assert (cpu, otw) == ("fc32", "sc16")
                self.channels = [0]

        class RxStreamer:
            def __init__(self, channels):
                self.channels, self.pending, self.pos = channels, 0, 0

            def issue_stream_cmd(self, cmd):
                assert cmd.mode == "num_done" and not cmd.stream_now
                self.pending = cmd.num_samps

            def recv(self, buf, md, timeout):
                call, fake.recv_calls = fake.recv_calls, fake.recv_calls + 1
                if fake.fail in ("timeout", "overflow"):
                    md.error_code = fake.fail
                    return 0
                if call in fake.overflow_calls:  # UHD: samples lost, the num_done command ends
                    md.error_code, self.pending = "overflow", 0
                    self.pos += 1000
                    return 0
                k = min(self.pending, buf.shape[1], fake.max_recv)
                import time

                deadline = time.monotonic() + min(timeout, 0.2)
                while fake.air is None and time.monotonic() < deadline:  # the timed command starts later,
                    time.sleep(0.001)  # by when a cyclic TX thread is on the air
                if fake.air is None:
                    y = np.zeros((len(self.channels), k), complex)
                else:
                    idx = (self.pos + np.arange(k)) % fake.air.shape[1]
                    y = np.repeat(fake.air[:1, idx], len(self.channels), 0) * fake.gain
                rng = np.random.default_rng(self.pos)
                y = y + fake.noise * (rng.standard_normal(y.shape) + 1j * rng.standard_normal(y.shape))
                buf[:, :k] = y
                self.pos += k
                self.pending -= k
                md.error_code = "none"
                return k

        class TxStreamer:
            def send(self, samples, md, timeout):
                assert samples.dtype == np.complex64
                if samples.shape[1] > 1:
                    fake.air = samples.copy()
                import time

                time.sleep(samples.shape[1] / 1.92e6)  # a send blocks for the burst's air time
                return samples.shape[1]

        class MultiUSRP:
            def __init__(self, args=""):
                if not any(k in args for k in ("serial=", "addr=", "type=")):
                    raise RuntimeError("LookupError: KeyError: No devices found for ----->\nEmpty Device Address")
                self.t = 0.0

            def __getattr__(self, name):
                if name.startswith("set_"):
                    return lambda *a: fake.calls.append((name,) + a)
                raise AttributeError(name)

            def get_time_now(self):
                return TimeSpec(self.t)

            def get_rx_stream(self, args):
                return RxStreamer(args.channels)

            def get_tx_stream(self, args):
                return TxStreamer()

        class SubdevSpec(str):
            pass

        self.usrp = type("usrp", (), {"MultiUSRP": MultiUSRP, "StreamArgs": StreamArgs, "SubdevSpec": SubdevSpec})
        self.types = type("types", (), {"TimeSpec": TimeSpec, "TuneRequest": TuneRequest, "StreamCMD": StreamCMD,
                                        "StreamMode": StreamMode, "RXMetadata": RXMetadata,
                                        "RXMetadataErrorCode": RXMetadataErrorCode, "TXMetadata": TXMetadata})


def construct_without_network(python: str, module: str, cls: str, driver: str, uri: str) -> str:
    """Construct the real backend ``radio.<module>.<cls>`` for ``uri`` in ``python``, inside a network
    namespace with no network (``unshare -n``): nothing can be contacted. Skips the test where
    ``unshare -n`` is not permitted. :returns: stdout (``RadioError <message>`` when it refused) + stderr."""
    import subprocess

    import pytest

    code = (f"import sys; sys.path.insert(0, '.')\nfrom radio.config import RadioConfig\n"
            f"from radio.{module} import {cls}\nfrom radio.base import RadioError\n"
            f"try:\n    {cls}(RadioConfig(driver={driver!r}, uri={uri!r}))\nexcept RadioError as e:\n"
            f"    print('RadioError', e)\n")
    proc = subprocess.run(["unshare", "-n", python, "-c", code], capture_output=True, text=True, timeout=120)
    if "Operation not permitted" in proc.stderr:
        pytest.skip("unshare -n not permitted here")
    return proc.stdout + proc.stderr
