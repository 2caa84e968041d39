"""A short check for the day a GPU is lent (a minute or two): the device tests (the OFDM link
and one training step on CUDA) and the beamformed link on CUDA against the CPU with the same
weights and seeded noise.

    python scripts/gpu_check.py            # prints one JSON line; exit 1 if a check fails
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import torch


def link_cpu_vs_cuda() -> float:
    """Largest |difference| of the decoded images, CPU vs CUDA, same weights and seeded noise."""
    from semcom.evaluation import transmit
    from semcom.link import LinkConfig, OFDMLink, ofdm_for
    from semcom.zoo import load_model

    x = torch.rand(8, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    out = {}
    for device in ("cpu", "cuda"):
        model = load_model("vit-tdla-bf", device=device)
        link = OFDMLink(LinkConfig(ofdm=ofdm_for("2x2x1"), channel="awgn", precoding="svd", pa="rapp",
                                   ibo_db=3.0, estimator="lmmse", equalizer="lmmse")).to(device)
        with torch.no_grad():
            out[device] = transmit(model, x.to(device), 10.0, link, generator=torch.Generator().manual_seed(1)).cpu()
    return float((out["cpu"] - out["cuda"]).abs().max())


def main() -> int:
    if not torch.cuda.is_available():
        print(json.dumps({"ok": False, "error": "no CUDA device"}))
        return 1
    t0 = time.time()
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests/semcom/test_device.py"], text=True,
                           capture_output=True)
    diff = link_cpu_vs_cuda()
    report = {"device": torch.cuda.get_device_name(0), "device_tests_rc": tests.returncode,
              "device_tests": tests.stdout.strip().splitlines()[-1:], "link_cpu_vs_cuda_max_abs": diff}
    report["ok"] = tests.returncode == 0 and diff < 1e-2
    report["wall_s"] = round(time.time() - t0, 1)
    print(json.dumps(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
