"""Receiver throughput on CPU against the sample rates radios stream.

    python benchmarks/bench_receiver.py --threads 2 --out benchmarks/results/receiver_cpu

A capture of two frame lengths (one semantic frame of a 32x32 image, k/n = 1/6,
seed numerology at 1.92 MS/s, through the sim radio at 20 dB with 10 ppm CFO)
is processed by the whole receiver (detection, CFO, header, OFDM
demodulation, LMMSE estimation and equalisation, JSCC decoder) one frame per
call (``Transceiver.receive``), and by detection alone; a stream of
``--stream-frames`` back-to-back frames is processed in one pass
(``Transceiver.receive_all``, decoding the frames as one batch, as the GNU
Radio sink does). Reported: median over ``--repeats`` runs, as samples/s, and the
ratio to 1.92 MS/s (the seed setup) and 61.44 MS/s (Pluto's maximum); a ratio
>= 1 keeps up in real time. Two parts of the stream are also timed alone, each
against the stream's samples: the PHY front end (``FrameReceiver.frames``:
search, headers, bodies cut) and the JSCC decoder on as many frames in one call;
what is left of the stream's time is the OFDM receiver (estimation, equalisation).
The stream is also received pipelined (:class:`semcom.pipeline.PipelinedReceiver`: the front
end and the OFDM receiver on a worker thread, overlapped with the JSCC decoder on the
caller's, in reads of ``--read-frames`` frame lengths), each stage with one thread
(``--threads 2``: torch one thread, the decoder's ONNX Runtime session one), so the two
stages together use as many threads as the other rows.

``--runtime onnx|onnx-int8`` runs the JSCC decoder in ONNX Runtime (int8: calibrated
on the CIFAR-10 training images of ``--data``/``$SEMCOM_DATA``); the table then also
gives the decoder's PSNR beside torch's (torch encoder, AWGN at 10 dB, the first
200 CIFAR-10 test images, or the bundled samples without data).

    python benchmarks/bench_receiver.py --threads 2 --runtime onnx-int8 --out benchmarks/results/receiver_cpu_onnx-int8
"""

from __future__ import annotations

import argparse
import os
import sys

import torch

from common import median_time, preamble, write_results

from phy.sync import synchronize
from radio.config import RadioConfig
from radio.sim import SimRadio
from semcom.data import DATA_ENV, load_images, sample_images_dir, to_tensor
from semcom.metrics import psnr
from semcom.ota import Transceiver, ofdm_for_radio
from semcom.pipeline import PipelinedReceiver, reads_of
from semcom.runtime import RUNTIMES, make_codec
from semcom.zoo import load_model

RATES = {"seed 1.92 MS/s": 1.92e6, "Pluto max 61.44 MS/s": 61.44e6}


@torch.no_grad()
def decoder_psnr(model, codec, images, snr_db: float = 10.0) -> tuple[float, float]:
    """Mean PSNR (dB) of the torch decoder and of ``codec``'s on the same received symbols (AWGN)."""
    x = to_tensor(images)
    snr = torch.full((x.shape[0],), snr_db)
    s = model.encode(x, snr)
    gen = torch.Generator().manual_seed(0)
    noise = torch.complex(torch.randn(s.shape, generator=gen), torch.randn(s.shape, generator=gen))
    y = s + noise * (10 ** (-snr_db / 10) / 2) ** 0.5
    size = tuple(x.shape[2:])
    return (float(psnr(model.decode(y, snr, size), x).mean()), float(psnr(codec.decode(y, snr, size), x).mean()))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--models", default="cnn,vit,cnn-fpga")
    p.add_argument("--stream-frames", type=int, default=32)
    p.add_argument("--read-frames", type=int, default=16, help="frame lengths per read of the pipelined stream")
    p.add_argument("--runtime", default="torch", choices=RUNTIMES, help="what runs the JSCC decoder")
    p.add_argument("--data", default=None, help="CIFAR-10 (int8 calibration, PSNR check); default $SEMCOM_DATA")
    p.add_argument("--out", default="benchmarks/results/receiver_cpu")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    load = os.getloadavg()[0]
    image = load_images(sample_images_dir()).images[0]
    check_images = load_images(args.data, "test").subset(200).images if args.data or os.environ.get(DATA_ENV) \
        else load_images(sample_images_dir()).images
    rows, checks = [], []
    for model in args.models.split(","):
        net = load_model(model)
        codec = make_codec(net, args.runtime, data=args.data, threads=args.threads)
        trx = Transceiver(net, model, ofdm_for_radio(1, 1, 1.92e6), codec=codec)
        frame, _ = trx.jscc_frame(image, seq=0)
        radio = SimRadio(RadioConfig(driver="sim", center_frequency_hz=2.4e9, rx_gain_db=0.0,
                                     options={"snr_db": 20, "cfo_ppm": 10, "seed": 0}))
        radio.tx(frame, cyclic=True)
        capture = radio.rx(2 * frame.shape[-1])
        stream = radio.rx(args.stream_frames * frame.shape[-1])
        if trx.receive(capture).image is None or len(trx.receive_all(stream)) < args.stream_frames - 1:
            raise SystemExit("the receiver failed on the benchmark capture")
        # one frame per call: each call decodes one frame, which occupies frame.shape[-1] samples of a stream
        if args.runtime != "torch":
            ref, got = decoder_psnr(net, codec, check_images)
            checks.append(f"- {model}: decoder PSNR {got:.2f} dB with {args.runtime}, {ref:.2f} dB with torch "
                          f"({got - ref:+.2f} dB; {len(check_images)} images, AWGN 10 dB)")
        tag = model if args.runtime == "torch" else f"{model}, {args.runtime}"
        count = args.stream_frames
        symbols = torch.randn(count, net.num_symbols(*image.shape[:2]), dtype=torch.complex64)
        snr = torch.full((count,), 10.0)
        stage_threads = max(1, args.threads // 2)
        piped = PipelinedReceiver(Transceiver(net, model, trx.ofdm, codec=make_codec(
            net, args.runtime, data=args.data, threads=stage_threads)))
        reads = args.read_frames * frame.shape[-1]

        def pipelined():
            torch.set_num_threads(stage_threads)
            try:
                return list(piped.receive(reads_of(stream, reads)))
            finally:
                torch.set_num_threads(args.threads)

        stages = [(f"whole receiver, one frame per call ({tag})", frame, lambda: trx.receive(capture)),
                  (f"whole receiver, stream of {count} frames ({tag})", stream, lambda: trx.receive_all(stream)),
                  (f"whole receiver, stream of {count} frames pipelined, reads of {args.read_frames} frames, "
                   f"{stage_threads} thread(s) per stage ({tag})", stream, pipelined),
                  (f"of which frame search, headers and bodies cut, stream of {count} frames ({tag})", stream,
                   lambda: list(trx.receiver.frames(stream))),
                  (f"of which JSCC decoder alone, {count} frames in one batch ({tag})", stream,
                   lambda: codec.decode(symbols, snr, image.shape[:2]))]
        if not rows:
            stages.append(("detection + CFO + SNR only", capture, lambda: synchronize(capture, trx.preamble, trx.fs)))
        for name, samples, fn in stages:
            n = samples.shape[-1]
            t = median_time(fn, args.repeats)
            rows.append({"stage": name, "samples": n, "median_s": t, "samples_per_s": n / t,
                         **{f"x {k}": n / t / v for k, v in RATES.items()}})
            print(rows[-1], file=sys.stderr)
    lines = preamble("benchmarks/bench_receiver.py", argv, args.models.split(",")) + [
             f"Medians of {args.repeats} runs. Samples/s counts the stream samples handled: one frame "
             f"({frame.shape[-1]} samples) per call for the one-frame path (each call is given a capture of two "
             f"frame lengths, as `semcom ota` does), the whole buffer for the stream and for detection. "
             f"A ratio >= 1 keeps up in real time. 1-minute load average: {load:.1f} when it started, "
             f"{os.getloadavg()[0]:.1f} when it ended on {os.cpu_count()} cores "
             f"(other jobs on the machine slow every row alike).", "",
             "| stage | samples | median (ms) | samples/s | vs 1.92 MS/s | vs 61.44 MS/s |",
             "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {r['stage']} | {r['samples']} | {r['median_s'] * 1e3:.1f} | {r['samples_per_s'] / 1e6:.2f} M | "
              f"{r['x seed 1.92 MS/s']:.2f}x | {r['x Pluto max 61.44 MS/s']:.3f}x |" for r in rows]
    if checks:
        lines += ["", "Decoder quality with this runtime:", ""] + checks
    write_results(args.out, rows, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
