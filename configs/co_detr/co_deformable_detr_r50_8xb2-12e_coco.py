# Co-Deformable-DETR, ResNet-50, 300 queries, 12 epochs on COCO, 8 GPUs x 2 images: the
# released Sense-X/Co-DETR co_deformable_detr_r50_1x_coco.py (COCO val AP 49.5) on mmdet 3.3.
_base_ = [
    '../_base_/models/co_deformable_detr_r50.py', '../_base_/datasets/coco_detection.py',
    '../_base_/schedules/co_detr_adamw_12e.py', '../_base_/default_runtime.py'
]
