"""Part files of a sweep's results folder: atomic Parquet writes, checks, quarantine, merging.

A part file (``runs/part-*.parquet``, ``series/part-*.parquet``) is written under a hidden
temporary name, fsynced and renamed into place (:mod:`sim.atomic`), with page checksums, so a
kill or a full disk leaves the file complete or absent. Damage from outside (a truncated copy, a
bad disk, a stray edit) is found by :func:`problem`, which reads the whole file back with
checksum verification and compares its columns with what the sweep writes; :func:`quarantine`
moves such a file out of the dataset into ``DIR/corrupt/`` so that its runs are run again and no
reader trips over it.

Owns: listing, writing, checking, moving aside and merging part files, and :func:`read_parts`,
which reads the good ones and names the bad ones.

Must not: decide which runs are done or what a row holds (:mod:`sim.experiments.store`), or
delete a damaged file (it is moved aside, never lost).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..atomic import atomic_path

__all__ = ["part_files", "write_table", "problem", "quarantine", "merge_parts", "read_parts", "CORRUPT_DIR"]

CORRUPT_DIR = "corrupt"
"""Folder of the results folder that damaged files are moved to (outside ``runs/`` and ``series/``)."""


def part_files(folder: Path) -> list[Path]:
    """Finished part files of a folder, sorted (temporary files are hidden and end in .tmp)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("part-*.parquet") if p.is_file())


def write_table(table: Any, target: Path) -> None:
    """Write a pyarrow table to ``target`` atomically, with page checksums."""
    import pyarrow.parquet as pq

    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, write_page_checksum=True)


def _reason(err: BaseException, path: Path) -> str:
    """The error in a few words, without the path (the message names the file already)."""
    text = " ".join(str(err).split()).replace(f"Could not open Parquet input source '{path}': ", "")
    return f"{err.__class__.__name__}: {text[:160]}"


def problem(path: Path, columns: Iterable[tuple[str, Any]] | None = None) -> str | None:
    """Why ``path`` is not a good part file (None if it is): unreadable, or other columns than expected.

    Reads every row group (checksums verified), one at a time, so memory stays small.

    Args:
        path: the part file.
        columns: expected ``(name, pyarrow type)`` pairs in order; None = any columns.
    """
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path, page_checksum_verification=True) as pf:
            if columns is not None:
                want = list(columns)
                have = [(f.name, f.type) for f in pf.schema_arrow]
                if have != want:
                    missing = [n for n, _ in want if n not in dict(have)]
                    return f"no column {missing[0]!r}" if missing else "other columns or types than this sweep's"
            for i in range(pf.num_row_groups):
                pf.read_row_group(i)
    except Exception as err:  # any failure to read is damage: truncated, empty, garbage, bad checksum
        return _reason(err, path)
    return None


def quarantine(path: Path, out: Path) -> Path:
    """Move a damaged file to ``out/corrupt/<folder>/<name>.corrupt-<UTC time>``; return the new path."""
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = out / CORRUPT_DIR / path.parent.name
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{path.name}.corrupt-{stamp}"
    path.replace(target)
    return target


def merge_parts(parts: list[Path], target: Path) -> None:
    """Stream ``parts`` into one Parquet file (atomically), keeping each run once (first seen wins)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    seen: set[int] = set()
    with atomic_path(target) as tmp:
        writer = None
        try:
            for part in parts:
                table = pq.read_table(part, page_checksum_verification=True)
                runs = table.column("run")
                if seen:
                    table = table.filter(pc.invert(pc.is_in(runs, value_set=pa.array(sorted(seen), pa.int64()))))
                seen.update(pc.unique(runs).to_pylist())
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema, write_page_checksum=True)
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()


def read_parts(parts: list[Path]) -> tuple[list[Any], list[tuple[Path, str]]]:
    """Read part files as pandas frames; return the frames and ``(path, reason)`` of the unreadable ones."""
    import pyarrow.parquet as pq

    frames, bad = [], []
    for part in parts:
        try:
            frames.append(pq.read_table(part, page_checksum_verification=True).to_pandas())
        except Exception as err:  # damaged: skip it, the caller names it
            bad.append((part, _reason(err, part)))
    return frames, bad
