"""Tiny CPU variants of the two-stage configs (for tests): the same heads, losses, samplers and
train/test settings as the real config, on a 16-channel ResNet-18 with a 32-channel FPN, the 20
VOC classes of the demo set and images of at most 256 px; 100 proposals per image (500 per level
before NMS) and a 2x2 RoIAlign grid, for speed."""
import copy

import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope

NUM_CLASSES = 20
WIDTH = 32
PROPOSALS = 100
NMS_PRE = 500


def _shrink_box_head(head: ConfigDict) -> None:
    head.update(in_channels=WIDTH, fc_out_channels=64, num_classes=NUM_CLASSES)


def tiny_model_cfg(cfg: Config) -> ConfigDict:
    """``cfg.model`` shrunk for the CPU; every loss, sampler and assigner stays as configured."""
    model = copy.deepcopy(cfg.model)
    model.backbone.update(depth=18, base_channels=16, dcn=None, frozen_stages=-1, norm_eval=False,
                          init_cfg=None)
    model.neck.update(in_channels=[16, 32, 64, 128], out_channels=WIDTH)
    model.rpn_head.update(in_channels=WIDTH, feat_channels=WIDTH)
    roi_head = model.roi_head
    roi_head.bbox_roi_extractor.out_channels = WIDTH
    # a fixed 2x2 sampling grid per bin: RoIAlign's adaptive grid dominates a CPU step otherwise
    roi_head.bbox_roi_extractor.roi_layer.sampling_ratio = 2
    box_heads = roi_head.bbox_head
    for head in box_heads if isinstance(box_heads, list) else [box_heads]:
        _shrink_box_head(head)
    if 'mask_head' in roi_head:
        roi_head.mask_roi_extractor.out_channels = WIDTH
        roi_head.mask_roi_extractor.roi_layer.sampling_ratio = 2
        roi_head.mask_head.update(in_channels=WIDTH, conv_out_channels=WIDTH,
                                  num_classes=NUM_CLASSES)
    model.train_cfg.rpn_proposal.update(nms_pre=NMS_PRE, max_per_img=PROPOSALS)
    model.test_cfg.rpn.update(nms_pre=NMS_PRE, max_per_img=PROPOSALS)
    return model


def build_tiny(cfg: Config, seed: int = 0):
    """The tiny variant of ``cfg``'s model, initialised from ``seed``, in training mode."""
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    torch.manual_seed(seed)
    model = MODELS.build(tiny_model_cfg(cfg))
    model.init_weights()
    return model.train()
