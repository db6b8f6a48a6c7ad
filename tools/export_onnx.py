"""Export a Co-DETR / BRS-DETR checkpoint's inference graph to ONNX and check it with onnxruntime.

    python tools/export_onnx.py CONFIG CHECKPOINT [--out model.onnx] [--shape 256 256]
                                [--images IMG ...] [--cfg-options KEY=VALUE ...]

The graph (brs_detr/engine/inference_graph.py) is backbone, neck, encoder, decoder and the query
head's top-k; the auxiliary heads are training-only and left out. It is traced on the CPU, where
mmcv's deformable attention runs its pure-PyTorch path (standard ONNX operators, opset 17).
Input ``images``: float (1, 3, H, W), 0-255 in the config's channel order, resized to exactly H x W;
outputs ``boxes`` (1, k, 4) as x1, y1, x2, y2 in input pixels, ``scores`` (1, k), ``labels`` (1, k),
k = min(max_per_img, queries x classes). Batch size 1 and the image size are fixed at export (the
tracer records the padding masks, level shapes and reference points as constants): export once per
size. The export is then run with onnxruntime and with PyTorch on real images, one at a time
(``--images``, by default the demo photos), and the largest differences of boxes and scores are
printed.
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from brs_detr.engine import add_runner_arguments, load_config, run_cli
from brs_detr.engine.inference_graph import InferenceGraph, build_detector, load_images
from brs_detr.io.safe_load import check_checkpoint_file

DEMO_IMAGES = "data/demo_coco/images"
OPSET = 17


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", help="config file")
    parser.add_argument("checkpoint", help="checkpoint file (loaded with weights_only=True)")
    parser.add_argument("--out", help="ONNX file to write (default: CHECKPOINT with .onnx)")
    parser.add_argument("--shape", type=int, nargs=2, default=[800, 1333], metavar=("H", "W"),
                        help="input size, fixed in the graph (default: %(default)s)")
    parser.add_argument("--images", nargs="+", help=f"real images to compare on (default: "
                                                    f"{DEMO_IMAGES}/*)")
    add_runner_arguments(parser)
    return parser.parse_args(argv)


def export(graph: torch.nn.Module, example: torch.Tensor, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(graph, (example, ), str(out), opset_version=OPSET, dynamo=False,
                          input_names=["images"], output_names=["boxes", "scores", "labels"])


def match_detections(boxes, scores, labels, ref_boxes, ref_scores, ref_labels, tie: float = 1e-5):
    """Per detection of one image: |box diff| (max over coordinates) to the reference detection of
    the same label whose score is within ``tie`` (top-k may order near-equal scores either way),
    ``inf`` when there is none."""
    diffs = np.full(len(scores), np.inf)
    for i, (box, score, label) in enumerate(zip(boxes, scores, labels)):
        same = (np.abs(ref_scores - score) <= tie) & (ref_labels == label)
        if same.any():
            diffs[i] = np.abs(ref_boxes[same] - box).max(axis=1).min()
    return diffs


def compare(graph: torch.nn.Module, out: Path, images: torch.Tensor) -> dict:
    """Largest |onnxruntime - PyTorch| of the scores (rank by rank) and of the boxes (each matched
    to the PyTorch detection of its label and score), and the fraction of detections matched."""
    try:
        import onnxruntime
    except ImportError:
        raise ImportError("checking the export needs onnxruntime: pip install -e '.[deploy]'") from None
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    score_diff, box_diffs = 0.0, []
    for image in images.split(1):
        boxes, scores, labels = (a[0] for a in session.run(None, {"images": image.numpy()}))
        with torch.no_grad():
            ref = [t[0].numpy() for t in graph(image)]
        score_diff = max(score_diff, float(np.abs(scores - ref[1]).max()))
        box_diffs.append(match_detections(boxes, scores, labels, *ref))
    box_diffs = np.concatenate(box_diffs)
    matched = np.isfinite(box_diffs)
    return dict(boxes=float(box_diffs[matched].max()) if matched.any() else float("inf"),
                scores=score_diff, matched=float(matched.mean()))


def main(argv=None):
    args = parse_args(argv)
    height, width = args.shape
    check_checkpoint_file(args.checkpoint)
    paths = args.images or sorted(str(p) for p in Path(DEMO_IMAGES).glob("*.jpg"))
    if not paths:
        raise FileNotFoundError(f"no images to compare on: pass --images (or run "
                                f"tools/prepare_demo_data.py for {DEMO_IMAGES})")
    cfg = load_config(args.config, args.cfg_options)
    graph = InferenceGraph(build_detector(cfg, args.checkpoint), height, width).eval()
    images = load_images(paths, height, width)
    out = Path(args.out or Path(args.checkpoint).with_suffix(".onnx"))
    export(graph, images[:1], out)
    print(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MiB): input images (1, 3, {height}, "
          f"{width}) float 0-255; outputs boxes, scores, labels (top {graph.top_k})")
    diff = compare(graph, out, images)
    print(f"onnxruntime vs PyTorch on {len(paths)} real images: max |diff| boxes {diff['boxes']:.2e} "
          f"px, scores {diff['scores']:.2e}; detections matched (label, score) "
          f"{100 * diff['matched']:.1f}%")


if __name__ == "__main__":
    sys.exit(run_cli(main))
