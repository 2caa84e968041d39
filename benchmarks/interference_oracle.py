"""What in-band interference leaves to a receiver: genie bounds for frames in real captures.

    python benchmarks/interference_oracle.py --iq ../shared/data/iq lte_amarisoft:middle:10

For each ``capture:position:sinr_db`` (the frame and mixing of ``benchmarks/real_captures.py``,
x1e3 with a DC of half the RMS) the first frame's body is split, through the receiver's own
linear steps (DC removal, gain, CFO correction, retiming), into the frame's part and the
capture's (the interference). That gives the true channel of every RE and the exact
interference on it. The body is then decoded with the receiver's estimates, and with genies
one at a time: the true channel (with the receiver's noise map), and the true channel with the
interference's true power per OFDM symbol or per RE. The first table compares them with the same
frame in white noise at the same SINR, and at the SINR where white noise puts the same power on
the body's REs as the capture does. The second table says where the interference lies: its power
on the body against the frame's whole span (over which the SINR is set), its share on the frame's
used subcarriers, and its power per OFDM symbol of the body.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from benchmarks.real_captures import first_psnr  # noqa: E402
from phy.channels import ChannelOutput  # noqa: E402
from phy.ofdm.estimation import body_noise_variance  # noqa: E402
from phy.sync import correct_cfo, remove_dc  # noqa: E402
from phy.timing import body_margin, estimate_sco, retime  # noqa: E402
from semcom.data import load_images, sample_images_dir, to_tensor, to_uint8  # noqa: E402
from semcom.metrics import psnr  # noqa: E402
from semcom.ota import Transceiver, ofdm_for_radio  # noqa: E402
from semcom.zoo import load_model  # noqa: E402
from tests.iq_captures import POSITIONS, load, mix_parts, white_noise_like, white_noise_parts  # noqa: E402


def split_body(trx: Transceiver, interference, signal):
    """(received grid, interference's part, frame's part) [1, rx, T, N] of the first frame with a body
    in ``interference + signal``, and the frame's span in samples (start, body start, end); or None."""
    frame = next((f for f in trx.receiver.frames(interference + signal) if f.body is not None), None)
    if frame is None:
        return None
    det, rx, link = frame.detection, trx.receiver, trx.link
    k = frame.header.num_symbols
    start, length = det.start + rx.header_length, link.num_samples(k)
    margin, gain = body_margin(length), 1.0 / math.sqrt(det.signal_power)

    def body(x):  # the receiver's steps, all linear once the detection is fixed
        y = remove_dc(torch.as_tensor(x)[None]).to(torch.complex64) * gain
        cut = [correct_cfo(y[:, a:a + n], det.cfo_hz, rx.fs, first_index=a)
               for a, n in ((start, length), (start + length, margin))]
        return cut[0][None], torch.nn.functional.pad(cut[1], (0, margin - cut[1].shape[-1]))[None]

    whole, tail = frame.body[None], frame.tail[None]
    eps = estimate_sco(link.demodulator(whole), link.blocks(k)["grid"])
    grids = [link.demodulator(retime(b, t, eps)) for b, t in (body(interference), body(signal))]
    y = link.demodulator(retime(whole, tail, eps))
    assert (grids[0] + grids[1] - y).abs().max() < 1e-4 * y.abs().max(), "the parts do not add up to the body"
    return y, grids[0], grids[1], (det.preamble_start, start, start + length)


def true_channel(y_signal: torch.Tensor, x: torch.Tensor, used) -> torch.Tensor:
    """The channel of every used RE [1, rx, 1, T, N] from the frame's part of the body and the sent
    grid; REs that carry nothing (padding) take their OFDM symbol's mean."""
    sent = x.abs() > 1e-6
    h = torch.where(sent, y_signal / torch.where(sent, x, torch.ones_like(x)), torch.zeros_like(y_signal))
    mean = h[..., used].sum(-1, keepdim=True) / sent[..., used].sum(-1, keepdim=True).clamp_min(1)
    h = torch.where(sent, h, mean)
    out = torch.zeros_like(h)
    out[..., used] = h[..., used]
    return out[:, :, None]


class Decoder:
    """PSNR of one body [1, rx, T, N] equalised with a given channel and noise per RE."""

    def __init__(self, trx: Transceiver, image, k: int):
        self.trx, self.image, self.blocks = trx, image, trx.link.blocks(k)

    def __call__(self, y, h, noise) -> float:
        """:input h: [1, rx, 1, T, N]. :input noise: [1, 1, T, N] (channel-estimation error included)."""
        trx, demap = self.trx, self.blocks["demapper"]
        x_hat, var = trx.link.equalizer(y, h, torch.zeros(1), noise)
        var = demap(var).clamp(1e-6, 1e3)
        out = ChannelOutput(s_hat=demap(x_hat), snr_eff_db=-10 * torch.log10(var.mean(1)), noise_var=var)
        snr = trx.decoder_snr(out.snr_eff_db, torch.tensor([trx.tx_snr_db]))
        x = to_uint8(trx.codec.decode(out.decoder_symbols, snr, self.image.shape[:2]))[0]
        return round(float(psnr(to_tensor(x), to_tensor(self.image))), 2)


def study(trx: Transceiver, parts, s, image) -> dict | None:
    """The PSNRs and the interference's figures of one frame (see the module's docstring)."""
    split = split_body(trx, *parts)
    if split is None:
        return None
    y, y_i, y_f, (first, body, end) = split
    link, k, used = trx.link, s.shape[1], trx.ofdm.used_subcarriers
    decode, h = Decoder(trx, image, k), true_channel(y_f, link.transmit_grid(s), used)
    n0 = body_noise_variance(y, link.blocks(k)["grid"]).clamp_min(1e-12)[:, None, None]  # [1, 1, 1, N], as the receiver
    h_est, err = link.blocks(k)["estimator"](y, n0[..., used].flatten(1).mean(1))
    power = y_i.abs().square()[:, :1]  # [1, 1, T, N]: the interference on every RE
    per_symbol = power[..., used].mean(-1, keepdim=True).expand_as(power)
    span = remove_dc(torch.as_tensor(parts[0])[None])[0].abs().square()
    return {
        "receiver": decode(y, h_est, err + n0),
        "true H": decode(y, h, n0),
        "true H, noise per symbol": decode(y, h, per_symbol),
        "true H, noise per RE": decode(y, h, power.clamp_min(1e-6)),
        "per data RE": float(link.blocks(k)["demapper"](power).mean()),
        "body / span": float(span[body:end].mean() / span[first:end].mean()),
        "in band": float(power[..., used].sum() / power.sum()),
        "per symbol": " ".join(f"{v:.2f}" for v in power[0, 0][:, used].mean(-1).tolist()),
    }


GENIES = ("receiver", "true H", "true H, noise per symbol", "true H, noise per RE")


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
    psnrs, where = [], []
    for case, name, position, sinr in cases:
        capture, rate = load(metas[name])
        trx = Transceiver(model, "cnn", ofdm_for_radio(1, 1, rate))
        s = model.encode(to_tensor(image), trx.tx_snr_db)
        frame, sinr = trx.jscc_frame(image, 0)[0][0], float(sinr)
        got = study(trx, mix_parts(capture, frame, position, sinr, 1e3, 0.5), s, image)
        ref = study(trx, white_noise_parts(capture, frame, sinr), s, image)
        if got is None or ref is None:
            psnrs.append(f"| {case} | lost |" + " |" * (len(GENIES) + 1))
            continue
        # white noise at the SINR where it puts the capture's interference power on the body's data REs
        equal_db = sinr - 10 * math.log10(got["per data RE"] / ref["per data RE"])
        same = first_psnr(trx, white_noise_like(capture, frame, equal_db), image)
        psnrs.append(f"| {case} | " + " | ".join(str(got[g]) for g in GENIES) +
                     f" | {ref['receiver']} | {same} at {equal_db:.2f} dB |")
        where.append(f"| {case} | {got['per data RE']:.4f} / {ref['per data RE']:.4f} | {got['body / span']:.2f} "
                     f"| {got['in band']:.3f} / {ref['in band']:.3f} | {got['per symbol']} |")
    print("| case | " + " | ".join(GENIES) + " | white noise, same SINR | white noise, same power per body RE |")
    print("|---" * (len(GENIES) + 3) + "|")
    print("\n".join(psnrs))
    print()
    print("| case | interference per data RE: capture / white | its power on the body / over the frame's span "
          "| share on the used subcarriers: capture / white | per OFDM symbol of the body |")
    print("|---|---|---|---|---|")
    print("\n".join(where))
    return 0


if __name__ == "__main__":
    sys.exit(main())
