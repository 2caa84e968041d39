"""The digital baseline's channel part: 5G NR transport-block coding and Gray QAM (Sionna).

bits [B, tb_size] -> TB CRC, code-block segmentation with per-block CRC, LDPC
(base-graph selection), rate matching, scrambling (TS 38.212, Sionna's
``TBEncoder``) -> QAM -> symbols [B, num_symbols] (unit power); back from
equalised symbols and their per-symbol noise variance through an APP demapper
and ``TBDecoder`` (belief propagation), which also returns the TB CRC status.
Any payload size works: a photo's TB is segmented into as many code blocks as
it needs.

The link-adaptation grid is the 5G NR MCS tables (TS 38.214 5.1.3.1, PDSCH
table 1 "64QAM" and table 2 "256QAM", from Sionna's ``decode_mcs_index``), plus
the earlier fixed-rate names (``ldpc1/2-16qam``) and the BPSK (PAM) schemes of
the published BPG + LDPC baseline. Each scheme's AWGN requirement for a block
error rate of at most 10 % is measured by ``scripts/measure_mcs_thresholds.py``
and shipped in ``phy/data/mcs_thresholds_awgn.csv``.

Sionna is imported on construction only; without it a :class:`MissingExtraError`
names the extra to install.
"""

from __future__ import annotations

import csv
import math
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from .extras import require

CODE_RATES = {"1/3": 1 / 3, "1/2": 1 / 2, "2/3": 2 / 3, "3/4": 3 / 4, "5/6": 5 / 6}
MODULATIONS = {"bpsk": 1, "qpsk": 2, "16qam": 4, "64qam": 6, "256qam": 8}
NR_TABLES = {"nr64": 1, "nr256": 2}  # our prefix -> TS 38.214 PDSCH MCS table index
LEGACY_MCS = ("ldpc1/3-qpsk", "ldpc1/2-qpsk", "ldpc3/4-qpsk", "ldpc1/2-16qam", "ldpc3/4-16qam", "ldpc2/3-64qam",
              "ldpc5/6-64qam", "ldpc3/4-256qam", "ldpc5/6-256qam")
# The published CIFAR-10 BPG + LDPC baseline (SemViT): rates 1/3, 1/2, 2/3 with BPSK, 4-, 16-, 64-QAM.
SEMVIT_MCS = tuple(f"ldpc{r}-{m}" for r in ("1/3", "1/2", "2/3") for m in ("bpsk", "qpsk", "16qam", "64qam"))
THRESHOLDS_FILE = Path(__file__).parent / "data" / "mcs_thresholds_awgn.csv"
BACKOFF_FILE = Path(__file__).parent / "data" / "mcs_backoff.csv"
BLER_TARGET = 0.1
MAX_CODERATE = 948 / 1024  # the highest rate TS 38.214 allows
MIN_CODERATE = 1 / 5  # Sionna's 5G LDPC encoder has no repetition below base graph 2's lowest rate


def require_sionna():
    require("sionna.phy", "sionna", "the digital baseline (5G LDPC, QAM)")


@dataclass(frozen=True)
class MCS:
    """A modulation and coding scheme: ``bits_per_symbol`` (1 = BPSK as PAM) and a target code rate."""

    name: str
    bits_per_symbol: int
    code_rate: float

    @property
    def spectral_efficiency(self) -> float:
        return self.bits_per_symbol * self.code_rate


@lru_cache(maxsize=None)
def nr_table(prefix: str) -> tuple[MCS, ...]:
    """TS 38.214 PDSCH MCS table ``nr64`` (table 1, I_MCS 0..28) or ``nr256`` (table 2, 0..27)."""
    if prefix not in NR_TABLES:
        raise ValueError(f"unknown MCS table {prefix!r}; choose one of {', '.join(NR_TABLES)}")
    require_sionna()
    from sionna.phy.nr.utils import decode_mcs_index

    table = NR_TABLES[prefix]
    index = torch.arange(29 if table == 1 else 28)
    order, rate = decode_mcs_index(index, table_index=table, is_pusch=False, device="cpu")
    return tuple(MCS(f"{prefix}-mcs{i}", int(m), float(r)) for i, m, r in zip(index.tolist(), order, rate))


@lru_cache(maxsize=None)
def nr_grid() -> tuple[MCS, ...]:
    """Both NR tables, each (modulation, rate) once (table 2 repeats table 1 below 256-QAM), by efficiency.
    Rates below 1/5 (table 1 I_MCS 0..2, which 5G reaches by repetition) are left out: Sionna's encoder
    does not repeat."""
    seen, out = set(), []
    for m in nr_table("nr64") + nr_table("nr256"):
        key = (m.bits_per_symbol, round(m.code_rate, 4))
        if key not in seen and m.code_rate >= MIN_CODERATE:
            seen.add(key)
            out.append(m)
    return tuple(sorted(out, key=lambda m: m.spectral_efficiency))


def parse_mcs(name: str) -> MCS:
    """``nr64-mcs10``, ``nr256-mcs27`` or ``ldpc<rate>-<modulation>`` (e.g. ``ldpc1/2-16qam``, ``ldpc1/3-bpsk``)."""
    prefix, _, index = name.partition("-mcs")
    if prefix in NR_TABLES and index:
        table = nr_table(prefix)
        if not index.isdigit() or int(index) >= len(table):
            raise ValueError(f"MCS {name!r}: {prefix} has indices 0..{len(table) - 1}")
        return table[int(index)]
    rate, _, modulation = name.removeprefix("ldpc").partition("-")
    if not name.startswith("ldpc") or rate not in CODE_RATES or modulation not in MODULATIONS:
        raise ValueError(f"unknown MCS {name!r}: use nr64-mcs<0..28>, nr256-mcs<0..27> or ldpc<rate>-<qam> "
                         f"(rates {', '.join(CODE_RATES)}; modulations {', '.join(MODULATIONS)})")
    return MCS(name, MODULATIONS[modulation], CODE_RATES[rate])


@lru_cache(maxsize=None)
def measured_thresholds(path: Path = THRESHOLDS_FILE) -> dict[str, float]:
    """{MCS name: lowest SNR (Es/N0, dB, AWGN) with BLER <= 10 %} from the shipped table."""
    if not path.exists():
        return {}
    with open(path) as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {r["mcs"]: float(r["snr_db_bler10"]) for r in rows if r["snr_db_bler10"] != ""}


def link_key(link: str, channel: str, mimo: str = "1x1", precoding: str = "identity", pa: str = "none",
             ibo_db: float = 6.0) -> str:
    """The name a link's measured back-off is filed under, e.g. ``ofdm/tdl-a/2x2x1/svd/rapp/3``."""
    if link == "flat":
        return f"flat/{channel}"
    return f"{link}/{channel}/{mimo}/{precoding}/{pa}" + (f"/{float(ibo_db):g}" if pa != "none" else "")


@lru_cache(maxsize=None)
def measured_backoffs(path: Path = BACKOFF_FILE) -> dict[str, dict[int, list[tuple[float, float]]]]:
    """{link key: {TB channel uses: [(SNR estimate dB, back-off dB), ...] by estimate}} from the shipped
    table (``scripts/measure_mcs_backoff.py``); a row without ``symbols`` counts as 0 channel uses."""
    if not path.exists():
        return {}
    out: dict = {}
    with open(path) as fh:
        for r in csv.DictReader(line for line in fh if not line.startswith("#")):
            size = int(r.get("symbols") or 0)
            out.setdefault(r["link"], {}).setdefault(size, []).append((float(r["snr_est_db"]), float(r["backoff_db"])))
    return {k: {n: sorted(v) for n, v in sizes.items()} for k, sizes in out.items()}


def link_backoff(key: str | None, snr_est_db: float, num_symbols: int | None = None) -> float:
    """dB to take off a link's SNR estimate before the AWGN thresholds apply: 0 on AWGN and on a link with no
    measurement; else interpolated between the measured estimates (held at the ends), from the rows measured
    at the TB size nearest ``num_symbols`` on a log scale (the larger on a tie: a longer TB holds more code
    blocks, any of which fails it; the largest when ``num_symbols`` is None)."""
    sizes = measured_backoffs().get(key or "")
    if not sizes or not math.isfinite(snr_est_db):
        return 0.0
    if num_symbols is None:
        size = max(sizes)
    else:
        size = min(sizes, key=lambda n: (abs(math.log(max(n, 1) / max(num_symbols, 1))), -n))
    points = sizes[size]
    return float(np.interp(snr_est_db, [p[0] for p in points], [p[1] for p in points]))


def practical_mcs(snr_est_db: float | None, candidates, margin_db: float = 0.0) -> MCS:
    """Link adaptation: the most efficient of ``candidates`` whose measured 10 %-BLER threshold plus
    ``margin_db`` the estimated SNR meets (the least efficient one when none does or the SNR is unknown)."""
    th = measured_thresholds()
    candidates = sorted(candidates, key=lambda m: m.spectral_efficiency)
    best = candidates[0]
    if snr_est_db is None or not math.isfinite(snr_est_db):
        return best
    for m in candidates:
        if m.name in th and snr_est_db >= th[m.name] + margin_db:
            if m.spectral_efficiency > best.spectral_efficiency:
                best = m
    return best


def worth_trying(candidates, snr_db: float, below_db: float = 1.5, above_db: float = 1.0) -> list[MCS]:
    """Speed: the MCS a genie search needs at ``snr_db``. Skips those whose measured threshold is more than
    ``above_db`` above it (they fail) and those more than ``below_db`` under it except the most efficient
    of them (a decodable scheme with a lower rate carries less). An unmeasured scheme is kept unless its
    Shannon limit is above ``snr_db + above_db``."""
    th = measured_thresholds()
    keep, safe = [], []
    for m in candidates:
        t = th.get(m.name)
        if t is None:
            if 10 * math.log10(2 ** m.spectral_efficiency - 1) <= snr_db + above_db:
                keep.append(m)
        elif snr_db - below_db <= t <= snr_db + above_db:
            keep.append(m)
        elif t < snr_db - below_db:
            safe.append(m)
    if safe:
        keep.append(max(safe, key=lambda m: m.spectral_efficiency))
    return sorted(keep, key=lambda m: m.spectral_efficiency)


# The earlier names with their measured thresholds (``semcom.ota`` adapts over these).
MCS_MIN_SNR_DB = tuple((name, measured_thresholds().get(name, math.inf)) for name in LEGACY_MCS)


def tb_size(num_symbols: int, mcs: MCS) -> int:
    """Information bits of one TB filling ``num_symbols`` channel uses at ``mcs`` (TS 38.214 5.1.3.2)."""
    require_sionna()
    from sionna.phy.nr.utils import calculate_tb_size

    rate = min(mcs.code_rate, MAX_CODERATE)
    return int(calculate_tb_size(mcs.bits_per_symbol, rate, num_coded_bits=int(num_symbols) * mcs.bits_per_symbol,
                                 return_cw_length=False, device="cpu")[0])


class TransportBlockQAM:
    """One 5G transport block per row, filling ``num_symbols`` channel uses.

    :param num_symbols: complex channel uses per TB (e.g. the JSCC model's k for that image).
    :param mcs: an :class:`MCS` or its name.
    :param num_iter: belief-propagation iterations.
    """

    def __init__(self, num_symbols: int, mcs: MCS | str, num_iter: int = 20):
        require_sionna()
        from sionna.phy.mapping import Demapper, Mapper
        from sionna.phy.nr import TBDecoder, TBEncoder

        self.mcs = parse_mcs(mcs) if isinstance(mcs, str) else mcs
        self.name = self.mcs.name
        self.num_symbols = int(num_symbols)
        m = self.mcs.bits_per_symbol
        self.n = self.num_symbols * m
        self.k = tb_size(self.num_symbols, self.mcs)
        if self.k < 1 or self.k / self.n < MIN_CODERATE:
            raise ValueError(f"{self.name} over {num_symbols} symbols: transport block of {self.k} bits in "
                             f"{self.n} coded bits (rate below {MIN_CODERATE:g}, the lowest the LDPC code takes)")
        with warnings.catch_warnings():  # a short TB at the highest MCS exceeds 948/1024 after its CRC
            warnings.filterwarnings("ignore", message="Effective coderate")
            self.encoder = TBEncoder(self.k, self.n, min(self.mcs.code_rate, MAX_CODERATE), m,
                                     channel_type="PDSCH", device="cpu")
        self.decoder = TBDecoder(self.encoder, num_bp_iter=num_iter, device="cpu")
        self.decoder._decoder = EarlyStopLDPC(self.encoder, num_iter)  # noqa: SLF001 (Sionna has no hook)
        kind = "pam" if m == 1 else "qam"
        self.mapper = Mapper(kind, m, device="cpu")
        self.demapper = Demapper("app", kind, m, device="cpu")

    def modulate(self, bits: torch.Tensor) -> torch.Tensor:
        """:input bits: [B, k] of 0/1. :output: [B, num_symbols], complex64, unit power."""
        if bits.shape[-1] != self.k:
            raise ValueError(f"{self.name} takes {self.k} bits per transport block, got {bits.shape[-1]}")
        return self.mapper(self.encoder(bits.float())).to(torch.complex64)

    def demodulate(self, s_hat: torch.Tensor, noise_var: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """:input s_hat, noise_var: [B, num_symbols]. :output: (hard bits [B, k] float 0/1, TB CRC ok [B] bool)."""
        if self.mcs.bits_per_symbol == 1:  # PAM: the imaginary part carries only noise. Sionna's demapper
            # takes exp(-|y - c|^2 / no) with no the complex noise variance: on the real part, whose variance
            # is no / 2, that is the Gaussian likelihood with the same no (halving it doubles the LLRs)
            s_hat = s_hat.real.to(torch.complex64)
        llr = self.demapper(s_hat, noise_var.to(torch.float32).clamp_min(1e-6))
        bits, ok = self.decoder(llr)
        return bits, ok


class EarlyStopLDPC(torch.nn.Module):
    """The TB decoder's LDPC stage with early stopping: belief propagation (Sionna's ``LDPC5GDecoder``,
    flooding schedule) of every code block, one iteration at a time, each block stopped once its CRC
    holds (the code-block CRC, or the TB CRC when the TB is one block), at most ``num_iter`` iterations.

    A flooding iteration depends only on the variable-to-check messages, so resuming from them is the
    same computation as one uninterrupted call: a block decodes to the same bits as with ``num_iter``
    iterations unless its CRC held at an earlier iteration and would not at the last (the decoder
    accepts the first CRC-valid word, as a receiver with early stopping does).

    :input llr: [..., num_cbs, n] code-block LLRs (logits). :output: [..., num_cbs, k] hard info bits.
    """

    def __init__(self, tb_encoder, num_iter: int):
        super().__init__()
        from sionna.phy.fec.crc import CRCDecoder
        from sionna.phy.fec.ldpc import LDPC5GDecoder

        self.num_iter = int(num_iter)
        self.bp = LDPC5GDecoder(tb_encoder.ldpc_encoder, num_iter=1, hard_out=True, return_infobits=True,
                                return_state=True, device="cpu")
        self.crc = CRCDecoder(tb_encoder.cb_crc_encoder or tb_encoder.tb_crc_encoder, device="cpu")

    def forward(self, llr: torch.Tensor) -> torch.Tensor:
        rows = llr.reshape(-1, llr.shape[-1])
        active = torch.arange(rows.shape[0])
        bits, state = self.bp(rows)
        for _ in range(self.num_iter - 1):
            ok = self.crc(bits[active])[1].reshape(-1)
            active, state = active[~ok], state[~ok]
            if len(active) == 0:
                break
            bits[active], state = self.bp(rows[active], msg_v2c=state)
        return bits.reshape(*llr.shape[:-1], bits.shape[-1])


def LDPCQAM(num_symbols: int, modulation: str = "16qam", code_rate: str = "1/2", num_iter: int = 20) \
        -> TransportBlockQAM:
    """The earlier constructor: a TB at ``code_rate`` with ``modulation`` (any size now)."""
    return TransportBlockQAM(num_symbols, f"ldpc{code_rate}-{modulation}", num_iter)


class Scrambler:
    """XOR with a fixed pseudo-random sequence (known to both ends) so that no bit
    pattern (e.g. an all-zero block) maps every subcarrier to one QAM point.

    :param length: bits per block; ``seed`` fixes the sequence.
    """

    def __init__(self, length: int, seed: int = 0x5EED):
        rng = np.random.default_rng(seed)
        self.sequence = torch.from_numpy(rng.integers(0, 2, length).astype(np.float32))

    def scramble(self, bits: torch.Tensor) -> torch.Tensor:
        """:input bits: [..., length] of 0/1. :output: same shape."""
        return (bits + self.sequence.to(bits.device)) % 2

    def descramble_llr(self, llr: torch.Tensor) -> torch.Tensor:
        """LLRs of scrambled bits -> LLRs of the original bits (sign flipped where the sequence is 1)."""
        return llr * (1.0 - 2.0 * self.sequence.to(llr.device))
