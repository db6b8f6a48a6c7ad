"""The inference graph of a Co-DETR / BRS-DETR model as one plain module: image in, detections out.

Backbone, neck, encoder, decoder and the query head's top-k (as the head's ``predict``: the
``min(max_per_img, queries x classes)`` best (query, class) pairs of the last decoder layer); the
auxiliary heads (ATSS, RPN + RoI) are training-only and not in it. The input is a batch of images
resized to the size the graph was made for (no padding, so no padding mask), pixel values 0-255 in
the channel order the config's data preprocessor expects; normalisation happens inside. Boxes come out as
(x1, y1, x2, y2) in input pixels. On the CPU, mmcv's deformable attention runs its pure-PyTorch
path, so the graph traces to standard operators (tools/export_onnx.py, tools/analyze_model.py).
"""
from __future__ import annotations

import torch
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy
from torch import Tensor, nn


class InferenceGraph(nn.Module):
    """``forward(images) -> (boxes (B, k, 4), scores (B, k), labels (B, k))`` for one input size."""

    def __init__(self, detector: nn.Module, height: int, width: int):
        super().__init__()
        if not hasattr(detector, "query_head"):
            raise TypeError(f"{type(detector).__name__} has no query head: only Co-DETR / BRS-DETR "
                            "models (configs/co_detr, configs/brs_detr) have this inference graph")
        self.detector = detector
        self.height, self.width = height, width
        head = detector.query_head
        candidates = head.num_query * head.num_classes
        self.top_k = min((head.test_cfg or {}).get("max_per_img", candidates), candidates)
        pre = detector.data_preprocessor
        self.register_buffer("mean", pre.mean.detach().clone().view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", pre.std.detach().clone().view(1, -1, 1, 1), persistent=False)
        self.bgr_to_rgb = bool(getattr(pre, "_channel_conversion", False))

    def image_metas(self, batch: int) -> list[dict]:
        shape = (self.height, self.width)
        return [dict(batch_input_shape=shape, img_shape=shape, pad_shape=shape)] * batch

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        if self.bgr_to_rgb:
            images = images.flip(1)
        x = (images - self.mean) / self.std
        feats = self.detector.extract_feat(x)
        all_cls, all_boxes = self.detector.query_head(feats, self.image_metas(images.size(0)))[:2]
        cls, boxes = all_cls[-1], all_boxes[-1]
        num_classes = cls.size(-1)
        scores, index = cls.sigmoid().flatten(1).topk(self.top_k, dim=1)
        labels = index % num_classes
        query = torch.div(index, num_classes, rounding_mode="floor")
        boxes = torch.gather(boxes, 1, query.unsqueeze(-1).expand(-1, -1, 4))
        scale = boxes.new_tensor([self.width, self.height, self.width, self.height])
        return bbox_cxcywh_to_xyxy(boxes) * scale, scores, labels


def build_detector(cfg, checkpoint: str | None = None, device: str = "cpu") -> nn.Module:
    """The config's model in eval mode (weights from ``checkpoint`` when given; no pretrained
    backbone download: ``init_weights`` is not called)."""
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    from brs_detr.io.safe_load import use_safe_checkpoint_loading

    init_default_scope(cfg.get("default_scope", "mmdet"))
    model = MODELS.build(cfg.model)
    if checkpoint:
        use_safe_checkpoint_loading()
        load_checkpoint(model, checkpoint, map_location="cpu", logger="silent")
    return model.to(device).eval()


def load_images(paths, height: int, width: int) -> Tensor:
    """Real images (BGR, as mmcv reads them) resized to (height, width) as a float batch
    (N, 3, height, width) with values 0-255."""
    import mmcv

    batch = torch.zeros(len(paths), 3, height, width)
    for i, path in enumerate(paths):
        img = mmcv.imread(str(path))
        if img is None:
            raise ValueError(f"{path} is not a readable image")
        batch[i] = torch.from_numpy(mmcv.imresize(img, (width, height))).permute(2, 0, 1).float()
    return batch
