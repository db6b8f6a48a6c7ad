"""Detect objects in images: detections as COCO-format JSON and pictures with the boxes drawn.

    python tools/infer.py CONFIG CHECKPOINT IMAGE_OR_FOLDER [...] [--out-dir outputs/infer]
                          [--score-thr 0.3] [--coco-ann annotations.json] [--device cpu]

Writes ``<out-dir>/detections.json`` (a COCO result list: image_id, category_id, bbox [x, y, w, h],
score), ``<out-dir>/images.json`` (the image ids and categories used) and ``<out-dir>/vis/<image>``
with boxes, class names and scores. With ``--coco-ann`` image and category ids are taken from that
COCO file, so the detections can be evaluated against it directly.
"""
import argparse
import json
from pathlib import Path

import mmcv
from mmdet.apis import inference_detector, init_detector
from mmdet.registry import VISUALIZERS
from mmengine.config import DictAction

from brs_detr.io.safe_load import use_safe_checkpoint_loading

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Run a detector on images")
    parser.add_argument("config", help="config file")
    parser.add_argument("checkpoint", help="checkpoint file (loaded with weights_only=True)")
    parser.add_argument("inputs", nargs="+", help="image files and/or folders of images")
    parser.add_argument("--out-dir", default="outputs/infer", help="default: %(default)s")
    parser.add_argument("--score-thr", type=float, default=0.3,
                        help="keep detections scoring at least this (default: %(default)s)")
    parser.add_argument("--coco-ann", help="COCO annotation file giving image and category ids")
    parser.add_argument("--device", default="cpu", help="e.g. cpu or cuda:0 (default: %(default)s)")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, metavar="KEY=VALUE")
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


def main(argv=None):
    args = parse_args(argv)
    images = list_images(args.inputs)
    use_safe_checkpoint_loading()
    model = init_detector(args.config, args.checkpoint, device=args.device, cfg_options=args.cfg_options)
    classes = model.dataset_meta["classes"]
    image_ids, cat_ids = coco_ids(images, classes, args.coco_ann)

    visualizer = VISUALIZERS.build(model.cfg.visualizer)
    visualizer.dataset_meta = model.dataset_meta
    out_dir = Path(args.out_dir)
    (out_dir / "vis").mkdir(parents=True, exist_ok=True)

    detections, image_entries = [], []
    for path in images:
        sample = inference_detector(model, str(path))
        pred = sample.pred_instances.cpu()
        detections += to_coco_results(image_ids[path], pred, cat_ids, args.score_thr)
        img = mmcv.imread(str(path), channel_order="rgb")
        image_entries.append(dict(id=image_ids[path], file_name=str(path), height=img.shape[0],
                                  width=img.shape[1]))
        visualizer.add_datasample(path.name, img, sample, draw_gt=False, show=False,
                                  pred_score_thr=args.score_thr,
                                  out_file=str(out_dir / "vis" / path.name))
        kept = int((pred.scores >= args.score_thr).sum())
        print(f"{path}: {kept} detections with score >= {args.score_thr}")

    (out_dir / "detections.json").write_text(json.dumps(detections))
    categories = [dict(id=cat_ids[i], name=c) for i, c in enumerate(classes)]
    (out_dir / "images.json").write_text(json.dumps(dict(images=image_entries, categories=categories),
                                                    indent=1))
    print(f"{len(detections)} detections on {len(images)} images: {out_dir / 'detections.json'}; "
          f"drawn images in {out_dir / 'vis'}")


if __name__ == "__main__":
    main()
