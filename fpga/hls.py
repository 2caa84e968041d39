"""hls4ml conversion of a folded CNN body: Vitis backend, io_stream, Resource strategy.

Precision per layer comes from profiling the float body on calibration inputs:
each layer's output gets ``act_bits`` bits with just enough integer bits for the
largest magnitude seen (plus sign), weights ``weight_bits`` bits sized to the
largest weight of the layer, and every quantiser rounds (``AP_RND_CONV``,
convergent) and saturates (``AP_SAT``): truncation and wrap-around cost
15-20 dB in an earlier study. Accumulators keep the exact product precision
with 6 spare integer bits.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

PART = "xczu5eg-sfvc784-1-e"


def hls_name(module_path: str) -> str:
    """hls4ml's PyTorch front end names a layer after its module path with dots as underscores."""
    return module_path.replace(".", "_")


def int_bits(max_abs: float, signed: bool = True) -> int:
    """Integer bits (with sign) for values up to ``max_abs`` in magnitude."""
    whole = math.floor(math.log2(max_abs)) + 1 if max_abs > 0 else 0
    return max(whole, 0) + (1 if signed else 0)


def profile(net: nn.Module, x: torch.Tensor) -> dict[str, float]:
    """Largest |output| of every Conv2d / ReLU / Upsample / Sigmoid in ``net`` on ``x``, by hls4ml name."""
    peaks, hooks = {}, []
    for name, mod in net.named_modules():
        if isinstance(mod, (nn.Conv2d, nn.ReLU, nn.Upsample, nn.Sigmoid)):
            def hook(m, inp, out, key=hls_name(name)):
                peaks[key] = max(peaks.get(key, 0.0), float(out.detach().abs().max()))
            hooks.append(mod.register_forward_hook(hook))
    try:
        with torch.no_grad():
            net(x)
    finally:
        for h in hooks:
            h.remove()
    return peaks


def fixed(bits: int, integer: int, signed: bool = True) -> str:
    kind = "ap_fixed" if signed else "ap_ufixed"
    return f"{kind}<{bits},{integer},AP_RND_CONV,AP_SAT>"


def hls_config(net: nn.Module, calib: torch.Tensor, reuse: dict[str, int], weight_bits: int, act_bits: int) -> dict:
    """hls4ml config (granularity ``name``) with profiled precisions and the given reuse factors."""
    import hls4ml

    cfg = hls4ml.utils.config_from_pytorch_model(net, tuple(calib.shape[1:]), granularity="name", backend="Vitis",
                                                 default_precision=f"ap_fixed<{act_bits},8>")
    cfg["Model"]["Strategy"] = "Resource"
    peaks = profile(net, calib)
    in_peak = float(calib.abs().max())
    layers = cfg["LayerName"]
    modules = {hls_name(n): m for n, m in net.named_modules()}
    for name, lc in layers.items():
        mod = modules.get(name)
        prec = lc.setdefault("Precision", {})
        if mod is None and name not in peaks:  # the input, adds, clones
            if name == next(iter(layers)):
                prec["result"] = fixed(act_bits, int_bits(in_peak))
            continue
        if isinstance(mod, nn.Conv2d):
            w_int = int_bits(float(mod.weight.detach().abs().max()))
            b_int = int_bits(float(mod.bias.detach().abs().max()))
            out_int = int_bits(peaks[name])
            prec["weight"] = fixed(weight_bits, w_int)
            prec["bias"] = fixed(act_bits, b_int)
            prec["result"] = fixed(act_bits, out_int)
            frac = (weight_bits - w_int) + (act_bits - 1)  # product of the weight and the widest input fraction
            prec["accum"] = f"ap_fixed<{out_int + 6 + frac},{out_int + 6}>"
            lc["ReuseFactor"] = reuse.get(name, 1)
        elif isinstance(mod, nn.Sigmoid):
            prec["result"] = fixed(act_bits, 0, signed=False)
            prec["table"] = "ap_fixed<18,2>"
            lc["TableSize"] = 4096
        elif isinstance(mod, nn.ReLU):
            prec["result"] = fixed(act_bits, int_bits(peaks[name], signed=False), signed=False)
        # nearest Upsample (hls4ml Resize) keeps its input's type: io_stream requires it
    return cfg


def convert(net: nn.Module, cfg: dict, shape: tuple[int, int, int], out_dir: Path, name: str, clock_mhz: float,
            tb: tuple[np.ndarray, np.ndarray] | None = None):
    """The hls4ml model of ``net`` for [C,H,W] inputs ``shape``, written to ``out_dir``.

    ``tb`` (inputs [N,C,H,W], expected outputs) go to ``out_dir/tb_data`` for co-simulation.
    """
    import hls4ml

    cfg = dict(cfg, InputShape=shape)
    kwargs = {}
    if tb is not None:
        tb_dir = out_dir / "tb_vectors"
        tb_dir.mkdir(parents=True, exist_ok=True)
        np.save(tb_dir / "input.npy", np.ascontiguousarray(tb[0], dtype=np.float32))
        np.save(tb_dir / "output.npy", np.ascontiguousarray(tb[1], dtype=np.float32))
        kwargs = {"input_data_tb": str(tb_dir / "input.npy"), "output_data_tb": str(tb_dir / "output.npy")}
    return hls4ml.converters.convert_from_pytorch_model(
        net, output_dir=str(out_dir), project_name=name, backend="Vitis", io_type="io_stream", hls_config=cfg,
        part=PART, clock_period=round(1e3 / clock_mhz, 3), **kwargs)


def predict(hls_model, x: np.ndarray, out_shape: tuple[int, int, int]) -> np.ndarray:
    """C simulation: [N,C,H,W] inputs -> [N,C',H',W'] outputs (hls4ml streams channels last)."""
    c, h, w = out_shape
    y = np.asarray(hls_model.predict(np.ascontiguousarray(x, dtype=np.float32)))
    return y.reshape(x.shape[0], h, w, c).transpose(0, 3, 1, 2)


def synthesize_if_available(hls_models: list) -> str:
    """Run vitis_hls synthesis of each project when the tool is on PATH; otherwise say what to install."""
    import shutil

    if shutil.which("vitis_hls") is None:
        return "vitis_hls not on PATH: install AMD Vitis HLS 2023.2+ and rerun for synthesis reports (C simulation done)"
    for m in hls_models:
        m.build(csim=False, synth=True, vsynth=False)
    return "synthesised with vitis_hls in " + ", ".join(os.fspath(m.config.get_output_dir()) for m in hls_models)
