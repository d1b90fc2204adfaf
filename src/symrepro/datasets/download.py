"""Downloads with mirrors, checksums, retries and no partial files.

Each URL of the list is tried in order, each up to `retries` times (attempts per
URL, not extra attempts) with a growing pause (`backoff` × attempt seconds); an HTTP
4xx answer other than 429 moves on to the next URL at once. The body is streamed into a temporary file
next to the destination, its checksum verified, and only then renamed onto the
destination: an interrupted or corrupt download never leaves a file behind. When
every attempt fails the error names the file, every URL tried and the last error.
A failed download is never replaced by synthetic data.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..atomic import atomic_path
from ..errors import InputError

log = logging.getLogger(__name__)

CHUNK = 1 << 20


class ChecksumError(Exception):
    pass


def file_digest(path: str | os.PathLike, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


class IncompleteError(Exception):
    pass


def _stream(url: str, target: Path, algorithm: str | None, timeout: float) -> str | None:
    digest = hashlib.new(algorithm) if algorithm else None
    request = urllib.request.Request(url, headers={"User-Agent": "symrepro"})
    received = 0
    with urllib.request.urlopen(request, timeout=timeout) as response, open(target, "wb") as out:
        announced = response.headers.get("Content-Length")
        while block := response.read(CHUNK):
            received += len(block)
            out.write(block)
            if digest:
                digest.update(block)
    # http.client's read(n) returns short data, without an error, when the server
    # closes the connection early: compare with the announced length ourselves
    if announced is not None and announced.isdigit() and received != int(announced):
        raise IncompleteError(f"connection closed after {received} of {announced} bytes")
    return digest.hexdigest() if digest else None


def fetch(urls: list[str], dest: str | os.PathLike, *, checksum: tuple[str, str] | None = None,
          retries: int = 3, timeout: float = 60.0, backoff: float = 2.0) -> Path:
    """Download the first URL that yields the expected content to `dest`.

    `checksum` is (algorithm, hex digest), e.g. ("md5", "f68b3c…"); None skips the check.
    A file already at `dest` with the expected checksum is kept (nothing downloaded);
    one with another checksum is replaced only once a verified download succeeds.
    """
    if not urls:
        raise InputError(f"no URL given for {dest}")
    if retries < 1:
        raise InputError(f"retries must be >= 1, got {retries}")
    if timeout <= 0 or backoff < 0:
        raise InputError(f"timeout must be > 0 and backoff >= 0, got {timeout} and {backoff}")
    dest = Path(dest)
    algorithm, expected = checksum if checksum else (None, None)
    if algorithm is not None and algorithm not in hashlib.algorithms_available:
        raise InputError(f"unknown checksum algorithm {algorithm!r} for {dest}")
    if expected is not None and dest.is_file() and file_digest(dest, algorithm) == expected.lower():
        log.info("%s already present with the expected %s", dest, algorithm)
        return dest
    last_error: Exception | None = None
    for url in urls:
        for attempt in range(1, retries + 1):
            try:
                with atomic_path(dest) as tmp:
                    got = _stream(url, tmp, algorithm, timeout)
                    if expected is not None and got != expected.lower():
                        raise ChecksumError(f"{algorithm} {got} != expected {expected}")
                log.info("downloaded %s from %s", dest.name, url)
                return dest
            except (OSError, http.client.HTTPException, ChecksumError, IncompleteError, ValueError) as err:
                # OSError covers URLError, HTTPError and timeouts; HTTPException a broken
                # response; IncompleteError a body cut short; ValueError a malformed URL
                last_error = err
                log.warning("%s: attempt %d/%d from %s failed: %s", dest.name, attempt, retries, url, err)
                if isinstance(err, urllib.error.HTTPError) and 400 <= err.code < 500 and err.code != 429:
                    break  # a missing file will not appear by retrying this mirror
                if attempt < retries and backoff > 0:
                    time.sleep(backoff * attempt)
    raise InputError(f"could not download {dest.name} from any of {urls}: last error: {last_error}")


def fetch_bytes(urls: list[str], *, checksum: tuple[str, str] | None = None, retries: int = 3,
                timeout: float = 60.0, backoff: float = 2.0, scratch: str | os.PathLike | None = None) -> bytes:
    """Like `fetch`, returning the content (for archives that are converted, not kept)."""
    import tempfile

    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        path = fetch(urls, Path(tmp) / "download", checksum=checksum, retries=retries, timeout=timeout,
                     backoff=backoff)
        return path.read_bytes()
