"""What in-band interference leaves to a receiver: a genie bound for frames in real captures.

    python benchmarks/interference_oracle.py --iq ../shared/data/iq lte_amarisoft:middle:10

For each ``capture:position:sinr_db`` (the frame and mixing of ``benchmarks/real_captures.py``,
x1e3 with a DC of half the RMS), and for the same frame in white noise: the noise plus
interference per data RE after the receiver's channel estimate (measured against the known
transmitted grid), the receiver's PSNR, and the PSNR when the equaliser and the decoder's
reliability weighting are handed that genie's exact per-RE variance. When even the genie stays
far below white noise, the loss is the interference's power in the frame's band, not the receiver.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from phy.channels import ChannelOutput  # noqa: E402
from semcom.data import load_images, sample_images_dir, to_tensor, to_uint8  # noqa: E402
from semcom.metrics import psnr  # noqa: E402
from semcom.ota import Transceiver, ofdm_for_radio  # noqa: E402
from semcom.zoo import load_model  # noqa: E402
from tests.iq_captures import POSITIONS, load, mix, white_noise_like  # noqa: E402


def genie(trx: Transceiver, y, s: torch.Tensor, image) -> tuple[float, float, float] | None:
    """(noise per data RE, receiver PSNR, genie PSNR) of the first frame of ``y``, or None."""
    frames = [f for f in trx.receiver.frames(y) if f.body is not None]
    if not frames:
        return None
    link, k = trx.link, s.shape[1]
    blocks, body = link.blocks(k), frames[0].body[None]
    y_grid = link.demodulator(body)  # [1, rx, T, N]
    n0 = link.body_noise_var(body, k)  # [1, N]: what the receiver measures
    h, err = blocks["estimator"](y_grid, n0[:, trx.ofdm.used_subcarriers].mean(1))  # [1, rx, S, T, N], [1, S, T, N]
    e = (y_grid - h[:, :, 0] * link.transmit_grid(s)).abs().square()  # [1, rx, T, N] (SISO)
    data = blocks["demapper"](e[:, :1])  # [1, k]: the data REs only

    def decoded(n0_grid) -> float:
        x_hat, var = link.equalizer(y_grid, h, torch.zeros(1), err + n0_grid)
        noise = blocks["demapper"](var).clamp(1e-6, 1e3)
        out = ChannelOutput(s_hat=blocks["demapper"](x_hat), snr_eff_db=-10 * torch.log10(noise.mean(1)),
                            noise_var=noise)
        snr = trx.decoder_snr(out.snr_eff_db, torch.tensor([trx.tx_snr_db]))
        x = to_uint8(trx.codec.decode(out.decoder_symbols, snr, image.shape[:2]))[0]
        return round(float(psnr(to_tensor(x), to_tensor(image))), 2)

    return round(float(data.mean()), 4), decoded(n0[:, None, None, :]), decoded(e[:, :1])


@torch.no_grad()
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="+", help="capture:position:sinr_db, e.g. lte_amarisoft:middle:10")
    ap.add_argument("--iq", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "iq"))
    args = ap.parse_args(argv)
    metas = {m.stem: m for m in Path(args.iq).glob("*/*.sigmf-meta")}
    cases = [(case, *(case.split(":") + ["", "", ""])[:3]) for case in args.cases]
    for case, name, position, sinr in cases:
        if name not in metas or position not in POSITIONS or not sinr.replace(".", "", 1).lstrip("-").isdigit():
            print(f"{case!r}: expected capture:position:sinr_db with a capture under {args.iq} and a position "
                  f"among {', '.join(POSITIONS)}", file=sys.stderr)
            return 2
    image, model = load_images(sample_images_dir()).images[0], load_model("cnn")
    print("| case | noise per data RE: capture / white | PSNR receiver: capture / white "
          "| PSNR genie: capture / white |")
    print("|---|---|---|---|")
    for case, name, position, sinr in cases:
        capture, rate = load(metas[name])
        trx = Transceiver(model, "cnn", ofdm_for_radio(1, 1, rate))
        s = model.encode(to_tensor(image), trx.tx_snr_db)
        frame = trx.jscc_frame(image, 0)[0][0]
        got = genie(trx, mix(capture, frame, position, float(sinr), 1e3, 0.5), s, image)
        ref = genie(trx, white_noise_like(capture, frame, float(sinr)), s, image)
        cols = [" / ".join(str(v[i]) if v else "lost" for v in (got, ref)) for i in range(3)]
        print(f"| {case} | " + " | ".join(cols) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
