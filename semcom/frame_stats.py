"""Counters over a stream of received frames: detected, lost, CRC-failed, recovered, and what
the radio's faults (injected, or driver overflows/underflows) cost, per fault kind.

A frame (one row of :func:`semcom.ota.run_ota`) is *decoded* when it has an image (a PSNR),
*lost* otherwise; *CRC-failed* when its preamble was found but its header failed the CRC;
*recovered* when it is decoded right after one or more lost frames; *touched* when a stream
event overlapped it (its ``fault_kinds``: for a decoded frame, the samples of the frame; for a
lost one, every capture of its exchange, since where it lay is unknown).
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field


@dataclass
class FrameStats:
    """Running counters; :meth:`add` one row per frame, :meth:`summary` at the end."""

    sent: int = 0
    detected: int = 0
    decoded: int = 0
    lost: int = 0
    crc_failed: int = 0
    recovered: int = 0
    touched: int = 0
    lost_untouched: int = 0
    per_fault: dict = field(default_factory=dict)  # kind -> {"frames": n, "lost": m}
    started: float = field(default_factory=time.monotonic)
    _last_lost: bool = False

    def add(self, row: dict) -> None:
        decoded = row["psnr_db"] is not None
        kinds = row.get("fault_kinds") or []
        self.sent += 1
        self.detected += bool(row["detected"])
        self.decoded += decoded
        self.lost += not decoded
        self.crc_failed += bool(row["detected"]) and not row.get("header_ok", True)
        self.recovered += decoded and self._last_lost
        self.touched += bool(kinds)
        self.lost_untouched += not decoded and not kinds
        for kind in kinds:
            entry = self.per_fault.setdefault(kind, {"frames": 0, "lost": 0})
            entry["frames"] += 1
            entry["lost"] += not decoded
        self._last_lost = not decoded

    def summary(self, events: dict | None = None) -> dict:
        """The counters, the radio's stream events by kind, elapsed time, frames/s and peak RSS."""
        elapsed = time.monotonic() - self.started
        counters = {k: getattr(self, k) for k in ("sent", "detected", "decoded", "lost", "crc_failed", "recovered",
                                                  "touched", "lost_untouched")}
        return {"counters": counters, "faults": {k: dict(v) for k, v in sorted(self.per_fault.items())},
                "events": dict(sorted((events or {}).items())), "elapsed_s": round(elapsed, 3),
                "frames_per_s": round(self.sent / elapsed, 4) if elapsed > 0 else None,
                "peak_rss_mb": round(peak_rss_mb(), 1)}

    def line(self) -> str:
        """One line of the counters for people."""
        parts = [f"{self.sent} sent", f"{self.detected} detected", f"{self.decoded} decoded", f"{self.lost} lost",
                 f"{self.crc_failed} CRC-failed", f"{self.recovered} recovered",
                 f"{self.touched} touched by faults ({self.lost_untouched} lost untouched)"]
        return "frames: " + ", ".join(parts)


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (Linux reports ru_maxrss in kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
