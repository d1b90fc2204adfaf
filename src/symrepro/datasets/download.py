"""Downloads with mirrors, checksums, retries and no partial files.

Each URL of the list is tried in order, each up to `retries` times with a growing
pause (`backoff` × attempt seconds). The body is streamed into a temporary file
next to the destination, its checksum verified, and only then renamed onto the
destination: an interrupted or corrupt download never leaves a file behind. When
every attempt fails the error names the file, every URL tried and the last error.
A failed download is never replaced by synthetic data.
"""

from __future__ import annotations

import hashlib
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


def _stream(url: str, target: Path, algorithm: str | None, timeout: float) -> str | None:
    digest = hashlib.new(algorithm) if algorithm else None
    request = urllib.request.Request(url, headers={"User-Agent": "symrepro"})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(target, "wb") as out:
        while block := response.read(CHUNK):
            out.write(block)
            if digest:
                digest.update(block)
    return digest.hexdigest() if digest else None


def fetch(urls: list[str], dest: str | os.PathLike, *, checksum: tuple[str, str] | None = None,
          retries: int = 3, timeout: float = 60.0, backoff: float = 2.0) -> Path:
    """Download the first URL that yields the expected content to `dest`.

    `checksum` is (algorithm, hex digest), e.g. ("md5", "f68b3c…"); None skips the check.
    """
    if not urls:
        raise InputError(f"no URL given for {dest}")
    if retries < 1:
        raise InputError(f"retries must be >= 1, got {retries}")
    dest = Path(dest)
    algorithm, expected = checksum if checksum else (None, None)
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
            except (OSError, urllib.error.URLError, ChecksumError, ValueError) as err:
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
