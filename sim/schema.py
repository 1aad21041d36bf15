"""The base of every settings model (market, network, sellers, strategies, sweeps, clients).

Owns: the rules every settings object shares: frozen (variants come from ``model_copy``),
unknown keys refused (typos fail), no NaN or infinity, and no booleans where a number is
expected (``weeks: true`` would otherwise run one week). Must not: hold any field of its own.
"""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

__all__ = ["Settings"]


class Settings(BaseModel):
    """Frozen pydantic model that forbids unknown keys, NaN/inf and booleans given as numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool) and info.field_name is not None:
            annotation = cls.model_fields[info.field_name].annotation
            allowed = (annotation, *get_args(annotation))
            if bool not in allowed and any(t in allowed for t in (int, float)):
                raise ValueError("expected a number, got a boolean (true/false)")
        return value
