"""tools/check_env.py on the CPU: versions, the ops BRS-DETR runs, a BRS loss; a wrong op fails."""
import sys

import torch

from tool_helpers import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tools"))
import check_env  # noqa: E402


def test_every_check_passes_on_the_cpu(capsys):
    assert check_env.main(["--devices", "cpu"]) == 0
    out = capsys.readouterr().out
    assert f"torch {torch.__version__}" in out and "mmcv 2.1.0" in out and "mmdet 3.3.0" in out
    for check in check_env.CHECKS:
        assert any(line.split()[1:2] == ["cpu"] and check.name in line and " ok " in line
                   for line in out.splitlines()), check.name
    assert "all checks passed" in out


def test_an_op_that_disagrees_fails_the_check(capsys, monkeypatch):
    import mmcv.ops

    real_nms = mmcv.ops.nms

    def nms_dropping_one(boxes, scores, iou_threshold):
        dets, keep = real_nms(boxes, scores, iou_threshold)
        return dets[:-1], keep[:-1]

    monkeypatch.setattr(mmcv.ops, "nms", nms_dropping_one)
    assert check_env.main(["--devices", "cpu"]) == 1
    out = capsys.readouterr().out
    nms_line = next(line for line in out.splitlines() if " NMS " in line)
    assert "FAIL" in nms_line and "1 differ" in nms_line
    assert "1 check(s) FAILED" in out
