"""numba's types for the groups of the kernels' state inside compiled code: structure references.

Owns: one ``StructRef`` type and one Python proxy per group of :class:`~.state.State`
(:class:`StateRef`, :class:`TrustRef`, :class:`CustomersRef`, :class:`SellersRef`,
:class:`ScratchRef`, :class:`WeekRef`, :class:`RecordRef`). A ``NamedTuple`` of arrays is copied
field by field whenever compiled code reads it, each array's reference count touched; a structure
reference is counted once, so reading a group costs one count. :mod:`.state` gives the proxies
their fields (the ``NamedTuple`` s' names) and builds them.

Must not: hold rules, arrays or field lists of its own (the field names live in :mod:`.state`).
"""

from __future__ import annotations

from typing import Any

from numba import types
from numba.experimental import structref

__all__ = ["StateRef", "TrustRef", "CustomersRef", "SellersRef", "ScratchRef", "WeekRef", "RecordRef"]


class _Group(types.StructRef):
    """numba's type of one group of the state inside compiled code (a reference, counted once)."""

    def preprocess_fields(self, fields: Any) -> tuple:
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


@structref.register
class _StateType(_Group):
    """numba's type of :class:`~.state.State` inside compiled code."""


@structref.register
class _TrustType(_Group):
    """numba's type of :class:`~.state.Trust` inside compiled code."""


@structref.register
class _CustomersType(_Group):
    """numba's type of :class:`~.state.Customers` inside compiled code."""


@structref.register
class _SellersType(_Group):
    """numba's type of :class:`~.state.Sellers` inside compiled code."""


@structref.register
class _ScratchType(_Group):
    """numba's type of :class:`~.state.Scratch` inside compiled code."""


@structref.register
class _WeekType(_Group):
    """numba's type of :class:`~.state.Week` inside compiled code."""


@structref.register
class _RecordType(_Group):
    """numba's type of :class:`~.state.Record` inside compiled code."""


class StateRef(structref.StructRefProxy):
    """:class:`~.state.State` as compiled code holds it: each group a reference (same field names)."""


class TrustRef(structref.StructRefProxy):
    """:class:`~.state.Trust` as compiled code holds it (same fields)."""


class CustomersRef(structref.StructRefProxy):
    """:class:`~.state.Customers` as compiled code holds it (same fields)."""


class SellersRef(structref.StructRefProxy):
    """:class:`~.state.Sellers` as compiled code holds it (same fields)."""


class ScratchRef(structref.StructRefProxy):
    """:class:`~.state.Scratch` as compiled code holds it (same fields)."""


class WeekRef(structref.StructRefProxy):
    """:class:`~.state.Week` as compiled code holds it (same fields)."""


class RecordRef(structref.StructRefProxy):
    """:class:`~.state.Record` as compiled code holds it (same fields)."""
