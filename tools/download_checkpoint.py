"""Download a released checkpoint, verify it, convert it to this code base and say how to evaluate it.

    python tools/download_checkpoint.py --list
    python tools/download_checkpoint.py brs_detr_r50_12e [--out-dir checkpoints]
    python tools/download_checkpoint.py co_deformable_detr_r50_12e --file ~/Downloads/x.pth
    python tools/download_checkpoint.py https://host/model.pth [--sha256 HEX] [--config CFG]

Downloads resume where a previous attempt stopped; a truncated or corrupt file (bytes received vs
Content-Length, size, sha256) is refused. Weights are read with ``torch.load(weights_only=True)``;
official mmdet 2.x state dicts are renamed by ``convert_official_checkpoint.convert_state_dict``.
The result, ``<out-dir>/<name>.pth``, loads with ``tools/test.py CONFIG <out-dir>/<name>.pth``.
The registry (``brs_detr/io/released_checkpoints.py``) is the table in checkpoints.md.
"""
import argparse
import sys
import urllib.parse
from pathlib import Path

import torch
from convert_official_checkpoint import convert_state_dict, load_checkpoint_file, model_state_dict

from brs_detr.io.download import DownloadError, download, sha256_of
from brs_detr.io.released_checkpoints import RELEASED_CHECKPOINTS, ReleasedCheckpoint, markdown_table

# Keys only mmcv 1.x (mmdet 2.x) transformer layers have; ours are self_attn / cross_attn / ffn.
_MMDET2_KEY_MARKERS = (".attentions.0.", ".ffns.0.")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", help="a name from --list, a URL, or a local .pth file")
    parser.add_argument("--list", action="store_true", help="print the released checkpoints and exit")
    parser.add_argument("--file", help="a copy of the named checkpoint you downloaded yourself")
    parser.add_argument("--out-dir", default="checkpoints", help="default: %(default)s")
    parser.add_argument("--sha256", help="expected sha256 of the file (for URLs and files)")
    parser.add_argument("--config", help="config to evaluate it with (for URLs and files)")
    parser.add_argument("--format", choices=["auto", "mmdet2", "mmdet3"], default="auto",
                        help="mmdet2: an official Co-DETR/BRS-DETR release, converted "
                             "(default: %(default)s)")
    parser.add_argument("--allow-unmatched", action="store_true",
                        help="write the converted weights even if they do not fit the config's model")
    parser.add_argument("--no-progress", action="store_true")
    return parser.parse_args(argv)


def resolve(args) -> tuple[ReleasedCheckpoint, Path | None]:
    """The checkpoint entry to fetch, and a local file standing in for its download (or None)."""
    if args.source in RELEASED_CHECKPOINTS:
        entry = RELEASED_CHECKPOINTS[args.source]
        return entry, Path(args.file) if args.file else None
    if args.file:
        raise SystemExit(f"--file goes with a registry name (see --list), not {args.source!r}")
    local = Path(args.source)
    if local.is_file():
        name = local.stem
    elif urllib.parse.urlparse(args.source).scheme in ("http", "https"):
        name = Path(urllib.parse.urlparse(args.source).path).stem or "checkpoint"
        local = None
    else:
        raise SystemExit(f"{args.source!r} is neither a released checkpoint name (see --list), "
                         "a http(s) URL nor an existing file")
    entry = ReleasedCheckpoint(name=name, detector="?", backbone="?", epochs=0, queries=0,
                               coco_val_ap=float("nan"), claimed_by="?", config=args.config,
                               url=args.source, sha256=args.sha256,
                               fmt=None if args.format == "auto" else args.format)
    return entry, local


def fetch(entry: ReleasedCheckpoint, local: Path | None, out_dir: Path, progress: bool) -> Path:
    if local is None:
        print(f"downloading {entry.url}")
        return download(entry.url, out_dir / f"{entry.name}.download.pth", sha256=entry.sha256,
                        size=entry.size, progress=progress)
    if not local.is_file():
        raise DownloadError(f"{local} does not exist")
    if entry.sha256 and sha256_of(local) != entry.sha256.lower():
        raise DownloadError(f"{local}: sha256 mismatch (expected {entry.sha256}); not the released "
                            "checkpoint, or corrupt")
    return local


def is_mmdet2(state_dict: dict, meta: dict) -> bool:
    if str(meta.get("mmdet_version", "")).startswith("2.") or \
            str(meta.get("mmcv_version", "")).startswith("1."):
        return True
    return any(marker in key for key in state_dict for marker in _MMDET2_KEY_MARKERS)


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        print(markdown_table(), end="")
        return
    if not args.source:
        raise SystemExit("give a checkpoint name (see --list), a URL or a file")
    entry, local = resolve(args)
    out_dir = Path(args.out_dir)
    try:
        raw = fetch(entry, local, out_dir, progress=not args.no_progress)
    except DownloadError as err:
        raise SystemExit(f"error: {err}")
    digest = sha256_of(raw)
    print(f"{raw}: {raw.stat().st_size} bytes, sha256 {digest} "
          f"({'verified' if entry.sha256 else 'no published sha256 to check against'})")

    try:
        state_dict, meta = load_checkpoint_file(raw)
    except ValueError as err:
        raise SystemExit(str(err))
    fmt = entry.fmt or ("mmdet2" if is_mmdet2(state_dict, meta) else "mmdet3")
    if fmt == "mmdet2":
        target = model_state_dict(entry.config) if entry.config else None
        state_dict, report = convert_state_dict(state_dict, target)
        print(f"converted from mmdet 2.x names: {report.summary()}")
        if target is not None and not report.ok and not args.allow_unmatched:
            raise SystemExit(f"not written: the weights do not fit the model of {entry.config} "
                             "(see above; --allow-unmatched writes them anyway)")
    new_meta = dict(source=entry.url, sha256=digest, converted_from=fmt if fmt == "mmdet2" else None)
    classes = meta.get("dataset_meta", {}).get("classes") or meta.get("CLASSES")
    if classes:
        new_meta["dataset_meta"] = dict(classes=tuple(classes))
    out = out_dir / f"{entry.name}.pth"
    if out.exists() and out.resolve() == raw.resolve():
        out = out_dir / f"{entry.name}_converted.pth"
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(dict(state_dict=dict(state_dict), meta=new_meta), out)
    print(f"wrote {out} ({len(state_dict)} tensors)")
    if entry.config:
        print(f"evaluate it with:\n  python tools/test.py {entry.config} {out}\n"
              f"  bash tools/dist_test.sh {entry.config} {out} 8")
    else:
        print("no config in this repository matches it: pass --config to record one")


if __name__ == "__main__":
    sys.exit(main())
