"""Jupyter server settings for ``make lab``: notebooks are saved without outputs.

``make lab`` starts JupyterLab with ``--config=notebooks/jupyter_server_config.py``. This file gives
the server's contents manager a pre-save hook (:func:`strip_outputs`): whatever a user runs, the
file written on every save (Ctrl+S, autosave, "Save Notebook") has no outputs, no execution counts,
no per-cell timing metadata and no stored widget state, so ``git diff`` shows only changes to the
cells themselves. The outputs stay on screen: the hook edits the copy being written, not the open
document. (``tests/test_notebooks.py`` still checks the committed files; ``tests/test_servers.py``
tests this hook through a real server and ``tests/test_lab.py`` through JupyterLab in Chromium.)

It also hides this file from JupyterLab's file browser, which shows the ``notebooks/`` folder, and
turns off JupyterLab's calls home (the news feed, with its "would you like to get notified" pop-up,
and the update check): the notebooks need no internet, and a classroom or a client-meeting laptop may
well be offline.

Must not: change what a notebook computes, or touch files other than notebooks. A hook that
raises does not stop a save (Jupyter logs it and writes the file as it is), so the hook never
raises on an unexpected shape; it leaves what it does not recognise alone.
"""

from __future__ import annotations

from typing import Any

CELL_METADATA_DROPPED = ("execution",)
"""Cell metadata written by running a cell (JupyterLab's "record timing" setting), not by the author."""
NOTEBOOK_METADATA_DROPPED = ("widgets",)
"""Notebook metadata written by running it (ipywidgets' saved widget state)."""


def strip_outputs(model: dict[str, Any], **_kwargs: Any) -> None:
    """Pre-save hook: remove outputs and execution counts from a notebook model, in place.

    Jupyter calls it with keyword arguments ``model``, ``path`` and ``contents_manager`` before
    every save; ``model["content"]`` is the notebook as a dict (nbformat 4). Other files pass
    through untouched.

    Args:
        model: the contents model being saved.
        **_kwargs: ``path``, ``contents_manager`` (unused).
    """
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    notebook = model["content"]
    for cell in notebook.get("cells") or []:
        if not isinstance(cell, dict):
            continue
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        metadata = cell.get("metadata")
        if isinstance(metadata, dict):
            for key in CELL_METADATA_DROPPED:
                metadata.pop(key, None)
    metadata = notebook.get("metadata")
    if isinstance(metadata, dict):
        for key in NOTEBOOK_METADATA_DROPPED:
            metadata.pop(key, None)


if "get_config" in globals():  # read by Jupyter as a config file (tests import the hook with runpy)
    import warnings

    from jupyter_server.services.contents.manager import ContentsManager

    # The server applies its configuration a second time once its extensions are loaded, which sets the
    # same hook again; traitlets then warns that the hook is being replaced (by itself).
    warnings.filterwarnings("ignore", message=r"Overriding existing pre_save_hook \(strip_outputs\)")
    c = get_config()  # noqa: F821 - provided by traitlets when Jupyter loads this file
    c.ContentsManager.pre_save_hook = strip_outputs
    c.ContentsManager.hide_globs = [*ContentsManager.hide_globs.default(), "jupyter_server_config.py"]
    c.LabApp.news_url = None
    c.LabApp.check_for_updates_class = "jupyterlab.handlers.announcements.NeverCheckForUpdate"
