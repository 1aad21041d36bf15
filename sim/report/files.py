"""Writing a report: ``report.html``, ``report.pdf``, ``summary.json`` and ``config.json``, each atomically.

Owns :func:`write_report` (every file through :mod:`sim.atomic`: a temporary name, then a rename,
so a failed write never leaves a truncated file), :func:`new_run_folder` (a new time-stamped folder
that never reuses an existing one: the dashboard's exports never overwrite anything) and
:data:`REPORT_FILES`.

Must not: decide what a report says (:mod:`sim.report.content`) or how it looks (the renderers).
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

from ..atomic import atomic_path, write_text
from .content import Report
from .html import render_html
from .pdf import render_pdf

__all__ = ["write_report", "new_run_folder", "REPORT_FILES"]

REPORT_FILES: tuple[str, ...] = ("report.html", "report.pdf", "summary.json", "config.json")
"""The files :func:`write_report` writes."""


def new_run_folder(base: str | Path, now: _dt.datetime | None = None) -> Path:
    """Create and return a new folder ``base/<YYYYmmdd-HHMMSS>`` (``-2``, ``-3``, ... if that one exists).

    The folder is created with ``exist_ok=False``, so two exports (even in the same second, or from
    two visitors at once) always get two folders and nothing is ever overwritten.
    """
    base = Path(base)
    base.mkdir(parents=True, exist_ok=True)
    stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    for i in range(1, 10_000):
        folder = base / (stamp if i == 1 else f"{stamp}-{i}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(f"{base}: no free folder name for {stamp}")


def write_report(report: Report, out_dir: str | Path) -> dict[str, Path]:
    """Write the report's four files into ``out_dir`` (created if needed); return their paths by name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in REPORT_FILES}
    write_text(paths["summary.json"], json.dumps(report.summary, indent=2, ensure_ascii=False) + "\n")
    write_text(paths["config.json"], report.config.model_dump_json(indent=2) + "\n")
    write_text(paths["report.html"], render_html(report))
    with atomic_path(paths["report.pdf"]) as tmp:
        render_pdf(report, tmp)
    return paths
