"""Write outputs under a temporary name in the target directory, then rename.

A job that dies half-way therefore never leaves a file under the output's name.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to `path`; rename it onto `path` on success.

    The temporary file keeps `path`'s suffix (some writers, e.g. matplotlib,
    choose the format from it). On any exception the temporary file is removed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = target.suffix if suffix is None else suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".part{suffix}", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual permissions
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def _finite(value):
    """JSON has no NaN: non-finite floats become null, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def write_json(path: str | os.PathLike, payload) -> None:
    """Write `payload` as indented JSON atomically; NaN and infinities become null."""
    write_text(path, json.dumps(_finite(payload), indent=1, allow_nan=False) + "\n")


def read_json_object(path: str | os.PathLike, expected_format: str | None = None, what: str = "") -> dict:
    """A JSON object from `path`, with an error naming the file when it is missing,
    unreadable, not an object or (given `expected_format`) of another format."""
    from .errors import InputError

    name = f"{what} {path}".strip()
    try:
        payload = json.loads(Path(path).read_text())
    except FileNotFoundError as err:
        raise InputError(f"{name} does not exist") from err
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{name} is not readable JSON: {err}") from err
    if not isinstance(payload, dict):
        raise InputError(f"{name}: expected a JSON object")
    if expected_format is not None and payload.get("format") != expected_format:
        raise InputError(f"{name}: 'format' must be {expected_format!r}, got {payload.get('format')!r}")
    return payload
