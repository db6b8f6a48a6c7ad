"""The demo dataset: 3 real PASCAL VOC photos with 12 boxes, in COCO format.

The photos and their annotations ship in the source archive of ``labelme==6.3.1`` on PyPI
(``examples/instance_segmentation/data_dataset_coco``, GPL-3.0), so they are fetched at set-up time
with pip and never committed. The original file numbers its images and annotations from 0, which
pycocotools treats as "no match" (gt-as-detections then scores 0.949 AP instead of 1.0), so ids are
renumbered from 1; the ``_background_`` category is dropped, leaving the 20 VOC classes as ids 1..20.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VOC_CLASSES = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "potted plant", "sheep", "sofa", "train",
    "tv/monitor",
)

LABELME_VERSION = "6.3.1"
LABELME_SDIST_SHA256 = "2947e0d8341a92faa7b3ee50cf4b672f838051c6bf24892526e95b64fd3a707e"
_SDIST_NAME = f"labelme-{LABELME_VERSION}.tar.gz"
_MEMBER_DIR = f"labelme-{LABELME_VERSION}/examples/instance_segmentation/data_dataset_coco/"
ANNOTATION_FILE = "annotations.json"
IMAGE_DIR = "images"


class DemoDataError(RuntimeError):
    """The demo dataset could not be fetched or did not have the expected content."""


def prepare_demo_dataset(root: str | os.PathLike = "data/demo_coco") -> Path:
    """Make ``root/annotations.json`` and ``root/images/*.jpg``; returns ``root``.

    Idempotent: when every image named by an existing ``annotations.json`` is present, nothing is
    downloaded. The annotation file is written last and atomically, so a half-written set is never
    mistaken for a complete one (several processes may call this at once).
    """
    root = Path(root)
    if _is_complete(root):
        return root
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".demo_coco_", dir=root) as tmp:
        archive = _download_labelme_sdist(Path(tmp))
        coco, images = _read_labelme_example(archive)
        (root / IMAGE_DIR).mkdir(exist_ok=True)
        for name, data in images.items():
            part = root / IMAGE_DIR / f".{name}.{os.getpid()}.part"
            part.write_bytes(data)
            os.replace(part, root / IMAGE_DIR / name)
        part = root / f".{ANNOTATION_FILE}.{os.getpid()}.part"
        part.write_text(json.dumps(_renumbered(coco), indent=1))
        os.replace(part, root / ANNOTATION_FILE)
    return root


def _is_complete(root: Path) -> bool:
    ann = root / ANNOTATION_FILE
    if not ann.is_file():
        return False
    try:
        coco = json.loads(ann.read_text())
        names = [img["file_name"] for img in coco["images"]]
    except (ValueError, KeyError, TypeError):
        return False
    return bool(names) and all((root / IMAGE_DIR / n).is_file() for n in names)


def _download_labelme_sdist(dest: Path) -> Path:
    """``pip download`` the labelme source archive into ``dest`` and check its sha256."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
           "--disable-pip-version-check", f"labelme=={LABELME_VERSION}", "-d", str(dest)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    archive = dest / _SDIST_NAME
    if proc.returncode != 0 or not archive.is_file():
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-10:])
        raise DemoDataError(
            f"could not download the demo data (labelme=={LABELME_VERSION} source archive from PyPI);"
            f" `{' '.join(cmd)}` exited with {proc.returncode}:\n{tail}")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != LABELME_SDIST_SHA256:
        raise DemoDataError(f"{archive} has sha256 {digest}, expected {LABELME_SDIST_SHA256}")
    return archive


def _read_labelme_example(archive: Path) -> tuple[dict, dict[str, bytes]]:
    """The example's COCO dict and its photos (by base name) from the labelme source archive."""
    with tarfile.open(archive) as tar:
        try:
            coco = json.load(tar.extractfile(_MEMBER_DIR + ANNOTATION_FILE))
        except KeyError:
            raise DemoDataError(f"{archive} has no {_MEMBER_DIR}{ANNOTATION_FILE}") from None
        images = {}
        for img in coco["images"]:
            member = _MEMBER_DIR + img["file_name"]
            try:
                images[Path(img["file_name"]).name] = tar.extractfile(member).read()
            except KeyError:
                raise DemoDataError(f"{archive} has no image {member}") from None
    return coco, images


def _renumbered(coco: dict) -> dict:
    """COCO dict with image/annotation ids from 1, flat file names and the 20 VOC categories."""
    categories = [c for c in coco["categories"] if c["name"] != "_background_"]
    found = tuple(c["name"] for c in sorted(categories, key=lambda c: c["id"]))
    if found != VOC_CLASSES or [c["id"] for c in categories] != list(range(1, 21)):
        raise DemoDataError(f"unexpected categories in the labelme example: {found}")
    image_ids = {img["id"]: new for new, img in enumerate(coco["images"], start=1)}
    images = [dict(id=image_ids[img["id"]], file_name=Path(img["file_name"]).name,
                   height=img["height"], width=img["width"]) for img in coco["images"]]
    annotations = [
        dict(id=new, image_id=image_ids[ann["image_id"]], category_id=ann["category_id"],
             bbox=ann["bbox"], area=ann["area"], iscrowd=ann.get("iscrowd", 0),
             segmentation=ann["segmentation"])
        for new, ann in enumerate(coco["annotations"], start=1)
    ]
    return dict(
        info=dict(description=f"labelme {LABELME_VERSION} examples/instance_segmentation "
                              "(PASCAL VOC 2011 photos, GPL-3.0), ids renumbered from 1"),
        images=images,
        annotations=annotations,
        categories=[dict(id=c["id"], name=c["name"], supercategory="voc") for c in categories],
    )
