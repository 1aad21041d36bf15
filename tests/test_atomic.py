"""Tests for sim.atomic: a failed write leaves the old file whole and no temporary file behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.atomic import atomic_path, write_text


def test_write_replaces_whole(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    write_text(target, "old")
    write_text(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]
    assert target.stat().st_mode & 0o644 == 0o644


def test_failure_mid_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "a.parquet"
    write_text(target, "old and complete")
    with pytest.raises(OSError, match="No space left"):
        with atomic_path(target) as tmp:
            tmp.write_text("half of the new")
            raise OSError(28, "No space left on device")
    assert target.read_text() == "old and complete"
    assert [p.name for p in tmp_path.iterdir()] == ["a.parquet"]
