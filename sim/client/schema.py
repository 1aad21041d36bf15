"""The client's own market as a consultant describes it: one short YAML file, validated.

Owns: :class:`ClientMarket` (customers, selling hours, average deal, the observed yearly funnel per
seller, the repeat-customer share, the sales force and its current way of selling, optionally a
proposed one, competitors, labels, tolerances), :func:`load_client` (through
:func:`sim.safeyaml.read_yaml`) and :func:`client_config`, which turns a client market plus market
constants into an ordinary :class:`sim.Config`. Every refusal is one line naming the field, the
value and what is allowed.

Must not: run the model, fit anything (that is :mod:`sim.client.fit`) or word results.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from ..config import CONFIG_DIR, WEEKS_PER_YEAR, Config, MarketConfig, NetworkConfig, validate_config
from ..errors import ConfigError
from ..safeyaml import read_yaml
from ..schema import Settings
from ..strategy import PRESETS, Strategy

__all__ = [
    "ClientMarket", "Funnel", "Labels", "Competitors", "Tolerance", "load_client", "client_from_dict",
    "client_config", "strategy_from_spec", "EXAMPLE", "CLIENT_GROUP", "COMPETITOR_GROUP", "OWN_MARKET_FIELDS",
]

EXAMPLE = CONFIG_DIR / "clients" / "example.yaml"
"""The shipped template (``configs/clients/example.yaml``)."""

CLIENT_GROUP = "client"
"""Strategy name of the client's sellers in every config built here (the same in both arms of a
comparison, so the two arms differ only in the knobs behind this name)."""
COMPETITOR_GROUP = "competitors"
"""Strategy name of the competitors' sellers, if the client file names any."""

OWN_MARKET_FIELDS = ("customers", "hours_per_week", "price")
"""Market settings the client file gives at its top level (so ``market:`` may not repeat them)."""


def strategy_from_spec(spec: Any, where: str = "strategy") -> Strategy:
    """A preset name, a mapping of knobs (optionally with ``preset:`` to start from) or a Strategy.

    Raises:
        ValueError: unknown preset, unknown knob or a knob out of range (one line naming ``where``).
    """
    if isinstance(spec, Strategy):
        return spec
    if isinstance(spec, str):
        if spec not in PRESETS:
            raise ValueError(f"{where} = {spec!r}: unknown strategy; allowed: {', '.join(sorted(PRESETS))} "
                             "or a mapping of knobs (optionally with preset:)")
        return PRESETS[spec]
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: expected a preset name or a mapping of strategy knobs, got {type(spec).__name__}")
    knobs = dict(spec)
    base = knobs.pop("preset", None)
    start = strategy_from_spec(base, f"{where}.preset").model_dump() if base is not None else {}
    try:
        return Strategy(**{**start, **knobs})
    except ValidationError as err:
        raise ValueError(_format(err, prefix=f"{where}.")) from None


def _spec_name(spec: Any) -> str | None:
    if isinstance(spec, str):
        return spec
    if isinstance(spec, dict) and isinstance(spec.get("preset"), str):
        return f"{spec['preset']} (adjusted)" if len(spec) > 1 else spec["preset"]
    return None


class Funnel(Settings):
    """The observed yearly funnel of one seller (a mean over the client's sellers)."""

    leads: float = Field(
        gt=0, le=1e7,
        description="People a seller contacts about a sale in a year (cold and warm leads). [count per seller per"
                    " year, >0]")
    prospects: float = Field(
        gt=0, le=1e7,
        description="Leads who listened and have a need (qualified). [count per seller per year, >0]")
    presentations: float = Field(
        gt=0, le=1e7,
        description="Prospects who sat through a presentation or a proposal. [count per seller per year, >0]")
    sales: float = Field(gt=0, le=1e7, description="Presentations that closed. [count per seller per year, >0]")

    @model_validator(mode="after")
    def _each_stage_at_most_the_one_before(self) -> Funnel:
        stages = ("leads", "prospects", "presentations", "sales")
        for before, after in zip(stages, stages[1:], strict=False):
            low, high = getattr(self, after), getattr(self, before)
            if low > high:
                raise ValueError(f"{after} = {low:g} is more than {before} = {high:g}: each stage is a subset of "
                                 "the one before (leads >= prospects >= presentations >= sales)")
        return self


class Labels(Settings):
    """How the client calls its ways of selling (shown in tables and figures)."""

    current: str | None = Field(
        None, max_length=60,
        description="Label of the current way of selling (default: the preset's name, or 'Current').")
    proposed: str | None = Field(
        None, max_length=60,
        description="Label of the proposed way of selling (default: the preset's name, or 'Proposed').")

    @field_validator("current", "proposed")
    @classmethod
    def _one_printable_line(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or not value.isprintable()):
            raise ValueError("must be one line of printable text")
        return value


class Competitors(Settings):
    """Other sellers in the client's market; they keep their way of selling in every comparison."""

    strategy: Strategy = Field(description="Their way of selling: a preset name or strategy knobs.")
    count: int = Field(1, ge=1, le=100, description="How many competing sellers. [1..100]")


class Tolerance(Settings):
    """How close the fitted figures must come to the observed ones."""

    funnel: float = Field(
        0.25, gt=0.0, le=1.0,
        description="Relative tolerance of each funnel ratio (0.25 = within ±25%, as the project's own "
                    "calibration). [0..1]")
    repeat_share: float = Field(
        0.05, gt=0.0, le=0.5,
        description="Absolute tolerance of the repeat-customer share (0.05 = within ±5 percentage points). "
                    "[0..0.5]")
    leads: float = Field(
        0.25, gt=0.0, le=1.0,
        description="Relative tolerance of the leads per seller: a check of hours and minutes per contact, not "
                    "fitted. [0..1]")


class ClientMarket(Settings):
    """A client's market as a consultant describes it (``configs/clients/example.yaml`` is the template)."""

    name: str = Field(min_length=1, max_length=120, description="The client's name (shown in tables and files).")
    description: str = Field("", max_length=2000, description="A sentence or two about the client.")
    customers: int = Field(
        ge=20, le=200_000,
        description="Customers in the client's market: everybody who could buy from the client or its "
                    "competitors. [count, 20..200,000]")
    hours_per_week: float = Field(
        gt=0.0, le=80.0,
        description="Selling hours per seller per week (equal for every seller, the client's and competitors'). "
                    "[hours, >0..80]")
    price: float = Field(gt=0.0, le=1e6, description="Average deal: revenue of one sale. [currency, >0]")
    sellers: int = Field(ge=1, le=100, description="Number of the client's sellers. [1..100]")
    funnel: Funnel = Field(description="Observed yearly funnel per seller: leads, prospects, presentations, sales.")
    repeat_share: float = Field(
        ge=0.0, le=1.0,
        description="Share of the year's sales made to customers who had bought from the client before. [0..1]")
    current: Strategy = Field(
        description="The client's current way of selling: a preset name (numbers_game, relationship) or strategy "
                    "knobs (optionally with preset: to start from).")
    proposed: Strategy | None = Field(
        None,
        description="The way of selling to compare with (default: the relationship preset); a preset name or "
                    "knobs.")
    labels: Labels = Field(
        default_factory=Labels,
        description="Labels for the current and the proposed way of selling.")
    competitors: Competitors | None = Field(
        None,
        description="Other sellers in the market (default: none; needs nobody serves are met outside the market).")
    market: dict[str, Any] = Field(
        default_factory=dict,
        description="Other market settings, held fixed (see 'python -m sim run --help' / MarketConfig); a free "
                    "constant named here is not fitted.")
    network: NetworkConfig = Field(
        default_factory=NetworkConfig,
        description="Customers' friendship network (default: the baseline's small world).")
    observed_year: int = Field(
        1, ge=1, le=5,
        description="Simulated year the observed figures are compared with. The simulated market starts with "
                    "nobody having bought yet; 2 or 3 describe an established business better. [1..5]")
    tolerance: Tolerance = Field(default_factory=Tolerance, description="How close the fit must come to each figure.")
    seed: int = Field(42, ge=0, le=2**63 - 1, description="Base random seed of the fit and of the comparison.")

    @field_validator("name", "description")
    @classmethod
    def _printable(cls, value: str, info: Any) -> str:
        one_line = info.field_name != "name" or "\n" not in value
        if not one_line or any(not (ch.isprintable() or ch in "\n\t ") for ch in value):
            raise ValueError("must be printable text (a name is one line)")
        return value

    @model_validator(mode="before")
    @classmethod
    def _strategies_and_default_labels(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        labels = dict(data.get("labels") or {}) if isinstance(data.get("labels") or {}, dict) else data.get("labels")
        for key in ("current", "proposed"):
            if data.get(key) is None:
                continue
            if isinstance(labels, dict) and labels.get(key) is None:
                name = _spec_name(data[key])
                labels[key] = _pretty(name) if name else key.capitalize()
            data[key] = _resolved(data[key], key)
        rivals = data.get("competitors")
        if isinstance(rivals, dict) and "strategy" in rivals:
            data["competitors"] = {**rivals, "strategy": _resolved(rivals["strategy"], "competitors.strategy")}
        if isinstance(labels, dict):
            if labels.get("proposed") is None and data.get("proposed") is None:
                labels["proposed"] = _pretty("relationship")
            data["labels"] = labels
        return data

    @field_validator("market")
    @classmethod
    def _market_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if key in OWN_MARKET_FIELDS:
                raise ValueError(f"{key}: give it at the top of the client file, not under market:")
            if key not in MarketConfig.model_fields:
                raise ValueError(f"{key}: unknown market setting (check the spelling)")
        try:
            MarketConfig(**value)
        except ValidationError as err:
            raise ValueError(_format(err)) from None
        return value

    @model_validator(mode="after")
    def _builds_a_config(self) -> ClientMarket:
        try:
            client_config(self, self.current, {}, weeks=WEEKS_PER_YEAR)
        except ConfigError as err:
            raise ValueError(str(err)) from None
        return self

    @property
    def proposed_strategy(self) -> Strategy:
        """The proposed way of selling (the relationship preset when the file names none)."""
        return self.proposed if self.proposed is not None else PRESETS["relationship"]

    @property
    def current_label(self) -> str:
        """Label of the current way of selling."""
        return self.labels.current or "Current"

    @property
    def proposed_label(self) -> str:
        """Label of the proposed way of selling."""
        return self.labels.proposed or "Proposed"


def _resolved(spec: Any, where: str) -> Any:
    if isinstance(spec, (str, dict)):
        return strategy_from_spec(spec, where)
    return spec


def _pretty(name: str) -> str:
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _format(err: ValidationError, prefix: str = "") -> str:
    """One line per problem: ``field = value: what is allowed`` (mappings shown by name only)."""
    lines = []
    for e in err.errors():
        loc = prefix + ".".join(str(p) for p in e["loc"] if not str(p).startswith("function-"))
        loc = loc.rstrip(".")
        msg = e["msg"].removeprefix("Value error, ")
        value = e.get("input")
        if e["type"] == "extra_forbidden":
            lines.append(f"{loc}: unknown setting (check the spelling)")
        elif e["type"] == "missing":
            lines.append(f"{loc}: missing (required)")
        elif not loc:
            lines.append(msg)
        elif isinstance(value, dict):
            lines.append(f"{loc}: {msg}")
        else:
            lines.append(f"{loc} = {value!r}: {msg}")
    return "; ".join(lines)


def client_from_dict(data: Any, where: str = "client") -> ClientMarket:
    """Validate plain data (a parsed YAML file, a dashboard form) as a :class:`ClientMarket`.

    Raises:
        ConfigError: one line naming each bad field, its value and what is allowed.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a client file must be a mapping of settings (name, customers, funnel, ...)")
    try:
        return ClientMarket.model_validate(data)
    except ValidationError as err:
        raise ConfigError(f"{where}: {_format(err)}") from None


def load_client(path: str | Path = EXAMPLE) -> ClientMarket:
    """Read and validate a client file (default: the shipped template).

    Raises:
        ConfigError: unreadable file, bad YAML, unknown keys, out-of-range or inconsistent figures.
    """
    return client_from_dict(read_yaml(path, "client file"), where=Path(path).name)


def client_config(client: ClientMarket, strategy: Strategy, constants: dict[str, float], weeks: int,
                  seed: int | None = None) -> Config:
    """The client's market as a :class:`sim.Config`, with the client's sellers selling by ``strategy``.

    Args:
        client: the client market.
        strategy: how the client's sellers sell (the group is always named :data:`CLIENT_GROUP`).
        constants: market constants (fitted ones), by MarketConfig field name.
        weeks: horizon.
        seed: base seed (default: the client's).

    Raises:
        ConfigError: the combination is not a valid scenario (one line).
    """
    market = {**client.market, **constants, "customers": client.customers,
              "hours_per_week": client.hours_per_week, "price": client.price}
    strategies = {CLIENT_GROUP: strategy.model_dump()}
    sellers = [{"strategy": CLIENT_GROUP, "count": client.sellers}]
    if client.competitors is not None:
        strategies[COMPETITOR_GROUP] = client.competitors.strategy.model_dump()
        sellers.append({"strategy": COMPETITOR_GROUP, "count": client.competitors.count})
    return validate_config({
        "name": client.name, "description": client.description or f"The market of {client.name}.",
        "weeks": weeks, "seed": client.seed if seed is None else seed,
        "market": market, "network": client.network.model_dump(), "strategies": strategies, "sellers": sellers,
    })
