"""Fixtures for the own-dataset tests: the 6-class photos set (real photos from PyPI wheels) and a
checkpoint of the tiny model for another class count (20), to fine-tune from."""
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests" / "tools"))  # tool_helpers: run the tools as a user would

DEMO_CONFIG = REPO_ROOT / "configs" / "brs_detr" / "brs_detr_tiny_1xb2-demo.py"


@pytest.fixture(scope="session")
def photos_coco() -> Path:
    from brs_detr.data.photos_dataset import prepare_photos_dataset

    return prepare_photos_dataset(REPO_ROOT / "data" / "photos_coco")


@pytest.fixture(scope="session")
def twenty_class_checkpoint(tmp_path_factory, demo_coco) -> Path:
    """Weights of the 20-class tiny BRS-DETR (initialised as for training, not trained): what fine-tuning
    starts from."""
    import torch
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import brs_detr.models  # noqa: F401
    import projects.models  # noqa: F401

    init_default_scope("mmdet")
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(DEMO_CONFIG)).model)
    model.init_weights()
    path = tmp_path_factory.mktemp("coco_like") / "twenty_classes.pth"
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return path
