"""The resumable CSV of ``semcom sweep``: one row per finished point, appended at once, read back
keyed by the point, and a JSON file beside it with the settings that are not part of a point.

A point's ``snr_db`` is the SNR the transmitter believes (what ``--snr`` lists); the channel delivers
``snr_db - mismatch_db`` (``--snr-mismatch``). A CSV written before the ``mismatch_db`` column existed
reads back with a mismatch of 0 and takes further rows of mismatch 0 only.
"""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

FIELDS = ("scheme", "link", "channel", "mimo", "pa", "ibo_db", "snr_db", "mismatch_db", "psnr_db", "ssim",
          "papr_db_1e-3", "ber", "bler", "n_images", "mcs")
NUMERIC = ("ibo_db", "snr_db", "mismatch_db", "psnr_db", "ssim", "papr_db_1e-3", "ber", "bler")


def point_key(row: dict) -> tuple:
    """The key of a row's point (as :meth:`semcom.sweep.SweepPoint.key`)."""
    return (row["scheme"], row["link"], row["channel"], row["mimo"], row["pa"], f"{float(row['ibo_db']):g}",
            f"{float(row['snr_db']):g}", f"{float(row.get('mismatch_db') or 0.0):g}")


def settings_path(csv_path: Path) -> Path:
    return csv_path.with_suffix(".json")


def check_settings(csv_path: Path, settings: dict) -> None:
    """Record ``settings`` beside a new CSV; for an existing one, raise ``ValueError`` if they differ
    from those it was made with (its rows would otherwise be reused for another link or other weights).

    ``settings["weights"]`` maps scheme names to weight SHA-256s: a scheme in both must have the same
    weights; a new scheme is added to the file.
    """
    settings = json.loads(json.dumps(settings))  # the form they take in the file (tuples become lists)
    side = settings_path(csv_path)
    if csv_path.exists() and not side.exists():
        warnings.warn(f"{csv_path} has no settings file ({side.name}): assuming it was made with these settings")
        return
    old = {}
    if csv_path.exists():
        try:
            old = json.loads(side.read_text())
        except json.JSONDecodeError as e:
            raise ValueError(f"{side} is not valid JSON ({e}): remove it, or use another --out") from e
        flat_old, flat_new = _flatten(old), _flatten(settings)
        def compared(k):  # a scheme's weights only count when both runs have that scheme
            return not k.startswith("weights.") or (k in flat_old and k in flat_new)

        differ = sorted(k for k in flat_old.keys() | flat_new.keys() if compared(k) and flat_old.get(k) != flat_new.get(k))
        if differ:
            what = ", ".join(f"{k}: {flat_old.get(k)!r} in the file, {flat_new.get(k)!r} now" for k in differ)
            raise ValueError(f"{csv_path} was made with other settings ({what}): use another --out")
    merged = {**settings, "weights": {**old.get("weights", {}), **settings.get("weights", {})}}
    side.parent.mkdir(parents=True, exist_ok=True)
    side.write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n")


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def read_csv(path: Path) -> dict:
    """The rows of a sweep CSV, keyed by their point (empty if the file does not exist)."""
    if not path.exists():
        return {}
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    out = {}
    for r in rows:
        r.setdefault("mismatch_db", "0")
        for k in NUMERIC:
            r[k] = float(r[k]) if r[k] != "" else ""
        r["n_images"] = int(r["n_images"])
        r["mcs"] = r.get("mcs") or ""
        out[point_key(r)] = r
    return out


def append_csv(path: Path, row: dict) -> None:
    """Append ``row`` to ``path`` (with a header when new), in the columns the file already has."""
    fields = FIELDS
    if path.exists():
        with open(path) as fh:
            fields = tuple(next(csv.reader(fh), FIELDS))
        if "mismatch_db" not in fields and float(row.get("mismatch_db") or 0.0) != 0.0:
            raise ValueError(f"{path} was made before --snr-mismatch (no mismatch_db column): use another --out")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        if fh.tell() == 0:
            writer.writeheader()
        writer.writerow({k: row.get(k, "") for k in fields})
        fh.flush()
