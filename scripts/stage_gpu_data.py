"""Stage BSDS500 photos inside the checkout for a lent GPU (``scripts/gpu_train_photo.sh``).

The device tool sends the checkout and nothing beside it (``../shared`` stays behind; a ``shared/`` folder
inside the checkout travels), at most 64 MiB in all. This copies the first ``--val`` photos of
``bsds500/val`` (the evaluation set, by name) and then as many of ``bsds500/train`` (by name) as keep the
travelling tree (tracked files, untracked files git does not ignore, ``shared/``) under ``--budget-mib``,
into ``shared/data/bsds500/{train,val}``. ``shared/`` is git-ignored: the photos are never committed.

    python scripts/stage_gpu_data.py --source ../shared/data/bsds500
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}


def travelling_bytes(root: Path = ROOT) -> int:
    """Bytes of what the device tool sends: tracked and untracked-not-ignored files, and ``shared/``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                            check=True, capture_output=True).stdout.decode().split("\0")
    files = {root / name for name in listed if name}
    if (root / "shared").is_dir():
        files |= {p for p in (root / "shared").rglob("*") if p.is_file()}
    return sum(p.stat().st_size for p in files if p.is_file() and not p.is_symlink())


def photos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)


def stage(source: Path, target: Path, val: int, budget: int, used: int | None = None) -> tuple[int, int, int]:
    """Copy into ``target`` while ``used`` (default: :func:`travelling_bytes`) plus what is copied stays within
    ``budget``; returns (validation photos, training photos, travelling bytes)."""
    for split in ("train", "val"):
        if not (source / split).is_dir():
            raise SystemExit(f"{source / split} is not a folder: --source must hold train/ and val/")
    used = travelling_bytes() if used is None else used
    counts = []
    for split, limit in (("val", val), ("train", None)):
        (target / split).mkdir(parents=True, exist_ok=True)
        n = 0
        for photo in photos(source / split)[:limit]:
            dest = target / split / photo.name
            if not dest.exists():
                size = photo.stat().st_size
                if used + size > budget:
                    break
                shutil.copy2(photo, dest)
                used += size
            n += 1
        counts.append(n)
    return counts[0], counts[1], used


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data" / "bsds500")
    p.add_argument("--target", type=Path, default=ROOT / "shared" / "data" / "bsds500")
    p.add_argument("--val", type=int, default=24, help="validation photos (the first by name)")
    p.add_argument("--budget-mib", type=float, default=62.0, help="travelling tree at most this (limit: 64)")
    args = p.parse_args(argv)
    val, train, used = stage(args.source, args.target, args.val, int(args.budget_mib * 2**20))
    total = len(photos(args.source / "train"))
    print(f"staged {val} validation and {train} of {total} training photos in {args.target}; "
          f"the travelling tree is {used / 2**20:.1f} MiB")
    if train < total:
        print(f"note: {total - train} training photos left out to stay under {args.budget_mib:g} MiB", file=sys.stderr)


if __name__ == "__main__":
    main()
