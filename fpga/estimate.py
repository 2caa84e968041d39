"""Resource and throughput estimate of an hls4ml io_stream / Resource-strategy CNN, without vendor tools.

Model of one Conv2d layer (``C_in`` -> ``C_out``, ``K x K``, output ``H_out x W_out``,
reuse factor ``R``), following how hls4ml's Resource strategy builds it:

* multiplications per output pixel ``M = C_in * K^2 * C_out`` (one dense kernel call per pixel);
* multipliers (DSP48E2, one per multiplier) ``D = ceil(M / R)``;
* cycles per image ``H_out * W_out * R`` (the kernel takes R cycles per pixel, II = R);
  layers run concurrently (dataflow), so an image leaves every ``max_l(cycles_l)`` cycles:
  ``fps = f_clk / max_l(cycles_l)``; latency ~ ``sum_l(cycles_l)``;
* weight BRAM: the weights are stored as ``R`` words of ``D * w_bits`` bits (one word per cycle),
  in BRAM36 of 512 x 72 bit: ``ceil(D * w_bits / 72) * ceil(R / 512)``;
* line buffers (a ``K x K`` window on a stream): ``(K - 1) * W_in * C_in * a_bits`` bits,
  and a residual block's skip FIFO about the same as one line buffer pair (the two convolutions
  delay the stream by ``K - 1`` rows); each in BRAM36 ``ceil(bits / 36864)``.

Not counted: LUTs of the adders and activations, control, the nearest-upsample and add streams
(a few pixels of FIFO each). Check against a synthesis report when one is run.

``choose_reuse`` picks, per layer, the largest valid reuse factor (hls4ml's rule) with
``H_out * W_out * R <= f_clk / fps``: the fewest multipliers that still meet the frame rate.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from torch import nn

BRAM36_BITS = 36 * 1024
# xczu5eg (e.g. on PYNQ-ZU / ZCU104 class boards)
XCZU5EG = {"lut": 117_120, "dsp": 1248, "bram36": 144, "uram": 64}
# DeepJSCC-Q on a PYNQ-ZU (xczu5eg), 256x256 at 30 fps, hand-written RTL (issue 15)
REFERENCE = {"transmitter": {"lut": 52_700, "bram36": 104.5, "dsp": 243},
             "receiver": {"lut": 70_800, "bram36": 123.5, "dsp": 394}}


@dataclass
class ConvShape:
    """One Conv2d as the stream sees it (after any upsampling in front of it)."""

    name: str
    c_in: int
    c_out: int
    kernel: int
    h_out: int
    w_out: int
    w_in: int  # input row length the line buffer holds

    @property
    def n_in(self) -> int:
        return self.c_in * self.kernel ** 2

    @property
    def mults_per_pixel(self) -> int:
        return self.n_in * self.c_out

    @property
    def pixels(self) -> int:
        return self.h_out * self.w_out


def conv_shapes(net: nn.Module, channels: int, height: int, width: int) -> list[ConvShape]:
    """The Conv2d layers of ``net`` in execution order, for a [channels, height, width] input."""
    import torch

    shapes, hooks = [], []

    def hook(name):
        def fn(mod, inp, out):
            shapes.append(ConvShape(name, mod.in_channels, mod.out_channels, mod.kernel_size[0],
                                    out.shape[2], out.shape[3], inp[0].shape[3]))
        return fn

    for name, mod in net.named_modules():
        if isinstance(mod, nn.Conv2d):
            hooks.append(mod.register_forward_hook(hook(name)))
    try:
        with torch.no_grad():
            net(torch.zeros(1, channels, height, width))
    finally:
        for h in hooks:
            h.remove()
    return shapes


def valid_reuse_factor(n_in: int, n_out: int, rf: int) -> bool:
    """hls4ml's rule for a Resource-strategy dense kernel (FPGABackend._validate_reuse_factor)."""
    multfactor = min(n_in, rf)
    limit = math.ceil(n_in * n_out / multfactor)
    ok = (limit % n_out == 0) or rf >= n_in
    ok = ok and (rf % n_in == 0 or rf < n_in)
    return ok and (n_in * n_out) % rf == 0


def choose_reuse(layer: ConvShape, cycles_per_image: float) -> int:
    """The largest valid reuse factor whose ``pixels * R`` fits ``cycles_per_image`` (at least 1)."""
    limit = max(1, min(int(cycles_per_image // layer.pixels), layer.mults_per_pixel))
    for rf in range(limit, 0, -1):
        if valid_reuse_factor(layer.n_in, layer.c_out, rf):
            return rf
    return 1


@dataclass
class LayerEstimate:
    name: str
    reuse: int
    dsp: int
    cycles: int
    bram36_weights: int
    bram36_buffers: int


def estimate(layers: list[ConvShape], reuse: dict, weight_bits: int, act_bits: int, clock_mhz: float,
             residual_fifos: list[ConvShape] = ()) -> dict:
    """Totals and per-layer rows for the given reuse factors (``reuse[name]``); see the module docstring."""
    rows = []
    for layer in layers:
        rf = reuse[layer.name]
        dsp = math.ceil(layer.mults_per_pixel / rf)
        bram_w = math.ceil(dsp * weight_bits / 72) * math.ceil(rf / 512)
        line = (layer.kernel - 1) * layer.w_in * layer.c_in * act_bits
        rows.append(LayerEstimate(layer.name, rf, dsp, layer.pixels * rf, bram_w, math.ceil(line / BRAM36_BITS)))
    skip = sum(math.ceil((r.kernel - 1) * r.w_in * r.c_in * act_bits / BRAM36_BITS) for r in residual_fifos)
    interval = max(r.cycles for r in rows)
    return {"dsp": sum(r.dsp for r in rows),
            "bram36": sum(r.bram36_weights + r.bram36_buffers for r in rows) + skip,
            "bram36_weights": sum(r.bram36_weights for r in rows),
            "bram36_buffers": sum(r.bram36_buffers for r in rows) + skip,
            "cycles_per_image": interval, "latency_cycles": sum(r.cycles for r in rows),
            "fps": clock_mhz * 1e6 / interval, "latency_ms": sum(r.cycles for r in rows) / (clock_mhz * 1e3),
            "macs_per_image": sum(layer.mults_per_pixel * layer.pixels for layer in layers),
            "layers": [asdict(r) for r in rows]}


def fits(totals: dict, budget: dict = XCZU5EG) -> dict:
    """Utilisation fractions against ``budget`` (DSP, BRAM36 with URAM counted as 8 BRAM36 each)."""
    bram_budget = budget["bram36"] + 8 * budget["uram"]
    return {"dsp_fraction": totals["dsp"] / budget["dsp"], "bram36_fraction": totals["bram36"] / bram_budget,
            "fits": totals["dsp"] <= budget["dsp"] and totals["bram36"] <= bram_budget}
