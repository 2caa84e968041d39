"""``semcom ota``: send an image through a radio as semantic (and digital-baseline) frames,
receive, synchronise and decode; report per frame (a line, JSON, or a live table with ``--loop``)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field, replace

import numpy as np

from ..frame_stats import FrameStats
from . import RUNTIMES, _command, _positive_int, _seconds, _snr_value

MAX_FRAME_PIXELS = 1 << 16  # semcom.exchange.MAX_FRAME_PIXELS, here so that parsing needs no torch
FRAME_KEYS = ("seq", "detected", "header_ok", "cfo_hz", "snr_est_db", "sco_ppm", "snr_decoder_db", "psnr_db", "ssim",
              "baseline_psnr_db", "baseline_scheme", "error", "warning", "fault", "fault_kinds", "latency_s")


def add_parser(sub) -> None:
    p = _command(sub, "ota", "over-the-air demo: semantic and digital frames through a radio",
                 "Over-the-air demo: send an image as semantic frames (and digital-baseline frames) through a\n"
                 "radio (sim, file, pluto, usrp, zmq) configured by a YAML file, receive, synchronise and decode.",
                 cmd_ota)
    p.add_argument("--radio", required=True, help="sim, file, pluto, usrp or zmq; must match the config")
    p.add_argument("--config", required=True, help="hw_configs/<radio>.yaml")
    p.add_argument("--model", default="cnn", help="zoo name or checkpoint")
    p.add_argument("--image", default=None, help="image to send (default: a bundled sample)")
    p.add_argument("--photo", action="store_true",
                   help="send the bundled photograph (coffee.jpg, 600x400) instead, with the model's photo "
                        "fine-tune (<model>-bsds) where the zoo has one")
    p.add_argument("--max-frame-pixels", type=_positive_int, default=MAX_FRAME_PIXELS,
                   help="pixels per frame: a larger image goes as strips of whole rows, one frame each")
    p.add_argument("--baseline", default=None, help="digital baseline, e.g. heic-ldpc (MCS from the SNR estimate)")
    p.add_argument("--frames", type=_positive_int, default=None, help="frames to send (default 1; with --loop: no end)")
    p.add_argument("--loop", action="store_true", help="keep sending until interrupted (or --frames, --duration)")
    p.add_argument("--duration", type=_seconds, default=None, help="stop sending after this many seconds")
    p.add_argument("--interval", type=_seconds, default=0.0, help="pause between frames in seconds (pacing)")
    p.add_argument("--tx-snr", type=_snr_value, default=10.0,
                   help="SNR (dB) the encoder is told; must lie in the model's trained range")
    p.add_argument("--out", default=None, help="PNG of original / semantic / baseline")
    p.add_argument("--record", default=None, help="save every capture to this SigMF recording (.sigmf-meta)")
    p.add_argument("--play", default=None, help="replay a SigMF recording (with --radio file)")
    p.add_argument("--json", action="store_true", help="one JSON object per frame, then one with the counters")
    p.add_argument("--runtime", default="torch", choices=RUNTIMES, help="what runs the receiver's decoder")
    p.add_argument("--calibration-data", default=None, help="onnx-int8: calibration images (default $SEMCOM_DATA)")


def cmd_ota(args) -> int:
    """Exit 0 when a frame was decoded and, with a fault profile (``faults:`` in the config), every
    frame no fault touched was decoded; a radio that fails (e.g. disconnects) ends the run with the
    counters so far and one error line."""
    from radio import RadioError

    from .. import ota
    from ..exchange import strips
    from ..data import load_images, sample_images_dir
    from ..photos import default_photo, photo_model

    if args.photo:
        if args.image:
            raise ValueError("--photo sends the bundled photograph: leave out --image (or send it with --image)")
        args.image, args.model = str(default_photo()), photo_model(args.model)
    cfg = _radio_config(args)
    trx = _transceiver(args, cfg)
    image = load_images(args.image if args.image else sample_images_dir()).images[0]
    strips(*image.shape[:2], args.max_frame_pixels)  # a frame of at least one row, checked before sending
    frames = args.frames or (10 ** 9 if args.loop or args.duration else 1)
    report = _Report(json_lines=args.json, live=args.loop and not args.json)
    try:
        with _open(args, cfg) as radio, report:
            try:
                ota.run_ota(radio, trx, image, frames=frames, baseline=args.baseline, on_frame=report.on_frame,
                            duration_s=args.duration, interval_s=args.interval,
                            max_frame_pixels=args.max_frame_pixels)
            finally:
                report.events = dict(radio.events.counts)
    except KeyboardInterrupt:
        print(f"stopped: {report.sent} frames, {report.lost} lost ({report.stats.line()})", file=sys.stderr)
    except RadioError as exc:
        if report.json_lines:
            report.finish()
        raise RadioError(f"radio {cfg.driver}: {exc}; {report.stats.line()}") from exc
    report.finish()
    if args.out and report.last:
        _write_png(args.out, image, report.last)
        if not args.json:
            print(f"wrote {args.out}")
    stats = report.stats
    if stats.sent and not stats.decoded:
        print(f"semcom: error: no frame decoded: {stats.lost} of {stats.sent} lost "
              "(see each frame's error; check the gains, the SNR and that both ends use one model)", file=sys.stderr)
        return 1
    if cfg.faults and stats.lost_untouched:
        print(f"semcom: error: {stats.lost_untouched} frame(s) that no fault touched were lost; {stats.line()}",
              file=sys.stderr)
        return 1
    return 0


def _radio_config(args):
    """The radio configuration from ``--config``, with ``--play`` turning it into a file radio."""
    from radio import RadioConfig

    cfg = RadioConfig.from_yaml(args.config)
    if args.play:
        if args.radio != "file":
            raise ValueError("--play replays a recording through the file radio: use --radio file")
        return replace(cfg, driver="file", options={"path": args.play})
    if args.radio != cfg.driver:
        raise ValueError(f"--radio {args.radio} but {args.config} configures driver {cfg.driver!r}")
    return cfg


def _transceiver(args, cfg):
    """The model, checked against ``--tx-snr``, wrapped with the radio's OFDM numerology."""
    from ..ota import Transceiver, ofdm_for_radio
    from ..runtime import make_codec
    from ..zoo import load_model

    model = load_model(args.model)
    lo, hi = model.snr_range_db
    if not lo <= args.tx_snr <= hi:
        raise ValueError(f"--tx-snr {args.tx_snr:g} dB is outside {args.model}'s trained range {lo:g}..{hi:g} dB")
    ofdm = ofdm_for_radio(cfg.num_tx, cfg.num_rx, cfg.sample_rate_sps)
    return Transceiver(model, args.model, ofdm, tx_snr_db=args.tx_snr,
                       codec=make_codec(model, args.runtime, data=args.calibration_data))


def _open(args, cfg):
    from radio import open_radio
    from radio.file import SigMFRecorder

    radio = open_radio(cfg)
    if args.record:
        radio = SigMFRecorder(radio, args.record, description=f"semcom ota --model {args.model}")
    return radio


@dataclass
class _Report:
    """Counts frames and reports each one: a JSON object, a line, or a live table."""

    json_lines: bool = False
    live: bool = False
    stats: FrameStats = field(default_factory=FrameStats)
    psnr: list = field(default_factory=list)
    baseline: list = field(default_factory=list)
    last: dict = field(default_factory=dict)
    events: dict = field(default_factory=dict)
    warned: bool = False

    def __post_init__(self):
        self._table = _LiveTable() if self.live else None

    def __enter__(self):
        if self._table is not None:
            self._table.__enter__()
        return self

    def __exit__(self, *exc):
        return self._table.__exit__(*exc) if self._table is not None else False

    @property
    def sent(self) -> int:
        return self.stats.sent

    @property
    def lost(self) -> int:
        return self.stats.lost

    def finish(self) -> None:
        """The counters: a final JSON object, or a line."""
        if self.json_lines:
            print(json.dumps(self.stats.summary(self.events)), flush=True)
        elif self.stats.sent > 1 or self.stats.touched:
            print(self.stats.line(), flush=True)

    def on_frame(self, row: dict, received: dict) -> None:
        self.stats.add(row)
        if row["psnr_db"] is not None:
            self.psnr.append(row["psnr_db"])
        if row["baseline_psnr_db"] is not None:
            self.baseline.append(row["baseline_psnr_db"])
        self.last.update(received)
        if row.get("warning") and not self.warned:
            self.warned = True
            print(f"semcom: warning: {row['warning']}", file=sys.stderr, flush=True)
        if self.json_lines:
            print(json.dumps({k: row[k] for k in FRAME_KEYS}), flush=True)
        elif self._table is not None:
            self._table.update(row, self)
        else:
            print(_frame_line(row, self), flush=True)


class _LiveTable:
    """A rich table, redrawn after every frame of ``semcom ota --loop``."""

    def __init__(self):
        from rich.live import Live

        self._live = Live(refresh_per_second=4)

    def __enter__(self):
        self._live.__enter__()
        return self

    def __exit__(self, *exc):
        return self._live.__exit__(*exc)

    def update(self, row: dict, report: _Report) -> None:
        from rich.table import Table

        def mean(v):
            return f"{np.mean(v):.2f} dB" if v else "-"

        t = Table(title="semcom ota", show_header=False)
        t.add_row("frames sent / lost", f"{report.sent} / {report.lost}")
        t.add_row("last CFO", f"{row['cfo_hz']:+.0f} Hz" if row["cfo_hz"] is not None else "-")
        t.add_row("last SNR estimate", f"{row['snr_est_db']:.1f} dB" if row["snr_est_db"] is not None else "-")
        t.add_row("semantic PSNR (last / mean)",
                  f"{row['psnr_db'] if row['psnr_db'] is not None else '-'} / {mean(report.psnr)}")
        t.add_row(f"baseline {row['baseline_scheme'] or ''} PSNR (last / mean)",
                  f"{row['baseline_psnr_db'] if row['baseline_psnr_db'] is not None else '-'} / "
                  f"{mean(report.baseline)}")
        t.add_row("last error", row["error"] or "")
        self._live.update(t)


def _frame_line(row: dict, report: _Report) -> str:
    fault = f" [fault: {', '.join(row['fault_kinds'])}]" if row.get("fault") else ""
    if not row["detected"]:
        return f"frame {row['seq']}: {row['error'] or 'no frame detected'}{fault} (lost {report.lost}/{report.sent})"
    parts = [f"frame {row['seq']}: CFO {row['cfo_hz']:+.0f} Hz, SNR {row['snr_est_db']:.1f} dB"]
    if row["psnr_db"] is not None:
        parts.append(f"semantic PSNR {row['psnr_db']:.2f} dB")
    if row["baseline_psnr_db"] is not None:
        parts.append(f"{row['baseline_scheme']} PSNR {row['baseline_psnr_db']:.2f} dB")
    if row["error"]:
        parts.append(row["error"])
    if row.get("fault"):
        parts.append(f"fault: {', '.join(row['fault_kinds'])}")
    return ", ".join(parts) + f" (lost {report.lost}/{report.sent})"


def _write_png(path: str, image, received: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("original", image)] + [(k, v) for k, v in received.items() if v is not None]
    fig, axes = plt.subplots(1, len(panels), figsize=(2.2 * len(panels), 2.4))
    for ax, (title, im) in zip(np.atleast_1d(axes), panels):
        ax.imshow(im, interpolation="nearest")
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
