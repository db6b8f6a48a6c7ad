"""The tiny Co-DETR overfits the 3 real demo photos: loss falls a lot, COCO AP rises far above 0."""
import torch

ITERATIONS = 40
LR = 2e-3


def _coco_ap(model, val_set, ann_file):
    from mmengine.dataset import pseudo_collate

    from mmdet.registry import METRICS

    metric = METRICS.build(dict(type='CocoMetric', ann_file=ann_file, metric='bbox'))
    metric.dataset_meta = val_set.metainfo
    model.eval()
    with torch.no_grad():
        results = model.test_step(pseudo_collate([val_set[i] for i in range(len(val_set))]))
    metric.process({}, [r.to_dict() for r in results])
    return metric.evaluate(len(val_set))['coco/bbox_mAP']


def test_tiny_model_overfits_demo_images(build_tiny, demo_datasets, tiny_cfg):
    from mmengine.dataset import pseudo_collate

    train_set, val_set = demo_datasets
    model = build_tiny()
    ann_file = tiny_cfg.val_evaluator.ann_file
    ap_before = _coco_ap(model, val_set, ann_file)
    model.train()
    batch = pseudo_collate([train_set[i] for i in range(len(train_set))])
    optim = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=1e-4)
    history = []
    for _ in range(ITERATIONS):
        data = model.data_preprocessor(batch, True)
        total, _ = model.parse_losses(model(**data, mode='loss'))
        optim.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optim.step()
        history.append(total.item())
    assert all(torch.isfinite(torch.tensor(history)))
    assert sum(history[-5:]) / 5 < 0.4 * history[0], history
    ap_after = _coco_ap(model, val_set, ann_file)
    assert ap_before < 0.05
    assert ap_after > 0.3, (ap_before, ap_after)
