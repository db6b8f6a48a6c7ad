"""The released configs (R50, Swin-T, Swin-L; 12 epochs, 300 queries, 8x2 images) build, carry
the released training recipe, and their models have the official parameter counts."""
import pytest

R50 = 'co_deformable_detr_r50_8xb2-12e_coco'
SWIN_T = 'co_deformable_detr_swin-t_8xb2-12e_coco'
SWIN_L = 'co_deformable_detr_swin-l_8xb2-12e_coco'

# Parameters (requires_grad or not, buffers excluded). Each equals the official model's: the
# test_convert_official_checkpoint tests map the official tensor list, written from the official
# module definitions, one to one and shape for shape onto these models.
PARAMS = {R50: 65_129_894, SWIN_T: 65_619_808, SWIN_L: 235_413_658}
QUERY_HEAD_PARAMS = 19_698_766  # shared by the three: 6+6 layers, 256-d, FFN 2048, 300 queries


@pytest.mark.parametrize('name', [R50, SWIN_T, SWIN_L])
def test_released_model_parameter_count(released_model, name):
    _, model = released_model(name)
    assert sum(p.numel() for p in model.parameters()) == PARAMS[name]
    assert sum(p.numel() for p in model.query_head.parameters()) == QUERY_HEAD_PARAMS
    assert len(model.roi_head) == 1 and len(model.bbox_head) == 1
    head = model.query_head
    assert head.num_query == 300 and head.num_classes == 80
    assert head.transformer.encoder.num_layers == head.transformer.decoder.num_layers == 6
    assert head.as_two_stage and head.with_box_refine and head.mixed_selection
    assert head.look_forward_twice


def test_released_training_recipe(released_model):
    cfg, _ = released_model(R50)
    optim = cfg.optim_wrapper
    assert optim.optimizer.type == 'AdamW' and optim.optimizer.lr == 2e-4
    assert optim.optimizer.weight_decay == 1e-4
    assert optim.clip_grad == dict(max_norm=0.1, norm_type=2)
    assert {k: v['lr_mult'] for k, v in optim.paramwise_cfg.custom_keys.items()} == {
        'backbone': 0.1, 'sampling_offsets': 0.1, 'reference_points': 0.1}
    assert cfg.train_cfg.max_epochs == 12 and cfg.param_scheduler[0].milestones == [11]
    assert cfg.train_dataloader.batch_size == 2 and cfg.auto_scale_lr.base_batch_size == 16
    assert cfg.model.backbone.init_cfg.checkpoint == 'torchvision://resnet50'
    assert cfg.val_evaluator.type == 'CocoMetric' and cfg.val_evaluator.metric == 'bbox'
    assert cfg.val_evaluator.ann_file.endswith('instances_val2017.json')
    # Aux-head losses are base x num_dec_layer (6) x lambda_2 (2).
    assert cfg.model.roi_head[0].bbox_head.loss_bbox.loss_weight == 120
    assert cfg.model.bbox_head[0].loss_bbox.loss_weight == 24
    assert cfg.model.rpn_head.loss_cls.loss_weight == 12
    assert [c.weight for c in cfg.model.train_cfg[0].assigner.match_costs] == [2.0, 5.0, 2.0]


@pytest.mark.parametrize('name, decay, checkpoint', [
    (SWIN_T, 0.05, 'swin_tiny_patch4_window7_224.pth'),
    (SWIN_L, 0.05, 'swin_large_patch4_window12_384_22k.pth'),
])
def test_swin_configs_change_only_backbone_neck_and_decay(released_model, name, decay,
                                                         checkpoint):
    cfg, _ = released_model(name)
    base, _ = released_model(R50)
    assert cfg.optim_wrapper.optimizer.weight_decay == decay
    assert cfg.model.backbone.init_cfg.checkpoint.endswith(checkpoint)
    for key in ('query_head', 'rpn_head', 'roi_head', 'bbox_head', 'train_cfg', 'test_cfg'):
        assert cfg.model[key] == base.model[key], key
    assert cfg.train_pipeline == base.train_pipeline and cfg.param_scheduler == base.param_scheduler
