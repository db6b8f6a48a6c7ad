"""The override points a loss variant (BRS-DETR) relies on, and the aux-query target builder."""
import pytest
import torch

from projects.models import AuxPositives, CoDeformDETRHead


def _losses(model, batch):
    data = model.data_preprocessor(batch, True)
    return model(**data, mode='loss')


def test_every_query_head_loss_goes_through_loss_from_targets(build_tiny, train_batch,
                                                               monkeypatch):
    model = build_tiny()
    calls = []
    original = CoDeformDETRHead.loss_from_targets

    def recording(self, cls_scores, bbox_preds, labels, label_weights, bbox_targets,
                  bbox_weights, batch_img_metas):
        bs, n, num_classes = cls_scores.shape
        assert bbox_preds.shape == bbox_targets.shape == bbox_weights.shape == (bs, n, 4)
        assert labels.shape == label_weights.shape == (bs, n) and num_classes == 20
        calls.append(n)
        marker = cls_scores.sum() * 0 + len(calls)
        original(self, cls_scores, bbox_preds, labels, label_weights, bbox_targets,
                 bbox_weights, batch_img_metas)
        return marker, marker, marker

    monkeypatch.setattr(CoDeformDETRHead, 'loss_from_targets', recording)
    losses = _losses(model, train_batch)
    # 2 one-to-one layers + encoder proposals + 2 layers for each of the 2 aux heads.
    assert len(calls) == 7
    assert calls[:2] == [30, 30] and calls[2] > 30  # queries, then all encoder positions
    lambda_1 = model.query_head.lambda_1
    assert float(losses['d0.loss_cls']) == 1 and float(losses['loss_iou']) == 2
    assert float(losses['enc_loss_bbox']) == 3
    assert float(losses['d0.loss_cls_aux0']) == 4 * lambda_1
    assert float(losses['loss_iou_aux1']) == 7 * lambda_1


def test_box_losses_seam_matches_the_positives(build_tiny):
    head = build_tiny().query_head
    metas = [dict(img_shape=(100, 200))]
    preds = torch.tensor([[[0.5, 0.5, 0.2, 0.2], [0.3, 0.3, 0.1, 0.1]]])
    targets = torch.tensor([[[0.5, 0.5, 0.2, 0.2], [0.0, 0.0, 0.0, 0.0]]])
    weights = torch.tensor([[[1.0] * 4, [0.0] * 4]])
    loss_bbox, loss_iou = head.box_losses_from_targets(preds, targets, weights, metas)
    assert float(loss_bbox) == 0 and abs(float(loss_iou)) < 1e-6  # only the exact positive
    targets[0, 0] = torch.tensor([0.6, 0.5, 0.2, 0.2])
    loss_bbox, _ = head.box_losses_from_targets(preds, targets, weights, metas)
    assert float(loss_bbox) == pytest.approx(0.1 * head.loss_bbox.loss_weight)


def test_atss_without_centerness(build_tiny, train_batch):
    def edit(cfg):
        cfg.bbox_head[0].loss_centerness = None

    model = build_tiny(edit)
    assert not hasattr(model.bbox_head[0], 'atss_centerness')
    losses = _losses(model, train_batch)
    assert 'loss_centerness1' not in losses and torch.isfinite(losses['loss_bbox1'])
    model.eval_module = 'one-stage'
    model.eval()
    with torch.no_grad():
        results = model.test_step(train_batch)
    assert len(results[0].pred_instances.scores) > 0


def test_roi_head_without_sampling_exports_every_proposal(build_tiny, train_batch):
    def edit(cfg):
        cfg.train_cfg[1].rcnn.sampler = dict(type='PseudoSampler')

    model = build_tiny(edit)
    exported = []
    roi_head = model.roi_head[0]
    original = roi_head.export_positives

    def recording(sampling_results, bbox_feats):
        positives = original(sampling_results, bbox_feats)
        exported.append((sampling_results, positives))
        return positives

    roi_head.export_positives = recording
    losses = _losses(model, train_batch)
    assert torch.isfinite(losses['loss_cls0'])
    (sampling_results, positives), = exported
    for res, priors, labels, feats in zip(sampling_results, positives.priors, positives.labels,
                                          positives.feats):
        num_pos = len(res.pos_gt_labels)
        assert len(priors) == len(labels) == len(feats) == len(res.priors)
        assert (labels[:num_pos] < 20).all() and (labels[num_pos:] == 20).all()
        assert num_pos > 0


def test_aux_targets_keep_positives_and_pad_with_negatives(build_tiny):
    head = build_tiny().query_head
    num_classes = head.num_classes
    metas = [dict(img_shape=(100, 200)), dict(img_shape=(100, 200))]
    priors = torch.tensor([[0., 0., 20., 10.]]).repeat(40, 1)
    labels_a = torch.full((40, ), num_classes)
    labels_a[:3] = torch.tensor([1, 2, 3])
    labels_b = torch.full((40, ), num_classes)  # no positive
    gt = torch.tensor([[10., 10., 50., 30.]]).repeat(40, 1)
    feats = [torch.randn(40, head.embed_dims) for _ in range(2)]
    aux = head.get_aux_targets(
        AuxPositives([priors, priors], [labels_a, labels_b], [gt, gt], feats), [], metas)
    assert aux.coords.shape == (2, 9, 4)  # at least 9 queries per image
    assert sorted(aux.labels[0, :3].tolist()) == [1, 2, 3]
    assert (aux.labels[0, 3:] == num_classes).all() and (aux.labels[1] == num_classes).all()
    assert aux.bbox_weights[0, :3].eq(1).all() and aux.bbox_weights[0, 3:].eq(0).all()
    assert aux.bbox_weights[1].eq(0).all() and aux.label_weights.eq(1).all()
    assert torch.allclose(aux.coords[0, 0], torch.tensor([0.05, 0.05, 0.1, 0.1]))
    assert torch.allclose(aux.targets[0, 0], torch.tensor([0.15, 0.2, 0.2, 0.2]))

    many = torch.randint(0, num_classes, (40, ))
    aux = head.get_aux_targets(
        AuxPositives([priors, priors], [many, labels_b], [gt, gt], feats), [], metas)
    cap = head.max_pos_coords  # 30 in the tiny config
    assert aux.labels.shape == (2, cap) and (aux.labels[0] < num_classes).all()


def test_grid_features_need_priors_on_the_grid(build_tiny):
    head = build_tiny().query_head
    x = [torch.randn(1, head.embed_dims, 4, 4), torch.randn(1, head.embed_dims, 2, 2)]
    metas = [dict(img_shape=(32, 32))]
    labels = torch.full((21, ), head.num_classes)
    labels[0] = 0
    priors = torch.tensor([[0., 0., 8., 8.]]).repeat(21, 1)
    with pytest.raises(ValueError, match='21 priors do not match 20'):
        head.get_aux_targets(AuxPositives([priors], [labels], [priors]), x, metas)
    aux = head.get_aux_targets(AuxPositives([priors[:20]], [labels[:20]], [priors[:20]]), x,
                               metas)
    grid = torch.cat([f.flatten(2) for f in x], 2)[0].t()
    assert torch.equal(aux.feats[0, 0], grid[0])  # the positive reads its own location
