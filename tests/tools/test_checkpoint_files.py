"""Checkpoint files as users meet them: our own training checkpoints go through download and
convert (the resume allow-list), random bytes and truncated files are named as such (no advice to
switch safe loading off), and the runner tools report them in one line before building anything."""
import importlib.util
import os

import pytest
import torch
from tool_helpers import REPO_ROOT, run_tool

from brs_detr.io.safe_load import CorruptCheckpointError, UnsafeCheckpointError, load_checkpoint_safely


def _module(name):
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def random_bytes(tmp_path):
    path = tmp_path / "random.pth"
    path.write_bytes(os.urandom(4096))
    return path


@pytest.fixture
def truncated(tiny_checkpoint, tmp_path):
    path = tmp_path / "truncated.pth"
    data = tiny_checkpoint.read_bytes()
    path.write_bytes(data[:len(data) * 2 // 3])
    return path


def test_random_bytes_and_truncated_files_are_named_as_such(random_bytes, truncated):
    with pytest.raises(CorruptCheckpointError, match=r"random\.pth is not a PyTorch checkpoint") as err:
        load_checkpoint_safely(random_bytes)
    with pytest.raises(CorruptCheckpointError, match=r"truncated\.pth is a truncated or corrupt "
                                                     r"checkpoint") as err2:
        load_checkpoint_safely(truncated)
    for message in (str(err.value), str(err2.value)):
        assert "weights_only=False" not in message and "allow-list" not in message


def test_code_outside_the_allow_list_is_named_without_unsafe_advice(tmp_path):
    path = tmp_path / "code.pth"
    torch.save({"state_dict": {}, "meta": os.system}, path)  # pickles posix.system
    with pytest.raises(UnsafeCheckpointError, match=r"code\.pth is refused: it pickles posix\.system"
                       ) as err:
        load_checkpoint_safely(path)
    assert "weights_only=False" not in str(err.value) and len(str(err.value).splitlines()) == 1


def test_own_training_checkpoint_passes_download_and_convert(tiny_checkpoint, brs_tiny_config, tmp_path):
    proc = run_tool("tools/download_checkpoint.py", tiny_checkpoint, "--config", brs_tiny_config,
                    "--out-dir", tmp_path / "ckpts", "--no-progress")
    assert f"wrote {tmp_path / 'ckpts' / 'epoch_6.pth'}" in proc.stdout
    weights = load_checkpoint_safely(tmp_path / "ckpts" / "epoch_6.pth")
    assert weights["meta"]["dataset_meta"]["classes"][0] == "aeroplane"
    convert = _module("convert_official_checkpoint")
    dst = tmp_path / "converted.pth"
    assert convert.main([str(tiny_checkpoint), str(dst), "--config", str(brs_tiny_config)]) == 0
    original = load_checkpoint_safely(tiny_checkpoint)["state_dict"]
    converted = torch.load(dst, weights_only=True)["state_dict"]
    assert converted.keys() == original.keys()
    assert all(torch.equal(converted[k], original[k]) for k in original)


def test_bad_files_in_download_and_convert_are_one_clear_line(random_bytes, truncated, tmp_path, capsys):
    proc = run_tool("tools/download_checkpoint.py", random_bytes, "--out-dir", tmp_path,
                    "--no-progress", check=False)
    assert proc.returncode != 0 and "random.pth is not a PyTorch checkpoint" in proc.stderr
    assert "weights_only=False" not in proc.stderr and "Traceback" not in proc.stderr
    assert _module("convert_official_checkpoint").main([str(truncated), str(tmp_path / "x.pth")]) == 1
    assert "truncated.pth is a truncated or corrupt checkpoint" in capsys.readouterr().err


def test_truncated_checkpoint_in_test_tool_is_one_line_before_any_config_dump(brs_tiny_config,
                                                                             truncated):
    proc = run_tool("tools/test.py", brs_tiny_config, truncated, check=False)
    assert proc.returncode == 1
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert len(lines) == 1, lines[:20]
    assert lines[0].startswith("error: CorruptCheckpointError: ") and "truncated.pth is a truncated" \
        in lines[0]


def test_traceback_only_on_request(monkeypatch, capsys):
    from brs_detr.engine import run_cli

    def failing(argv):
        raise ValueError("bad input\nsecond line")

    assert run_cli(failing, []) == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: ValueError: bad input  (--debug or BRS_DEBUG=1 shows the traceback)"]
    with pytest.raises(ValueError):
        run_cli(failing, ["--debug"])
    monkeypatch.setenv("BRS_DEBUG", "1")
    with pytest.raises(ValueError):
        run_cli(failing, [])
