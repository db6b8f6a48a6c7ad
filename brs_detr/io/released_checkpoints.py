"""Every released BRS-DETR and Co-Deformable-DETR COCO checkpoint: the one registry behind
``tools/download_checkpoint.py`` and the table in ``checkpoints.md`` (a test keeps them equal).

APs are COCO val2017 box AP as claimed by each checkpoint's authors (BRS-DETR: thesis Sec. 4.1 and
the authors' README; Co-Deformable-DETR: Sense-X/Co-DETR README). Sizes and sha256 sums are not
published for any of them, so they are ``None`` ("unknown"); all were trained with mmdet 2.25, hence
``fmt="mmdet2"`` (their state dicts are converted to this code base's names on download).
"""
from __future__ import annotations

from dataclasses import dataclass

_CO_DETR_FOLDER = "https://drive.google.com/drive/folders/1asWoZ3SuM6APTL9D-QUF_YW9mjULNdh9"


@dataclass(frozen=True)
class ReleasedCheckpoint:
    name: str
    detector: str
    backbone: str
    epochs: int
    queries: int
    coco_val_ap: float
    claimed_by: str
    config: str | None  # None: no config for it in this repository
    url: str
    size: int | None = None
    sha256: str | None = None
    fmt: str = "mmdet2"


def _drive_file(file_id: str) -> str:
    return f"https://drive.google.com/file/d/{file_id}/view"


def _co_deformable(backbone: str, epochs: int, ap: float, config: str | None,
                   queries: int = 300) -> ReleasedCheckpoint:
    q = "" if queries == 300 else f"_{queries}q"
    return ReleasedCheckpoint(
        name=f"co_deformable_detr_{backbone.lower()}{q}_{epochs}e", detector="Co-Deformable-DETR",
        backbone=backbone, epochs=epochs, queries=queries, coco_val_ap=ap,
        claimed_by="Sense-X/Co-DETR", config=config, url=_CO_DETR_FOLDER)


RELEASED_CHECKPOINTS: dict[str, ReleasedCheckpoint] = {c.name: c for c in (
    ReleasedCheckpoint(
        name="brs_detr_r50_12e", detector="BRS-DETR", backbone="R50", epochs=12, queries=300,
        coco_val_ap=50.1, claimed_by="BRS authors",
        config="configs/brs_detr/brs_detr_r50_8xb2-12e_coco.py",
        url=_drive_file("1l6_PbHUTq0NLYEauKswuwFKzUQeXHrgS")),
    ReleasedCheckpoint(
        name="brs_detr_swin-t_12e", detector="BRS-DETR", backbone="Swin-T", epochs=12, queries=300,
        coco_val_ap=52.3, claimed_by="BRS authors",
        config="configs/brs_detr/brs_detr_swin-t_8xb2-12e_coco.py",
        url=_drive_file("15e5IjLrJAN0bOUvG1AqQmu7WettZfthu")),
    ReleasedCheckpoint(
        name="co_deformable_detr_r50_12e_brs-authors", detector="Co-Deformable-DETR (BRS authors' run)",
        backbone="R50", epochs=12, queries=300, coco_val_ap=49.3, claimed_by="BRS authors",
        config="configs/co_detr/co_deformable_detr_r50_8xb2-12e_coco.py",
        url=_drive_file("12lfjUyhivGFmyXgBRFqV8kgkbHWzkU03")),
    _co_deformable("R50", 12, 49.5, "configs/co_detr/co_deformable_detr_r50_8xb2-12e_coco.py"),
    _co_deformable("Swin-T", 12, 51.7, "configs/co_detr/co_deformable_detr_swin-t_8xb2-12e_coco.py"),
    _co_deformable("Swin-T", 36, 54.1, None),
    _co_deformable("Swin-S", 12, 53.4, None),
    _co_deformable("Swin-S", 36, 55.3, None),
    _co_deformable("Swin-B", 12, 55.5, None),
    _co_deformable("Swin-B", 36, 57.5, None),
    _co_deformable("Swin-L", 12, 56.9, "configs/co_detr/co_deformable_detr_swin-l_8xb2-12e_coco.py"),
    _co_deformable("Swin-L", 36, 58.5, None, queries=900),
)}

_COLUMNS = ("name", "detector", "backbone", "epochs", "queries", "COCO val AP (claimed by)", "config",
            "download", "size", "sha256")


def markdown_table() -> str:
    """The checkpoints.md table, rendered from :data:`RELEASED_CHECKPOINTS`."""
    rows = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    for c in RELEASED_CHECKPOINTS.values():
        cells = (f"`{c.name}`", c.detector, c.backbone, str(c.epochs), str(c.queries),
                 f"{c.coco_val_ap} ({c.claimed_by})", f"`{c.config}`" if c.config else "none here",
                 c.url, "unknown" if c.size is None else str(c.size), c.sha256 or "unknown")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"
