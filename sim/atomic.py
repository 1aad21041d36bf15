"""Atomic file writes: a file the project writes is either the old one or the complete new one.

Owns: writing to a temporary name in the target's folder, flushing it to disk and renaming it over
the target (``os.replace`` is atomic on POSIX file systems). A full disk or a crash mid-write leaves
the previous file (or none) and no truncated one; the temporary file is removed on failure.

Must not: decide where files go or what they contain.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "write_text", "write_bytes"]


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success it is renamed to ``target``.

    For writers that want a file name (``DataFrame.to_parquet``, ``Figure.savefig``)::

        with atomic_path(out / "timeseries.parquet") as tmp:
            frame.to_parquet(tmp)
    """
    target = Path(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    os.chmod(tmp, 0o666 & ~_umask())   # mkstemp makes 0600; results are ordinary files
    try:
        yield tmp
        with open(tmp, "rb+") as fh:   # the data reach the disk before the rename makes them visible
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(target: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically; return the path."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``target`` atomically; return the path."""
    return write_bytes(target, text.encode(encoding))
