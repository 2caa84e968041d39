"""Measure a zoo model with `semcom eval` and write its model card.

    python scripts/write_model_card.py cnn --data ../shared/data/cifar10.npz

Every number in the card comes from the weight file's metadata or from the
evaluation this script runs (full CIFAR-10 test set unless --limit is given).
A model fine-tuned through the MIMO-OFDM link (``semcom train --link ofdm``)
is also measured with ``semcom sweep`` on its training link, beside the model
it started from (``--link-limit`` test images).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from semcom import zoo
from semcom.checkpoint import read_checkpoint

SNRS = "0,5,10,15,20"
REFERENCE_10DB = ("Public reference points at 10 dB, ratio 1/6, AWGN: BPG+5G LDPC 29.73 dB, "
                  "BPG at channel capacity 31.59 dB, DeepJSCC about 31.0-31.9 dB, WITT about 32.6 dB.")
ARCH_TEXT = {
    "cnn": "CNN deep-JSCC (`semcom.models.cnn.CNNJSCC`): two stride-2 5x5 convolutions, residual 3x3 blocks, "
           "nearest-upsample + conv decoder, ReLU/Sigmoid only (hls4ml-convertible body); SNR enters every "
           "convolution through a per-channel FiLM affine",
    "vit": "ViT deep-JSCC (`semcom.models.vit.ViTJSCC`, SemViT family): conv stem to 8x8 tokens of 4x4 pixels "
           "per 32x32 tile, pre-norm transformer blocks whose norms are SNR-modulated (FiLM), mirror decoder",
}


def _init_line(tc: dict, meta: dict) -> str:
    if not tc.get("init_from"):
        return ""
    sha = meta.get("init_from_sha256")
    return (f"- Fine-tuned from the zoo model `{tc['init_from']}`"
            + (f" (the weights with SHA-256 `{sha}`)." if sha else " (its SHA-256 at that time was not recorded)."))


def _precision(tc: dict) -> str:
    if tc.get("precision") == "bf16":
        return "model body under bfloat16 autocast (`--precision bf16`), channel and loss in float32"
    return "float32"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("name")
    p.add_argument("--data", required=True)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--link-limit", type=int, default=2000, help="test images for the link sweep of link-trained models")
    p.add_argument("--note", default="", help="training history worth knowing (e.g. a changed learning rate)")
    args = p.parse_args(argv)

    entry = zoo.index()[args.name]
    path = zoo.weight_path(args.name)
    obj = read_checkpoint(path)
    meta, cfg = obj["meta"], obj["config"]
    model = zoo.load_model(args.name)
    n_params = sum(p.numel() for p in model.parameters())

    cmd = ["semcom", "eval", "--model", args.name, "--data", args.data,
           "--channel", "awgn", "--snr", SNRS, "--json", "--quiet"]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    t0 = time.time()
    exe = [sys.executable, "-m", "semcom"] + cmd[1:]
    env = dict(os.environ, SEMCOM_THREADS=str(args.threads))
    rows = json.loads(subprocess.run(exe, check=True, capture_output=True, text=True, env=env).stdout)
    eval_s = time.time() - t0

    tc = meta.get("train_config") or {}
    link_section = _link_section(args, tc, env) if tc.get("link") else ""
    hours = (meta.get("train_elapsed_s") or 0) / 3600
    table = "\n".join(f"| {r['snr_db']:g} | {r['psnr_db']:.2f} | {r['ssim']:.4f} |" for r in rows)
    psnr10 = next(r["psnr_db"] for r in rows if r["snr_db"] == 10.0)
    card = f"""# Model card: `{args.name}`

{ARCH_TEXT[entry['arch']]}.

| | |
| --- | --- |
| configuration | `{json.dumps(cfg)}` |
| parameters | {n_params:,} |
| bandwidth ratio k/n | {entry['ratio']} ({model.num_symbols(32, 32)} complex symbols per 32x32 RGB image), E\\|s\\|^2 = 1 per image |
| SNR range | one SNR-adaptive model for {cfg['snr_range_db'][0]:g}-{cfg['snr_range_db'][1]:g} dB, trained on {_train_channel(tc, meta)} with the SNR drawn uniformly per image |
| weights | `semcom/zoo/weights/{entry['file']}`, EMA of the training weights stored as float16, {path.stat().st_size / 1e6:.1f} MB |
| SHA-256 | `{entry['sha256']}` |

## Training

{_init_line(tc, meta)}
- Data: CIFAR-10 training split, 50,000 images, from `cifar10.npz` (lossless, official order); random horizontal flips.
- Command: `{meta.get('command') or 'not recorded; configuration: ' + json.dumps(tc)}`
- Schedule: AdamW (lr {tc.get('lr')}, beta2 {tc.get('beta2', 0.999)}, weight decay {tc.get('weight_decay')}), batch {tc.get('batch_size')}, {tc.get('warmup_steps')} warm-up steps, cosine to {tc.get('min_lr')} over {tc.get('epochs')} epochs; EMA decay {tc.get('ema_decay')}; MSE loss; {_precision(tc)}.
- Progress: **{meta.get('epochs_done', 0):.2f} of {tc.get('epochs')} epochs** ({meta.get('images_seen', 0):,} images seen), {hours:.2f} h of wall time on {meta.get('hardware') or 'CPU'}.
{('- History: ' + args.note) if args.note else ''}
- Resume with the same command (it carries `--resume`) on the run folder's `checkpoint.pt`; then
  `semcom export --checkpoint {tc.get('out') or 'runs/' + args.name}/checkpoint.pt --zoo-name {args.name}` and this script.

## Measured quality

`{' '.join(cmd)}` on the CIFAR-10 test split ({rows[0]['n_images']:,} images), AWGN, noise seeded, mean of per-image PSNR ({eval_s:.0f} s on {args.threads} CPU threads, torch {torch.__version__}):

| SNR (dB) | PSNR (dB) | SSIM |
| --- | --- | --- |
{table}

{REFERENCE_10DB} This model gives {psnr10:.2f} dB at 10 dB.
{link_section}
## Limitations

- Trained on 32x32 CIFAR-10 only; larger images are coded tile-free (CNN, fully convolutional) or in 32x32 tiles (ViT), untested on a held-out natural-image set.
- {'Trained through one simulated link (above); other channels, PAs and real radios are untested.' if tc.get('link') else 'Trained and measured on AWGN with a known SNR; fading, OFDM, PA and synchronisation are other issues' + chr(39) + ' models.'}
"""
    out = zoo.zoo_dir() / "cards" / entry["card"]
    out.write_text(card)
    print(f"wrote {out}: PSNR at 10 dB {psnr10:.2f}")
    return 0


def _train_channel(tc: dict, meta: dict) -> str:
    if not tc.get("link"):
        return meta.get("train_channel", "awgn").upper()
    from semcom.train_config import TrainConfig, describe_channel

    return "the MIMO-OFDM link (" + describe_channel(TrainConfig(**tc)) + ")"


def _link_section(args, tc: dict, env: dict) -> str:
    """A `semcom sweep` of this model (and the one it was fine-tuned from) on its training link."""
    link = tc["link"]
    models = [args.name] + ([tc["init_from"]] if tc.get("init_from") else [])
    cmd = ["semcom", "sweep", "--model", ",".join(models), "--link", "ofdm", "--channel", tc["channel"],
           "--mimo", link.get("mimo", "1x1"), "--pa", link.get("pa", "none"), "--ibo", f"{link.get('ibo_db', 6.0):g}",
           "--estimator", link.get("estimator", "ls"), "--equalizer", link.get("equalizer", "lmmse")]
    if link.get("clip_ratio_db") is not None:
        cmd += ["--clip", f"{link['clip_ratio_db']:g}"]
    if link.get("precoding", "identity") != "identity":
        cmd += ["--precoding", link["precoding"]]
    cmd += ["--snr", SNRS, "--data", args.data, "--limit", str(args.link_limit), "--json"]
    t0 = time.time()
    rows = json.loads(subprocess.run([sys.executable, "-m", "semcom"] + cmd[1:], check=True, capture_output=True,
                                     text=True, env=env).stdout)
    took = time.time() - t0
    by = {(r["scheme"], r["snr_db"]): r for r in rows}
    head = " | ".join(f"{m} PSNR (dB)" for m in models)
    lines = [f"| SNR (dB) | {head} | " + ("gain (dB) | " if len(models) > 1 else "") + f"PAPR at 1e-3 ({models[0]}, dB) |",
             "| --- " * (len(models) + 2 + (len(models) > 1)) + "|"]
    for snr in (float(v) for v in SNRS.split(",")):
        vals = [by[(m, snr)]["psnr_db"] for m in models]
        gain = f" {vals[0] - vals[1]:+.2f} |" if len(models) > 1 else ""
        lines.append(f"| {snr:g} | " + " | ".join(f"{v:.2f}" for v in vals) + f" |{gain} {by[(models[0], snr)]['papr_db_1e-3']:.2f} |")
    return f"""
### On its training link

`{' '.join(cmd)}` ({rows[0]['n_images']:,} test images, time-domain link, {took:.0f} s):

""" + "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
