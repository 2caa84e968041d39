"""Writes the notebooks in this folder from the cells below (so they diff well
and stay in step with the API). ``python notebooks/make_notebooks.py``.

Each notebook reads ``SEMCOM_NOTEBOOK_SMALL=1`` (set by the tests) to run on
small sizes.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

PHY_TOUR = [
    ("md", """# A tour of the PHY

The MIMO-OFDM physical layer of semcom-sdr, checked against theory as we go:
learned channel symbols beside QAM, the OFDM spectrum, PAPR against the Gaussian
approximation, power-amplifier curves against their formulas, and one sweep."""),
    ("code", """import os
import numpy as np
import torch
import matplotlib.pyplot as plt

SMALL = os.environ.get("SEMCOM_NOTEBOOK_SMALL") == "1"
DATA = os.environ.get("SEMCOM_DATA") or "../../shared/data/cifar10.npz"
N_IMAGES = 8 if SMALL else 200
torch.manual_seed(0)"""),
    ("md", """## Learned symbols against 16-QAM
The shipped CNN maps each 32x32 image to 512 unit-power complex symbols. Their
components are heavier-tailed than a Gaussian; a Student's-t fit gives nu."""),
    ("code", """from semcom.zoo import load_model
from semcom.data import load_images, sample_images_dir, to_tensor
from phy.prior import fit_student_t, standardized_components

model = load_model("cnn")
images = load_images(sample_images_dir())
with torch.no_grad():
    s = model.encode(to_tensor(images.images), 10.0)
fit = fit_student_t(standardized_components(s))
print(f"Student's-t fit of the I/Q components: nu = {fit['nu']:.1f}, "
      f"log-likelihood {fit['loglik']:.3f} vs Gaussian {fit['gaussian_loglik']:.3f}")

qam = torch.tensor([complex(i, q) for i in (-3, -1, 1, 3) for q in (-3, -1, 1, 3)]) / np.sqrt(10)
fig, ax = plt.subplots(1, 2, figsize=(8, 4))
ax[0].scatter(s.real.flatten(), s.imag.flatten(), s=1, alpha=0.3)
ax[0].set(title="CNN JSCC symbols", xlabel="I", ylabel="Q", aspect="equal")
ax[1].scatter(qam.real, qam.imag)
ax[1].set(title="16-QAM", xlabel="I", aspect="equal")
plt.show()"""),
    ("md", "## OFDM spectrum (seed numerology: 128-point FFT, 72 used subcarriers, 1.92 MS/s)"),
    ("code", """from phy.ofdm import preset
from semcom.link import LinkConfig, OFDMLink

cfg = preset("seed-siso")
link = OFDMLink(LinkConfig(ofdm=cfg, channel="awgn"))
with torch.no_grad():
    out = link(s, torch.full((s.shape[0],), 30.0))
x = out.tx_signal[:, 0]  # [B, samples]
segments = x.unfold(-1, 128, 128).reshape(-1, 128)
psd = torch.fft.fftshift(torch.fft.fft(segments * torch.hann_window(128), dim=-1), dim=-1).abs().square().mean(0)
freq = (torch.arange(128) - 64) * cfg.subcarrier_spacing_hz / 1e3
plt.plot(freq, 10 * torch.log10(psd / psd.max()))
plt.xlabel("frequency (kHz)"); plt.ylabel("PSD (dB)"); plt.title("transmitted OFDM spectrum"); plt.show()"""),
    ("md", """## PAPR against the Gaussian approximation
With Gaussian symbols on all N subcarriers, Pr(PAPR > g) = 1 - (1 - e^-g)^N."""),
    ("code", """from phy.ofdm import OFDMModulator
from phy.papr import ccdf, ccdf_gaussian, papr_db
from phy.channels import complex_normal

n_sym = 2000 if SMALL else 20000
grid = complex_normal((n_sym, 64), 1.0)
p = papr_db(OFDMModulator(0)(grid), 64, reference_power=1.0)
th = np.linspace(4, 11, 29)
plt.semilogy(th, ccdf(p, th), "o", label="simulated, N = 64")
plt.semilogy(th, ccdf_gaussian(th, 64), label="1 - (1 - e^-g)^N")
plt.xlabel("PAPR threshold (dB)"); plt.ylabel("CCDF"); plt.legend(); plt.grid(alpha=0.3); plt.show()"""),
    ("md", "## Power-amplifier AM/AM curves"),
    ("code", """from phy.pa import rapp_am_am, saleh_am_am

r = torch.linspace(0, 2, 200)
for p_ in (1, 2, 3, 10):
    plt.plot(r, rapp_am_am(r, p_), label=f"Rapp p={p_}")
r_s = r / np.sqrt(1.1517)
plt.plot(r, saleh_am_am(r_s) / (2.1587 / np.sqrt(1.1517)), "--", label="Saleh (normalised)")
plt.plot(r, r.clamp_max(1), ":", label="soft limiter")
plt.xlabel("input amplitude (saturation = 1)"); plt.ylabel("output amplitude"); plt.legend(); plt.grid(alpha=0.3)
plt.show()"""),
    ("md", "## One sweep: the CNN over 2x2 MIMO-OFDM, AWGN and a multipath channel, with a Rapp PA"),
    ("code", """from semcom.sweep import run_sweep

rows = run_sweep(["cnn"], DATA, link="ofdm", channels=["awgn", "multipath"], mimos=["2x2"], pas=["rapp"],
                 ibos=[3.0], snrs=[0, 10, 20], limit=N_IMAGES)
for r in rows:
    print(f"{r['channel']:9s} SNR {r['snr_db']:4.0f} dB: PSNR {r['psnr_db']:.2f} dB, PAPR(1e-3) {r['papr_db_1e-3']:.2f} dB")"""),
]


OTA_WALKTHROUGH = [
    ("md", """# Over the air, without hardware

The same code that drives a PlutoSDR or a USRP, here over the `sim` radio
(carrier offset, unknown capture start, phase noise, IQ imbalance, ADC) and the
`file` radio (a SigMF recording played back)."""),
    ("code", """import os, tempfile
from pathlib import Path
import numpy as np
import matplotlib.pyplot as plt

from radio import RadioConfig, open_radio
from radio.file import SigMFRecorder
from semcom.data import load_images, sample_images_dir
from semcom.ota import Transceiver, ofdm_for_radio, run_ota
from semcom.zoo import load_model

SMALL = os.environ.get("SEMCOM_NOTEBOOK_SMALL") == "1"
FRAMES = 2 if SMALL else 10
image = load_images(sample_images_dir()).images[1]
cfg = RadioConfig.from_yaml("../hw_configs/sim_awgn.yaml")
print(cfg.options)"""),
    ("md", "## One frame, step by step"),
    ("code", """trx = Transceiver(load_model("cnn"), "cnn", ofdm_for_radio(cfg.num_tx, cfg.num_rx, cfg.sample_rate_sps))
frame, header = trx.jscc_frame(image, seq=0)
print(header)
radio = open_radio(cfg)
radio.tx(frame, cyclic=True)
capture = radio.rx(2 * frame.shape[-1])
rec = trx.receive(capture)
print(f"detected={rec.detected} CFO={rec.cfo_hz:.0f} Hz SNR={rec.snr_est_db:.1f} dB header_ok={rec.header_ok}")
fig, ax = plt.subplots(1, 3, figsize=(10, 3))
ax[0].plot(np.abs(capture[0])); ax[0].set_title("capture |IQ|")
ax[1].imshow(image); ax[1].set_title("sent"); ax[1].axis("off")
ax[2].imshow(rec.image); ax[2].set_title("received"); ax[2].axis("off")
plt.show()"""),
    ("md", "## Several frames with the digital baseline, recorded to SigMF"),
    ("code", """path = Path(tempfile.mkdtemp()) / "run.sigmf-meta"
with SigMFRecorder(open_radio(cfg), path) as radio:
    live = run_ota(radio, trx, image, frames=FRAMES, baseline="jpeg-ldpc")
for r in live:
    print(r["seq"], r["detected"], round(r["cfo_hz"]), round(r["snr_est_db"], 1), r["psnr_db"], r["baseline_scheme"], r["baseline_psnr_db"])"""),
    ("md", "## Played back through the `file` radio: the same results"),
    ("code", """from dataclasses import replace

play = open_radio(replace(cfg, driver="file", options={"path": str(path)}))
replayed = run_ota(play, trx, image, frames=FRAMES, baseline="jpeg-ldpc")
for a, b in zip(replayed, live):  # same frames decoded; PSNR equal up to float rounding across runs
    assert (a["psnr_db"] is None) == (b["psnr_db"] is None)
    assert a["psnr_db"] is None or abs(a["psnr_db"] - b["psnr_db"]) < 0.05, (a["psnr_db"], b["psnr_db"])
print("replay matches the live run;", len(play.annotations), "frames annotated in the recording")"""),
    ("md", """## A stream of frames in one pass

A receiver that listens continuously (the GNU Radio sink does this) hands
`receive_all` a buffer holding many frames: the preamble search runs once
over the buffer, and all semantic frames are decoded as one batch. A frame
cut by the end of the buffer comes last, marked `truncated`, with the index
from which to keep the samples for the next buffer."""),
    ("code", """stream_radio = open_radio(cfg)
frames = [trx.jscc_frame(image, seq=i)[0] for i in range(FRAMES)]
stream_radio.tx(np.concatenate(frames, axis=-1), cyclic=True)
buffer = stream_radio.rx(int(1.5 * sum(f.shape[-1] for f in frames)))
for rec in trx.receive_all(buffer):
    print(rec.header.seq if rec.header else None, rec.frame_start, "truncated" if rec.truncated else "decoded",
          rec.image is not None)"""),
]


ANALYSIS_SETUP = ("code", """import os
import tempfile
from pathlib import Path

from IPython.display import Image, display

SMALL = os.environ.get("SEMCOM_NOTEBOOK_SMALL") == "1"
DATA = os.environ.get("SEMCOM_DATA") or "../../shared/data/cifar10.npz"
N_IMAGES = 8 if SMALL else 200
OUT = Path(tempfile.mkdtemp())
MODELS = ["cnn", "vit"]
SNRS = [0.0, 10.0] if SMALL else [0.0, 10.0, 20.0]""")

ANALYSIS_SIMILARITY = [
    ("md", """# Average cosine similarity across blocks

SemViT (Yoo et al., IEEE Access 2023) measures, for each block's output [B, H, W, C], the mean
cosine similarity between the C-dim feature vectors of every pair of distinct spatial positions,
averaged over the data set. Blocks that mix global context make positions alike; local convolutions
keep them apart. Same as `semcom analyze similarity --model cnn,vit --data DATA --limit 200`.

The blocks are found generically: every member of an `nn.ModuleList` (the CNN's residual blocks,
the ViT's transformer blocks), recorded with forward hooks."""),
    ANALYSIS_SETUP,
    ("code", """from semcom.analysis.hooks import default_blocks
from semcom.zoo import load_model

for name in MODELS:
    print(name, default_blocks(load_model(name)))"""),
    ("code", """from semcom.analysis.similarity import analyze_similarity

result = analyze_similarity(MODELS, DATA, SNRS, OUT, limit=N_IMAGES, progress=False)
for r in result["rows"]:
    print(f"{r['model']:4s} {r['snr_db']:5.1f} dB {r['block']:>18s} {r['cos_sim']:.3f}")
display(Image(filename=OUT / "similarity.png"))"""),
    ("md", """A check against known answers: identical tokens have similarity 1, orthogonal ones 0."""),
    ("code", """import torch
from semcom.analysis.similarity import mean_cosine_similarity

print(mean_cosine_similarity(torch.ones(1, 4, 4, 8)).item(), mean_cosine_similarity(torch.eye(16).reshape(1, 4, 4, 16)).item())"""),
]

ANALYSIS_FOURIER = [
    ("md", """# Fourier analysis of block outputs

For each block, the channel-mean feature map's 2-D FFT amplitude on the diagonal, from DC to the
highest frequency, averaged over the data set and set beside the input image's (SemViT; the measure
of Park and Kim, "How do vision transformers work?": attention acts as a low-pass filter, convolution
as a high-pass one). One number per block: the relative high-frequency amplitude |F(Nyquist)| / |F(DC)|.
Same as `semcom analyze fourier --model cnn,vit --data DATA --limit 200`."""),
    ANALYSIS_SETUP,
    ("code", """from semcom.analysis.fourier import analyze_fourier

result = analyze_fourier(MODELS, DATA, SNRS, OUT, limit=N_IMAGES, progress=False)
for r in result["rows"]:
    print(f"{r['model']:4s} {r['snr_db']:5.1f} dB {r['block']:>18s} {r['high_freq_rel_amp']:.4f}")
display(Image(filename=OUT / "fourier.png"))"""),
    ("md", "A constant map has all its amplitude at DC:"),
    ("code", """import torch
from semcom.analysis.fourier import diagonal_amplitude, high_frequency_ratio

diag = diagonal_amplitude(torch.full((1, 8, 8, 3), 0.7))[0]
print(diag.tolist(), high_frequency_ratio(diag))"""),
]

ANALYSIS_SYMBOLS = [
    ("md", """# Symbol distribution: a Student's-t fit

The source-channel equilibrium paper (Yoo et al., arXiv 2512.14022) models learned channel symbols
as Student's t. Per model and SNR: nu, scale, excess kurtosis and the Kolmogorov-Smirnov distance to
the Gaussian and to the fitted t, of the real and imaginary parts at unit variance. The paper relates
nu to the data set's entropy variability: CIFAR-10 against photos (BSDS500, if present).
Same as `semcom analyze symbols --model cnn,vit --data DATA --limit 200`."""),
    ANALYSIS_SETUP,
    ("code", """from semcom.analysis.symbols import analyze_symbols

cifar = analyze_symbols(MODELS, DATA, SNRS, OUT / "cifar", limit=N_IMAGES, progress=False)
print(f"data entropy {cifar['entropy_bits_mean']:.2f} ± {cifar['entropy_bits_std']:.2f} bits/pixel")
for r in cifar["rows"]:
    print(f"{r['model']:4s} {r['snr_db']:5.1f} dB nu {r['nu']:6.2f} kurtosis {r['kurtosis']:5.2f} "
          f"KS(Gaussian) {r['ks_gaussian']:.4f} KS(t) {r['ks_student_t']:.4f}")
display(Image(filename=OUT / "cifar" / "symbols.png"))"""),
    ("md", "## Photos: a data set of more variable entropy (32x32 centre crops, the CIFAR size)"),
    ("code", """PHOTOS = Path(os.environ.get("SEMCOM_PHOTOS") or "../../shared/data/bsds500/val")
if PHOTOS.exists():
    photos = analyze_symbols(MODELS, str(PHOTOS), SNRS, OUT / "photos", limit=N_IMAGES, crop=32, progress=False)
    print(f"data entropy {photos['entropy_bits_mean']:.2f} ± {photos['entropy_bits_std']:.2f} bits/pixel")
    for a, b in zip(cifar["rows"], photos["rows"]):
        print(f"{a['model']:4s} {a['snr_db']:5.1f} dB  nu CIFAR-10 {a['nu']:6.2f}  nu photos {b['nu']:6.2f}")
else:
    print(f"{PHOTOS} not found: set SEMCOM_PHOTOS to a photo folder")"""),
    ("md", "The fit recovers nu of samples drawn from a known Student's t:"),
    ("code", """import torch
from semcom.analysis.symbols import describe_symbols

x = torch.distributions.StudentT(4.0).sample((20000,))
print(describe_symbols(x / x.std()))"""),
]

ANALYSIS_PRIOR = [
    ("md", """# The prior regulariser's effect on convergence

The same short training run of a small CNN (fixed seeds) with and without the regulariser that
pulls the symbols toward a Gaussian (`phy.prior.PriorRegularizer`), several seeds; validation PSNR
against step with its spread. Same as `semcom analyze prior --data DATA` (CPU-sized: 30 epochs of
50 steps, 3 seeds; here a few steps when run by the tests)."""),
    ANALYSIS_SETUP,
    ("code", """from semcom.analysis.prior import PriorExperiment, analyze_prior

exp = PriorExperiment(data=DATA, out=str(OUT), **({"limit": 32, "epochs": 2, "seeds": (0, 1)} if SMALL else {}))
result = analyze_prior(exp, OUT, progress=False)
print(f"target {result['target_psnr_db']} dB")
for arm, s in result["arms"].items():
    print(f"{arm:>20s}: final {s['final_psnr_db']:.2f} ± {s['final_psnr_std_db']:.2f} dB, "
          f"steps to target {s['steps_to_target']}")
display(Image(filename=OUT / "prior.png"))"""),
]

ANALYSIS_PAPR = [
    ("md", """# PAPR of the learned symbols

Symbol tails drive the peak-to-average power ratio. Each model's symbols go through the SISO OFDM
transmitter (seed numerology, 4x oversampled), against i.i.d. Gaussian symbols through the same
transmitter and the Gaussian approximation 1 - (1 - e^-g)^N; compared at CCDF 1e-3.
Same as `semcom analyze papr --model cnn,vit --data DATA --limit 200`."""),
    ANALYSIS_SETUP,
    ("code", """from semcom.analysis.papr import analyze_papr

result = analyze_papr(MODELS, DATA, SNRS, OUT, limit=N_IMAGES, progress=False)
for r in result["rows"]:
    print(f"{r['model']:4s} {r['snr_db']:5.1f} dB PAPR(1e-3) {r['papr_db_1e-3']:.2f} dB, Gaussian symbols "
          f"{r['gaussian_papr_db_1e-3']:.2f} dB, theory {r['theory_papr_db_1e-3']:.2f} dB")
display(Image(filename=OUT / "papr.png"))"""),
]

NOTEBOOKS = {"phy_tour": PHY_TOUR, "ota_walkthrough": OTA_WALKTHROUGH, "analysis_similarity": ANALYSIS_SIMILARITY,
             "analysis_fourier": ANALYSIS_FOURIER, "analysis_symbols": ANALYSIS_SYMBOLS,
             "analysis_prior": ANALYSIS_PRIOR, "analysis_papr": ANALYSIS_PAPR}


def build(cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


if __name__ == "__main__":
    here = Path(__file__).parent
    for name, cells in NOTEBOOKS.items():
        nbformat.write(build(cells), here / f"{name}.ipynb")
        print("wrote", here / f"{name}.ipynb")
