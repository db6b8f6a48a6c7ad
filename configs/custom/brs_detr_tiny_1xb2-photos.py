# Tiny BRS-DETR on a second real dataset, unlike the demo: 7 photos, 6 classes, made by
# `python -m brs_detr.data.photos_dataset` (brs_detr/data/photos_dataset.py). The same layout as
# brs_detr_r50_8xb2-12e_custom.py, on a CPU-sized model: the class names are given once.
_base_ = '../brs_detr/brs_detr_tiny_1xb2-demo.py'

classes = ('person', 'rocket', 'cat', 'cup', 'motorcycle', 'quokka')

data_root = 'data/photos_coco/'
_photos = dict(data_root=data_root, ann_file='annotations.json', data_prefix=dict(img='images/'))
train_dataloader = dict(dataset=_photos)
val_dataloader = dict(dataset=_photos)
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations.json')
test_evaluator = val_evaluator
