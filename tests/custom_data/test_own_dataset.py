"""Your own COCO-format dataset in one place (configs/custom/): class names given once reach every
head and split, disagreements fail at build time naming the keys, bad annotations are reported by
name, and a real 6-class set (not the demo) and a one-class set train and evaluate, fine-tuning
from a checkpoint with another class count."""
import json
import re

from pathlib import Path

import pytest
from tool_helpers import run_tool

from brs_detr.data import ClassCountError
from brs_detr.data.class_names import split_datasets
from brs_detr.data.photos_dataset import PHOTO_CLASSES
from brs_detr.data.photos_dataset import photos_coco as photos_annotations
from brs_detr.engine import load_config
from brs_detr.io.safe_load import load_checkpoint_safely

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
PHOTOS_CONFIG = CONFIGS / "custom" / "brs_detr_tiny_1xb2-photos.py"
DEMO_CONFIG = CONFIGS / "brs_detr" / "brs_detr_tiny_1xb2-demo.py"
# mmengine's validation line, e.g. "coco/bbox_mAP: 0.1230  coco/bbox_mAP_50: 0.3030 ..."
AP50 = re.compile(r"coco/bbox_mAP_50: (\d+\.\d+)")


def _build(model_cfg):
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope

    import brs_detr.models  # noqa: F401
    import projects.models  # noqa: F401
    init_default_scope("mmdet")
    return MODELS.build(model_cfg)


def test_class_names_given_once_reach_every_head_and_split(photos_coco):
    cfg = load_config(str(PHOTOS_CONFIG))
    for _, dataset in split_datasets(cfg):
        assert dataset["metainfo"]["classes"] == PHOTO_CLASSES
        assert dataset["type"] == "CheckedCocoDataset"
    model = _build(cfg.model)
    assert model.query_head.num_classes == 6
    assert model.query_head.cls_branches[0].out_features == 6
    assert model.roi_head[0].bbox_head.num_classes == 6 and model.bbox_head[0].num_classes == 6


def test_heads_and_datasets_that_disagree_fail_at_build_naming_the_keys(demo_coco):
    with pytest.raises(ClassCountError, match=r"model\.roi_head\.0\.bbox_head\.num_classes=20 but "
                                              r"model\.query_head\.num_classes=6"):
        load_config(str(DEMO_CONFIG), {"model.query_head.num_classes": 6})
    with pytest.raises(ClassCountError, match=r"model\.query_head\.num_classes=20 but train_dataloader"
                                              r"\.dataset\.metainfo\.classes has 2 names \(a, b\)"):
        load_config(str(DEMO_CONFIG), {"train_dataloader.dataset.metainfo": dict(classes=("a", "b"))})
    # building the model directly (mmdet's own tools) is refused by the detector itself
    cfg = load_config(str(DEMO_CONFIG))
    cfg.model.query_head.num_classes = 6
    with pytest.raises(ValueError, match=r"model\.query_head\.num_classes=6, "
                                         r"model\.roi_head\[0\]\.bbox_head\.num_classes=20"):
        _build(cfg.model)


def test_bad_annotations_are_counted_and_named_at_load(photos_coco, tmp_path):
    from brs_detr.data.annotation_checks import CheckedCocoDataset

    coco = photos_coco_with_problems()
    (tmp_path / "bad.json").write_text(json.dumps(coco))
    dataset = CheckedCocoDataset(ann_file=str(tmp_path / "bad.json"),
                                 data_prefix=dict(img=str(photos_coco / "images")),
                                 metainfo=dict(classes=PHOTO_CLASSES), pipeline=[])
    problems = dataset.problems
    assert problems["boxes with negative or zero size"] == ["id 100 (-20x30)"]
    assert problems["annotations of a category outside the classes"] == ["zebra"]
    assert [p.split("/")[-1] for p in problems["missing images"]] == ["ghost.jpg"]
    assert len(dataset) == 7  # the missing image is left out, the 7 photos stay


def photos_coco_with_problems() -> dict:
    coco = photos_annotations()
    coco["categories"].append(dict(id=7, name="zebra"))
    coco["images"].append(dict(id=8, file_name="ghost.jpg", width=100, height=100))
    coco["annotations"] += [
        dict(id=100, image_id=1, category_id=1, bbox=[50, 50, -20, 30], area=-600, iscrowd=0),
        dict(id=101, image_id=1, category_id=7, bbox=[10, 10, 30, 30], area=900, iscrowd=0),
        dict(id=102, image_id=8, category_id=1, bbox=[10, 10, 30, 30], area=900, iscrowd=0),
    ]
    return coco


def test_six_class_photos_fine_tune_from_twenty_classes_and_evaluate(photos_coco,
                                                                     twenty_class_checkpoint, tmp_path):
    proc = run_tool("tools/train.py", PHOTOS_CONFIG, "--work-dir", tmp_path, "--cfg-options",
                    "randomness.seed=0", "train_cfg.max_epochs=2", "train_cfg.val_interval=2",
                    "default_hooks.checkpoint.interval=2", f"load_from={twenty_class_checkpoint}")
    out = proc.stdout + proc.stderr
    reinit = re.search(r"fine-tuning: (\d+) tensors of the checkpoint do not fit this model "
                       r"\(other classes\?\) and keep their initial values: (.*)", out)
    assert reinit, out[-3000:]
    # the query head's classifiers (2 decoder layers + encoder proposals), RoI and ATSS classifiers
    assert "query_head.cls_branches.0.weight [20, 64]->[6, 64]" in reinit.group(2)
    assert "bbox_head.0.atss_cls.weight" in reinit.group(2)
    assert "roi_head.0.bbox_head.fc_cls.weight" in reinit.group(2)
    assert "backbone" not in reinit.group(2)  # everything else was loaded
    assert AP50.search(out), out[-3000:]  # evaluated on the 6-class set
    ckpt = load_checkpoint_safely(tmp_path / "epoch_2.pth")
    assert ckpt["meta"]["dataset_meta"]["classes"] == PHOTO_CLASSES


def test_one_class_dataset_trains_and_evaluates_with_30_queries(photos_coco, tmp_path):
    """30 queries x 1 class < max_per_img 100: prediction keeps 30 and evaluation runs."""
    ann = tmp_path / "person.json"
    ann.write_text(json.dumps(photos_annotations(("person", ))))
    proc = run_tool("tools/train.py", PHOTOS_CONFIG, "--work-dir", tmp_path / "run", "--cfg-options",
                    "classes=[person]", "randomness.seed=0", "train_cfg.max_epochs=1",
                    "train_cfg.val_interval=1", f"train_dataloader.dataset.ann_file={ann}",
                    f"val_dataloader.dataset.ann_file={ann}", f"val_evaluator.ann_file={ann}",
                    f"test_dataloader.dataset.ann_file={ann}", f"test_evaluator.ann_file={ann}")
    assert AP50.search(proc.stdout + proc.stderr)
