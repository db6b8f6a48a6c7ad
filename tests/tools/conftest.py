"""Fixtures for the tool tests: the two tiny CPU configs on the demo set, and a trained checkpoint."""
from pathlib import Path

import pytest
from tool_helpers import DETERMINISTIC, REPO_ROOT, run_tool


@pytest.fixture(scope="session")
def tiny_config(demo_coco) -> Path:
    """Tiny Co-Deformable-DETR (helper B's): every Co-DETR head, ResNet-18, 64-d, 2+2 layers."""
    return REPO_ROOT / "configs" / "co_detr" / "co_deformable_detr_tiny_1xb2-demo.py"


@pytest.fixture(scope="session")
def brs_tiny_config(demo_coco) -> Path:
    """Tiny BRS-DETR (helper D's): the tiny Co-Deformable-DETR with every loss BRS."""
    return REPO_ROOT / "configs" / "brs_detr" / "brs_detr_tiny_1xb2-demo.py"


@pytest.fixture(scope="session")
def tiny_checkpoint(brs_tiny_config, tmp_path_factory) -> Path:
    """6 epochs (12 iterations) of tiny BRS-DETR: a real mmengine training checkpoint whose
    detections already score a small non-zero AP on the demo set (so metrics can be compared)."""
    work_dir = tmp_path_factory.mktemp("tiny_train")
    run_tool("tools/train.py", brs_tiny_config, "--work-dir", work_dir,
             "--cfg-options", *DETERMINISTIC, "train_cfg.max_epochs=6")
    return work_dir / "epoch_6.pth"
