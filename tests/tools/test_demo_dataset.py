"""The demo dataset: real photos, COCO ids from 1, VOC categories, idempotent, clear download errors."""
import json
import subprocess
import sys

import pytest
from PIL import Image

from brs_detr.data import demo_dataset
from brs_detr.data.demo_dataset import VOC_CLASSES, DemoDataError, prepare_demo_dataset


def test_annotations_are_renumbered_coco(demo_coco):
    coco = json.loads((demo_coco / "annotations.json").read_text())
    assert [img["id"] for img in coco["images"]] == [1, 2, 3]
    assert [ann["id"] for ann in coco["annotations"]] == list(range(1, 13))
    assert {ann["image_id"] for ann in coco["annotations"]} == {1, 2, 3}
    assert [(c["id"], c["name"]) for c in coco["categories"]] == list(enumerate(VOC_CLASSES, start=1))
    names = {VOC_CLASSES[ann["category_id"] - 1] for ann in coco["annotations"]}
    assert {"person", "bus", "car"} <= names
    for img in coco["images"]:
        with Image.open(demo_coco / "images" / img["file_name"]) as photo:
            assert photo.size == (img["width"], img["height"])
        for ann in coco["annotations"]:
            if ann["image_id"] == img["id"]:
                x, y, w, h = ann["bbox"]
                assert w > 0 and h > 0 and x + w <= img["width"] and y + h <= img["height"]


def test_gt_as_detections_scores_ap_one(demo_coco):
    """With ids from 1 pycocotools matches every box (ids from 0 give 0.949, see NOTES.md)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt = COCO(str(demo_coco / "annotations.json"))
    dets = [dict(image_id=a["image_id"], category_id=a["category_id"], bbox=a["bbox"], score=1.0)
            for a in gt.dataset["annotations"]]
    ev = COCOeval(gt, gt.loadRes(dets), "bbox")
    ev.evaluate(), ev.accumulate(), ev.summarize()
    assert ev.stats[0] == pytest.approx(1.0)


def test_second_call_does_not_download(demo_coco, monkeypatch):
    def no_download(dest):
        raise AssertionError("prepare_demo_dataset downloaded again")

    monkeypatch.setattr(demo_dataset, "_download_labelme_sdist", no_download)
    assert prepare_demo_dataset(demo_coco) == demo_coco


def test_failed_download_names_the_problem(tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # discard port: refused
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    with pytest.raises(DemoDataError, match="labelme==6.3.1"):
        prepare_demo_dataset(tmp_path / "demo")
    assert not (tmp_path / "demo" / "annotations.json").exists()


def test_cli_reports_the_dataset(demo_coco, repo_root):
    out = subprocess.run([sys.executable, str(repo_root / "tools" / "prepare_demo_data.py"),
                          "--root", str(demo_coco)], capture_output=True, text=True, check=True,
                         cwd=repo_root).stdout
    assert "3 images, 12 boxes, 20 classes" in out
