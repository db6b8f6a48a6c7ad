"""Fixtures shared by the whole suite."""
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def demo_coco() -> Path:
    """The small real COCO-format demo set (3 PASCAL VOC photos, 12 boxes), prepared once per run."""
    from brs_detr.data.demo_dataset import prepare_demo_dataset

    return prepare_demo_dataset(REPO_ROOT / "data" / "demo_coco")
