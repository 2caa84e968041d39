"""``--baseline digital``: every available codec with every 5G NR MCS, at one SNR point, over any link.

Per image, each codec fills the transport block of each MCS with its best fitting payload
(:meth:`semcom.codecs.ImageCodec.fit`). The transmitter sends the TB of the codec it knows to be best
at that size; the TBs of all images of one size go through the link and the TB decoder as one batch
per MCS, and every codec's outcome for that image shares the TB's CRC result (same size, same channel
realisation). The rows it gives, per SNR:

* ``<codec>-ldpc(best)``: that codec at the MCS with the best mean PSNR over the set (genie);
* ``best-ldpc``: the best of those (best codec + MCS, genie: the literature's convention);
* ``best-ldpc-practical``: per image, the MCS picked from the link's SNR estimate with the measured
  10 %-BLER thresholds (:func:`phy.digital.practical_mcs`) and the codec whose payload the
  transmitter knows to be best at that TB size; block errors are counted in ``bler``;
* ``<codec>@capacity`` and ``best@capacity``: error-free at ``k log2(1 + SNR)`` bits, the separation
  bound (best: per image, the codec the transmitter knows to be best).

Speed: an MCS is simulated only where the measured thresholds say it can matter
(:func:`phy.digital.worth_trying`); encodes are cached per (image, quality).

Mosaic mode (:mod:`semcom.mosaic`) reproduces the published CIFAR-10 BPG + LDPC baseline (SemViT's
``bpg-ldpc.ipynb``): many test images tiled into one picture under that notebook's byte budget, the
MCS set rates 1/3, 1/2, 2/3 with BPSK, QPSK, 16-QAM and 64-QAM, the fallback the CIFAR mean colour,
and PSNR taken per picture and averaged weighted by its number of images.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import torch

from phy.digital import SEMVIT_MCS, TransportBlockQAM, link_backoff, nr_grid, parse_mcs, practical_mcs, worth_trying

from .baseline import FRAME_OVERHEAD_BYTES, capacity_bytes, effective_noise_var, pack_frame, unpack_frame
from .codecs import CodecError, fallback_image, make_codec, psnr_u8

MAX_CODED_BITS_PER_CALL = 1 << 21  # decoder batch size bound (memory)
MAX_DESCENT = 8  # MCS steps below (above) the AWGN candidates tried while none (the top one) decodes


@dataclass
class Outcome:
    """Per-image results of one scheme: PSNR (dB), block error, and what was sent."""

    psnr: np.ndarray
    error: np.ndarray
    images: list = field(default_factory=list)


class DigitalSearch:
    """Runs the ``digital`` rows at one SNR over ``channel`` for a list of images (any sizes).

    :param ratio: channel uses per real pixel value (k / n), as the JSCC frame's.
    :param codecs: codec names; ``mcs``: MCS names (default: both NR tables).
    :param weights: per-image weights of the means (mosaic mode: images per mosaic).
    :param workers: threads that run the codecs' quality searches (default: torch's thread count).
    """

    def __init__(self, ratio: float, codecs, mcs=None, weights=None, progress=None, workers: int | None = None):
        self.ratio = float(ratio)
        self.workers = workers or torch.get_num_threads()  # threads fitting codecs (their encoders release the GIL)
        self.codecs = list(codecs)
        self.grid = [parse_mcs(m) for m in mcs] if mcs else list(nr_grid())
        self.weights = weights
        self.progress = progress
        self.link = None  # the link's key (phy.digital.link_key): its measured back-off, for the practical row
        self._chains: dict = {}

    def num_symbols(self, image: np.ndarray) -> int:
        return int(round(self.ratio * image.size))

    def chain(self, num_symbols: int, mcs) -> TransportBlockQAM | None:
        key = (num_symbols, mcs.name)
        if key not in self._chains:
            try:
                self._chains[key] = TransportBlockQAM(num_symbols, mcs)
            except ValueError:  # rate below what the code takes at this size
                self._chains[key] = None
        return self._chains[key]

    def payload_budget(self, num_symbols: int, mcs) -> tuple[TransportBlockQAM | None, int]:
        """(the TB chain that carries an image of ``num_symbols`` channel uses at ``mcs``, the payload bytes
        it holds); (None, 0) where the code cannot be built at that size."""
        chain = self.chain(num_symbols, mcs)
        return (chain, chain.k // 8 - FRAME_OVERHEAD_BYTES) if chain is not None else (None, 0)

    def capacity_budget(self, num_symbols: int, snr_db: float) -> int:
        """Payload bytes at capacity: ``num_symbols * log2(1 + SNR)`` bits."""
        return capacity_bytes(num_symbols, snr_db)

    def practical(self, snr_est_db: float, num_symbols: int):
        """Link adaptation (:func:`phy.digital.practical_mcs`, the estimate less the link's measured back-off,
        :func:`phy.digital.link_backoff`, measured at the TB size nearest ``num_symbols``) among the MCS the
        transport block chain can build for ``num_symbols`` (a large TB at a rate in (1/4, 1/3) takes LDPC base graph 1, whose lowest rate is
        1/3: Sionna does not repeat); only the chosen MCS's chain is built."""
        grid = list(self.grid)
        snr_est_db -= link_backoff(self.link, snr_est_db, num_symbols)
        while True:
            m = practical_mcs(snr_est_db, grid)
            if self.chain(num_symbols, m) is not None or len(grid) == 1:
                return m
            grid.remove(m)

    def row_names(self) -> list[str]:
        return ([f"{c}-ldpc(best)" for c in self.codecs] + ["best-ldpc", "best-ldpc-practical"]
                + [f"{c}@capacity" for c in self.codecs] + ["best@capacity"])

    # -- one SNR ---------------------------------------------------------------------------------
    @torch.no_grad()
    def run(self, images: list, snr_db: float, channel, seed: int = 0,
            believed_offset_db: float = 0.0, link: str | None = None) -> dict[str, dict]:
        """{row scheme: {"psnr_db", "bler", "mcs", "per_image"}} for one SNR ``snr_db`` of ``channel``.

        ``believed_offset_db``: the transmitter believes the SNR is the link's estimate plus this (an SNR
        mismatch); the practical row picks its MCS for that belief. ``link``: the link's key, whose measured
        back-off the practical row takes off its estimate (none on AWGN or an unmeasured link)."""
        self.link = link
        n = len(images)
        groups = defaultdict(list)
        for i, im in enumerate(images):
            groups[im.shape].append(i)
        coded: dict = {}  # (codec, mcs) -> Outcome
        self._simulated = set()  # (image size, MCS name) pairs sent
        estimate = np.full(n, float(snr_db))
        for shape, idx in groups.items():
            k = self.num_symbols(images[idx[0]])
            # below every measured threshold (a channel far worse than believed): the most robust MCS
            candidates = worth_trying(self.grid, snr_db) or [min(self.grid, key=lambda m: m.spectral_efficiency)]
            first = self._simulate(images, idx, k, candidates[0], snr_db, channel, seed, coded)
            estimate[idx] = first + believed_offset_db
            chosen = {self.practical(float(e), k).name for e in estimate[idx]}
            rest = [m for m in self.grid if m.name in chosen or m in candidates[1:]]
            for m in rest:
                if m is not candidates[0]:
                    self._simulate(images, idx, k, m, snr_db, channel, seed, coded)
            # the thresholds are AWGN's: on a harder link go down the grid until an MCS decodes
            ordered = sorted(self.grid, key=lambda m: m.spectral_efficiency)
            lowest = ordered.index(candidates[0])
            for _ in range(MAX_DESCENT):
                if lowest == 0 or self._bler(coded, ordered[lowest].name, idx) <= 0.1:
                    break
                lowest -= 1
                if (self.codecs[0], ordered[lowest].name) not in coded:
                    self._simulate(images, idx, k, ordered[lowest], snr_db, channel, seed, coded)
            # and up while the most efficient MCS sent still decodes (a link better than AWGN at this SNR:
            # array gain, or a practical pick lowered by the link's back-off)
            highest = max(i for i, m in enumerate(ordered) if (shape, m.name) in self._simulated)
            for _ in range(MAX_DESCENT):
                if highest == len(ordered) - 1 or self._bler(coded, ordered[highest].name, idx) > 0.1:
                    break
                highest += 1
                self._simulate(images, idx, k, ordered[highest], snr_db, channel, seed, coded)
        tried = {m for (_, m) in coded}  # every image of every size at every MCS tried (means over the set)
        for shape, idx in groups.items():
            for name in sorted(tried - {m for sh, m in self._simulated if sh == shape}):
                self._simulate(images, idx, self.num_symbols(images[idx[0]]), parse_mcs_cached(self.grid, name),
                               snr_db, channel, seed, coded)
        return self._rows(images, snr_db, coded, estimate)

    def _bler(self, coded, mcs_name: str, idx) -> float:
        """The lowest block error rate any codec had at ``mcs_name`` over the images ``idx``."""
        return min(float(o.error[idx].mean()) for (c, m), o in coded.items() if m == mcs_name)

    def _simulate(self, images, idx, k, mcs, snr_db, channel, seed, coded) -> np.ndarray:
        """Send one TB per image of ``idx`` at ``mcs``: the codec whose payload the transmitter knows is best
        at that TB size. Every codec's outcome for that image shares the TB's CRC result (same TB size,
        same channel realisation; the TB scrambler makes the coded bits independent of the payload), so
        the link and decoder run once per image rather than once per codec. Fills ``coded``; returns the
        link's SNR estimate per image (dB)."""
        chain, budget = self.payload_budget(k, mcs)
        self._simulated.add((images[idx[0]].shape, mcs.name))
        for c in self.codecs:
            coded.setdefault((c, mcs.name), Outcome(np.zeros(len(images)), np.ones(len(images), bool),
                                                    [None] * len(images)))
        jobs = [(c, i) for c in self.codecs for i in idx]
        fits = dict(zip(jobs, self._fit([(c, images[i], budget) for c, i in jobs])))
        if chain is None or all(f is None for f in fits.values()):
            for c in self.codecs:
                for i in idx:
                    self._store(coded[(c, mcs.name)], i, images[i], None)
            return np.full(len(idx), float(snr_db))
        pick = {i: max(self.codecs, key=lambda c: fits[(c, i)][2] if fits[(c, i)] else -1.0) for i in idx}
        per_call = max(1, MAX_CODED_BITS_PER_CALL // chain.n)
        est = np.zeros(len(idx))
        for start in range(0, len(idx), per_call):
            part = idx[start:start + per_call]
            bits = np.zeros((len(part), chain.k), np.uint8)
            for r, i in enumerate(part):
                if fits[(pick[i], i)] is not None:
                    bits[r] = pack_frame(*fits[(pick[i], i)][:2], chain.k)
            s = chain.modulate(torch.from_numpy(bits))
            gen = torch.Generator().manual_seed(seed + start)
            torch.manual_seed(seed + start)  # anything drawing from torch's global generator (Sionna is seeded from gen)
            out = channel(s, torch.full((len(part),), float(snr_db)), generator=gen)
            bits_hat, ok = chain.demodulate(out.s_hat, effective_noise_var(out, s))
            bits_hat = bits_hat.round().to(torch.uint8).numpy()
            est[start:start + len(part)] = torch.as_tensor(out.snr_eff_db, dtype=torch.float32).reshape(-1) \
                .expand(len(part)).numpy()
            for r, i in enumerate(part):
                sent = self._receive(pick[i], images[i], fits[(pick[i], i)], bool(ok[r]), bits_hat[r])
                for c in self.codecs:
                    fit = fits[(c, i)]
                    rx = sent if c == pick[i] else (
                        make_codec(c).decode(fit[1], *images[i].shape[:2], fit[0]) if fit and ok[r] else None)
                    self._store(coded[(c, mcs.name)], i, images[i], rx)
            if self.progress is not None:
                self.progress.update(len(part))
        return est

    @staticmethod
    def _store(outcome: Outcome, i: int, image: np.ndarray, rx) -> None:
        outcome.error[i] = rx is None
        outcome.images[i] = rx if rx is not None else fallback_image(*image.shape[:2])
        outcome.psnr[i] = psnr_u8(outcome.images[i], image)

    @staticmethod
    def _receive(codec, image, fit, ok, bits_hat):
        if fit is None or not ok:
            return None
        try:
            setting, payload = unpack_frame(bits_hat)
            return make_codec(codec).decode(payload, image.shape[0], image.shape[1], setting)
        except CodecError:
            return None

    # -- the rows --------------------------------------------------------------------------------
    def _mean(self, values: np.ndarray) -> float:
        return float(np.average(values, weights=self.weights))

    def _rows(self, images, snr_db, coded, estimate) -> dict[str, dict]:
        rows = {}
        n = len(images)
        for c in self.codecs:  # genie MCS per codec
            tried = [(m, o) for (cc, m), o in coded.items() if cc == c]
            m, o = max(tried, key=lambda t: self._mean(t[1].psnr))
            rows[f"{c}-ldpc(best)"] = {**self._row(o.psnr, o.error, m, o.images), "codec": c}
        best = max(rows.values(), key=lambda r: r["psnr_db"])
        rows["best-ldpc"] = {**best, "mcs": f"{best['codec']}+{best['mcs']}"}
        # practical: per image its MCS from the estimate, and the codec the transmitter knows is best there
        psnr, error, out, picks = np.zeros(n), np.zeros(n, bool), [None] * n, []
        for i in range(n):
            m = self.practical(float(estimate[i]), self.num_symbols(images[i])).name
            c = max(self.codecs, key=lambda cc: self._known_psnr(cc, images[i], m))
            o = coded[(c, m)]
            psnr[i], error[i], out[i] = o.psnr[i], o.error[i], o.images[i]
            picks.append(m)
        rows["best-ldpc-practical"] = self._row(psnr, error, "/".join(sorted(set(picks))), out)
        caps = {c: self._capacity(c, images, snr_db) for c in self.codecs}
        for c, (p, ims) in caps.items():
            rows[f"{c}@capacity"] = self._row(p, np.zeros(n, bool), "", ims)
        pick = [max(self.codecs, key=lambda cc: caps[cc][0][i]) for i in range(n)]
        rows["best@capacity"] = self._row(np.array([caps[pick[i]][0][i] for i in range(n)]), np.zeros(n, bool), "",
                                          [caps[pick[i]][1][i] for i in range(n)])
        return rows

    def _known_psnr(self, codec, image, mcs_name) -> float:
        """The PSNR the transmitter's encode gives in the TB of ``mcs_name`` (no channel involved)."""
        chain, budget = self.payload_budget(self.num_symbols(image), parse_mcs(mcs_name))
        if chain is None:
            return -1.0
        fit = make_codec(codec).fit_psnr(image, budget)
        return -1.0 if fit is None else fit[2]

    def _fit(self, jobs) -> list:
        """``fit_psnr`` of each (codec name, image, byte budget), None where the budget is 0; on
        ``workers`` threads."""
        def one(job):
            codec, image, budget = job
            return make_codec(codec).fit_psnr(image, budget) if budget > 0 else None
        if self.workers <= 1 or len(jobs) <= 1:
            return [one(j) for j in jobs]
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(one, jobs))

    def _capacity(self, codec, images, snr_db):
        c = make_codec(codec)
        psnr, out = np.zeros(len(images)), []
        fits = self._fit([(codec, im, self.capacity_budget(self.num_symbols(im), snr_db)) for im in images])
        for i, (im, fit) in enumerate(zip(images, fits)):
            rx = fallback_image(*im.shape[:2]) if fit is None else c.decode(fit[1], im.shape[0], im.shape[1], fit[0])
            psnr[i] = psnr_u8(rx, im)
            out.append(rx)
        return psnr, out

    def _row(self, psnr, error, mcs, images) -> dict:
        return {"psnr_db": round(self._mean(psnr), 4), "bler": round(self._mean(error.astype(float)), 5),
                "mcs": mcs, "images": images}


def parse_mcs_cached(grid, name: str):
    """The grid's MCS object called ``name``."""
    return next(m for m in grid if m.name == name)


def semvit_mcs() -> tuple[str, ...]:
    """The published baseline's MCS set (rates 1/3, 1/2, 2/3 with BPSK, QPSK, 16-QAM, 64-QAM)."""
    return SEMVIT_MCS
