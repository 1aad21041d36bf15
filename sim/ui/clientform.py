"""The dashboard's form for a client's market: pick a client file or fill in the client's figures.

Owns :class:`ClientForm`: a picker of the client files in ``configs/clients/`` (the shipped
template and any file put there, and those in ``$SIM_CLIENTS_DIR``) plus "fill in the form", and
one field per figure a consultant knows (:data:`FORM_FIELDS`: customers, selling hours, average
deal, sellers, the observed yearly funnel per seller, the repeat-customer share, the current way
of selling as a preset). Picking a file fills the fields from it; the file's other settings
(labels, competitors, market settings, tolerances) are kept unless a field changes them.
:meth:`ClientForm.client` validates the values with the same schema as ``python -m sim client``
(:func:`sim.client.client_from_dict`) and raises :class:`sim.errors.ConfigError` with one line
naming the field, its value and what is allowed.

The number fields are unbounded on purpose: a value out of range is not clamped silently, it is
refused with the schema's message. The text fields only name things (the client, its two ways of
selling); nothing typed here ever becomes a path.

Must not: calibrate or run the model (:mod:`sim.ui.clientpanel`), or word results.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import ipywidgets as W

from ..client.schema import EXAMPLE, ClientMarket, client_from_dict, load_client
from ..errors import ConfigError
from ..safeyaml import read_yaml
from ..strategy import PRESETS

__all__ = ["ClientForm", "FORM_FIELDS", "FORM", "client_files", "preset_label"]

FORM = "(fill in the form)"
"""The picker's entry for a client described in the form alone."""

FORM_FIELDS: dict[str, tuple[str, str]] = {
    "customers": ("customers in the market", "Everybody who could buy from the client or a rival (20 to 200,000)."),
    "hours_per_week": ("selling hours / week", "Selling hours per seller per week (more than 0, at most 80)."),
    "price": ("average deal", "Revenue of one sale (more than 0)."),
    "sellers": ("client's sellers", "Number of the client's sellers (1 to 100)."),
    "funnel.leads": ("leads / seller / year", "People a seller contacts about a sale in a year."),
    "funnel.prospects": ("prospects / seller / year", "Leads who listened and have a need."),
    "funnel.presentations": ("presentations / seller / year", "Prospects who sat through a presentation."),
    "funnel.sales": ("sales / seller / year", "Presentations that closed."),
    "repeat_share": ("repeat-customer share", "Share of the year's sales to customers who bought before (0 to 1)."),
}
"""The form's number fields: path in the client file -> (label, help)."""

INT_FIELDS = ("customers", "sellers")
BLANK: dict[str, Any] = {
    "name": "My client", "customers": 2000, "hours_per_week": 20, "price": 100, "sellers": 2,
    "funnel": {"leads": 5000, "prospects": 1000, "presentations": 150, "sales": 50},
    "repeat_share": 0.1, "current": "numbers_game",
}
"""What the form shows before a file is picked (plausible figures; replace them with the client's)."""


def client_files(folder: Path | None = None) -> dict[str, Path]:
    """The client files offered, by file name: ``configs/clients/*.yaml`` (the shipped template first).

    Then those in ``folder`` (default ``$SIM_CLIENTS_DIR``: the consultant's own folder, chosen by whoever
    runs the server, never by a visitor).
    """
    extra = folder if folder is not None else (Path(os.environ["SIM_CLIENTS_DIR"])
                                               if os.environ.get("SIM_CLIENTS_DIR") else None)
    files = sorted(EXAMPLE.parent.glob("*.yaml"), key=lambda p: (p != EXAMPLE, p.name))
    if extra is not None and extra.resolve() != EXAMPLE.parent.resolve():
        files += sorted(p for p in extra.glob("*.yaml") if p.name not in {f.name for f in files})
    return {p.name: p for p in files}


def preset_label(name: str) -> str:
    """A preset's name for people: ``numbers_game`` -> ``Numbers game``."""
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


class ClientForm:
    """Pick a client file or fill in the client's figures; :meth:`client` validates them.

    Args:
        folder: where client files are looked for (default ``configs/clients/``).
        source: the entry picked first (a file name in the folder, or :data:`FORM`); default the template.

    Attributes:
        source: the picker; fields: the number fields by path; name, current: the name and the
            current way of selling (``"file"`` keeps the file's, which may be tuned knobs).
        widget: the form.
    """

    def __init__(self, folder: Path | None = None, source: str | None = None) -> None:
        self.files = client_files(folder)
        options = [*self.files, FORM]
        self.base: dict[str, Any] = {}
        self._quiet = False
        self.source = W.Dropdown(options=options, value=source or (options[0] if self.files else FORM),
                                 description="client", style={"description_width": "60px"},
                                 layout=W.Layout(width="390px"))
        self.source.add_class("sim-client-source")
        self.name = W.Text(description="name", style={"description_width": "60px"}, layout=W.Layout(width="390px"))
        self.name.add_class("sim-client-name")
        self.fields: dict[str, W.Widget] = {}
        rows = []
        for path, (label, help_text) in FORM_FIELDS.items():
            cls = W.IntText if path in INT_FIELDS else W.FloatText
            w = cls(description=label, style={"description_width": "190px"}, layout=W.Layout(width="330px"))
            w.tooltip = help_text
            w.add_class(f"sim-client-{path.replace('.', '-')}")
            self.fields[path] = w
            rows.append(w)
        self.current = W.Dropdown(description="sells today", style={"description_width": "90px"},
                                  layout=W.Layout(width="390px"))
        self.current.add_class("sim-client-current")
        self.source.observe(lambda _c: self.load(), names="value")
        self.widget = W.VBox([self.source, self.name, *rows, self.current])
        self.widget.add_class("sim-client-form")
        self.load()

    def load(self) -> None:
        """Fill the fields from the picked file (or the blank form); an unreadable file leaves a blank form."""
        self.error: str | None = None
        data: Any = BLANK
        if self.source.value != FORM:
            try:
                data = read_yaml(self.files[self.source.value], "client file")
                load_client(self.files[self.source.value])
            except ConfigError as err:
                self.error, data = str(err), BLANK
        self.base = dict(data) if isinstance(data, dict) else dict(BLANK)
        self._quiet = True
        try:
            self.name.value = str(self.base.get("name", ""))
            for path, w in self.fields.items():
                value = _get(self.base, path)
                w.value = (int(value) if path in INT_FIELDS else float(value)) if isinstance(value, (int, float)) \
                    else 0
            current = self.base.get("current")
            labels = self.base.get("labels") or {}
            options = [(f"{preset_label(n)} (preset)", n) for n in PRESETS]
            if current is not None and not (isinstance(current, str) and current in PRESETS):
                label = labels.get("current") if isinstance(labels, dict) else None
                options.insert(0, (f"{label or 'as in the file'} (the file's knobs)", "file"))
            self.current.options = options
            self.current.value = current if isinstance(current, str) and current in PRESETS else options[0][1]
        finally:
            self._quiet = False

    def values(self) -> dict[str, Any]:
        """The client as plain data: the picked file's settings with the form's fields on top."""
        data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.base.items()}
        data["name"] = self.name.value
        for path, w in self.fields.items():
            _set(data, path, w.value)
        if self.current.value != "file":
            if data.get("current") != self.current.value:   # a new way of selling today: its own label
                labels = dict(data.get("labels") or {}) if isinstance(data.get("labels") or {}, dict) else {}
                labels.pop("current", None)
                data["labels"] = labels
            data["current"] = self.current.value
        return data

    def client(self) -> ClientMarket:
        """The validated client market.

        Raises:
            ConfigError: one line naming each bad field, its value and what is allowed.
        """
        return client_from_dict(self.values(), where="client form")

    def set(self, path: str, value: Any) -> None:
        """Set a field by its path (``customers``, ``funnel.sales``, ``name``, ``current``), as a visitor would."""
        widget = {"name": self.name, "current": self.current, "source": self.source}.get(path) or self.fields[path]
        widget.value = value

    def on_change(self, callback: Any) -> None:
        """Call ``callback()`` after a visitor changes any field (not while a file is being loaded)."""
        for w in (self.name, self.current, *self.fields.values()):
            w.observe(lambda _c: None if self._quiet else callback(), names="value")


def _get(data: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data[part] = dict(data.get(part) or {}) if isinstance(data.get(part), dict) else {}
        data = data[part]
    data[last] = value
