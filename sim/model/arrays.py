"""Small array helpers for the NumPy parts of the model."""

from __future__ import annotations

import numpy as np

__all__ = ["clip"]


def clip(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``np.clip`` without its Python-level overhead (which dominates on small arrays)."""
    return np.minimum(np.maximum(x, lo), hi)
