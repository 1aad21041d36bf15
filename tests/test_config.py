"""Tests for sim.config: validation, messages, immutability, updates, YAML scenarios."""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel, ValidationError

import sim
from sim.config import Config, ConfigError, MarketConfig, NetworkConfig, SellerGroup, parse_assignment, validate_config
from sim.strategy import Strategy

ALL_MODELS: tuple[type[BaseModel], ...] = (Config, MarketConfig, NetworkConfig, SellerGroup, Strategy)


def small(**updates) -> Config:
    return sim.load_scenario("baseline", updates={"market.customers": 300, "weeks": 26, **updates})


def bounds(model: type[BaseModel], name: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for meta in model.model_fields[name].metadata:
        for key in ("ge", "le", "gt", "lt"):
            if getattr(meta, key, None) is not None:
                out[key] = getattr(meta, key)
    return out


def numeric_fields(model: type[BaseModel]) -> list[str]:
    return [n for n, f in model.model_fields.items() if f.annotation in (int, float)]


# ------------------------------------------------------------------ descriptions
@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_every_field_has_a_description(model: type[BaseModel]) -> None:
    missing = [name for name, f in model.model_fields.items() if not (f.description or "").strip()]
    assert not missing, f"{model.__name__} fields without description: {missing}"


# ------------------------------------------------------------------ unknown keys
def test_unknown_top_level_key_rejected_and_named() -> None:
    with pytest.raises(ConfigError, match="nonsense"):
        validate_config({"nonsense": 1})
    with pytest.raises(ConfigError, match="nonsense"):
        small().with_updates({"nonsense": 1})


@pytest.mark.parametrize("path", ["market.nonsense", "network.nonsense"])
def test_unknown_nested_key_rejected_and_named(path: str) -> None:
    section, key = path.split(".")
    with pytest.raises(ConfigError, match=re.escape(path)):
        validate_config({section: {key: 1}})
    with pytest.raises(ConfigError, match=re.escape(path)):
        small().with_updates({path: 1})


def test_unknown_key_below_a_scalar_rejected() -> None:
    with pytest.raises(ConfigError, match="market.customers"):
        small().with_updates({"market.customers.x": 3})


def test_unknown_strategy_knob_rejected() -> None:
    with pytest.raises(ConfigError, match="bogus"):
        validate_config({"strategies": {"mix": {"preset": "relationship", "bogus": 1}},
                         "sellers": [{"strategy": "mix"}]})


# ------------------------------------------------------------------ ranges
@pytest.mark.parametrize(
    "path, value, bound",
    [
        ("market.skepticism_mean", 1.5, "0.95"),
        ("market.skepticism_mean", -0.1, "0"),
        ("market.customers", 5, "10"),
        ("market.hours_per_week", 0, "0"),
        ("market.hours_per_week", 81, "80"),
        ("market.recovery_bonus", -0.6, "-0.5"),
        ("network.rewire", 1.2, "1"),
        ("weeks", 0, "1"),
        ("weeks", 6000, "5200"),
    ],
)
def test_out_of_range_message_names_path_value_and_bound(path: str, value: float, bound: str) -> None:
    with pytest.raises(ConfigError) as exc:
        small().with_updates({path: value})
    msg = str(exc.value)
    assert path in msg
    assert f"= {value}" in msg
    after = msg.split(f"= {value}", 1)[1]
    assert re.search(rf"(?<![\d.]){re.escape(bound)}(?![\d])", after), msg


@pytest.mark.parametrize("model", [MarketConfig, NetworkConfig, Strategy], ids=lambda m: m.__name__)
def test_every_numeric_bound_is_enforced(model: type[BaseModel]) -> None:
    """Just outside each declared bound is rejected; the bound itself (if inclusive) is accepted."""
    for name in numeric_fields(model):
        b = bounds(model, name)
        step = 1 if model.model_fields[name].annotation is int else 1e-6
        if "ge" in b:
            model(**{name: b["ge"]})
            with pytest.raises(ValidationError):
                model(**{name: b["ge"] - step})
        if "gt" in b:
            with pytest.raises(ValidationError):
                model(**{name: b["gt"]})
        if "le" in b:
            model(**{name: b["le"]})
            with pytest.raises(ValidationError):
                model(**{name: b["le"] + step})


def test_strategy_out_of_range_in_custom_strategy_names_full_path() -> None:
    """A bad knob in a custom strategy must name which strategy: strategies.<name>.<knob>."""
    for spec in ({"pressure": 1.5}, {"preset": "relationship", "pressure": 1.5}):
        with pytest.raises(ConfigError) as exc:
            validate_config({"strategies": {"mix": spec}, "sellers": [{"strategy": "mix"}]})
        assert "strategies.mix.pressure" in str(exc.value), (spec, str(exc.value))
        assert "1.5" in str(exc.value)


# ------------------------------------------------------------------ types, NaN
@pytest.mark.parametrize(
    "path, value",
    [
        ("market.customers", "lots"),
        ("market.customers", 100.5),
        ("market.reviews", "maybe"),
        ("market.price", [100]),
        ("network.kind", "ring"),
        ("weeks", "ten"),
        ("sellers", "two"),
        ("network", 3),
    ],
)
def test_wrong_types_rejected(path: str, value) -> None:
    with pytest.raises(ConfigError) as exc:
        small().with_updates({path: value})
    assert path.split(".")[0] in str(exc.value)


@pytest.mark.parametrize("path", ["market.price", "market.recovery_bonus", "market.skepticism_mean",
                                  "network.mean_degree", "weeks"])
def test_nan_rejected(path: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(path)):
        small().with_updates({path: float("nan")})


@pytest.mark.parametrize("name", numeric_fields(MarketConfig))
def test_nan_rejected_for_every_market_field(name: str) -> None:
    with pytest.raises(ConfigError):
        small().with_updates({f"market.{name}": math.nan})


@pytest.mark.parametrize("name", numeric_fields(Strategy))
def test_nan_rejected_for_every_strategy_knob(name: str) -> None:
    with pytest.raises((ValidationError, ValueError)):
        Strategy(**{name: math.nan})


def test_infinite_price_rejected() -> None:
    with pytest.raises(ConfigError, match="market.price"):
        small().with_updates({"market.price": float("inf")})


# ------------------------------------------------------------------ frozen, with_updates
def test_configs_are_frozen() -> None:
    cfg = small()
    with pytest.raises((ValidationError, TypeError, AttributeError)):
        cfg.weeks = 10  # type: ignore[misc]
    with pytest.raises((ValidationError, TypeError, AttributeError)):
        cfg.market.customers = 10  # type: ignore[misc]
    with pytest.raises((ValidationError, TypeError, AttributeError)):
        cfg.network.kind = "none"  # type: ignore[misc]
    with pytest.raises((ValidationError, TypeError, AttributeError)):
        sim.PRESETS["relationship"].pressure = 1.0  # type: ignore[misc]
    assert cfg.weeks == 26 and cfg.market.customers == 300


def test_with_updates_returns_new_validated_object() -> None:
    cfg = small()
    new = cfg.with_updates({"market.price": 250.0, "network.kind": "none"}, weeks=30)
    assert new is not cfg
    assert isinstance(new, Config)
    assert (new.market.price, new.network.kind, new.weeks) == (250.0, "none", 30)
    # original untouched
    assert (cfg.market.price, cfg.network.kind, cfg.weeks) == (100.0, "small_world", 26)
    # untouched settings carried over
    assert new.market.customers == 300 and new.sellers == cfg.sellers
    # double-underscore keyword form
    assert cfg.with_updates(market__customers=123).market.customers == 123
    # validation happens
    with pytest.raises(ConfigError):
        cfg.with_updates({"market.price": -1})


def test_with_updates_checks_cross_field_rules() -> None:
    with pytest.raises(ConfigError, match="mean_degree"):
        small().with_updates({"market.customers": 20, "network.mean_degree": 50})
    # with no network, a high degree does not matter
    small().with_updates({"market.customers": 20, "network.mean_degree": 50, "network.kind": "none"})


@pytest.mark.parametrize("total, counts", [(2, (1, 1)), (6, (3, 3)), (5, (3, 2)), (10, (5, 5)), (7, (4, 3))])
def test_sellers_n_splits_evenly(total: int, counts: tuple[int, int]) -> None:
    cfg = small().with_updates(sellers=total)
    assert tuple(g.count for g in cfg.sellers) == counts
    assert [g.strategy for g in cfg.sellers] == ["numbers_game", "relationship"]
    assert cfg.n_sellers == total


@pytest.mark.parametrize("total", [0, 1, -3])
def test_sellers_too_few_for_groups_rejected(total: int) -> None:
    with pytest.raises(ConfigError, match="sellers"):
        small().with_updates(sellers=total)


def test_sellers_limit_and_duplicates() -> None:
    with pytest.raises(ConfigError, match="sellers"):
        small().with_updates(sellers=202)
    with pytest.raises(ConfigError, match="sellers"):
        validate_config({"sellers": [{"strategy": "relationship"}, {"strategy": "relationship"}]})
    with pytest.raises(ConfigError, match="sellers"):
        validate_config({"sellers": []})
    with pytest.raises(ConfigError, match=r"sellers\.0\.count"):
        validate_config({"sellers": [{"strategy": "relationship", "count": 0}]})


# ------------------------------------------------------------------ YAML files
def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_extends_merges_deeply(tmp_path: Path) -> None:
    f = write(tmp_path / "mine.yaml", """
        extends: baseline
        weeks: 30
        market:
          customers: 333
          reviews: false
        network:
          kind: random
    """)
    cfg = sim.load_scenario(f)
    base = sim.load_scenario("baseline")
    assert cfg.weeks == 30
    assert cfg.market.customers == 333 and cfg.market.reviews is False
    # untouched nested values come from the parent
    assert cfg.market.price == base.market.price
    assert cfg.market.hours_per_week == base.market.hours_per_week
    assert cfg.network.kind == "random" and cfg.network.mean_degree == base.network.mean_degree
    assert cfg.sellers == base.sellers
    assert cfg.seed == base.seed


def test_extends_chain_and_local_parent(tmp_path: Path) -> None:
    write(tmp_path / "parent.yaml", """
        extends: baseline
        market: {customers: 444, price: 50}
    """)
    child = write(tmp_path / "child.yaml", """
        extends: parent
        market: {price: 70}
    """)
    cfg = sim.load_scenario(child)
    assert cfg.market.customers == 444 and cfg.market.price == 70
    assert cfg.network == sim.load_scenario("baseline").network


def test_extending_file_is_named_after_itself(tmp_path: Path) -> None:
    """A scenario file without ``name:`` is named after the file, not after the parent it extends."""
    f = write(tmp_path / "mine.yaml", "extends: baseline\nweeks: 30\n")
    assert sim.load_scenario(f).name == "mine"
    g = write(tmp_path / "named.yaml", "extends: baseline\nname: special\n")
    assert sim.load_scenario(g).name == "special"


def test_extends_loop_rejected(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "extends: b\n")
    write(tmp_path / "b.yaml", "extends: a\n")
    with pytest.raises(ConfigError, match="loop"):
        sim.load_scenario(tmp_path / "a.yaml")


def test_load_scenario_with_updates(tmp_path: Path) -> None:
    f = write(tmp_path / "x.yaml", "extends: baseline\nweeks: 30\n")
    cfg = sim.load_scenario(f, {"market.customers": 222}, seed=9)
    assert (cfg.weeks, cfg.market.customers, cfg.seed) == (30, 222, 9)


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", "42\n"])
def test_yaml_not_a_mapping_rejected(tmp_path: Path, text: str) -> None:
    f = write(tmp_path / "bad.yaml", text)
    with pytest.raises(ConfigError, match="mapping"):
        sim.load_scenario(f)


def test_invalid_yaml_rejected(tmp_path: Path) -> None:
    f = write(tmp_path / "broken.yaml", "market: [1, 2\nweeks: : :\n")
    with pytest.raises(ConfigError, match="YAML"):
        sim.load_scenario(f)


def test_yaml_with_bad_value_names_field(tmp_path: Path) -> None:
    f = write(tmp_path / "bad.yaml", "extends: baseline\nmarket:\n  skepticism_mean: 1.5\n")
    with pytest.raises(ConfigError, match=r"market\.skepticism_mean = 1\.5"):
        sim.load_scenario(f)


def test_missing_file_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        sim.load_scenario(tmp_path / "missing.yaml")


def test_unknown_scenario_lists_shipped_names() -> None:
    names = sim.scenario_names()
    assert "baseline" in names
    with pytest.raises(ConfigError) as exc:
        sim.load_scenario("nope")
    msg = str(exc.value)
    assert "nope" in msg
    for name in names:
        assert name in msg


def test_scenario_names_match_files() -> None:
    assert sim.scenario_names() == sorted(p.stem for p in sim.config.CONFIG_DIR.glob("*.yaml"))


@pytest.mark.parametrize("name", sim.scenario_names())
def test_shipped_scenario_is_named_after_its_file(name: str) -> None:
    assert sim.load_scenario(name).name == name


@pytest.mark.parametrize("name", sim.scenario_names())
def test_every_shipped_scenario_loads_and_runs(name: str) -> None:
    cfg = sim.load_scenario(name)
    assert cfg.description.strip(), f"scenario {name} has no description"
    small_cfg = cfg.with_updates({"market.customers": 300, "weeks": 26})
    if small_cfg.network.kind != "none" and small_cfg.network.mean_degree >= 300:
        small_cfg = small_cfg.with_updates({"network.mean_degree": 10})
    res = sim.run(small_cfg, seed=1)
    df = res.timeseries
    assert df["week"].max() == 26
    assert len(df) == 26 * small_cfg.n_sellers
    assert np.isfinite(df[["revenue", "sales", "mean_trust", "hours_used"]].to_numpy()).all()
    assert set(res.summary["strategies"]) == {g.strategy for g in small_cfg.sellers}


# ------------------------------------------------------------------ parse_assignment
@pytest.mark.parametrize(
    "text, expected",
    [
        ("market.customers=500", ("market.customers", 500)),
        ("market.price=100.5", ("market.price", 100.5)),
        ("market.reviews=false", ("market.reviews", False)),
        ("market.reviews=true", ("market.reviews", True)),
        ("network.kind=none", ("network.kind", "none")),
        (" weeks = 52", ("weeks", 52)),
        ("name=hello world", ("name", "hello world")),
        ("description=a=b", ("description", "a=b")),
    ],
)
def test_parse_assignment(text: str, expected: tuple) -> None:
    key, value = parse_assignment(text)
    assert (key, value) == expected
    assert type(value) is type(expected[1])


@pytest.mark.parametrize("text", ["nokey", "=3", "  =x"])
def test_parse_assignment_rejects(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_assignment(text)


def test_parse_assignment_feeds_with_updates() -> None:
    cfg = small()
    updates = dict(parse_assignment(t) for t in ["market.customers=250", "market.reviews=false", "network.kind=none"])
    new = cfg.with_updates(updates)
    assert (new.market.customers, new.market.reviews, new.network.kind) == (250, False, "none")
