# BRS-DETR R50 on your own COCO-format dataset, fine-tuned from the COCO checkpoint
# (configs/custom/README.md walks through it). `classes` is the one place for the class names: the
# tools set every head's num_classes (query head, RoI head, ATSS head) and every split's metainfo
# from it, and refuse a config whose heads or datasets still disagree.
_base_ = '../brs_detr/brs_detr_r50_8xb2-12e_coco.py'

# 1. Your class names, spelt as the `categories` of your annotation files.
classes = ('person', 'rocket', 'cat', 'cup', 'motorcycle', 'quokka')

# 2. Your files: COCO-format annotations and image folders.
data_root = 'data/my_dataset/'
train_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='annotations/train.json',
                 data_prefix=dict(img='train/')))
val_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='annotations/val.json',
                 data_prefix=dict(img='val/')))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/val.json')
test_evaluator = val_evaluator

# 3. Start from the COCO weights (python tools/download_checkpoint.py brs_detr_r50_12e): every
#    tensor is loaded except the classifiers, which have another shape and are re-initialised
#    (the training log names them). Remove this line to train from ImageNet weights only.
load_from = 'checkpoints/brs_detr_r50_12e.pth'
