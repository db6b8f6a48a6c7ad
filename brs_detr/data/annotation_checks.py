"""A COCO dataset that says what it drops: boxes without size or outside their image, annotations
of categories outside the configured classes, images missing on disk, and configured classes the
file does not have.

mmdet's ``CocoDataset`` skips the boxes and annotations without a word and fails on the third only when the
image is loaded mid-epoch. :class:`CheckedCocoDataset` counts each problem at load time and logs one
warning naming the first offenders (annotation ids, category names, file names); images missing on
disk are left out. The tools use it in place of ``CocoDataset`` (:func:`use_checked_datasets`).
"""
from __future__ import annotations

import os.path as osp
from collections import Counter, defaultdict

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log

SHOWN = 5


def _listed(items) -> str:
    items = list(items)
    more = f", ... ({len(items)} in all)" if len(items) > SHOWN else ""
    return ", ".join(map(str, items[:SHOWN])) + more


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """``CocoDataset`` that reports (and counts in ``self.problems``) what it does not use."""

    def load_data_list(self) -> list[dict]:
        self.problems: dict[str, list] = defaultdict(list)
        self._names: dict[int, str] = {}
        data_list = super().load_data_list()
        missing = [info for info in data_list if not osp.isfile(info["img_path"])]
        if missing:
            self.problems["missing images"] = [info["img_path"] for info in missing]
            data_list = [info for info in data_list if osp.isfile(info["img_path"])]
        self._report()
        return data_list

    def parse_data_info(self, raw_data_info: dict):
        if not self._names:
            self._names = {c["id"]: c["name"] for c in self.coco.dataset.get("categories", [])}
            absent = [c for c in self.metainfo["classes"] if c not in self._names.values()]
            if absent:
                self.problems["configured classes absent from the file's categories"] = absent
        img = raw_data_info["raw_img_info"]
        for ann in raw_data_info["raw_ann_info"]:
            if ann.get("ignore", False):
                continue
            x, y, w, h = ann["bbox"]
            if w < 1 or h < 1 or ann.get("area", w * h) <= 0:
                self.problems["boxes with negative or zero size"].append(f"id {ann['id']} ({w}x{h})")
            elif min(x + w, img["width"]) <= max(x, 0) or min(y + h, img["height"]) <= max(y, 0):
                self.problems["boxes outside their image"].append(f"id {ann['id']} in {img['file_name']}")
            elif ann["category_id"] not in self.cat_ids:
                name = self._names.get(ann["category_id"], f"id {ann['category_id']}")
                self.problems["annotations of a category outside the classes"].append(name)
        return super().parse_data_info(raw_data_info)

    def _report(self) -> None:
        for problem, items in self.problems.items():
            counts = Counter(items)
            shown = items if len(counts) == len(items) else \
                [f"{name} x{n}" for name, n in counts.most_common()]
            print_log(f"{self.ann_file}: {len(items)} {problem}"
                      f"{' (dropped)' if 'absent' not in problem else ''}: {_listed(shown)}",
                      logger="current", level=30)


def use_checked_datasets(cfg) -> None:
    """Every split's ``CocoDataset`` becomes a :class:`CheckedCocoDataset` (same arguments)."""
    from .class_names import split_datasets
    for _, dataset in split_datasets(cfg):
        if dataset.get("type") == "CocoDataset":
            dataset["type"] = "CheckedCocoDataset"
