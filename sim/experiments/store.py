"""The results folder of a sweep: identity check, lock, resume scan that heals, batched atomic writes.

Layout of ``DIR`` (the ``--out`` folder)::

    DIR/sweep.json             the sweep spec, its hash and sizes (written once, checked on resume)
    DIR/design.parquet         one row per design point (rewritten on resume if damaged)
    DIR/runs/part-*.parquet    one row per finished run (batches, written atomically)
    DIR/series/part-*.parquet  weekly tables of the same runs (with --keep-series)
    DIR/corrupt/               damaged part files found on resume, moved aside (their runs are redone)

Every file is written under a hidden temporary name and renamed into place (:mod:`sim.atomic`,
:mod:`sim.experiments.parts`). On resume every part is read back in full; one that cannot be read
(or holds other columns) is moved to ``DIR/corrupt/`` with one line on stderr and its runs are run
again, so a damaged file never blocks a sweep.

Owns: :class:`RunStore` (refuse a folder of another sweep, one writer at a time, what is already
done, heal damaged parts, merge the parts at the end) and the readers :func:`load_runs` /
:func:`load_series`, which any process may call at any time and which skip (and name) an
unreadable part.

Must not: run the model or schedule runs (:mod:`sim.experiments.runner` feeds it rows), or change
a row: what is written is exactly what a worker returned.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from ..atomic import write_text
from ..config import ConfigError
from .outcomes import ADVANTAGE, LABEL_OUTCOMES, RESERVED_COLUMNS
from .parts import merge_parts, part_files, problem, quarantine, read_parts, write_table
from .plan import FORMAT_VERSION, SweepPlan

__all__ = ["RunStore", "SweepLockedError", "load_runs", "load_series"]


def _warn(text: str) -> None:
    print("warning: " + " ".join(text.split()), file=sys.stderr, flush=True)


def _runs_schema(plan: SweepPlan) -> Any:
    import pyarrow as pa

    types = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_()}
    fields = [pa.field("run", pa.int64(), False), pa.field("point", pa.int64(), False),
              pa.field("replicate", pa.int64(), False), pa.field("seed", pa.int64(), False)]
    for f in plan.factors:
        if f.kind in types:
            fields.append(pa.field(f.name, types[f.kind]))
        else:
            fields.append(pa.field(f.name, pa.string()))
    for o in plan.outcomes:
        fields.append(pa.field(o, pa.string() if o in LABEL_OUTCOMES else pa.float64()))
    return pa.schema(fields)


class SweepLockedError(ConfigError):
    """Another process is writing to the same output folder."""


class RunStore:
    """The output folder of one sweep: identity check, lock, resume scan and batched atomic writes.

    The layout is in the module docstring. Rows are buffered by :meth:`add` and written by
    :meth:`flush` as one new part file, whenever :meth:`due` says so (``batch_rows`` rows waiting or
    ``flush_seconds`` since the last write).
    """

    def __init__(self, out: str | Path, plan: SweepPlan, keep_series: bool = False,
                 batch_rows: int = 200, flush_seconds: float = 2.0) -> None:
        self.out = Path(out)
        self.plan = plan
        self.keep_series = keep_series
        self.batch_rows = batch_rows
        self.flush_seconds = flush_seconds
        self.runs_dir = self.out / "runs"
        self.series_dir = self.out / "series"
        self._rows: list[dict[str, Any]] = []
        self._series: list[Any] = []
        self._last_flush = time.monotonic()
        self._lock_fh: Any = None
        self._schema = _runs_schema(plan)
        self.parts_written = 0

    # -------------------------------------------------------------- identity
    def check(self) -> dict[str, Any] | None:
        """Refuse a folder that belongs to another sweep; return its ``sweep.json`` (None if new).

        Reads only; never modifies anything.
        """
        meta_path = self.out / "sweep.json"
        if self.out.exists() and not self.out.is_dir():
            raise ConfigError(f"--out {self.out}: exists and is not a folder")
        if not meta_path.exists():
            # what a first start killed before writing sweep.json can leave behind is fine
            leftovers = {".lock", "design.parquet"}
            if self.out.is_dir() and any(p.name not in leftovers and not p.name.startswith(".")
                                         for p in self.out.iterdir()):
                raise ConfigError(f"--out {self.out}: folder exists, is not empty and holds no sweep.json; "
                                  "choose a new or empty folder")
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as err:
            raise ConfigError(f"{meta_path}: unreadable ({err}); it identifies the sweep, so the folder cannot be "
                              "resumed: restore the file, or use a new --out folder") from None
        if meta.get("hash") != self.plan.spec_hash:
            theirs = meta.get("identity", {})
            mine = self.plan.identity
            diff = _identity_diff(theirs, mine)
            raise ConfigError(
                f"--out {self.out} holds results of a different sweep (hash {meta.get('hash')} there, "
                f"{self.plan.spec_hash} now; changed: {diff or 'unknown'}); existing results left untouched — "
                "use a new --out folder, or delete this one to start over")
        if bool(meta.get("keep_series")) != self.keep_series:
            was = "with" if meta.get("keep_series") else "without"
            raise ConfigError(f"--keep-series: {self.out} was started {was} --keep-series; resume it the same way")
        return meta

    def open(self) -> set[int]:
        """Lock the folder, write the identity on first use, heal, and return finished run indices.

        Healing: left-over temporary files are deleted, a damaged ``design.parquet`` is rewritten,
        and every part that cannot be read in full is moved to ``DIR/corrupt/`` (one line on stderr
        each) so that its runs are run again.
        """
        self.check()                    # refuse a foreign folder before creating anything in it
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ConfigError(f"--out = {str(self.out)!r}: cannot create the folder ({err.strerror or err})") from None
        self._lock()
        try:
            meta = self.check()         # again, now that no other sweep can write here
        except ConfigError:
            self.close()
            raise
        if meta is None:
            write_table(_design_arrow(self.plan), self.out / "design.parquet")
            write_text(self.out / "sweep.json", json.dumps(self._meta(), indent=2, default=str) + "\n")
        elif not self._design_ok():
            write_table(_design_arrow(self.plan), self.out / "design.parquet")
            _warn(f"{self.out / 'design.parquet'} was damaged or missing; written again from the sweep file")
        self.runs_dir.mkdir(exist_ok=True)
        if self.keep_series:
            self.series_dir.mkdir(exist_ok=True)
        for folder in (self.out, self.runs_dir, self.series_dir):
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)   # half-written by a killed process
        return self._heal()

    def _design_ok(self) -> bool:
        import pandas as pd

        path = self.out / "design.parquet"
        if not path.is_file() or problem(path) is not None:
            return False
        try:
            pd.testing.assert_frame_equal(pd.read_parquet(path), self.plan.design, check_dtype=False)
        except (AssertionError, ValueError, OSError):
            return False
        return True

    def _heal(self) -> set[int]:
        """Check every part; move damaged ones aside; drop series parts without their runs part."""
        import pyarrow.parquet as pq

        series = {p.name: p for p in part_files(self.series_dir)}
        columns = [(f.name, f.type) for f in self._schema]
        done: set[int] = set()
        kept: set[str] = set()
        for part in part_files(self.runs_dir):
            why = problem(part, columns)
            twin = series.get(part.name)
            if why is None and self.keep_series:
                if twin is None:
                    why = "its series part is missing"
                elif (twin_why := problem(twin)) is not None:
                    why = f"its series part cannot be read: {twin_why}"
            if why is not None:
                moved = [quarantine(p, self.out) for p in (part, twin) if p is not None and p.exists()]
                _warn(f"{part} cannot be used ({why}); moved to {self.out / 'corrupt'}/ "
                      f"({', '.join(m.name for m in moved)}); its runs will be run again")
                series.pop(part.name, None)
                continue
            kept.add(part.name)
            done.update(pq.read_table(part, columns=["run"]).column("run").to_pylist())
        for name, p in series.items():   # series written just before a kill, whose runs part never landed
            if name not in kept:
                p.unlink(missing_ok=True)
        return done

    def _lock(self) -> None:
        try:
            fh = open(self.out / ".lock", "a+")  # noqa: SIM115 - held for the whole sweep
        except OSError as err:
            raise ConfigError(f"--out = {str(self.out)!r}: cannot write there ({err.strerror or err})") from None
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            who = fh.read().strip() or "?"
            fh.close()
            raise SweepLockedError(f"--out {self.out}: another sweep (pid {who}) is writing there; "
                                   "wait for it to finish or stop it") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._lock_fh = fh

    def _meta(self) -> dict[str, Any]:
        p = self.plan
        return {
            "format": FORMAT_VERSION,
            "hash": p.spec_hash,
            "name": p.spec.name,
            "description": p.spec.description,
            "source": str(p.source) if p.source else None,
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "design": p.spec.design.kind,
            "second_order": p.spec.design.second_order,
            "points": p.n_points,
            "replicates": p.spec.replicates,
            "runs": p.n_runs,
            "seed": p.spec.seed,
            "seed_scheme": "run i: sim.replicate_seed(seed, i); point = i // replicates, replicate = i % replicates",
            "incumbent": p.incumbent,
            "challenger": p.challenger,
            "advantage": ADVANTAGE,
            "factors": [{"name": f.name, "section": f.section, "path": f.path, "kind": f.kind,
                         "low": f.spec.low, "high": f.spec.high,
                         "values": list(f.spec.values) if f.spec.values is not None else None}
                        for f in p.factors],
            "outcomes": list(p.outcomes),
            "keep_series": self.keep_series,
            "spec": p.spec.model_dump(mode="json"),
            "identity": p.identity,
        }

    def done_runs(self) -> set[int]:
        """Run indices already on disk (readable parts only; duplicates collapse). Reads only."""
        frames, _ = read_parts(part_files(self.runs_dir))
        return {int(r) for f in frames for r in f["run"]}

    # -------------------------------------------------------------- writing
    def add(self, row: dict[str, Any], series: Any = None) -> None:
        """Buffer one finished run."""
        self._rows.append(row)
        if series is not None:
            self._series.append(series)

    def due(self) -> bool:
        """True when the buffer should go to disk (enough rows, or enough time since the last write)."""
        return bool(self._rows) and (len(self._rows) >= self.batch_rows
                                     or time.monotonic() - self._last_flush >= self.flush_seconds)

    def flush(self) -> None:
        """Write buffered runs as one new part (series first, so a runs row implies its series)."""
        self._last_flush = time.monotonic()
        if not self._rows:
            return
        import pyarrow as pa

        rows, series = self._rows, self._series
        self._rows, self._series = [], []
        rows.sort(key=lambda r: r["run"])
        name = f"part-{rows[0]['run']:09d}-{uuid.uuid4().hex[:8]}.parquet"
        if self.keep_series and series:
            import pandas as pd

            frame = pd.concat(series, ignore_index=True).sort_values(["run", "week", "seller"], kind="stable")
            write_table(pa.Table.from_pandas(frame, preserve_index=False), self.series_dir / name)
        write_table(pa.Table.from_pylist(rows, schema=self._schema), self.runs_dir / name)
        self.parts_written += 1

    def compact(self) -> bool:
        """Merge all part files into one (per folder), dropping duplicate runs; True if it did.

        Safe at any point of interruption: the merged file is written under a tmp name and renamed
        into place before the parts it replaces are deleted, so a kill leaves either the old parts,
        or the old parts plus the merged file (duplicates, which readers and the next compaction
        drop). A merged series file is renamed into place before its runs file, so an interrupted
        merge leaves an orphan series file, which :meth:`open` removes.
        """
        self.flush()
        runs_parts = part_files(self.runs_dir)
        if len(runs_parts) <= 1:
            return False
        import pyarrow.parquet as pq

        names = {p.name for p in runs_parts}
        series_parts = [p for p in part_files(self.series_dir) if p.name in names] if self.keep_series else []
        name = ""
        try:
            first = min(pq.read_table(p, columns=["run"]).column("run").to_numpy().min() for p in runs_parts)
            name = f"part-{int(first):09d}-{uuid.uuid4().hex[:8]}.parquet"
            if series_parts:
                merge_parts(series_parts, self.series_dir / name)
            merge_parts(runs_parts, self.runs_dir / name)
        except Exception as err:  # keep the parts as they are; merging is only a convenience
            _warn(f"could not merge part files ({err.__class__.__name__}: {err}); they are kept as they are")
            if name:
                (self.series_dir / name).unlink(missing_ok=True)
            return False
        for p in runs_parts + series_parts:
            p.unlink(missing_ok=True)
        return True

    def close(self) -> None:
        """Flush and release the lock."""
        try:
            self.flush()
        finally:
            if self._lock_fh is not None:
                with contextlib.suppress(OSError):
                    fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_UN)
                self._lock_fh.close()
                self._lock_fh = None


def _identity_diff(a: dict[str, Any], b: dict[str, Any]) -> str:
    out = []
    for key in ("spec", "base_config"):
        x, y = a.get(key) or {}, b.get(key) or {}
        for k in sorted(set(x) | set(y)):
            if x.get(k) != y.get(k):
                out.append(k if key == "spec" else f"base scenario {k}")
    for key in ("design_sha256", "outcomes", "sim_version", "format"):
        if a.get(key) != b.get(key) and not out:
            out.append({"design_sha256": "design points"}.get(key, key))
    return ", ".join(out)


def _design_arrow(plan: SweepPlan) -> Any:
    import pyarrow as pa

    return pa.Table.from_pandas(plan.design, preserve_index=False)


def _read_folder(folder: Path, skipped: list[tuple[Path, str]] | None) -> list[Any]:
    frames, bad = read_parts(part_files(folder))
    for path, reason in bad:
        _warn(f"skipping unreadable {path} ({reason}); run the sweep command again to redo its runs")
    if skipped is not None:
        skipped.extend(bad)
    return frames


def load_runs(out: str | Path, skipped: list[tuple[Path, str]] | None = None) -> Any:
    """The runs table of a sweep folder: one row per run, duplicates dropped, sorted by run index.

    A part file that cannot be read is skipped with one line on stderr naming it (and appended to
    ``skipped`` as ``(path, reason)`` if a list is given); resuming the sweep moves it aside and
    redoes its runs.
    """
    import pandas as pd

    frames = _read_folder(Path(out) / "runs", skipped)
    if not frames:
        return pd.DataFrame(columns=list(RESERVED_COLUMNS))
    frame = pd.concat(frames, ignore_index=True)
    return frame.drop_duplicates("run").sort_values("run", kind="stable").reset_index(drop=True)


def load_series(out: str | Path, skipped: list[tuple[Path, str]] | None = None) -> Any:
    """The weekly tables kept with ``--keep-series`` (one row per run x week x seller); skips unreadable parts."""
    import pandas as pd

    frames = _read_folder(Path(out) / "series", skipped)
    if not frames:
        return pd.DataFrame(columns=["run", "point", "replicate", "week", "seller", "strategy"])
    frame = pd.concat(frames, ignore_index=True)
    return (frame.drop_duplicates(["run", "week", "seller"])
            .sort_values(["run", "week", "seller"], kind="stable").reset_index(drop=True))
