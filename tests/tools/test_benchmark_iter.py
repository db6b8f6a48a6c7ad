"""tools/benchmark_iter.py's bookkeeping on a small input: each recorded classification-loss call
has the problem size and the positives of the model's own assignment (counted at the assigners)."""
import sys
from collections import defaultdict

import pytest
import torch

from tool_helpers import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tools"))
import benchmark_iter as bench  # noqa: E402

CPU = torch.device("cpu")
BOXES_PER_IMAGE = 5


@pytest.fixture(scope="module")
def tiny_brs_detr(demo_coco):
    from mmengine.registry import init_default_scope
    init_default_scope("mmdet")
    cfg = bench.load_config(bench.BRS_DETR_TINY)
    # The released configs turn assigned positives whose box misses its ground truth (IoU 0, common
    # in an untrained model) into negatives, as the authors' code does; without that, every
    # assigned positive is ranked as one, so the counts below compare with the assigners' alone.
    cfg.model = keeping_zero_iou_positives(cfg.model)
    model, optim_wrapper = bench.build_trainer(cfg, CPU, seed=0)
    batch = bench.coco_size_batch(2, BOXES_PER_IMAGE, (192, 160), with_masks=False, seed=0)
    return model, optim_wrapper, bench.LossRecorder(model), batch


def keeping_zero_iou_positives(node):
    if isinstance(node, dict):
        node = type(node)({k: keeping_zero_iou_positives(v) for k, v in node.items()})
        if "zero_iou_negative" in node:
            node["zero_iou_negative"] = False
        return node
    if isinstance(node, (list, tuple)):
        return type(node)(keeping_zero_iou_positives(v) for v in node)
    return node


def count_positives(model):
    """Wrap every assigner of the model: positives per call, by head."""
    counts = defaultdict(list)

    def wrap(owner, attr, key):
        assigner = getattr(owner, attr)
        original = assigner.assign

        def assign(*args, **kwargs):
            result = original(*args, **kwargs)
            counts[key].append(int((result.gt_inds > 0).sum()))
            return result
        assigner.assign = assign

    wrap(model.query_head, "assigner", "hungarian")
    wrap(model.rpn_head, "assigner", "rpn")
    wrap(model.roi_head[0], "bbox_assigner", "roi")
    wrap(model.bbox_head[0], "assigner", "atss")
    return counts


def record(model, optim_wrapper, recorder, batch, trained=False):
    counts = count_positives(model)
    with bench.trained_rpn(model, seed=0) if trained else bench._nothing():
        bench.record_iteration(model, optim_wrapper, batch, recorder, CPU)
    return {call.label: call for call in recorder.labelled_calls()}, counts


def test_batch_is_coco_like(tiny_brs_detr):
    batch = tiny_brs_detr[3]
    assert len(batch["inputs"]) == 2
    for image, sample in zip(batch["inputs"], batch["data_samples"]):
        assert len(sample.gt_instances) == BOXES_PER_IMAGE
        assert max(image.shape[1:]) == 192 or min(image.shape[1:]) == 160  # keep-ratio resize
        boxes = sample.gt_instances.bboxes.tensor
        assert (boxes[:, 2:] > boxes[:, :2]).all()
        assert (boxes[:, 2] <= image.shape[2] + 1e-3).all() and (boxes[:, 3] <= image.shape[1] + 1e-3).all()


def test_problem_sizes_and_positives_match_the_assignment(tiny_brs_detr):
    model, optim_wrapper, recorder, batch = tiny_brs_detr
    calls, counts = record(model, optim_wrapper, recorder, batch)
    num_gt = 2 * BOXES_PER_IMAGE
    head = model.query_head
    layers = head.transformer.decoder.num_layers
    expected_labels = (
        [f"query_head layer{i}" for i in range(layers)] + ["query_head enc", "rpn_head",
                                                            "roi_head.0.bbox_head", "bbox_head.0"]
        + [f"query_head aux{k} layer{i}" for k in range(2) for i in range(layers)])
    assert list(calls) == expected_labels
    for i in range(layers):
        call = calls[f"query_head layer{i}"]
        assert (call.num_logits, call.num_pos) == (2 * head.num_query * head.num_classes, num_gt)
    # one Hungarian matching per image for each decoder layer, then for the encoder proposals
    assert counts["hungarian"] == [BOXES_PER_IMAGE] * 2 * (layers + 1)
    assert calls["query_head enc"].num_pos == num_gt
    assert calls["rpn_head"].num_pos == sum(counts["rpn"]) > 0
    assert calls["roi_head.0.bbox_head"].num_pos == sum(counts["roi"])
    assert calls["bbox_head.0"].num_pos == sum(counts["atss"]) > num_gt
    # RoI head without sampling: every proposal of the batch, one logit per class
    num_rois = calls["roi_head.0.bbox_head"].num_logits // head.num_classes
    assert calls["roi_head.0.bbox_head"].num_logits == num_rois * head.num_classes
    for k, key in enumerate(("roi", "atss")):
        kept = [min(n, head.max_pos_coords) for n in counts[key]]
        queries = max(max(kept), bench_min_aux_queries())
        for i in range(layers):
            call = calls[f"query_head aux{k} layer{i}"]
            assert (call.num_logits, call.num_pos) == (2 * queries * head.num_classes, sum(kept))


def bench_min_aux_queries():
    from projects.models.co_deformable_detr_head import MIN_AUX_QUERIES
    return MIN_AUX_QUERIES


def test_trained_rpn_gives_the_roi_head_more_positives(tiny_brs_detr):
    model, optim_wrapper, recorder, batch = tiny_brs_detr
    untrained, _ = record(model, optim_wrapper, recorder, batch)
    trained, counts = record(model, optim_wrapper, recorder, batch, trained=True)
    roi = "roi_head.0.bbox_head"
    assert trained[roi].num_pos == sum(counts["roi"]) > max(untrained[roi].num_pos, 2 * BOXES_PER_IMAGE)
    assert not hasattr(model.rpn_head.__dict__, "loss_and_predict")  # patch removed
    assert "loss_and_predict" not in model.rpn_head.__dict__


def test_replayed_loss_calls_and_tables(tiny_brs_detr, capsys):
    """The whole tool on the tiny configs: one table with every config's calls and ratios."""
    report = bench.main(["--detectors", "co_detr_tiny", "--scale", "160", "128", "--loss-repeats",
                         "1", "--boxes-per-image", "3", "--trained-rpn"])
    out = capsys.readouterr().out
    result = report["co_detr_tiny"]["untrained"]
    assert list(result) == ["Focal", "BRS", "RS"]
    for loss, expected in (("Focal", "FocalLoss"), ("BRS", "RankSortLoss"), ("RS", "RankSortLoss")):
        losses = {call["loss"] for call in result[loss]["calls"]}
        assert expected in losses and all(call["seconds"] > 0 for call in result[loss]["calls"])
        assert result[loss]["cls_s"] == pytest.approx(sum(c["seconds"] for c in result[loss]["calls"]))
    # BRS and RS rank the very same problems
    assert ([(c["label"], c["N"], c["P"]) for c in result["BRS"]["calls"]]
            == [(c["label"], c["N"], c["P"]) for c in result["RS"]["calls"]])
    assert "RS / BRS: cls loss" in out and "BRS / Focal: cls loss" in out
    # With a trained RPN's proposals: the RoI head ranks more positives; the iteration estimate is
    # the untrained network plus these losses.
    trained = report["co_detr_tiny"]["trained-rpn"]
    roi_pos = {name: {c["label"]: c["P"] for c in r["calls"]}["roi_head.0.bbox_head"]
               for name, r in (("untrained", result["BRS"]), ("trained", trained["BRS"]))}
    assert roi_pos["trained"] > roi_pos["untrained"]
    for loss in ("Focal", "BRS", "RS"):
        assert trained[loss]["iteration_s"] == pytest.approx(
            result[loss]["iteration_s"] - result[loss]["cls_s"] + trained[loss]["cls_s"])
