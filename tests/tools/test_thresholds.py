"""Thresholds that work: the query head keeps min(max_per_img, queries x classes) detections and
honours test_cfg.score_thr; scores are drawn as fractions; tools/test.py draws above --score-thr;
tools/infer.py's default shows the demo's detections, skips an unreadable image and keeps
same-named images from two folders apart."""
import json
import shutil

import numpy as np
import torch
from mmengine.structures import InstanceData
from PIL import Image
from tool_helpers import run_tool

from brs_detr.engine import load_config
from brs_detr.engine.inference_graph import build_detector
from brs_detr.engine.score_visualizer import DEFAULT_SCORE_THR


def _predict(config, **cfg_options):
    from mmdet.structures import DetDataSample

    torch.manual_seed(0)
    model = build_detector(load_config(str(config), cfg_options))
    sample = DetDataSample(metainfo=dict(img_shape=(64, 96), batch_input_shape=(64, 96),
                                         ori_shape=(64, 96), scale_factor=(1.0, 1.0)))
    with torch.no_grad():
        return model.predict(torch.rand(1, 3, 64, 96), [sample])[0].pred_instances


def test_top_k_is_capped_by_queries_times_classes_and_score_thr_is_honoured(brs_tiny_config):
    one_class = _predict(brs_tiny_config, classes=("person", ))  # 30 queries x 1 class < 100
    assert len(one_class) == 30 and set(one_class.labels.tolist()) == {0}
    everything = _predict(brs_tiny_config)
    assert len(everything) == 100
    thr = float(everything.scores.median())
    kept = _predict(brs_tiny_config, **{"model.test_cfg.0.score_thr": thr})
    assert 0 < len(kept) < 100 and kept.scores.min() >= thr


def test_scores_are_drawn_as_fractions(monkeypatch):
    from mmdet.structures import DetDataSample
    from mmdet.visualization import DetLocalVisualizer

    from brs_detr.engine.score_visualizer import FractionScoreVisualizer

    drawn = []
    original = DetLocalVisualizer.draw_texts
    monkeypatch.setattr(DetLocalVisualizer, "draw_texts",
                        lambda self, texts, *a, **k: (drawn.append(texts),
                                                      original(self, texts, *a, **k))[1])
    visualizer = FractionScoreVisualizer(name="fractions")
    visualizer.dataset_meta = dict(classes=("person", ))
    sample = DetDataSample()
    sample.pred_instances = InstanceData(bboxes=torch.tensor([[10., 10., 60., 50.]]),
                                         scores=torch.tensor([0.1912]), labels=torch.tensor([0]))
    visualizer.add_datasample("x", np.zeros((64, 96, 3), np.uint8), sample, draw_gt=False,
                              pred_score_thr=0.1)
    assert "person: 0.191" in drawn


def test_test_tool_draws_above_score_thr(brs_tiny_config, tiny_checkpoint, demo_coco, tmp_path):
    run_tool("tools/test.py", brs_tiny_config, tiny_checkpoint, "--work-dir", tmp_path,
             "--show-dir", "vis", "--score-thr", "0.01")
    drawn = sorted(tmp_path.glob("*/vis/*.jpg"))
    assert len(drawn) == 3
    for path in drawn:
        original = np.asarray(Image.open(demo_coco / "images" / path.name).convert("RGB"), dtype=int)
        picture = np.asarray(Image.open(path).convert("RGB"), dtype=int)
        predictions = picture[:, original.shape[1]:]  # ground truth left, predictions right
        assert np.abs(predictions - original).max() > 100  # boxes drawn (mmdet's 0.3 drew none)


def test_infer_default_threshold_skips_bad_images_and_keeps_same_names_apart(
        brs_tiny_config, tiny_checkpoint, demo_coco, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    shutil.copytree(demo_coco / "images", first)
    second.mkdir()
    shutil.copy(demo_coco / "images" / "2011_000025.jpg", second / "2011_000003.jpg")  # same name
    (second / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    proc = run_tool("tools/infer.py", brs_tiny_config, tiny_checkpoint, first, second,
                    "--out-dir", tmp_path / "out")
    assert f"warning: skipped {second / 'broken.jpg'}" in proc.stderr
    detections = json.loads((tmp_path / "out" / "detections.json").read_text())
    images = json.loads((tmp_path / "out" / "images.json").read_text())["images"]
    assert len(images) == 4 and {d["image_id"] for d in detections} <= {i["id"] for i in images}
    assert detections and min(d["score"] for d in detections) >= DEFAULT_SCORE_THR
    a = np.asarray(Image.open(tmp_path / "out" / "vis" / "a" / "2011_000003.jpg"))
    b = np.asarray(Image.open(tmp_path / "out" / "vis" / "b" / "2011_000003.jpg"))
    assert a.shape != b.shape  # two different photos, neither overwritten
