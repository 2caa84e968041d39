"""PSNR sweeps of JSCC models over SNR, channel, MIMO configuration, PA and IBO.

Each finished point is appended to a CSV at once, so an interrupted sweep
resumes where it stopped (points already in the CSV are skipped); a PNG of
PSNR against SNR is redrawn at the end. The settings that are not part of a
point (receiver, precoding, clipping, ratio, image count) are written beside
the CSV as JSON, and a sweep refuses to resume a CSV made with other ones
(:mod:`semcom.sweep_csv`).

SNR mismatch (``--snr-mismatch D``, the digital link's cliff): the transmitter believes the SNR is
the point's ``snr_db`` S and the channel delivers S - D. The JSCC encoder and decoder are told S (the
decoder the link's estimate plus D: its receiver is as wrong as the transmitter); the practical
digital row (``best-ldpc-practical``) picks its MCS from the measured thresholds for the link's
estimate plus D (on the flat link: S). The genie rows
(``<codec>-ldpc(best)``, ``best-ldpc``, fixed ``<codec>+<mcs>``) and the capacity rows know the
channel: they are those of S - D, the best any digital link could do there.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from phy.channels import make_channel
from phy.papr import papr_at_ccdf, papr_db

from .checkpoint import sha256_file
from .data import ImageSet, iter_batches, load_images, to_tensor
from .link import LinkConfig, OFDMLink, ofdm_for, parse_mimo
from .metrics import psnr, ssim
from .sweep_csv import FIELDS, append_csv, check_settings, point_key, read_csv  # noqa: F401  (re-exported)
from .zoo import load_model, resolve

PAPR_OVERSAMPLING = 4


@dataclass(frozen=True)
class SweepPoint:
    scheme: str
    link: str
    channel: str
    mimo: str
    pa: str
    ibo_db: float
    snr_db: float  # the SNR the transmitter believes
    mismatch_db: float = 0.0  # the channel delivers snr_db - mismatch_db

    @property
    def channel_snr_db(self) -> float:
        return self.snr_db - self.mismatch_db

    def key(self) -> tuple:
        return point_key(self.__dict__)


def points(models, link, channels, mimos, pas, ibos, snrs, mismatches=(0.0,)) -> list[SweepPoint]:
    return [SweepPoint(m, link, c, mi, p, float(i), float(s), float(d))
            for m, c, mi, p, i, d, s in itertools.product(models, channels, mimos, pas, ibos, mismatches, snrs)]


def make_link(point: SweepPoint, link_kwargs: dict):
    if point.link == "flat":
        return make_channel(point.channel)
    return OFDMLink(LinkConfig(ofdm=ofdm_for(point.mimo), channel=point.channel, pa=point.pa, ibo_db=point.ibo_db,
                               **link_kwargs))


def _tx_papr(channel, tx_signal: torch.Tensor) -> torch.Tensor:
    o = channel.cfg.ofdm
    return papr_db(tx_signal, o.symbol_length, o.cp_length, oversampling=PAPR_OVERSAMPLING)


@torch.no_grad()
def run_point(model, images: ImageSet, point: SweepPoint, link_kwargs: dict, batch_size: int = 100,
              seed: int = 0) -> dict:
    """PSNR, SSIM and PAPR (CCDF 1e-3, 4x oversampled) of one model at one point: encoded for the
    believed SNR, sent at the channel's, decoded told the link's estimate plus the mismatch."""
    gen = torch.Generator().manual_seed(seed)  # noise and channel realisations (Sionna's too, seeded from it)
    torch.manual_seed(seed)  # anything else that draws from torch's global generator
    channel = make_link(point, link_kwargs)
    p, q, paprs = [], [], []
    for _, batch in iter_batches(images, batch_size):
        x = to_tensor(batch)
        s = model.encode(x, torch.full((x.shape[0],), point.snr_db))
        out = channel(s, torch.full((x.shape[0],), point.channel_snr_db), generator=gen)
        x_hat = model.decode(out.decoder_symbols, out.snr_eff_db + point.mismatch_db, x.shape[2:])
        p.append(psnr(x_hat, x))
        q.append(ssim(x_hat, x))
        if out.tx_signal is not None:
            paprs.append(_tx_papr(channel, out.tx_signal))
        else:  # single carrier: PAPR of each image's symbol block
            power = s.abs().square()
            paprs.append(10 * torch.log10(power.amax(-1) / power.mean(-1)))
    return {**point.__dict__, "psnr_db": round(float(torch.cat(p).mean()), 4),
            "ssim": round(float(torch.cat(q).mean()), 5),
            "papr_db_1e-3": round(papr_at_ccdf(torch.cat([v.flatten() for v in paprs]), 1e-3), 3),
            "ber": "", "bler": "", "n_images": len(images), "mcs": ""}


def _by_shape(images) -> dict:
    """{(H, W, 3): indices} of a list or array of images."""
    groups: dict = {}
    for i, im in enumerate(images):
        groups.setdefault(im.shape, []).append(i)
    return groups


def _psnr_ssim(rx: list, tx: list, weights=None) -> tuple[float, float]:
    """Mean PSNR (capped at 100 dB) and SSIM of received against sent images (any sizes)."""
    p, q = [], []
    for shape, idx in _by_shape(tx).items():
        x, x_hat = to_tensor(np.stack([tx[i] for i in idx])), to_tensor(np.stack([rx[i] for i in idx]))
        p.append(psnr(x_hat, x).clamp_max(100.0))
        q.append(ssim(x_hat, x))
    order = np.concatenate([idx for idx in _by_shape(tx).values()])
    w = None if weights is None else np.asarray(weights)[order]
    return float(np.average(torch.cat(p).numpy(), weights=w)), float(np.average(torch.cat(q).numpy(), weights=w))


@torch.no_grad()
def run_baseline_point(images: list, point: SweepPoint, link_kwargs: dict, ratio: str, batch_size: int = 100,
                       seed: int = 0, weights=None, capacity_budget=None) -> dict:
    """PSNR/SSIM, BER and block error rate (BLER) of a digital baseline at one point (images of any sizes);
    a fixed MCS or capacity needs no SNR belief, so it is the channel's SNR that counts.
    ``capacity_budget(num_symbols, snr_db)``: the bytes at capacity (mosaic mode's published rule)."""
    from .baseline import DigitalBaseline, codec_at_capacity, raw_256qam, split_scheme
    from .models.base import parse_ratio

    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    codec, mcs = split_scheme(point.scheme)
    channel = make_link(point, link_kwargs) if not point.scheme.endswith("@capacity") else None
    rx: list = [None] * len(images)
    failures = errors = bits = 0
    paprs = []
    for shape, idx in _by_shape(images).items():
        num_symbols = int(round(parse_ratio(ratio) * 3 * shape[0] * shape[1]))
        base = DigitalBaseline(codec, num_symbols, mcs=mcs) if mcs else None
        for start in range(0, len(idx), batch_size):
            part = idx[start:start + batch_size]
            batch = np.stack([images[i] for i in part])
            snr = point.channel_snr_db
            if base is not None:
                res = base.transmit(batch, snr, channel, generator=gen)
            elif point.scheme == "raw-256qam":
                res = raw_256qam(batch, snr, channel, generator=gen)
            else:
                res = codec_at_capacity(codec, batch, num_symbols, snr,
                                        capacity_budget(num_symbols, snr) if capacity_budget else None)
            for i, im in zip(part, res.images):
                rx[i] = im
            failures, errors, bits = failures + res.failures, errors + res.bit_errors, bits + res.bits
            if res.tx_signal is not None and point.link == "ofdm":
                paprs.append(_tx_papr(channel, res.tx_signal))
    p, q = _psnr_ssim(rx, list(images), weights)
    return {**point.__dict__, "psnr_db": round(p, 4), "ssim": round(q, 5),
            "papr_db_1e-3": round(papr_at_ccdf(torch.cat([v.flatten() for v in paprs]), 1e-3), 3) if paprs else "",
            "ber": round(errors / bits, 7) if bits else "", "bler": round(failures / len(images), 5),
            "n_images": len(images), "mcs": mcs or ""}


@torch.no_grad()
def run_digital_point(search, images: list, point: SweepPoint, link_kwargs: dict, seed: int = 0) -> list[dict]:
    """The ``digital`` rows (per codec genie, best-ldpc, best-ldpc-practical, per codec and best at capacity)."""
    from phy.digital import link_key

    channel = make_link(point, link_kwargs)
    rows = []
    key = link_key(point.link, point.channel, point.mimo, link_kwargs.get("precoding", "identity"), point.pa,
                   point.ibo_db)
    for scheme, r in search.run(images, point.channel_snr_db, channel, seed=seed,
                                believed_offset_db=point.mismatch_db, link=key).items():
        _, q = _psnr_ssim(r["images"], list(images), search.weights)
        rows.append({**point.__dict__, "scheme": scheme, "psnr_db": r["psnr_db"], "ssim": round(q, 5),
                     "papr_db_1e-3": "", "ber": "", "bler": r["bler"], "n_images": len(images), "mcs": r["mcs"]})
    return rows


def best_envelope(rows: list[dict]) -> list[dict]:
    """Per codec and configuration, the best MCS at each SNR, as scheme ``<codec>-ldpc(best)``."""
    best: dict = {}
    for r in rows:
        if "+" not in r["scheme"]:
            continue
        key = (r["scheme"].split("+")[0], r["link"], r["channel"], r["mimo"], r["pa"], r["ibo_db"], r["snr_db"],
               r.get("mismatch_db", 0.0))
        if key not in best or r["psnr_db"] > best[key]["psnr_db"]:
            best[key] = r
    return [{**r, "scheme": f"{k[0]}-ldpc(best)", "mcs": r["scheme"].split("+", 1)[1]} for k, r in best.items()]


def run_sweep(models, data, link="ofdm", channels=("awgn",), mimos=("1x1",), pas=("none",), ibos=(6.0,),
              snrs=(0, 5, 10, 15, 20), limit=None, out: str | None = None, progress: bool = False,
              link_kwargs: dict | None = None, baselines=(), ratio: str = "1/6", mosaic: str | None = None,
              mismatches=(0.0,), offset: int = 0) -> list[dict]:
    """Run every combination of JSCC ``models`` and digital ``baselines``; returns the rows
    (those already in ``out`` are read back, not rerun), plus best-MCS envelope rows.

    ``mosaic="8x8"`` codes the images 64 at a time as one picture (the published CIFAR-10 baseline's
    rule; see :mod:`semcom.mosaic`); baselines only. ``mismatches``: the dB by which the channel is worse
    than the transmitter believes (see the module's docstring). ``offset``: skip that many images first
    (a run in chunks, e.g. ``offset=1024, limit=1024``; in mosaic mode a multiple of the mosaic's images, so
    that the chunks tile the set as one run would)."""
    from .baseline import DIGITAL, expand_baselines, parse_scheme

    baselines = expand_baselines(baselines)
    for b in baselines:
        parse_scheme(b)
    grid = _parse_mosaic(mosaic) if mosaic else None
    if grid and (models or not baselines):
        raise ValueError("--mosaic codes pictures of many images: it applies to --baseline only, not to --model")
    if any(not 0.0 <= float(d) <= 30.0 for d in mismatches):
        raise ValueError(f"--snr-mismatch must lie in 0..30 dB (the channel worse than believed), got "
                         f"{', '.join(f'{float(d):g}' for d in mismatches)}")
    if link not in ("flat", "ofdm"):
        raise ValueError(f"--link must be 'flat' or 'ofdm', got {link!r}")
    shapes = [parse_mimo(m) for m in mimos]  # every --mimo is checked before any image is loaded
    if link == "flat" and any(shape != (1, 1, 1) for shape in shapes):
        raise ValueError("the flat link is single-antenna: use --mimo 1x1 or --link ofdm")
    if out:
        link_settings = (link_kwargs or {}) if link == "ofdm" else {}  # the flat link has no receiver options
        weights = {m: sha256_file(resolve(m)) for m in models}
        settings = {"link_kwargs": link_settings, "ratio": ratio, "limit": limit, "weights": weights}
        check_settings(Path(out), {**settings, "offset": offset} if offset else settings)
    if grid and offset % (grid[0] * grid[1]):
        raise ValueError(f"--offset {offset} with --mosaic {mosaic}: use a multiple of {grid[0] * grid[1]} so the "
                         f"pictures are those of one run over the whole set")
    images = (data if isinstance(data, ImageSet) else load_images(data, "test")).subset(limit, offset)
    weights = None
    if baselines:  # everything a baseline needs is checked before any model or codec work
        check_baseline_inputs(images, baselines)
        if grid:
            if not images.uniform:
                raise ValueError("--mosaic needs images of one size")
            from .mosaic import published_capacity_bytes, tile_mosaics

            mosaics, weights = tile_mosaics(images.images, grid)
            check_baseline_inputs(ImageSet(mosaics, [f"mosaic[{i}]" for i in range(len(mosaics))]), baselines)
    baseline_images = mosaics if grid else list(images.images)
    search = _digital_search(baselines, ratio, weights, grid, progress)
    todo = points(list(models) + baselines, link, channels, mimos, pas, ibos, snrs, mismatches)
    done = read_csv(Path(out)) if out else {}
    loaded = {}
    rows = []
    bar = _bar(len(todo), progress)
    for point in todo:
        if point.scheme == DIGITAL:
            keys = [replace(point, scheme=name).key() for name in search.row_names()]
            if all(k in done for k in keys):
                rows += [done[k] for k in keys]
            else:
                for row in run_digital_point(search, baseline_images, point, link_kwargs or {}):
                    rows.append(row)
                    if out:
                        append_csv(Path(out), row)
        elif point.key() in done:
            rows.append(done[point.key()])
        elif point.scheme in baselines:
            row = run_baseline_point(baseline_images, point, link_kwargs or {}, ratio, weights=weights,
                                     capacity_budget=published_capacity_bytes if grid else None)
            rows.append(row)
            if out:
                append_csv(Path(out), row)
        else:
            if point.scheme not in loaded:
                loaded[point.scheme] = load_model(point.scheme)
                loaded[point.scheme].warn_if_outside_snr_range(snrs)
            row = run_point(loaded[point.scheme], images, point, link_kwargs or {})
            rows.append(row)
            if out:
                append_csv(Path(out), row)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    rows += best_envelope(rows)
    if out:
        plot_sweep([r for r in rows if "+" not in r["scheme"]], Path(out).with_suffix(".png"))
    return rows


def _parse_mosaic(text: str) -> tuple[int, int]:
    try:
        rows, cols = (int(v) for v in text.lower().split("x"))
    except ValueError:
        rows = cols = 0
    if not (1 <= rows <= 64 and 1 <= cols <= 64):
        raise ValueError(f"--mosaic must look like 8x8 (images per row x per column), got {text!r}")
    return rows, cols


def check_baseline_inputs(images: ImageSet, baselines) -> None:
    """One line naming the first image a codec cannot take, or the extra a scheme needs."""
    from phy.digital import require_sionna

    from .baseline import split_scheme
    from .codecs import available_codecs, check_image_size

    for name, im in zip(images.names, images.images):
        check_image_size(name, im)
    if any(not b.endswith("@capacity") for b in baselines):
        require_sionna()
    for b in baselines:
        codec, _ = split_scheme(b)
        if codec in ("heic", "avif") and codec not in available_codecs():
            raise ValueError(f"--baseline {b}: the {codec} codec is not installed (pip install 'semcom-sdr[baseline]')")


def _digital_search(baselines, ratio: str, weights, grid, progress: bool):
    """The :class:`semcom.digital.DigitalSearch` for ``--baseline digital`` (None without it)."""
    from .baseline import DIGITAL
    from .codecs import available_codecs
    from .digital import DigitalSearch, semvit_mcs
    from .models.base import parse_ratio
    from .mosaic import MosaicSearch

    if DIGITAL not in baselines:
        return None
    bar = _bar(None, progress, "transport blocks", "TB")
    if grid:  # the published mosaic baseline: BPG (HEVC 4:4:4) only, its MCS set and byte budget
        return MosaicSearch(float(parse_ratio(ratio)), ["heic444"], mcs=semvit_mcs(), weights=weights, progress=bar)
    return DigitalSearch(float(parse_ratio(ratio)), available_codecs(), weights=weights, progress=bar)


def plot_sweep(rows: list[dict], png: Path) -> None:
    """PSNR against SNR, one line per scheme and configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    groups: dict = {}
    for r in rows:
        label = f"{r['scheme']} {r['link']} {r['channel']} {r['mimo']} PA={r['pa']}" + \
                (f" IBO={r['ibo_db']:g}dB" if r["pa"] != "none" else "") + \
                (f" mismatch {r['mismatch_db']:g} dB" if r.get("mismatch_db") else "")
        groups.setdefault(label, []).append((r["snr_db"], r["psnr_db"]))
    for label, pts in groups.items():
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
    ax.set(xlabel="SNR (dB)", ylabel="PSNR (dB)", title="semcom sweep")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def _bar(total: int | None, enabled: bool, desc: str = "sweep", unit: str = "point"):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr)
