"""One frozen, validated parameter object, and the loader for shipped YAML scenarios.

Everything that builds a model (CLI, notebooks, sweeps, tests) goes through :class:`Config`.
Variants come from :meth:`Config.with_updates` (``model_copy`` underneath), never from mutation.
Scenario files in ``configs/`` may ``extends: baseline`` and override any part of it.
"""

from __future__ import annotations

import importlib.resources
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from .errors import ConfigError
from .safeyaml import loads, read_yaml
from .schema import Settings
from .strategy import PRESETS, Strategy, resolve_strategy

__all__ = [
    "Config", "MarketConfig", "NetworkConfig", "SellerGroup", "ConfigError",
    "load_scenario", "scenario_names", "CONFIG_DIR", "parse_assignment", "format_validation_error",
]

CONFIG_DIR = Path(str(importlib.resources.files("sim").joinpath("configs")))
"""The shipped scenarios, sweeps and validation settings: package data read through
``importlib.resources`` (so a wheel installed anywhere finds them); ``configs/`` in a checkout
links here."""

WEEKS_PER_YEAR = 52
"""One step is a week; the one definition every module uses to turn weeks into years."""



class MarketConfig(Settings):
    """Market-wide behaviour. Hours, price and quality live here so every seller gets the same."""

    customers: int = Field(2000, ge=10, le=2_000_000, description="Number of customers. [count, 10..2,000,000]")
    hours_per_week: float = Field(20.0, gt=0.0, le=80.0, description="Selling hours per seller per week, equal for all. [hours, >0..80]")
    price: float = Field(100.0, gt=0.0, le=1e6, description="Price of one sale, equal for all sellers. [currency, >0]")
    fit_mean: float = Field(0.65, ge=0.05, le=0.95, description="Mean fit of any seller's offering with a need (product quality), equal for all sellers. [0.05..0.95]")
    fit_concentration: float = Field(6.0, ge=0.5, le=200.0, description="Beta concentration of fit draws; higher = fits closer to the mean. [0.5..200]")
    presentation_minutes: float = Field(30.0, ge=1.0, le=240.0, description="Minutes one presentation takes, for every seller. [minutes, 1..240]")
    recovery_minutes: float = Field(60.0, ge=0.0, le=480.0, description="Minutes needed to own and fix one service failure. [minutes, 0..480]")
    recovery_refund: float = Field(0.5, ge=0.0, le=1.0, description="Money one fixed failure costs the seller (a redo at cost or a refund), as a share of the price; it is subtracted from the week's revenue. [share of price, 0..1]")
    baseline_trust: float = Field(0.45, ge=0.0, le=1.0, description="Market-wide starting trust before skepticism. [0..1]")
    skepticism_mean: float = Field(0.3, ge=0.0, le=0.95, description="Mean customer skepticism; starting trust = baseline_trust x (1 - skepticism). [0..0.95]")
    skepticism_concentration: float = Field(8.0, ge=0.5, le=200.0, description="Beta concentration of skepticism across customers. [0.5..200]")
    trust_noise: float = Field(0.05, ge=0.0, le=0.3, description="Std. dev. of each customer's idiosyncratic starting trust toward each seller. [0..0.3]")
    trust_threshold: float = Field(0.6, ge=0.05, le=0.95, description="Trust at which buying and referring become likely ('once trust reaches a certain point, business will follow'). [0.05..0.95]")
    threshold_width: float = Field(0.08, ge=0.01, le=0.5, description="Width of the logistic step around the threshold; small = steep. [0.01..0.5]")
    commitment: float = Field(0.2, ge=0.0, le=0.5, description="Trust-equivalent boost at the close for a customer who sat through a presentation (commitment and consistency). [0..0.5]")
    trust_gain_per_minute: float = Field(0.001, ge=0.0, le=0.05, description="Trust gained per genuinely interested contact minute in a contact's first minutes (times 1 - trust; saturates, see contact_saturation_minutes). [per minute, 0..0.05]")
    contact_saturation_minutes: float = Field(15.0, ge=1.0, le=120.0, description="Minutes over which a contact's trust gain saturates: gain = trust_gain_per_minute x tau x (1 - exp(-minutes / tau)), so longer contacts buy less per minute ('5 to 20 minutes' of attention [003]). [minutes, 1..120]")
    listening_share: float = Field(0.6, ge=0.0, le=2.0, description="Extra conversation time at full genuine interest: a contact lasts minutes_per_contact x (1 + listening_share x genuine_interest) (the customer talks; talk-to-listen ratios, docs/ODD.md). [fraction, 0..2]")
    log_minutes: float = Field(2.0, ge=0.0, le=30.0, description="Admin minutes per contact for a seller who keeps a full customer log (times keeps_log). [minutes, 0..30]")
    ask_minutes: float = Field(2.0, ge=0.0, le=30.0, description="Minutes of customer time one request takes after a sale (asking for a referral, inviting a review). [minutes, 0..30]")
    ask_annoyance: float = Field(0.03, ge=0.0, le=0.3, description="Trust lost by a buyer asked for a referral who gives none (a disappointed buyer never does). [0..0.3]")
    log_bonus: float = Field(0.5, ge=0.0, le=3.0, description="Extra trust from follow-ups by a seller who keeps a customer log (multiplier - 1). [0..3]")
    trust_decay: float = Field(0.01, ge=0.0, le=0.5, description="Weekly decay of trust toward the customer's baseline without contact. [per week, 0..0.5]")
    pressure_close_lift: float = Field(0.1, ge=0.0, le=0.5, description="Added acceptance/close probability at full pressure (times the remaining headroom). [0..0.5]")
    pressure_trust_cost: float = Field(0.01, ge=0.0, le=0.3, description="Trust lost per pitch at full pressure ('we know deep inside that this is just a sales technique'). [0..0.3]")
    pressure_regret: float = Field(0.2, ge=0.0, le=1.0, description="Satisfaction lost after a sale closed under full pressure. [0..1]")
    attention: float = Field(0.7, ge=0.0, le=1.0, description="Chance that a cold-contacted customer with an open need gives the seller their attention (becomes a prospect). [0..1]")
    attention_weeks: int = Field(4, ge=1, le=52, description="A customer tolerates one contact per seller in this many weeks; pitches more often cost trust. [weeks, 1..52]")
    contact_records: bool = Field(True, description="Every seller keeps contact records (who it contacted and when) and never cold-calls anyone it contacted within attention_weeks. False = a careless dialer that re-pitches at random (fatigue_cost applies).")
    fatigue_cost: float = Field(0.02, ge=0.0, le=0.3, description="Trust lost when cold-pitched again within attention_weeks (only without contact_records). [0..0.3]")
    recurring_needs: bool = Field(True, description="Needs come back after a purchase (repeat business). False = one-off purchases.")
    purchase_cycle_weeks: float = Field(18.0, ge=1.0, le=1040.0, description="Mean weeks between a customer's needs. [weeks, 1..1040]")
    turnover_per_year: float = Field(0.10, ge=0.0, le=0.5, description="Share of customers who leave the market in a year (moving away), each replaced by a newcomer drawn from the same distributions (about 10%/year: U.S. household mover rate, see docs/ODD.md). 0 = a fixed population. [per year, 0..0.5]")
    need_patience_weeks: int = Field(8, ge=1, le=104, description="Weeks an open need waits for a seller before it is resolved by the outside option (other vendors, doing without). [weeks, 1..104]")
    experience_weight: float = Field(0.3, ge=0.0, le=1.0, description="How far one purchase experience moves trust (toward 1 if satisfied, 0 if not). [0..1]")
    honesty_gain: float = Field(0.05, ge=0.0, le=0.5, description="Trust gained when a seller honestly declines a poor-fit sale. [0..0.5]")
    failure_rate: float = Field(0.1, ge=0.0, le=1.0, description="Chance of a service failure after any sale, equal for all sellers. [0..1]")
    complaint_rate: float = Field(0.3, ge=0.0, le=1.0, description="Chance a customer reports a failure unasked (otherwise only a follow-up finds it). [0..1]")
    failure_cost: float = Field(0.5, ge=0.0, le=1.0, description="Satisfaction lost to an unfixed failure. [0..1]")
    recovery_bonus: float = Field(0.05, ge=-0.5, le=0.5, description="Satisfaction change when a failure is owned and fixed (service recovery). [-0.5..0.5]")
    ignored_cost: float = Field(0.1, ge=0.0, le=0.5, description="Extra trust lost when a reported problem, or a customer who came to buy, is ignored. [0..0.5]")
    reviews: bool = Field(True, description="Public reviews exist in this market.")
    review_readers: float = Field(0.76, ge=0.0, le=1.0, description="Share of customers who read a seller's reviews before choosing (essay 002: 76%). [0..1]")
    review_weight: float = Field(0.1, ge=0.0, le=1.0, description="Trust shift a reader gets from a seller's rating at full confidence (5 stars = +weight, 1 star = -weight). [0..1]")
    review_prior: float = Field(10.0, ge=0.0, le=1000.0, description="Pseudo-count of reviews before a rating is fully trusted. [count, 0..1000]")
    review_base_rate: float = Field(0.05, ge=0.0, le=1.0, description="Chance a neutral customer writes a review unasked. [0..1]")
    review_extremity: float = Field(0.25, ge=0.0, le=1.0, description="Extra review chance for very pleased or very upset customers. [0..1]")
    review_ask_lift: float = Field(0.2, ge=0.0, le=1.0, description="Extra review chance when the seller invites one. [0..1]")
    review_crowding: float = Field(0.15, ge=0.0, le=1.0, description="Share of an invited buyer's own motive to review that the invitation crowds out: their unprompted review chance is multiplied by 1 - review_crowding before review_ask_lift is added (TripAdvisor's review solicitation cut organic reviews by 15.5%). [0..1]")
    talk_rate: float = Field(0.2, ge=0.0, le=1.0, description="Chance a customer tells friends about a purchase, before extremity. [0..1]")
    talk_extremity: float = Field(0.4, ge=0.0, le=1.0, description="Extra chance of telling friends when very pleased or very upset. [0..1]")
    wom_weight: float = Field(0.1, ge=0.0, le=1.0, description="How far a friend's story moves trust toward the seller. [0..1]")
    referral_rate: float = Field(0.15, ge=0.0, le=1.0, description="Chance a friend with an open need who hears a good story becomes a referral. [0..1]")
    referral_ask_lift: float = Field(0.25, ge=0.0, le=1.0, description="Extra referral chance when the seller asks for referrals. [0..1]")
    outbound_contact: bool = Field(True, description="Sellers contact customers (cold calls, keeping in touch). False leaves only customers who come by themselves (the Bass-diffusion limit).")
    outside_influence: float = Field(0.0, ge=0.0, le=1.0, description="Weekly chance that a customer who has never bought decides to buy on outside influence (media, advertising): Bass p. 0 = off. [per week, 0..1]")
    imitation: float = Field(0.0, ge=0.0, le=1.0, description="Weekly chance of deciding to buy per unit share of customers who already bought (ongoing word of mouth in a fully mixed market): Bass q. 0 = off. [per week, 0..1]")
    repeat_probability: float | None = Field(None, ge=0.0, lt=1.0, description="If set, after each purchase the customer buys again from the same seller at the next need with this probability, else never again; replaces trust-driven repeat business (the lifetime-value limit). [0..1)")
    discount_rate: float = Field(0.05, ge=0.0, le=1.0, description="Annual discount rate for discounted revenue and lifetime value. [per year, 0..1]")


class NetworkConfig(Settings):
    """Customers' friendship network."""

    kind: Literal["none", "small_world", "scale_free", "random"] = Field(
        "small_world", description="Network type; 'none' switches word of mouth and referrals off.")
    mean_degree: float = Field(6.0, ge=0.0, le=100.0, description="Mean number of friends. [0..100]")
    rewire: float = Field(0.1, ge=0.0, le=1.0, description="Small-world rewiring probability. [0..1]")


class SellerGroup(Settings):
    """A number of sellers sharing one strategy."""

    strategy: str = Field(description="Preset name (numbers_game, relationship) or a name from 'strategies'.")
    count: int = Field(1, ge=1, le=200, description="Number of sellers with this strategy. [1..200]")


class Config(Settings):
    """A complete, validated scenario: market, network, sellers, horizon and seed."""

    name: str = Field("custom", description="Scenario name.")
    description: str = Field("", description="One or two sentences: what the scenario shows.")
    weeks: int = Field(520, ge=1, le=5200, description="Horizon in weeks (one step = one week). [1..5200]")
    seed: int = Field(42, ge=0, le=2**63 - 1, description="Random seed (results are identical for the same seed).")
    market: MarketConfig = Field(default_factory=MarketConfig,
                                 description="Market-wide behaviour, equal for all sellers.")
    network: NetworkConfig = Field(default_factory=NetworkConfig, description="Customers' friendship network.")
    strategies: dict[str, Strategy] = Field(default_factory=dict, description="Custom strategies by name.")
    sellers: tuple[SellerGroup, ...] = Field(
        default=(SellerGroup(strategy="numbers_game", count=2), SellerGroup(strategy="relationship", count=2)),
        description="Seller groups; the first is the incumbent, the second the challenger in ratios.",
    )

    @field_validator("name", "description")
    @classmethod
    def _printable(cls, value: str, info: ValidationInfo) -> str:
        bad = [ch for ch in value if not (ch.isprintable() or ch in "\n\t ")]
        if bad or (info.field_name == "name" and ("\n" in value or len(value) > 200)):
            raise ValueError("must be printable text (no control characters; a name is one line of at most 200)")
        return value

    @field_validator("strategies", mode="before")
    @classmethod
    def _expand_presets(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        def expand(name: str, seen: tuple[str, ...]) -> Any:
            spec = value[name]
            if not isinstance(spec, dict) or "preset" not in spec:
                return spec
            knobs = dict(spec)
            base = knobs.pop("preset")
            if base in PRESETS:
                start = PRESETS[base].model_dump()
            elif isinstance(base, str) and base in value and base not in seen:
                start = expand(base, seen + (name,))
                start = start.model_dump() if isinstance(start, Strategy) else dict(start)
            else:
                allowed = ", ".join(sorted(set(PRESETS) | set(value) - {name}))
                raise ValueError(f"strategies.{name}.preset = {base!r}: allowed {allowed}")
            return {**start, **knobs}   # validated as a Strategy by pydantic, so errors name the path

        out = {}
        for name in value:
            if name in PRESETS:
                raise ValueError(f"custom strategy name {name!r} clashes with a preset name")
            out[name] = expand(name, ())
        return out

    @model_validator(mode="after")
    def _check_sellers(self) -> Config:
        if not self.sellers:
            raise ValueError("sellers: at least one seller group is needed")
        allowed = set(PRESETS) | set(self.strategies)
        for group in self.sellers:
            if group.strategy not in allowed:
                raise ValueError(
                    f"sellers.strategy = {group.strategy!r}: allowed {', '.join(sorted(allowed))}")
        if sum(g.count for g in self.sellers) > 200:
            raise ValueError("sellers: at most 200 sellers in total")
        if len({g.strategy for g in self.sellers}) != len(self.sellers):
            raise ValueError("sellers: each strategy may appear in only one group")
        n = self.market.customers
        if self.network.kind != "none" and self.network.mean_degree >= n:
            raise ValueError(f"network.mean_degree = {self.network.mean_degree}: must be below market.customers ({n})")
        return self

    # ----------------------------------------------------------------------------------------
    @property
    def n_sellers(self) -> int:
        """Total number of sellers."""
        return sum(g.count for g in self.sellers)

    def strategy(self, name: str) -> Strategy:
        """The strategy object for a group's strategy name."""
        return resolve_strategy(name, self.strategies)

    def with_updates(self, updates: dict[str, Any] | None = None, **flat: Any) -> Config:
        """Return a validated copy with dotted-path updates, e.g. ``{"market.customers": 500}``.

        ``sellers=N`` sets the total number of sellers, split evenly across the groups.
        Keyword arguments may use ``__`` instead of ``.``.
        """
        merged = {**(updates or {}), **{k.replace("__", "."): v for k, v in flat.items()}}
        data = self.model_dump(mode="python")
        for path, value in merged.items():
            if path == "sellers" and isinstance(value, int):
                data["sellers"] = _split_sellers(data["sellers"], value)
                continue
            _set_path(data, path, value)
        return validate_config(data)


def _split_sellers(groups: list[dict[str, Any]], total: int) -> list[dict[str, Any]]:
    if not isinstance(total, int) or total < len(groups):
        raise ConfigError(f"sellers = {total!r}: need at least one seller per strategy group ({len(groups)})")
    base, extra = divmod(total, len(groups))
    return [{**g, "count": base + (1 if i < extra else 0)} for i, g in enumerate(groups)]


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    if not all(keys):
        raise ConfigError(f"{_shown(path)}: empty part in a dotted setting name")
    if keys[0] == "strategies" and len(keys) >= 3:   # a knob of a custom strategy (len 2 defines one)
        defined = data.get("strategies") or {}
        if keys[1] not in defined:
            hint = (f"{keys[1]!r} is a preset; to change a preset's knob for one group, define a custom strategy "
                    "with 'preset:' in a scenario file" if keys[1] in PRESETS else
                    f"defined: {', '.join(sorted(defined)) or 'none'} (define new strategies in a scenario file)")
            raise ConfigError(f"{_shown(path)}: unknown strategy {keys[1]!r}; {hint}")
    node: Any = data
    for i, key in enumerate(keys[:-1]):
        if isinstance(node, dict) and key in node and isinstance(node[key], dict):
            node = node[key]
        else:
            raise ConfigError(f"{_shown(path)}: unknown setting {'.'.join(keys[: i + 1])!r}")
    if not isinstance(node, dict):
        raise ConfigError(f"{_shown(path)}: cannot set a value here")
    if keys[-1] not in node and not (keys[0] == "strategies" and len(keys) in (2, 3)):
        raise ConfigError(f"{_shown(path)}: unknown setting {keys[-1]!r}; allowed: {', '.join(sorted(node))}")
    node[keys[-1]] = value


def format_validation_error(err: ValidationError) -> str:
    """One line per problem: the field path, the value given and what is allowed."""
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"])
        value = e.get("input")
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            lines.append(f"{loc}: unknown setting (check the spelling)")
            continue
        shown = repr(value) if not isinstance(value, dict) else "{...}"
        if isinstance(value, float) and math.isnan(value):
            shown = "nan"
        lines.append(f"{loc or 'config'} = {shown}: {msg}" if loc else f"config: {msg}")
    return "; ".join(lines)


def validate_config(data: dict[str, Any]) -> Config:
    """Build a :class:`Config` from plain data, raising :class:`ConfigError` with a clear message."""
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err)) from None


def _read_yaml(path: Path) -> dict[str, Any]:
    data = read_yaml(path, "scenario file")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a scenario file must be a mapping of settings")
    return data


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "strategies":
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _resolve_file(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if isinstance(name_or_path, Path) or p.suffix in (".yaml", ".yml") or p.exists() or len(p.parts) > 1:
        if p.is_dir():
            raise ConfigError(f"scenario {str(p)!r} is a directory; give a .yaml file or a shipped scenario name")
        if not p.exists():
            raise ConfigError(f"scenario file {str(p)!r} does not exist")
        return p
    name = str(name_or_path)
    candidate = CONFIG_DIR / f"{name}.yaml"
    if not name or not candidate.is_file():
        shipped = scenario_names()
        if not shipped:
            raise ConfigError(f"unknown scenario {_shown(name)}: no shipped scenarios found in {CONFIG_DIR} (the "
                              "package data is missing: reinstall the package)")
        raise ConfigError(f"unknown scenario {_shown(name)}; shipped: {', '.join(shipped)}")
    return candidate


def _shown(text: str, limit: int = 80) -> str:
    """``repr`` of user text for a message: control characters escaped, long text cut."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"


MAX_EXTENDS = 16
"""Longest chain of ``extends:`` (a scenario extending one that extends another ...)."""


def _load_raw(name_or_path: str | Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = _resolve_file(name_or_path).resolve()
    if path in seen:
        raise ConfigError(f"{path.name}: 'extends' forms a loop")
    if len(seen) >= MAX_EXTENDS:
        raise ConfigError(f"{seen[0].name}: 'extends' chain longer than {MAX_EXTENDS} files")
    data = _read_yaml(path)
    data.setdefault("name", path.stem)
    parent = data.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str) or not parent:
            raise ConfigError(f"{path.name}: extends = {parent!r}: must be a scenario name")
        sibling = path.parent / f"{parent}.yaml"
        base_path = sibling if sibling.exists() else parent
        data = _deep_merge(_load_raw(base_path, seen + (path,)), data)
    return data


def load_scenario(name_or_path: str | Path = "baseline", updates: dict[str, Any] | None = None,
                  **overrides: Any) -> Config:
    """Load a shipped scenario by name (``"baseline"``, ``"two_cobblers"``…) or a YAML file.

    Args:
        name_or_path: a name from :func:`scenario_names` or a path to a YAML file.
        updates: dotted-path overrides, e.g. ``{"market.customers": 500}``.
        **overrides: the same with ``__`` for ``.``; ``weeks=``, ``seed=`` and ``sellers=`` work
            directly.

    Returns:
        The validated config.

    Raises:
        ConfigError: unknown scenario, bad YAML, unknown keys or out-of-range values.
    """
    raw = _load_raw(name_or_path)
    cfg = validate_config(raw)
    if updates or overrides:
        cfg = cfg.with_updates(updates, **overrides)
    return cfg


def scenario_names() -> list[str]:
    """Names of the shipped scenarios (package data ``sim/configs/*.yaml``, linked as ``configs/``)."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse ``key.path=value`` (value read as YAML: numbers, booleans, strings)."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected key.path=value")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key:
        raise ConfigError(f"--set {text!r}: empty key")
    try:
        value = loads(raw, f"--set {key}")
    except ConfigError:
        value = raw
    return key, value
