"""Where numba keeps the compiled kernels, and making sure a damaged cache never stops a run.

Owns: choosing the cache folder before any kernel is compiled, dropping cached kernels when a
source file of this package changed, and checking every cached file before numba reads it (a file
is read back once: a listing of the files found readable, :data:`CHECKED`, skips unchanged ones). A
file that cannot be read back (truncated, empty, garbage: what a crash or a full disk during the
first compile leaves) is removed with one warning line, and numba compiles that kernel again.

The folder, in order of preference:

1. ``$NUMBA_CACHE_DIR`` when the user set it (numba's own setting), if it can be written;
2. ``__pycache__`` next to the kernels, when the package folder is writable (a checkout, a venv);
3. a per-user cache folder (``$XDG_CACHE_HOME`` or ``~/.cache``, ``relationship-selling-sim/numba``)
   when the package is installed read-only (system-wide, a container image);
4. nowhere writable (or ``SIM_KERNEL_CACHE=off``): a temporary folder removed at exit, so the
   kernels are compiled for this process only (about 20 s), with one line saying where the cache
   would have gone.

Must not: import the kernels (it runs before they are compiled) or anything of the model.
"""

from __future__ import annotations

import atexit
import glob
import hashlib
import io
import os
import pickle
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from numba.core import config as numba_config
from numba.core.caching import _CacheLocator

__all__ = ["CacheInfo", "prepare", "choose_folder", "check_files", "user_cache_folder"]

HERE = Path(__file__).resolve().parent
STAMP = "kernels-sources.sha256"
CHECKED = "kernels-checked.txt"
"""The cached files the last check found readable (name, size, modification time): unchanged ones are not read again."""


@dataclass(frozen=True)
class CacheInfo:
    """Where this process caches the kernels (``folder``) and why (``kind``)."""

    folder: Path
    kind: str   # "numba_cache_dir" | "in_tree" | "user" | "temporary"
    removed: tuple[str, ...] = ()


def _writable(folder: Path) -> bool:
    """True if ``folder`` can be created and a file written in it (tested, not guessed: root ignores modes)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
        return True
    except OSError:
        return False


def user_cache_folder() -> Path:
    """The per-user cache folder for read-only installs."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "relationship-selling-sim" / "numba"


def choose_folder(package: Path = HERE, env: dict[str, str] | None = None,
                  user: Path | None = None) -> tuple[Path | None, str, list[str]]:
    """Pick the cache folder: ``(folder or None for numba's in-tree default, kind, folders tried)``."""
    env = dict(os.environ) if env is None else env
    tried: list[str] = []
    if env.get("SIM_KERNEL_CACHE", "").strip().lower() in ("off", "0", "no", "false"):
        return None, "temporary", ["nowhere (SIM_KERNEL_CACHE=off)"]
    own = env.get("NUMBA_CACHE_DIR", "").strip()
    if own:
        if _writable(Path(own)):
            return Path(own), "numba_cache_dir", tried
        tried.append(own)
    if _writable(package / "__pycache__"):
        return None, "in_tree", tried
    tried.append(str(package / "__pycache__"))
    user = user_cache_folder() if user is None else user
    if _writable(user):
        return user, "user", tried
    tried.append(str(user))
    return None, "temporary", tried


def _kernel_files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.nbi"), *folder.glob("*.nbc")])


def _readable(path: Path) -> bool:
    """Can numba read this cached file back? Index files are unpickled; data files checked for a whole pickle."""
    try:
        raw = path.read_bytes()
    except OSError:
        return False
    if path.suffix == ".nbi":
        try:
            with io.BytesIO(raw) as fh:
                pickle.load(fh)              # numba's version stamp
                pickle.loads(fh.read())      # (source stamp, overloads)
            return True
        except Exception:   # noqa: BLE001 - any failure to unpickle means numba would fail the same way
            return False
    # data files: a complete pickle starts with the protocol opcode and ends with STOP
    return len(raw) > 2 and raw[:1] == b"\x80" and raw[-1:] == b"."


def check_files(folder: Path) -> list[str]:
    """Remove cached files numba could not read back (and the index of a damaged data file); return their names."""
    removed: list[str] = []
    for path in _kernel_files(folder):
        if path.exists() and not _readable(path):
            match = re.match(r"^(.*\.py\d+)\.", path.name)   # module.function-line.py312[.N].nb[ic]
            stem = match.group(1) if match else path.stem
            for related in [path, *folder.glob(f"{glob.escape(stem)}.*nbi"), *folder.glob(f"{glob.escape(stem)}.*nbc")]:
                if related.exists():
                    related.unlink(missing_ok=True)
                    removed.append(related.name)
    return sorted(set(removed))


def _listing(folder: Path) -> str:
    return "".join(f"{p.name} {st.st_size} {st.st_mtime_ns}\n" for p in _kernel_files(folder) for st in [p.stat()])


def _check_changed(folder: Path) -> list[str]:
    """:func:`check_files`, unless every cached file is as the last check left it (names, sizes, times: no reading).

    Reading all of them back costs about 0.05 s per start (some 25 MB); numba writes a file under a
    temporary name and renames it, so a file that changed since has another time or size.
    """
    stamp = folder / CHECKED
    try:
        listing: str | None = _listing(folder)   # before the check: a file written meanwhile is checked next time
    except OSError:   # a file vanished meanwhile (another process dropping stale kernels)
        listing = None
    try:
        if listing is not None and stamp.read_text() == listing:
            return []
    except OSError:
        pass
    removed = check_files(folder)
    if listing is not None and not removed:
        tmp = folder / f".{CHECKED}.{os.getpid()}.tmp"
        try:
            tmp.write_text(listing)
            tmp.replace(stamp)
        except OSError:
            tmp.unlink(missing_ok=True)
    return removed


def _drop_stale(folder: Path) -> None:
    """Remove the cached kernels when any source file of this package changed.

    numba checks only each function's own file, so a changed callee would leave a stale compiled caller.
    """
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(HERE.glob("*.py")))).hexdigest()
    stamp = folder / STAMP
    try:
        if stamp.read_text() == digest:
            return
    except OSError:
        pass
    try:
        for f in _kernel_files(folder):
            f.unlink(missing_ok=True)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{STAMP}.{os.getpid()}.tmp"
        tmp.write_text(digest)
        tmp.replace(stamp)
    except OSError:
        pass


def prepare() -> CacheInfo:
    """Choose the cache folder, drop stale kernels, remove damaged files; say so in one line each."""
    folder, kind, tried = choose_folder()
    if kind == "temporary":
        folder = Path(tempfile.mkdtemp(prefix="sim-numba-"))
        atexit.register(shutil.rmtree, folder, True)
        sys.stderr.write(f"warning: no writable place to cache the compiled model (tried {', '.join(tried)}); "
                         "compiling it for this process only (about 20 s)\n")
    if folder is not None:
        numba_config.CACHE_DIR = str(folder)
        files = folder / _CacheLocator.get_suitable_cache_subpath(str(HERE / "state.py"))
    else:
        files = HERE / "__pycache__"
    _drop_stale(files)
    removed = _check_changed(files) if files.is_dir() else []
    if removed:
        sys.stderr.write(f"warning: removed {len(removed)} damaged file(s) of the compiled-model cache in {files} "
                         f"({', '.join(removed[:3])}{', ...' if len(removed) > 3 else ''}); recompiling (about 20 s)\n")
    return CacheInfo(files, kind, tuple(removed))
