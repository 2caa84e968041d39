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
assert [r["psnr_db"] for r in replayed] == [r["psnr_db"] for r in live]
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


def build(cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


if __name__ == "__main__":
    here = Path(__file__).parent
    for name, cells in (("phy_tour", PHY_TOUR), ("ota_walkthrough", OTA_WALKTHROUGH)):
        nbformat.write(build(cells), here / f"{name}.ipynb")
        print("wrote", here / f"{name}.ipynb")
