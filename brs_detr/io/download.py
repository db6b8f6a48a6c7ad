"""Resumable, verified HTTP downloads for released checkpoints (plain URLs and Google Drive files).

A transfer writes ``<dest>.part``; a later call resumes it with an HTTP ``Range`` request. The file
only takes its final name once the byte count matches the server's Content-Length (and the registry
size, when known) and its sha256 matches the expected one, so a truncated or corrupt download is
never mistaken for a good checkpoint.
"""
from __future__ import annotations

import hashlib
import html.parser
import http.client
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

CHUNK = 1 << 20
_DRIVE_FILE = re.compile(r"https?://drive\.google\.com/(?:file/d/|open\?id=|uc\?(?:.*&)?id=)([\w-]+)")
_DRIVE_FOLDER = re.compile(r"https?://drive\.google\.com/drive/folders/")
DRIVE_DOWNLOAD = "https://drive.usercontent.google.com/download"


class DownloadError(RuntimeError):
    """A download failed, or what arrived is not the expected file."""


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, dest: str | os.PathLike, sha256: str | None = None, size: int | None = None,
             progress: bool = True, timeout: float = 60.0) -> Path:
    """Fetch ``url`` into ``dest`` (resuming ``dest.part``), check size and sha256, return ``dest``.

    An existing ``dest`` is reused unless its sha256 differs from the expected one. Raises
    :class:`DownloadError` naming the problem: an interrupted transfer (bytes received vs
    Content-Length; the ``.part`` is kept so the next call resumes), a size or sha256 mismatch (the
    bad file is deleted), or a web page served instead of the file.
    """
    dest = Path(dest)
    if _DRIVE_FOLDER.match(url):
        raise DownloadError(f"{url} is a Google Drive folder, not a file: download the checkpoint from "
                            "it in a browser, then pass the file (with a registry name: --file PATH)")
    if dest.is_file() and (sha256 is None or sha256_of(dest) == sha256.lower()):
        return dest  # only complete, verified transfers ever get this name
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    _fetch_to_part(_direct_url(url), part, url, progress, timeout)
    received = part.stat().st_size
    if size is not None and received != size:
        part.unlink()
        raise DownloadError(f"{url}: received {received} bytes but the checkpoint has {size} bytes "
                            "(truncated or wrong file); the partial file was deleted")
    if sha256:
        got = sha256_of(part)
        if got != sha256.lower():
            part.unlink()
            raise DownloadError(f"{url}: sha256 mismatch (got {got}, expected {sha256}); the file is "
                                "corrupt or not the released checkpoint and was deleted")
    os.replace(part, dest)
    return dest


def _direct_url(url: str) -> str:
    """Google Drive share links -> the direct download endpoint; other URLs unchanged."""
    match = _DRIVE_FILE.match(url)
    if match:
        return f"{DRIVE_DOWNLOAD}?id={match.group(1)}&export=download"
    return url


def _fetch_to_part(url: str, part: Path, shown: str, progress: bool, timeout: float) -> None:
    """Append the rest of ``url`` to ``part``; at most one Drive virus-scan confirmation round."""
    for _ in range(2):
        have = part.stat().st_size if part.exists() else 0
        request = urllib.request.Request(url, headers={"User-Agent": "brs-detr-download/1"})
        if have:
            request.add_header("Range", f"bytes={have}-")
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as err:
            if err.code == 416 and have:  # the part already holds every byte
                return
            raise DownloadError(f"{shown}: HTTP {err.code} {err.reason}") from None
        except (urllib.error.URLError, OSError) as err:
            raise DownloadError(f"{shown}: cannot connect ({err})") from None
        with response:
            if response.headers.get_content_type() == "text/html":
                url = _drive_confirm_url(response.read().decode("utf-8", "replace"), shown)
                continue
            resumed = response.status == 206
            if have and not resumed:
                have = 0  # the server ignored Range: start over
            length = response.headers.get("Content-Length")
            total = have + int(length) if length is not None else None
            _stream(response, part, "ab" if resumed else "wb", have, total, shown, progress)
        return
    raise DownloadError(f"{shown}: Google Drive kept answering with a web page instead of the file")


def _stream(response, part: Path, mode: str, have: int, total: int | None, shown: str,
            progress: bool) -> None:
    bar = _ProgressBar(total, have) if progress else None
    received = have
    try:
        with open(part, mode) as f:
            while True:
                block = response.read(CHUNK)
                if not block:
                    break
                f.write(block)
                received += len(block)
                if bar:
                    bar.update(received)
    except (OSError, http.client.HTTPException) as err:  # IncompleteRead when the peer hangs up
        received = part.stat().st_size
        raise DownloadError(f"{shown}: transfer interrupted after {received} of "
                            f"{total if total is not None else '?'} bytes ({err.__class__.__name__});"
                            f" run again to resume from {part}") from None
    finally:
        if bar:
            bar.update(received, force=True)
            bar.close()
    if total is not None and received < total:
        raise DownloadError(f"{shown}: transfer interrupted: received {received} of {total} bytes "
                            f"(Content-Length); run again to resume from {part}")


class _DriveForm(html.parser.HTMLParser):
    """Collects the action and hidden inputs of Drive's "can't scan for viruses" confirmation form."""

    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action")
        elif tag == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value", "")


def _drive_confirm_url(page: str, shown: str) -> str:
    form = _DriveForm()
    form.feed(page)
    if not form.action or "confirm" not in form.fields:
        raise DownloadError(f"{shown}: got a web page instead of the file (on Google Drive: quota "
                            "exceeded or access restricted); download it in a browser and pass its path")
    return form.action + "?" + urllib.parse.urlencode(form.fields)


class _ProgressBar:
    """A one-line progress report on stderr: bytes, percentage and rate."""

    def __init__(self, total: int | None, start: int):
        self.total, self.start, self.t0, self.last = total, start, time.monotonic(), 0.0

    def update(self, received: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        rate = (received - self.start) / max(now - self.t0, 1e-6) / 2**20
        done = f"{received / 2**20:8.1f} MiB"
        if self.total:
            width = 30
            filled = int(width * received / self.total)
            done = (f"[{'#' * filled}{'.' * (width - filled)}] {100 * received / self.total:5.1f}% "
                    f"{done} / {self.total / 2**20:.1f} MiB")
        sys.stderr.write(f"\r{done} {rate:6.1f} MiB/s")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
