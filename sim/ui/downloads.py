"""What the dashboard hands out: files in a new time-stamped folder on the server, offered as browser downloads.

Owns :func:`dashboard_dir` (the one fixed folder the dashboard writes into, chosen by whoever runs
the server: ``$SIM_DASHBOARD_DIR``, else ``results/dashboard/`` of the project, else of the
server's working folder; never by a visitor), :func:`zip_bytes` and :func:`download_link`, an
HTML link carrying the file itself (``data:`` URL), so the visitor's browser saves it and the page
never shows a server path.

Must not: run the model, draw, or accept a folder from the page.
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

from ..config import CONFIG_DIR

__all__ = ["dashboard_dir", "zip_bytes", "download_link", "safe_file_name", "MIME"]

MIME = {".html": "text/html", ".pdf": "application/pdf", ".json": "application/json", ".zip": "application/zip",
        ".png": "image/png", ".svg": "image/svg+xml"}


def dashboard_dir() -> Path:
    """The folder under which every dashboard export gets its own time-stamped folder."""
    env = os.environ.get("SIM_DASHBOARD_DIR")
    if env:
        return Path(env)
    root = CONFIG_DIR.parent.parent
    base = root if (root / "pyproject.toml").exists() else Path.cwd()
    return base / "results" / "dashboard"


def safe_file_name(text: str) -> str:
    """A download's file name from a scenario name: letters, digits, ``._-`` only."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "scenario"


def zip_bytes(paths: Iterable[Path]) -> bytes:
    """A ZIP archive (in memory) of ``paths``, stored under their file names only."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in paths:
            zf.write(path, arcname=Path(path).name)
    return buf.getvalue()


def download_link(data: bytes, file_name: str, label: str) -> str:
    """An ``<a download>`` link that carries ``data`` itself: clicking it saves ``file_name`` in the browser."""
    mime = MIME.get(Path(file_name).suffix.lower(), "application/octet-stream")
    href = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return (f"<a class='sim-download' download='{html.escape(file_name, quote=True)}' href='{href}'>"
            f"{html.escape(label)}</a>")
