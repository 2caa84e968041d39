"""``semcom gr install`` and ``semcom gr doctor``: put the GRC block definitions where GNU Radio
Companion finds them, and say whether a GNU Radio Python can run the blocks.

GRC runs flowgraphs with the Python that has GNU Radio (Debian/Ubuntu: ``/usr/bin/python3``, numpy
< 2), not with this project's ``.venv``; the doctor checks that Python (``--python``, default
``$SEMCOM_GR_PYTHON``, else ``.venv-gr/bin/python`` when it exists, else ``/usr/bin/python3``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

GRC_DIR = Path(__file__).parent / "grc"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DEST = Path("~/.grc_gnuradio/semcom")  # GRC always searches ~/.grc_gnuradio
BLOCK_MODULES = ("semantic_source", "semantic_sink", "digital_source", "digital_sink", "pa_model", "clip_filter",
                 "frame_sync", "image_display")

PROBE = """
import json, os, sys
r = {"python": sys.executable}
try:
    from gnuradio import gr
    r["gnuradio"] = gr.version()
except Exception as e:
    r["gnuradio_error"] = str(e)
try:
    import numpy
    r["numpy"] = numpy.__version__
except Exception as e:
    r["numpy_error"] = str(e)
missing = {}
for m in MODULES:
    try:
        __import__("semcom.gnuradio." + m)
    except Exception as e:
        missing[m] = f"{type(e).__name__}: {e}"
r["blocks_missing"] = missing
try:
    import sionna  # noqa: F401
    r["sionna"] = True
except Exception:
    r["sionna"] = False
paths = []
try:
    from gnuradio.grc.core.Config import Config
    paths = list(Config(version=gr.version()).block_paths)
except Exception as e:
    r["grc_error"] = str(e)
r["grc_paths"] = paths
print(json.dumps(r))
"""


def default_gr_python() -> str:
    venv = REPO_ROOT / ".venv-gr" / "bin" / "python"
    return os.environ.get("SEMCOM_GR_PYTHON") or (str(venv) if venv.exists() else "/usr/bin/python3")


def install(dest: str | None = None) -> list[Path]:
    """Copy every ``grc/*.block.yml`` into ``dest`` (default ``~/.grc_gnuradio/semcom``)."""
    target = Path(dest or DEFAULT_DEST).expanduser()
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for f in sorted(GRC_DIR.glob("*.block.yml")):
        shutil.copyfile(f, target / f.name)
        written.append(target / f.name)
    return written


def probe(python: str) -> dict:
    """What ``python`` sees: GNU Radio and numpy versions, the block modules it cannot import, GRC's block paths."""
    if not shutil.which(python) and not Path(python).exists():
        return {"python": python, "gnuradio_error": f"no such Python: {python}", "blocks_missing": {}}
    code = PROBE.replace("MODULES", repr(BLOCK_MODULES))
    try:
        proc = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=300)
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError) as exc:
        return {"python": python, "gnuradio_error": f"could not run {python}: {exc}", "blocks_missing": {}}


def diagnose(info: dict) -> list[tuple[bool, str]]:
    """(ok, line) per check of a :func:`probe` result."""
    version = info.get("gnuradio") or f"not importable: {info.get('gnuradio_error')}"
    checks = [(bool(info.get("gnuradio")), f"GNU Radio {version} in {info['python']}")]
    numpy = info.get("numpy")
    checks.append((bool(numpy) and int(numpy.split(".")[0]) < 2,
                   f"numpy {numpy} (GNU Radio 3.10's Python bindings need numpy < 2)"))
    missing = info.get("blocks_missing", {})
    checks.append((bool(info.get("gnuradio")) and not missing,
                   "semcom blocks importable" if not missing else
                   "semcom blocks not importable: " + "; ".join(f"{m}: {e}" for m, e in missing.items())
                   + " (use .venv-gr, or PYTHONPATH=<checkout> with torch installed for that Python)"))
    found = [f for p in info.get("grc_paths", []) for f in _block_files(Path(p))]
    checks.append((bool(found), f"GRC block definitions visible in {found[0].parent}" if found else
                   "GRC block definitions not visible: run `semcom gr install` or set "
                   f"GRC_BLOCKS_PATH={GRC_DIR}"))
    checks.append((True, "Sionna present: digital-baseline blocks usable" if info.get("sionna") else
                   "note: no Sionna in that Python: the digital-baseline blocks need it (LDPC)"))
    return checks


def _block_files(path: Path) -> list[Path]:
    """Our source block's definition in a GRC block path: GRC reads a path file, or a folder recursively."""
    name = "semcom_semantic_source.block.yml"
    if path.is_file():
        return [path] if path.name == name else []
    return sorted(path.rglob(name)) if path.is_dir() else []


def cmd_gr(args) -> int:
    if args.gr_command == "install":
        files = install(args.dest)
        print(f"installed {len(files)} block definitions in {files[0].parent if files else args.dest}")
        return 0
    checks = diagnose(probe(args.python or default_gr_python()))
    for ok, line in checks:
        print(f"{'ok  ' if ok else 'FAIL'} {line}")
    return 0 if all(ok for ok, _ in checks) else 1


def add_parser(sub) -> None:
    """Register ``semcom gr`` on the top-level subparsers."""
    from ..commands import _command, _group

    gr_sub = _group(sub, "gr", "GNU Radio: install the GRC blocks, check the GNU Radio Python",
                    "GNU Radio Companion support: install the block definitions where GRC finds them, and "
                    "check that a GNU Radio Python can run the blocks.")
    q = _command(gr_sub, "install", "copy the .block.yml files where GRC finds them",
                 "Copy the semcom .block.yml files where GRC finds them.", cmd_gr)
    q.add_argument("--dest", default=None, help=f"folder (default {DEFAULT_DEST}; GRC searches ~/.grc_gnuradio)")
    q = _command(gr_sub, "doctor", "is GNU Radio, numpy < 2 and are the blocks visible?",
                 "Say whether GNU Radio, numpy < 2, the blocks and their GRC definitions are visible to the "
                 "GNU Radio Python.", cmd_gr)
    q.add_argument("--python", default=None,
                   help="the GNU Radio Python (default $SEMCOM_GR_PYTHON, .venv-gr/bin/python or /usr/bin/python3)")
