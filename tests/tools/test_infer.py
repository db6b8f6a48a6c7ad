"""tools/infer.py on real photos (the demo set's PASCAL VOC images): COCO-format detections that
pycocotools accepts, and pictures with the detections drawn."""
import importlib.util
import json

import numpy as np
import pytest
from PIL import Image
from pycocotools.coco import COCO
from tool_helpers import REPO_ROOT, run_tool

_spec = importlib.util.spec_from_file_location("infer", REPO_ROOT / "tools" / "infer.py")
infer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(infer)


def test_folder_of_photos_gives_coco_results_and_drawings(brs_tiny_config, tiny_checkpoint, demo_coco,
                                                          tmp_path):
    ann_file = demo_coco / "annotations.json"
    proc = run_tool("tools/infer.py", brs_tiny_config, tiny_checkpoint, demo_coco / "images",
                    "--out-dir", tmp_path, "--score-thr", "0", "--coco-ann", ann_file)
    gt = COCO(str(ann_file))
    detections = json.loads((tmp_path / "detections.json").read_text())
    assert {d["image_id"] for d in detections} == set(gt.getImgIds())
    assert {d["category_id"] for d in detections} <= set(gt.getCatIds())
    for det in detections:
        img = gt.imgs[det["image_id"]]
        x, y, w, h = det["bbox"]
        assert 0 <= x and 0 <= y and w >= 0 and h >= 0
        assert x + w <= img["width"] + 0.01 and y + h <= img["height"] + 0.01
        assert 0 <= det["score"] <= 1
    gt.loadRes(detections)  # the COCO result format pycocotools evaluates
    assert "300 detections on 3 images" in proc.stdout  # 100 per image (test_cfg max_per_img)

    for img in gt.imgs.values():
        original = np.asarray(Image.open(demo_coco / "images" / img["file_name"]).convert("RGB"))
        drawn = np.asarray(Image.open(tmp_path / "vis" / img["file_name"]).convert("RGB"))
        assert drawn.shape == original.shape
        assert np.abs(drawn.astype(int) - original).max() > 100  # boxes and labels were drawn


def test_score_threshold_filters_and_single_images_work(brs_tiny_config, tiny_checkpoint, demo_coco,
                                                        tmp_path):
    image = demo_coco / "images" / "2011_000003.jpg"
    run_tool("tools/infer.py", brs_tiny_config, tiny_checkpoint, image, "--out-dir", tmp_path / "all",
             "--score-thr", "0")
    all_scores = [d["score"] for d in json.loads((tmp_path / "all" / "detections.json").read_text())]
    thr = float(np.median(all_scores))
    run_tool("tools/infer.py", brs_tiny_config, tiny_checkpoint, image, "--out-dir", tmp_path / "some",
             "--score-thr", str(thr))
    kept = json.loads((tmp_path / "some" / "detections.json").read_text())
    assert 0 < len(kept) < len(all_scores) and min(d["score"] for d in kept) >= thr
    assert json.loads((tmp_path / "some" / "images.json").read_text())["images"][0]["id"] == 1


def test_missing_input_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.jpg is neither an image file nor a folder"):
        infer.list_images([tmp_path / "nope.jpg"])
    with pytest.raises(FileNotFoundError, match="no images"):
        infer.list_images([tmp_path])
