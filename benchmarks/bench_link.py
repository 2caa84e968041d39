"""Throughput of the simulated MIMO-OFDM link on CPU, against a bare Sionna
chain doing the same work in the same run.

    python benchmarks/bench_link.py --threads 2 --out benchmarks/results/link_cpu

Both chains carry 512 complex symbols per image (a 32x32 image at k/n = 1/6)
on the seed numerology (128-point FFT, 72 used subcarriers, DC null, CP 9,
7-symbol slots, pilots on symbols 0 and 4) over a static 3GPP TDL-A channel
(300 ns) at 10 dB: resource-grid mapping -> OFDM modulation -> time-domain
channel + noise -> demodulation -> LS estimation with linear interpolation ->
LMMSE equalisation. Ours: ``semcom.link.OFDMLink``. Sionna's:
``ResourceGridMapper``, ``OFDMModulator``, ``TimeChannel``, ``OFDMDemodulator``,
``LSChannelEstimator``, ``LMMSEEqualizer``. A second table times the channel
alone: Sionna's ``TimeChannel`` against Sionna's taps applied by our FIR.
At 0 m/s our link samples the (constant) taps once per frame, Sionna's
``TimeChannel`` once per sample; at 30 m/s both use per-sample taps.
Each figure is the median of ``--repeats`` timed runs after two warm-ups.
"""

from __future__ import annotations

import argparse
import sys

import torch

from common import markdown_table, median_time, preamble, write_results

from phy.channels import complex_normal
from phy.multipath import apply_fir
from phy.ofdm import preset
from phy.power import normalize_power
from phy.sionna_channel import SionnaTimeChannel
from semcom.link import LinkConfig, OFDMLink

K = 512
SNR_DB = 10.0




def sionna_chain(cfg, batch: int, speed: float):
    """Sionna's own blocks for the same frame; returns a callable running one batch."""
    import numpy as np
    from sionna.phy.channel import TimeChannel
    from sionna.phy.channel.tr38901 import TDL
    from sionna.phy.mimo import StreamManagement
    from sionna.phy.ofdm import (LMMSEEqualizer, LSChannelEstimator, OFDMDemodulator, OFDMModulator, ResourceGrid,
                                 ResourceGridMapper)

    guards = cfg.fft_size - cfg.num_used_subcarriers - 1
    rg = ResourceGrid(num_ofdm_symbols=cfg.num_ofdm_symbols, fft_size=cfg.fft_size,
                      subcarrier_spacing=cfg.subcarrier_spacing_hz, num_tx=1, num_streams_per_tx=cfg.num_streams,
                      cyclic_prefix_length=cfg.cp_length, num_guard_carriers=(guards // 2, guards - guards // 2),
                      dc_null=True, pilot_pattern="kronecker", pilot_ofdm_symbol_indices=list(cfg.pilot_symbols))
    sm = StreamManagement(np.ones((1, 1), int), cfg.num_streams)
    n_data = rg.num_data_symbols
    mapper, modulator = ResourceGridMapper(rg), OFDMModulator(cfg.cp_length)
    tdl = TDL("A", delay_spread=300e-9, carrier_frequency=2e9, num_rx_ant=cfg.num_rx_ant, num_tx_ant=cfg.num_tx_ant,
              min_speed=0.0, max_speed=speed)
    samples = rg.num_time_samples
    channel = TimeChannel(tdl, rg.bandwidth, samples, normalize_channel=True)
    l_min = channel._l_min
    demod = OFDMDemodulator(cfg.fft_size, l_min, cfg.cp_length)
    estimator = LSChannelEstimator(rg, interpolation_type="lin")
    equalizer = LMMSEEqualizer(rg, sm)
    no = torch.tensor(10 ** (-SNR_DB / 10))
    slots = -(-K // (n_data * cfg.num_streams))

    def run():
        for _ in range(slots):
            s = complex_normal((batch, 1, cfg.num_streams, int(n_data)), 1.0)
            x = modulator(mapper(s))  # [B, 1, streams, samples]
            y = channel(x, no)
            grid = demod(y)
            h_hat, err = estimator(grid, no)
            equalizer(grid, h_hat, err, no)

    return run


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--mimo", default="seed-siso,seed-2x2")
    p.add_argument("--speeds", default="0,30", help="terminal speeds in m/s (0: static taps, sampled once)")
    p.add_argument("--out", default="benchmarks/results/link_cpu")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = []
    for name, speed in ((n, float(v)) for n in args.mimo.split(",") for v in args.speeds.split(",")):
        cfg = preset(name)
        link = OFDMLink(LinkConfig(ofdm=cfg, channel="tdl-a", estimator="ls", equalizer="lmmse", interleave=False,
                                   max_speed_mps=speed))
        s = normalize_power(complex_normal((args.batch, K), 1.0))
        snr = torch.full((args.batch,), SNR_DB)
        with torch.inference_mode():
            ours = median_time(lambda: link(s, snr), args.repeats)
            theirs = median_time(sionna_chain(cfg, args.batch, speed), args.repeats)
            ch = SionnaTimeChannel("tdl-a", cfg, max_speed_mps=speed)
            samples = 7 * cfg.symbol_length
            x = complex_normal((args.batch, cfg.num_tx_ant, samples), 1.0)
            taps_only = median_time(lambda: ch.taps(args.batch, samples), args.repeats)
            taps = ch.taps(args.batch, samples)
            fir = median_time(lambda: apply_fir(x, taps), args.repeats)
            from sionna.phy.channel import TimeChannel

            tc = TimeChannel(ch.model, ch.bandwidth, samples, normalize_channel=True)
            sionna_tc = median_time(lambda: tc(x[:, None]), args.repeats)
        rows.append({"config": name, "speed_mps": speed, "batch": args.batch, "ours_s": ours, "sionna_s": theirs,
                     "ours_img_per_s": args.batch / ours, "sionna_img_per_s": args.batch / theirs,
                     "speedup": theirs / ours, "sionna_timechannel_s": sionna_tc, "sionna_taps_s": taps_only,
                     "our_fir_s": fir})
        print(rows[-1], file=sys.stderr)
    lines = preamble("benchmarks/bench_link.py", argv) + [
             f"Whole link, {args.batch} images of 512 symbols per batch, TDL-A, LS + LMMSE, medians of "
             f"{args.repeats}:", ""]
    lines += markdown_table(
        ["config", "speed (m/s)", "ours (ms/batch)", "Sionna chain (ms/batch)", "ours (images/s)",
         "Sionna (images/s)", "ratio"],
        [(r["config"], f"{r['speed_mps']:g}", f"{r['ours_s'] * 1e3:.1f}", f"{r['sionna_s'] * 1e3:.1f}",
          f"{r['ours_img_per_s']:.0f}", f"{r['sionna_img_per_s']:.0f}", f"{r['speedup']:.2f}x") for r in rows])
    lines += ["", "Channel alone, one 7-symbol slot per image:", ""]
    lines += markdown_table(
        ["config", "speed (m/s)", "Sionna TimeChannel (ms)", "Sionna taps only (ms)", "our FIR on those taps (ms)"],
        [(r["config"], f"{r['speed_mps']:g}", f"{r['sionna_timechannel_s'] * 1e3:.1f}",
          f"{r['sionna_taps_s'] * 1e3:.1f}", f"{r['our_fir_s'] * 1e3:.2f}") for r in rows])
    write_results(args.out, rows, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
