"""What the decoder's input costs or buys: unbiased equalised symbols vs reliability-weighted ones.

    python benchmarks/bench_decoder_input.py --models vit --limit 200 --out benchmarks/results/decoder_input

The same frames (seeded channel and noise) through the 2x2 MIMO-OFDM link (Rapp PA p=3 at 3 dB IBO,
LMMSE estimation and equalisation), once over 3GPP TDL-A and once over a flat identity channel; each
model decodes ``ChannelOutput.s_hat`` (unbiased LMMSE output) and ``ChannelOutput.decoder_symbols``
(each symbol times (1 + mean v) / (1 + v)). Reported: mean PSNR over the images and the difference.
"""

from __future__ import annotations

import argparse

import torch

from common import add_image_options, markdown_table, parse, preamble, write_results

from semcom.data import iter_batches, load_images, to_tensor
from semcom.link import LinkConfig, OFDMLink, ofdm_for
from semcom.metrics import psnr
from semcom.zoo import load_model


@torch.no_grad()
def compare(model, images, channel: str, snr_db: float, seed: int = 0) -> tuple[float, float]:
    """(PSNR with unbiased symbols, PSNR with reliability-weighted symbols), same frames for both."""
    link = OFDMLink(LinkConfig(ofdm=ofdm_for("2x2"), channel=channel, pa="rapp", ibo_db=3.0,
                               estimator="lmmse", equalizer="lmmse"))
    torch.manual_seed(seed)  # Sionna's taps come from torch's global generator
    gen = torch.Generator().manual_seed(seed)
    plain, weighted = [], []
    for _, batch in iter_batches(images, 100):
        x = to_tensor(batch)
        snr = torch.full((x.shape[0],), snr_db)
        out = link(model.encode(x, snr), snr, generator=gen)
        plain.append(psnr(model.decode(out.s_hat, out.snr_eff_db, x.shape[2:]), x))
        weighted.append(psnr(model.decode(out.decoder_symbols, out.snr_eff_db, x.shape[2:]), x))
    return float(torch.cat(plain).mean()), float(torch.cat(weighted).mean())


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="vit")
    add_image_options(p, limit=200, out="benchmarks/results/decoder_input")
    args = parse(p, argv)
    images = load_images(args.data, "test").subset(args.limit)
    rows = []
    for name in args.models.split(","):
        model = load_model(name)
        for channel in ("tdl-a", "awgn"):
            for snr in (float(v) for v in args.snr.split(",")):
                plain, weighted = compare(model, images, channel, snr)
                rows.append({"model": name, "channel": channel, "snr_db": snr, "psnr_unbiased_db": round(plain, 3),
                             "psnr_weighted_db": round(weighted, 3), "gain_db": round(weighted - plain, 3)})
    lines = preamble("benchmarks/bench_decoder_input.py", argv, args.models.split(",")) + [
        f"{len(images)} CIFAR-10 test images; 2x2 MIMO-OFDM, Rapp PA (p=3) at 3 dB IBO, LMMSE estimation and "
        "equalisation; the same frames decoded from unbiased and from reliability-weighted symbols.", ""]
    lines += markdown_table(
        ["model", "channel", "SNR (dB)", "PSNR unbiased (dB)", "PSNR weighted (dB)", "gain (dB)"],
        [(r["model"], r["channel"], f"{r['snr_db']:g}", f"{r['psnr_unbiased_db']:.2f}",
          f"{r['psnr_weighted_db']:.2f}", f"{r['gain_db']:+.2f}") for r in rows])
    write_results(args.out, rows, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
