"""Class names given once: every head's ``num_classes`` and every split's ``metainfo`` follow.

A config that sets a top-level ``classes = ('cat', 'dog', ...)`` gets, from :func:`apply_class_names`
(called by every tool through ``brs_detr.engine.load_config``), ``num_classes = len(classes)`` in
every classification head of ``model`` (query head, RoI heads, dense aux heads; the class-agnostic
RPN is left alone) and ``metainfo.classes`` in every split's dataset. :func:`check_class_counts`
then refuses, before anything is built, a config whose heads or datasets disagree, naming the keys.
"""
from __future__ import annotations

from typing import Iterator

CLASSES_KEY = "classes"
SPLITS = ("train_dataloader", "val_dataloader", "test_dataloader")
_CLASS_AGNOSTIC = ("rpn_head", )


class ClassCountError(ValueError):
    """The model's heads and the datasets do not agree on the classes."""


def _num_classes_keys(node, path: str) -> Iterator[tuple[str, dict]]:
    """(dotted key, owning dict) of every ``num_classes`` under ``node``."""
    if isinstance(node, dict):
        if "num_classes" in node:
            yield f"{path}.num_classes", node
        for key, value in node.items():
            if key not in _CLASS_AGNOSTIC:
                yield from _num_classes_keys(value, f"{path}.{key}")
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _num_classes_keys(value, f"{path}.{i}")


def _leaf_datasets(dataset, path: str) -> Iterator[tuple[str, dict]]:
    """Datasets that read files, looking through wrappers (``dataset=`` / ``datasets=[...]``)."""
    if not isinstance(dataset, dict):
        return
    if "dataset" in dataset:
        yield from _leaf_datasets(dataset["dataset"], f"{path}.dataset")
    elif "datasets" in dataset:
        for i, item in enumerate(dataset["datasets"]):
            yield from _leaf_datasets(item, f"{path}.datasets.{i}")
    else:
        yield path, dataset


def split_datasets(cfg) -> Iterator[tuple[str, dict]]:
    for split in SPLITS:
        loader = cfg.get(split)
        if isinstance(loader, dict) and isinstance(loader.get("dataset"), dict):
            yield from _leaf_datasets(loader["dataset"], f"{split}.dataset")


def apply_class_names(cfg) -> None:
    """Spread a top-level ``classes`` to every head's ``num_classes`` and every split's metainfo."""
    classes = cfg.get(CLASSES_KEY)
    if classes is None:
        return
    if isinstance(classes, str) or not classes or len(set(classes)) != len(classes):
        raise ClassCountError(f"`classes` must be a tuple of distinct class names, got {classes!r}")
    classes = tuple(classes)
    for _, owner in _num_classes_keys(cfg.get("model", {}), "model"):
        owner["num_classes"] = len(classes)
    for _, dataset in split_datasets(cfg):
        dataset["metainfo"] = dict(classes=classes)


def dataset_classes(dataset: dict) -> tuple | None:
    """The class names a dataset config will use: its metainfo, else its type's default."""
    names = (dataset.get("metainfo") or {}).get("classes")
    if names is not None:
        return tuple(names)
    from mmdet.registry import DATASETS
    dataset_type = DATASETS.get(dataset.get("type", "")) if isinstance(dataset.get("type"), str) else None
    meta = getattr(dataset_type, "METAINFO", None) or {}
    return tuple(meta["classes"]) if "classes" in meta else None


def check_class_counts(cfg) -> None:
    """Raise :class:`ClassCountError` naming the keys when heads or datasets disagree on classes."""
    heads = [(key, owner["num_classes"]) for key, owner in _num_classes_keys(cfg.get("model", {}),
                                                                           "model")]
    if not heads:
        return
    first_key, count = heads[0]
    for key, value in heads[1:]:
        if value != count:
            raise ClassCountError(
                f"{key}={value} but {first_key}={count}: every head must predict the same classes; "
                "set `classes = (...)` once at the top of the config (see configs/custom/)")
    for path, dataset in split_datasets(cfg):
        names = dataset_classes(dataset)
        if names is not None and len(names) != count:
            raise ClassCountError(
                f"{first_key}={count} but {path}.metainfo.classes has {len(names)} names "
                f"({', '.join(map(str, names[:5]))}{', ...' if len(names) > 5 else ''}); "
                "set `classes = (...)` once at the top of the config (see configs/custom/)")
