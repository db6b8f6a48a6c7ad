"""Prepare the small real demo dataset (3 PASCAL VOC photos, 12 boxes, COCO format).

    python tools/prepare_demo_data.py [--root data/demo_coco]

Fetches the labelme 6.3.1 source archive from PyPI once; see brs_detr/data/demo_dataset.py.
"""
import argparse
import json

from brs_detr.data.demo_dataset import ANNOTATION_FILE, prepare_demo_dataset


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="data/demo_coco", help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    root = prepare_demo_dataset(args.root)
    coco = json.loads((root / ANNOTATION_FILE).read_text())
    print(f"demo dataset: {len(coco['images'])} images, {len(coco['annotations'])} boxes, "
          f"{len(coco['categories'])} classes in {root.resolve()}")


if __name__ == "__main__":
    main()
