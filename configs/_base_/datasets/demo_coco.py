# The demo set: 3 real PASCAL VOC photos with 12 boxes (COCO format, 20 VOC classes), made by
# brs_detr.data.demo_dataset.prepare_demo_dataset (python tools/prepare_demo_data.py). The COCO
# dataset settings with other files, and for a tiny model on the CPU: the same images for train and
# val (an overfitting demo), resized to at most 256 px a side, no augmentation, no worker processes.
_base_ = './coco_detection.py'
data_root = 'data/demo_coco/'
metainfo = dict(classes=(
    'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
    'diningtable', 'dog', 'horse', 'motorbike', 'person', 'potted plant', 'sheep', 'sofa',
    'train', 'tv/monitor'))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(256, 256), keep_ratio=True),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 256), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
_demo_set = dict(data_root=data_root, metainfo=metainfo, ann_file='annotations.json',
                 data_prefix=dict(img='images/'))
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    batch_sampler=None,
    dataset=dict(filter_cfg=dict(_delete_=True, filter_empty_gt=False), pipeline=train_pipeline,
                 **_demo_set))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=test_pipeline, **_demo_set))
test_dataloader = val_dataloader

val_evaluator = dict(ann_file=data_root + 'annotations.json')
test_evaluator = val_evaluator
