"""The project's user-facing error type.

Owns: :class:`ConfigError`, raised for every problem a user can fix (a setting, a file, an
argument); the CLI prints its message as one line and exits with code 2. Must not: import
anything from the project (every layer raises it).
"""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """A configuration problem, with a one-line message naming field, value and what is allowed."""
