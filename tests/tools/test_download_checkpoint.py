"""tools/download_checkpoint.py against a local HTTP server serving a checkpoint made here: a good
file, a truncated one, a corrupted one, and a transfer that breaks off and is then resumed."""
import hashlib
import http.server
import re
import threading

import pytest
import torch
from tool_helpers import REPO_ROOT, run_tool

from brs_detr.io.download import DRIVE_DOWNLOAD, DownloadError, _direct_url, download
from brs_detr.io.released_checkpoints import RELEASED_CHECKPOINTS, markdown_table

TINY = "configs/co_detr/co_deformable_detr_tiny_1xb2-demo.py"
OFFICIAL_KEY = "query_head.transformer.decoder.layers.0.attentions.1.sampling_offsets.weight"
CONVERTED_KEY = "query_head.transformer.decoder.layers.0.cross_attn.sampling_offsets.weight"


class Server(http.server.ThreadingHTTPServer):
    """Serves ``payload`` at any path; ``mode`` decides how the transfer goes wrong."""

    def __init__(self, payload: bytes):
        super().__init__(("127.0.0.1", 0), Handler)
        self.payload, self.mode, self.ranges = payload, "good", []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/co_detr_official.pth"


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        data, mode = self.server.payload, self.server.mode
        if mode == "drive" and "confirm=" not in self.path:
            return self._drive_warning()
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        self.server.ranges.append(self.headers.get("Range"))
        if match and mode != "no-range":
            start = int(match.group(1))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        if mode == "corrupt":
            body = body[:100] + bytes([body[100] ^ 0xFF]) + body[101:]
        if mode in ("truncated", "interrupt-once"):
            body = body[:len(body) // 2]  # then hang up although more was announced
            if mode == "interrupt-once":
                self.server.mode = "good"
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def _drive_warning(self):
        """Google Drive's "can't scan this file for viruses" page: a form to confirm the download."""
        page = (f'<html><body><form id="download-form" action="http://127.0.0.1:'
                f'{self.server.server_address[1]}/download" method="get">'
                '<input type="submit" value="Download anyway"/>'
                '<input type="hidden" name="id" value="FILEID"><input type="hidden" name="export" '
                'value="download"><input type="hidden" name="confirm" value="t">'
                '<input type="hidden" name="uuid" value="1234"></form></body></html>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)


@pytest.fixture
def official_checkpoint(tmp_path):
    """A small checkpoint in the official (mmdet 2.x) layout: mmcv 1.x transformer key names."""
    torch.manual_seed(0)
    state = {OFFICIAL_KEY: torch.randn(64, 128), "backbone.conv1.weight": torch.randn(8, 3, 7, 7)}
    path = tmp_path / "official.pth"
    torch.save(dict(state_dict=state, meta=dict(mmdet_version="2.25.3", CLASSES=("person", "car"))),
               path)
    return path


@pytest.fixture
def server(official_checkpoint):
    srv = Server(official_checkpoint.read_bytes())
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _download(server, tmp_path, *extra, check=True, progress=False):
    return run_tool("tools/download_checkpoint.py", server.url, "--out-dir", tmp_path / "ckpts",
                    *([] if progress else ["--no-progress"]), *extra, check=check)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_good_file_is_verified_converted_and_loadable(server, official_checkpoint, tmp_path):
    sha = _sha(official_checkpoint)
    proc = _download(server, tmp_path, "--sha256", sha, "--config", TINY, "--allow-unmatched",
                     progress=True)
    assert "100.0%" in proc.stderr  # the progress bar reached the end
    assert f"sha256 {sha} (verified)" in proc.stdout
    assert "converted from mmdet 2.x names" in proc.stdout  # detected from meta.mmdet_version
    out = tmp_path / "ckpts" / "co_detr_official.pth"
    assert f"python tools/test.py {TINY} {out}" in proc.stdout
    ckpt = torch.load(out, weights_only=True)
    assert OFFICIAL_KEY not in ckpt["state_dict"]
    original = torch.load(official_checkpoint, weights_only=True)["state_dict"][OFFICIAL_KEY]
    assert torch.equal(ckpt["state_dict"][CONVERTED_KEY], original)
    assert ckpt["meta"]["sha256"] == sha
    assert ckpt["meta"]["dataset_meta"]["classes"] == ("person", "car")
    again = _download(server, tmp_path, "--sha256", sha, "--config", TINY, "--allow-unmatched")
    assert len(server.ranges) == 1 and "(verified)" in again.stdout  # the verified file is reused


def test_weights_that_do_not_fit_the_config_are_not_written(server, tmp_path):
    proc = _download(server, tmp_path, "--config", TINY, check=False)
    assert proc.returncode != 0 and "do not fit the model of" in proc.stderr
    assert not (tmp_path / "ckpts" / "co_detr_official.pth").exists()


def test_truncated_transfer_is_refused(server, tmp_path):
    server.mode = "truncated"
    proc = _download(server, tmp_path, check=False)
    size = len(server.payload)
    assert proc.returncode != 0
    assert f"received {size // 2} of {size} bytes (Content-Length)" in proc.stderr
    assert not (tmp_path / "ckpts" / "co_detr_official.pth").exists()


def test_corrupted_file_is_refused_by_sha256(server, official_checkpoint, tmp_path):
    server.mode = "corrupt"
    proc = _download(server, tmp_path, "--sha256", _sha(official_checkpoint), check=False)
    assert proc.returncode != 0 and "sha256 mismatch" in proc.stderr
    assert not list((tmp_path / "ckpts").iterdir())  # neither the bad file nor a partial one is kept


def test_corrupted_file_without_sha256_is_refused_when_loading(server, tmp_path):
    server.mode = "corrupt"  # a flipped byte in the zip header region
    proc = _download(server, tmp_path, check=False)
    assert proc.returncode != 0 and "not a readable PyTorch checkpoint" in proc.stderr


def test_interrupted_transfer_resumes_with_a_range_request(server, official_checkpoint, tmp_path):
    server.mode = "interrupt-once"
    sha = _sha(official_checkpoint)
    first = _download(server, tmp_path, "--sha256", sha, check=False)
    assert first.returncode != 0 and "run again to resume" in first.stderr
    part = tmp_path / "ckpts" / "co_detr_official.download.pth.part"
    assert part.stat().st_size == len(server.payload) // 2
    second = _download(server, tmp_path, "--sha256", sha)
    assert server.ranges == [None, f"bytes={len(server.payload) // 2}-"]
    assert f"sha256 {sha} (verified)" in second.stdout and not part.exists()


def test_download_restarts_when_the_server_ignores_range(server, official_checkpoint, tmp_path):
    dest = tmp_path / "file.pth"
    dest.with_name("file.pth.part").write_bytes(b"stale bytes of another attempt")
    server.mode = "no-range"
    download(server.url, dest, sha256=_sha(official_checkpoint), progress=False)
    assert dest.read_bytes() == official_checkpoint.read_bytes()


def test_drive_virus_scan_page_is_confirmed(server, official_checkpoint, tmp_path):
    server.mode = "drive"
    dest = download(server.url, tmp_path / "file.pth", sha256=_sha(official_checkpoint), progress=False)
    assert dest.read_bytes() == official_checkpoint.read_bytes()


def test_drive_share_links_point_to_the_download_endpoint():
    url = RELEASED_CHECKPOINTS["brs_detr_r50_12e"].url
    assert _direct_url(url) == f"{DRIVE_DOWNLOAD}?id=1l6_PbHUTq0NLYEauKswuwFKzUQeXHrgS&export=download"
    assert _direct_url("https://host/x.pth") == "https://host/x.pth"


def test_size_mismatch_is_refused(server, tmp_path):
    with pytest.raises(DownloadError, match=f"received {len(server.payload)} bytes but the checkpoint "
                                            f"has {len(server.payload) + 1} bytes"):
        download(server.url, tmp_path / "file.pth", size=len(server.payload) + 1, progress=False)


def test_drive_folder_entries_ask_for_the_file(tmp_path):
    name = "co_deformable_detr_r50_12e"
    proc = run_tool("tools/download_checkpoint.py", name, "--out-dir", tmp_path, check=False)
    assert proc.returncode != 0 and "Google Drive folder" in proc.stderr and "--file" in proc.stderr


def test_checkpoints_md_lists_the_registry():
    """checkpoints.md holds the table rendered from the registry, so the two cannot drift apart."""
    text = (REPO_ROOT / "checkpoints.md").read_text()
    assert markdown_table() in text
    for entry in RELEASED_CHECKPOINTS.values():
        assert entry.config is None or (REPO_ROOT / entry.config).is_file(), entry.config
