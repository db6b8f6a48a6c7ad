"""Detect objects in images: detections as COCO-format JSON and pictures with the boxes drawn.

    python tools/infer.py CONFIG CHECKPOINT IMAGE_OR_FOLDER [...] [--out-dir outputs/infer]
                          [--score-thr 0.05] [--coco-ann annotations.json] [--device cpu]

Writes ``<out-dir>/detections.json`` (a COCO result list: image_id, category_id, bbox [x, y, w, h],
score), ``<out-dir>/images.json`` (the image ids and categories used) and ``<out-dir>/vis/<image>``
with boxes, class names and scores (fractions, as ``--score-thr``); images from several folders keep
their folder below ``vis/``, so same-named files do not overwrite each other. An image that cannot
be read is skipped with a warning; the others are still processed and written. With ``--coco-ann``
image and category ids are taken from that COCO file, so the detections can be evaluated against it
directly. Errors print as one line (``--debug`` or ``BRS_DEBUG=1`` for the traceback).
"""
import argparse
import json
import os.path as osp
import sys
from pathlib import Path

import mmcv
from mmdet.apis import inference_detector, init_detector
from mmdet.registry import VISUALIZERS
from mmengine.config import DictAction

from brs_detr.engine import load_config, run_cli
from brs_detr.engine.cli import DEBUG_FLAG, one_line
from brs_detr.engine.score_visualizer import DEFAULT_SCORE_THR
from brs_detr.io.safe_load import check_checkpoint_file, use_safe_checkpoint_loading

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Run a detector on images")
    parser.add_argument("config", help="config file")
    parser.add_argument("checkpoint", help="checkpoint file (loaded with weights_only=True)")
    parser.add_argument("inputs", nargs="+", help="image files and/or folders of images")
    parser.add_argument("--out-dir", default="outputs/infer", help="default: %(default)s")
    parser.add_argument("--score-thr", type=float, default=DEFAULT_SCORE_THR,
                        help="keep detections scoring at least this; ranking-loss detectors score "
                             "low, see the README (default: %(default)s)")
    parser.add_argument("--coco-ann", help="COCO annotation file giving image and category ids")
    parser.add_argument("--device", default="cpu", help="e.g. cpu or cuda:0 (default: %(default)s)")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, metavar="KEY=VALUE")
    parser.add_argument(DEBUG_FLAG, action="store_true", help="show tracebacks (or BRS_DEBUG=1)")
    return parser.parse_args(argv)


def list_images(inputs) -> list[Path]:
    images = []
    for item in map(Path, inputs):
        if item.is_dir():
            images += sorted(p for p in item.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        elif item.is_file():
            images.append(item)
        else:
            raise FileNotFoundError(f"input {item} is neither an image file nor a folder")
    if not images:
        raise FileNotFoundError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {inputs}")
    return images


def drawing_paths(images, vis_dir: Path) -> dict:
    """``vis_dir/<path below the images' common folder>``: one file per image, none shared."""
    common = Path(osp.commonpath([str(p.resolve().parent) for p in images]))
    return {p: vis_dir / p.resolve().relative_to(common) for p in images}


def coco_ids(images, classes, coco_ann):
    """Image id per file and category id per class: from ``coco_ann`` or numbered from 1."""
    if coco_ann is None:
        return ({p: i for i, p in enumerate(images, start=1)},
                {i: i + 1 for i in range(len(classes))})
    coco = json.loads(Path(coco_ann).read_text())
    by_name = {Path(img["file_name"]).name: img["id"] for img in coco["images"]}
    missing = [p.name for p in images if p.name not in by_name]
    if missing:
        raise KeyError(f"{coco_ann} has no image named {missing[0]} ({len(missing)} missing)")
    cat_by_name = {c["name"]: c["id"] for c in coco["categories"]}
    unknown = [c for c in classes if c not in cat_by_name]
    if unknown:
        raise KeyError(f"{coco_ann} has no category named {unknown[0]!r}")
    return {p: by_name[p.name] for p in images}, {i: cat_by_name[c] for i, c in enumerate(classes)}


def to_coco_results(image_id, pred, cat_ids, score_thr):
    keep = pred.scores >= score_thr
    results = []
    for (x1, y1, x2, y2), label, score in zip(pred.bboxes[keep].tolist(), pred.labels[keep].tolist(),
                                              pred.scores[keep].tolist()):
        results.append(dict(image_id=image_id, category_id=cat_ids[label],
                            bbox=[round(v, 2) for v in (x1, y1, x2 - x1, y2 - y1)],
                            score=round(score, 5)))
    return results


def read_image(path: Path):
    """The image as BGR array, or None (with a warning) when it cannot be decoded."""
    try:
        img = mmcv.imread(str(path))
    except Exception as err:  # mmcv/cv2 raise various errors on unreadable files
        print(f"warning: skipped {path}: cannot be read ({one_line(err)})", file=sys.stderr)
        return None
    if img is None:
        print(f"warning: skipped {path}: not a readable image", file=sys.stderr)
    return img


def main(argv=None):
    args = parse_args(argv)
    images = list_images(args.inputs)
    check_checkpoint_file(args.checkpoint)
    cfg = load_config(args.config, args.cfg_options)
    use_safe_checkpoint_loading()
    model = init_detector(cfg, args.checkpoint, device=args.device)
    classes = model.dataset_meta["classes"]
    image_ids, cat_ids = coco_ids(images, classes, args.coco_ann)

    visualizer = VISUALIZERS.build(model.cfg.visualizer)
    visualizer.dataset_meta = model.dataset_meta
    out_dir = Path(args.out_dir)
    drawings = drawing_paths(images, out_dir / "vis")

    detections, image_entries, skipped = [], [], []
    for path in images:
        img = read_image(path)
        if img is None:
            skipped.append(path)
            continue
        sample = inference_detector(model, img)
        pred = sample.pred_instances.cpu()
        detections += to_coco_results(image_ids[path], pred, cat_ids, args.score_thr)
        image_entries.append(dict(id=image_ids[path], file_name=str(path), height=img.shape[0],
                                  width=img.shape[1]))
        drawings[path].parent.mkdir(parents=True, exist_ok=True)
        visualizer.add_datasample(path.name, mmcv.bgr2rgb(img), sample, draw_gt=False, show=False,
                                  pred_score_thr=args.score_thr, out_file=str(drawings[path]))
        kept = int((pred.scores >= args.score_thr).sum())
        print(f"{path}: {kept} detections with score >= {args.score_thr}")

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "detections.json").write_text(json.dumps(detections))
    categories = [dict(id=cat_ids[i], name=c) for i, c in enumerate(classes)]
    (out_dir / "images.json").write_text(json.dumps(dict(images=image_entries, categories=categories),
                                                    indent=1))
    print(f"{len(detections)} detections on {len(image_entries)} images: {out_dir / 'detections.json'}; "
          f"drawn images in {out_dir / 'vis'}" + (f"; {len(skipped)} unreadable skipped" if skipped else ""))
    if not image_entries:
        raise RuntimeError(f"none of the {len(images)} images could be read")


if __name__ == "__main__":
    sys.exit(run_cli(main))
