"""Soak: ``semcom ota --radio zmq --loop`` against the GNU Radio ZMQ channel with a fault profile.

    python benchmarks/bench_soak.py --duration 1800 --interval 1 --out benchmarks/results/soak_zmq_30min

Starts ``radio/gnuradio/zmq_channel.py`` (with the Python that has GNU Radio) on free loopback
ports, runs ``semcom ota --radio zmq --config <fault profile> --loop --duration D --interval I
--json`` as a child process (one torch thread), and for every frame line records the time, the
outcome, the faults that touched it, its latency, and the child's resident memory (VmRSS) and CPU
time; the CSV is written as it goes. At the end: ``<out>.md`` (the table: frames/s, loss per fault
kind, loss outside faults, latency, memory over time) and ``<out>.png``. ``--from-csv`` remakes
the table and plot from a finished CSV (and the summary JSON beside it).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FLOWGRAPH = ROOT / "radio" / "gnuradio" / "zmq_channel.py"
GR_PYTHONS = ("/usr/bin/python3", str(ROOT.parent / "main" / ".venv-gr" / "bin" / "python"))
FIELDS = ("t_s", "seq", "detected", "decoded", "fault", "fault_kinds", "latency_s", "rss_mb", "cpu_s",
          "flowgraph_cpu_s")
WARMUP_S = 120.0  # memory is compared from the end of the warm-up (imports, first allocations) on


def free_ports(n: int = 2) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def gr_python() -> str | None:
    for py in GR_PYTHONS:
        if Path(py).exists() and subprocess.run([py, "-c", "import gnuradio.zeromq, gnuradio.channels"],
                                                capture_output=True).returncode == 0:
            return py
    return None


def proc_stats(pid: int) -> tuple[float, float]:
    """(VmRSS in MB, user + system CPU seconds) of a running process, from /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return rss_kb / 1024, (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, StopIteration, IndexError, ValueError):
        return float("nan"), float("nan")


def run(args, out: Path, argv: list[str]) -> dict:
    py = gr_python()
    if py is None:
        raise SystemExit("GNU Radio (gnuradio.zeromq, gnuradio.channels) is not importable by any known Python")
    tx_port, rx_port = free_ports()
    tx, rx = f"tcp://127.0.0.1:{tx_port}", f"tcp://127.0.0.1:{rx_port}"
    cfg = yaml.safe_load(Path(args.config).read_text())
    cfg["radio"]["options"].update(tx_address=tx, rx_address=rx)
    tmp = Path(tempfile.mkdtemp(prefix="soak_"))
    config = tmp / "soak.yaml"
    config.write_text(yaml.safe_dump(cfg))
    graph = subprocess.Popen([py, str(FLOWGRAPH), "--tx-address", tx, "--rx-address", rx, "--snr-db", str(args.snr_db),
                              "--cfo-hz", str(args.cfo_hz), "--signal-power", "0.05"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert "running" in graph.stdout.readline(), "the flowgraph did not start"
    env = {**os.environ, "SEMCOM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "semcom", "ota", "--radio", "zmq", "--config", str(config), "--model", args.model,
           "--loop", "--duration", str(args.duration), "--interval", str(args.interval), "--json"]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    summary, t0 = {}, time.monotonic()
    try:
        with open(out.with_suffix(".csv"), "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            writer.writeheader()
            for line in child.stdout:
                obj = json.loads(line)
                if "seq" not in obj:
                    summary = obj
                    continue
                rss, cpu = proc_stats(child.pid)
                writer.writerow({"t_s": round(time.monotonic() - t0, 2), "seq": obj["seq"], "detected": obj["detected"],
                                 "decoded": obj["psnr_db"] is not None, "fault": obj["fault"],
                                 "fault_kinds": ";".join(obj["fault_kinds"]), "latency_s": obj["latency_s"],
                                 "rss_mb": round(rss, 1), "cpu_s": round(cpu, 2),
                                 "flowgraph_cpu_s": round(proc_stats(graph.pid)[1], 2)})
                fh.flush()
        summary["returncode"] = child.wait()
        summary["stderr_tail"] = child.stderr.read()[-2000:]
    finally:
        if child.poll() is None:
            child.terminate()
        graph.terminate()
        graph.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    summary["command"] = " ".join(["semcom"] + cmd[3:7] + ["hw_configs/" + Path(args.config).name] + cmd[8:])
    summary["flowgraph"] = f"zmq_channel.py --snr-db {args.snr_db} --cfo-hz {args.cfo_hz}"
    summary["interval_s"] = args.interval
    summary["argv"] = " ".join(argv)
    summary["code"] = os.environ.get("SOAK_COMMIT") or subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    out.with_suffix(".json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def load_rows(out: Path) -> list[dict]:
    with open(out.with_suffix(".csv")) as fh:
        return [{**r, "t_s": float(r["t_s"]), "latency_s": float(r["latency_s"]), "rss_mb": float(r["rss_mb"]),
                 "cpu_s": float(r["cpu_s"]), "flowgraph_cpu_s": float(r["flowgraph_cpu_s"]),
                 "decoded": r["decoded"] == "True", "fault": r["fault"] == "True"} for r in csv.DictReader(fh)]


def table(rows: list[dict], summary: dict) -> list[str]:
    span = rows[-1]["t_s"] - rows[0]["t_s"] if len(rows) > 1 else float("nan")
    after = [r["rss_mb"] for r in rows if r["t_s"] >= WARMUP_S] or [r["rss_mb"] for r in rows]
    base = statistics.median(after[: max(1, len(after) // 20)])
    growth = 100 * (max(after) - base) / base
    lat = sorted(r["latency_s"] for r in rows)
    cpu = rows[-1]["cpu_s"] - rows[0]["cpu_s"]
    graph_cpu = rows[-1]["flowgraph_cpu_s"] - rows[0]["flowgraph_cpu_s"]
    lost = [r for r in rows if not r["decoded"]]
    kinds = sorted({k for r in rows for k in r["fault_kinds"].split(";") if k})
    lines = [f"# Soak: semcom ota --radio zmq --loop with a fault profile", "",
             f"Command: `python benchmarks/bench_soak.py {summary.get('argv', '')}`", "",
             f"Runs `{summary.get('command', '?')}` against `{summary.get('flowgraph', '?')}` "
             f"(GNU Radio over ZeroMQ on loopback), code at commit {summary.get('code', '?')}, one torch thread; "
             f"pacing: a {summary.get('interval_s', '?')} s "
             "pause between frames. No hardware: the faults are injected into our receive stream "
             "(`hw_configs/zmq_faults.yaml`). Values below are computed from the CSV by this script.", "",
             "| quantity | value |", "|---|---|",
             f"| run length | {span / 60:.1f} min, {len(rows)} frames, {len(rows) / span:.3f} frames/s |",
             f"| decoded / lost | {len(rows) - len(lost)} / {len(lost)} |",
             f"| frames touched by a fault | {sum(r['fault'] for r in rows)} |",
             f"| **lost outside injected faults** | **{sum(not r['fault'] for r in lost)}** |",
             f"| latency per frame (median / 95th pct / max) | {statistics.median(lat):.3f} / "
             f"{lat[int(0.95 * (len(lat) - 1))]:.3f} / {lat[-1]:.3f} s |",
             f"| child RSS after {WARMUP_S:.0f} s warm-up / at the end / max | {base:.1f} / {rows[-1]['rss_mb']:.1f} / "
             f"{max(after):.1f} MB |",
             f"| **memory growth after warm-up (max over start)** | **{growth:+.1f} %** |",
             f"| CPU: semcom child / flowgraph | {100 * cpu / span:.0f} % / {100 * graph_cpu / span:.0f} % "
             "of one core |",
             f"| exit code | {summary.get('returncode', '?')} |", "",
             "| fault kind | frames touched | lost | loss rate |", "|---|---|---|---|"]
    for kind in kinds:
        hit = [r for r in rows if kind in r["fault_kinds"].split(";")]
        n_lost = sum(not r["decoded"] for r in hit)
        lines.append(f"| {kind} | {len(hit)} | {n_lost} | {n_lost / len(hit):.2f} |")
    lines += ["", f"Stream events (all reads, by kind): {json.dumps(summary.get('events', {}))}.", "",
              f"Counters of the final JSON object: {json.dumps(summary.get('counters', {}))}."]
    return lines


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [r["t_s"] / 60 for r in rows]
    fig, axes = plt.subplots(3, 1, figsize=(7, 6.5), sharex=True)
    axes[0].plot(t, [r["rss_mb"] for r in rows])
    axes[0].set_ylabel("child RSS (MB)")
    axes[1].plot(t, [r["latency_s"] for r in rows], ".", ms=2)
    axes[1].set_ylabel("latency (s)")
    lost_f, lost_c, a, b = [], [], 0, 0
    for r in rows:
        a += (not r["decoded"]) and r["fault"]
        b += (not r["decoded"]) and not r["fault"]
        lost_f.append(a)
        lost_c.append(b)
    axes[2].plot(t, lost_f, label="lost, fault touched")
    axes[2].plot(t, lost_c, label="lost, no fault")
    axes[2].set_ylabel("frames lost (cumulative)")
    axes[2].set_xlabel("minutes")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=1800.0, help="seconds of sending")
    ap.add_argument("--interval", type=float, default=1.0, help="pause between frames (s)")
    ap.add_argument("--config", default=str(ROOT / "hw_configs" / "zmq_faults.yaml"))
    ap.add_argument("--model", default="cnn")
    ap.add_argument("--snr-db", type=float, default=25.0)
    ap.add_argument("--cfo-hz", type=float, default=2000.0)
    ap.add_argument("--out", default="benchmarks/results/soak_zmq")
    ap.add_argument("--from-csv", action="store_true", help="only remake the table and plot from <out>.csv")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.from_csv:
        summary = json.loads(out.with_suffix(".json").read_text())
    else:
        summary = run(args, out, argv)
    rows = load_rows(out)
    if not rows:
        print(f"no frames: {summary.get('stderr_tail', '')}", file=sys.stderr)
        return 1
    lines = table(rows, summary)
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    plot(rows, out.with_suffix(".png"))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
