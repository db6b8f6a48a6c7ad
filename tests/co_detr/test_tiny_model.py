"""The tiny Co-DETR trains (every loss term of Eq. 3.54, finite, with gradients everywhere) and
predicts with each of its heads."""
import pytest
import torch

NUM_DEC_LAYERS = 2  # tiny config
NUM_AUX_HEADS = 2  # RoI head (index 0), ATSS (index 1)


def _loss(model, batch):
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    total, _ = model.parse_losses(losses)
    return losses, total


def _value(v):
    return torch.stack(v).sum() if isinstance(v, list) else v


def _expected_loss_keys():
    keys = {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls0', 'loss_bbox0', 'loss_cls1',
            'loss_bbox1', 'loss_centerness1', 'enc_loss_cls', 'enc_loss_bbox', 'enc_loss_iou'}
    for name in ('loss_cls', 'loss_bbox', 'loss_iou'):
        prefixes = [f'd{i}.' for i in range(NUM_DEC_LAYERS - 1)] + ['']
        keys.update(p + name for p in prefixes)
        keys.update(f'{p}{name}_aux{k}' for p in prefixes for k in range(NUM_AUX_HEADS))
    return keys


def test_loss_dict_has_every_term_and_all_are_finite(build_tiny, train_batch):
    model = build_tiny()
    losses, total = _loss(model, train_batch)
    loss_keys = {k for k in losses if 'loss' in k}
    assert loss_keys == _expected_loss_keys()
    for key, value in losses.items():
        assert torch.isfinite(_value(value)).all(), key
    # Every term is a real training signal at initialisation (positives exist in both images).
    assert all(_value(losses[k]) > 0 for k in loss_keys if 'rpn_bbox' not in k)
    assert torch.isfinite(total) and total > 0


def test_gradients_reach_backbone_every_head_and_aux_embeddings(build_tiny, train_batch):
    model = build_tiny()
    _, total = _loss(model, train_batch)
    total.backward()
    params = dict(model.named_parameters())
    must_learn = [
        'backbone.conv1.weight', 'neck.convs.0.conv.weight', 'neck.extra_convs.0.conv.weight',
        'query_head.transformer.encoder.layers.0.ffn.layers.0.0.weight',
        'query_head.transformer.decoder.layers.1.cross_attn.value_proj.weight',
        'query_head.transformer.enc_output.weight', 'query_head.transformer.pos_trans.weight',
        'query_head.query_embedding.weight', 'query_head.downsample.0.weight',
        'query_head.cls_branches.0.weight', 'query_head.cls_branches.2.weight',
        'query_head.reg_branches.1.4.weight', 'query_head.reg_branches.2.4.weight',
        'rpn_head.rpn_conv.weight', 'rpn_head.rpn_cls.weight', 'rpn_head.rpn_reg.weight',
        'roi_head.0.bbox_head.shared_fcs.0.weight', 'roi_head.0.bbox_head.fc_cls.weight',
        'roi_head.0.bbox_head.fc_reg.weight', 'bbox_head.0.cls_convs.0.conv.weight',
        'bbox_head.0.atss_cls.weight', 'bbox_head.0.atss_reg.weight',
        'bbox_head.0.atss_centerness.weight',
    ]
    for k in range(NUM_AUX_HEADS):
        must_learn += [f'query_head.transformer.{m}.{k}.weight' for m in (
            'aux_pos_trans', 'aux_pos_trans_norm', 'pos_feats_trans', 'pos_feats_norm')]
    for name in must_learn:
        grad = params[name].grad
        assert grad is not None and grad.abs().sum() > 0, name
    head_pos_grad = params['query_head.transformer.head_pos_embed.weight'].grad
    assert (head_pos_grad.abs().sum(1) > 0).all()  # one embedding per aux head, both trained


def test_aux_heads_train_the_encoder_through_its_memory(build_tiny, train_batch):
    """ATSS alone (no query-head loss) must send gradient into the transformer encoder."""
    model = build_tiny()
    losses, _ = _loss(model, train_batch)
    _value(losses['loss_cls1']).backward()
    grad = model.query_head.transformer.encoder.layers[0].ffn.layers[1].weight.grad
    assert grad is not None and grad.abs().sum() > 0


@pytest.mark.parametrize('empty', [[0], [0, 1]], ids=['mixed', 'all-empty'])
def test_images_without_ground_truth_train_without_nan(build_tiny, train_batch, empty):
    model = build_tiny()
    for i in empty:
        gt = train_batch['data_samples'][i].gt_instances
        train_batch['data_samples'][i].gt_instances = gt[gt.labels < 0]
    optim = torch.optim.AdamW(model.parameters(), lr=1e-4)
    for _ in range(2):
        losses, total = _loss(model, train_batch)
        for key, value in losses.items():
            assert torch.isfinite(_value(value)).all(), key
        optim.zero_grad()
        total.backward()
        for name, p in model.named_parameters():
            assert p.grad is None or torch.isfinite(p.grad).all(), name
        optim.step()
    if len(empty) == 2:  # no positive anywhere: box losses vanish, classification does not
        assert float(losses['loss_bbox']) == 0 and float(losses['loss_iou_aux1']) == 0
        assert float(losses['loss_cls']) > 0


@pytest.mark.parametrize('eval_module', ['detr', 'one-stage', 'two-stage'])
def test_predict_with_each_head(build_tiny, demo_datasets, eval_module):
    from mmengine.dataset import pseudo_collate

    model = build_tiny()
    model.eval_module = eval_module
    model.eval()
    _, val_set = demo_datasets
    with torch.no_grad():
        results = model.test_step(pseudo_collate([val_set[0], val_set[2]]))
    assert len(results) == 2
    for result in results:
        pred = result.pred_instances
        assert 0 < len(pred.bboxes) <= 100
        assert pred.bboxes.shape == (len(pred.scores), 4) and len(pred.labels) == len(pred.scores)
        assert ((pred.labels >= 0) & (pred.labels < 20)).all()
        h, w = result.ori_shape  # rescaled to the original image
        assert (pred.bboxes[:, 0::2] <= w + 1e-3).all() and (pred.bboxes[:, 1::2] <= h + 1e-3).all()


def test_unknown_eval_module_is_refused(build_tiny):
    with pytest.raises(ValueError, match='eval_module'):
        build_tiny(edit=lambda cfg: cfg.update(eval_module='rpn'))


def test_without_aux_queries_plain_mmdet_heads_plug_in(build_tiny, train_batch):
    """with_pos_coord=False: aux heads only add their own losses, so any mmdet head fits."""
    def edit(cfg):
        cfg.with_pos_coord = False
        cfg.bbox_head[0].type = 'ATSSHead'
        cfg.roi_head[0].type = 'StandardRoIHead'

    model = build_tiny(edit)
    losses, total = _loss(model, train_batch)
    assert not any('_aux' in k for k in losses)
    assert {'loss_cls0', 'loss_cls1', 'loss_centerness1', 'enc_loss_cls'} <= set(losses)
    assert torch.isfinite(total)
