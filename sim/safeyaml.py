"""Reading the project's YAML files (scenarios, sweeps, clients) with limits, and one-line errors.

Owns: turning a path given by a user into plain data (mappings, lists, scalars), refusing what a
YAML file should never be: a directory, a binary or non-UTF-8 file, a file over the size limit,
duplicate keys, nesting deeper than the limit, more aliases than the limit (a "billion laughs"
bomb expands a few lines into gigabytes), tags that build Python objects (safe loading only).
Every refusal is a :class:`YamlError` (a :class:`sim.errors.ConfigError`) whose
message names the file, what was found and what is allowed.

Must not: know what the data means (validation of fields is :mod:`sim.config`'s and
:mod:`sim.experiments.spec`'s job), or read anything but local files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

__all__ = ["YamlError", "read_yaml", "loads", "MAX_BYTES", "MAX_DEPTH", "MAX_ALIASES"]

MAX_BYTES = 1_000_000
"""Largest YAML file read (bytes). Scenario and sweep files are a few kilobytes."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and lists."""
MAX_ALIASES = 64
"""Most ``*alias`` references in one file."""


class YamlError(ConfigError):
    """A YAML file that cannot be read as project settings; the message is one line."""


class _Loader(yaml.SafeLoader):
    """SafeLoader that counts aliases and depth while composing, and refuses duplicate keys."""

    def __init__(self, stream: str, where: str) -> None:
        super().__init__(stream)
        self._where = where
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise YamlError(f"{self._where}: more than {MAX_ALIASES} YAML aliases (line {mark.line + 1}); "
                                "write the values out instead")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise YamlError(f"{self._where}: nested deeper than {MAX_DEPTH} levels (line {mark.line + 1})")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # noqa: D102 - PyYAML hook
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise YamlError(f"{self._where}: a mapping key must be a plain value "
                                f"(line {key_node.start_mark.line + 1})") from None
            if key in seen:
                raise YamlError(f"{self._where}: duplicate key {key!r} on line {key_node.start_mark.line + 1} "
                                f"(first on line {seen[key]}); each setting may appear once")
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)


def loads(text: str, where: str = "YAML") -> Any:
    """Parse YAML text with the limits of this module; ``where`` names the source in messages."""
    loader = _Loader(text, where)
    try:
        return loader.get_single_data()
    except YamlError:
        raise
    except RecursionError:
        raise YamlError(f"{where}: nested too deeply to read") from None
    except yaml.YAMLError as err:
        text = " ".join(str(err).split())
        raise YamlError(f"{where}: not valid YAML ({text})") from None
    finally:
        loader.dispose()


def read_yaml(path: str | Path, what: str = "file", max_bytes: int = MAX_BYTES) -> Any:
    """Read a local YAML file with limits on size, encoding, nesting, aliases and duplicate keys.

    Args:
        path: the file.
        what: what the file is, for messages ("scenario file", "sweep file").
        max_bytes: size limit.

    Returns:
        The parsed data (``None`` for an empty file).

    Raises:
        YamlError: with a one-line message naming the file and the problem.
    """
    p = Path(path)
    shown = str(p)
    try:
        if p.is_dir():
            raise YamlError(f"{what} {shown!r} is a directory; give a .yaml file")
        if not p.exists():
            raise YamlError(f"{what} {shown!r} does not exist")
        if not p.is_file():
            raise YamlError(f"{what} {shown!r} is not a regular file; give a .yaml file")
        size = p.stat().st_size
        if size > max_bytes:
            raise YamlError(f"{what} {shown!r} is {size / 1e6:.1f} MB; at most {max_bytes / 1e6:g} MB is read")
        raw = p.read_bytes()
    except OSError as err:
        raise YamlError(f"{what} {shown!r} cannot be read: {err.strerror or err}") from None
    if b"\x00" in raw:
        raise YamlError(f"{what} {shown!r} is a binary file, not YAML text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise YamlError(f"{what} {shown!r} is not UTF-8 text (byte 0x{raw[err.start]:02x} at offset {err.start}); "
                        "save it as UTF-8") from None
    return loads(text, shown)
