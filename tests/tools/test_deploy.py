"""Deployment: the tiny model's ONNX export matches PyTorch under onnxruntime on real photos, and
tools/analyze_model.py prints parameters, FLOPs and images/s for the tiny and the R50 configs."""
import importlib.util
import re

from tool_helpers import REPO_ROOT

# Measured on the 3 demo photos at 128 x 160 with the tiny checkpoint (6 epochs): boxes 4.6e-05 px,
# scores 7.5e-08 (float32 rounding); the tolerances leave a margin of about 20x and 130x.
BOX_TOLERANCE_PX = 1e-3
SCORE_TOLERANCE = 1e-5


def _module(name):
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_onnx_export_of_the_tiny_model_matches_pytorch(brs_tiny_config, tiny_checkpoint, tmp_path,
                                                       capsys):
    out = tmp_path / "tiny.onnx"
    _module("export_onnx").main([str(brs_tiny_config), str(tiny_checkpoint), "--out", str(out),
                                 "--shape", "128", "160"])
    text = capsys.readouterr().out
    match = re.search(r"on 3 real images: max \|diff\| boxes (\S+) px, scores (\S+); "
                      r"detections matched \(label, score\) (\S+)%", text)
    assert out.is_file() and match, text
    assert float(match.group(1)) < BOX_TOLERANCE_PX and float(match.group(2)) < SCORE_TOLERANCE
    assert float(match.group(3)) == 100.0  # every detection found its PyTorch twin


def test_analyze_model_prints_numbers_for_tiny_and_r50(brs_tiny_config, capsys):
    analyze = _module("analyze_model")
    analyze.main([str(brs_tiny_config), "--shape", "128", "160", "--iters", "1"])
    analyze.main([str(REPO_ROOT / "configs/brs_detr/brs_detr_r50_8xb2-12e_coco.py"), "--shape", "128",
                  "160", "--iters", "1", "--cfg-options", "model.backbone.init_cfg=None"])
    text = capsys.readouterr().out
    params = [float(v) for v in re.findall(r"parameters: (\d+\.\d+) M", text)]
    flops = [float(v) for v in re.findall(r"FLOPs at 128x160: (\d+\.\d+) GFLOPs", text)]
    speed = [float(v) for v in re.findall(r"speed on CPU \(\d+ threads\): (\S+) images/s", text)]
    assert len(params) == len(flops) == len(speed) == 2, text
    assert params[0] < 20 < params[1] < 100  # tiny ResNet-18 model vs R50 Co-DETR (~65 M)
    assert 0 < flops[0] < flops[1] and min(speed) > 0
