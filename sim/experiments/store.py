"""The results folder of a sweep: identity check, lock, resume scan, batched atomic Parquet writes.

Layout of ``DIR`` (the ``--out`` folder)::

    DIR/sweep.json             the sweep spec, its hash and sizes (written once, checked on resume)
    DIR/design.parquet         one row per design point
    DIR/runs/part-*.parquet    one row per finished run (batches, written atomically)
    DIR/series/part-*.parquet  weekly tables of the same runs (with --keep-series)

Owns: :class:`RunStore` (refuse a folder of another sweep, one writer at a time, what is already
done, write under a hidden tmp name then ``os.replace``, merge the parts at the end) and the
readers :func:`load_runs` / :func:`load_series`, which any process may call at any time.

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

from ..config import ConfigError
from .outcomes import ADVANTAGE, LABEL_OUTCOMES, RESERVED_COLUMNS
from .plan import FORMAT_VERSION, SweepPlan

__all__ = ["RunStore", "SweepLockedError", "load_runs", "load_series"]


def _atomic_write_table(table: Any, path: Path) -> None:
    """Write a Parquet file under a hidden tmp name, fsync, then rename into place."""
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        pq.write_table(table, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _atomic_write_text(text: str, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _part_files(folder: Path) -> list[Path]:
    """Finished part files (tmp files are hidden and end in .tmp, so never listed)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("part-*.parquet") if p.is_file())


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
        except (OSError, ValueError) as err:
            raise ConfigError(f"{meta_path}: unreadable ({err}); delete the folder to start over") from None
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
        """Lock the folder, write the identity on first use, tidy up and return finished run indices."""
        self.check()                    # refuse a foreign folder before creating anything in it
        self.out.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            meta = self.check()         # again, now that no other sweep can write here
        except ConfigError:
            self.close()
            raise
        if meta is None:
            _atomic_write_table(_design_arrow(self.plan), self.out / "design.parquet")
            _atomic_write_text(json.dumps(self._meta(), indent=2, default=str) + "\n", self.out / "sweep.json")
        self.runs_dir.mkdir(exist_ok=True)
        if self.keep_series:
            self.series_dir.mkdir(exist_ok=True)
        for folder in (self.out, self.runs_dir, self.series_dir):
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)   # half-written by a killed process
        done = self.done_runs()
        if self.series_dir.is_dir():   # series written just before a kill, whose runs part never landed
            finished = {p.name for p in _part_files(self.runs_dir)}
            for p in _part_files(self.series_dir):
                if p.name not in finished:
                    p.unlink(missing_ok=True)
        return done

    def _lock(self) -> None:
        fh = open(self.out / ".lock", "a+")  # noqa: SIM115 - held for the whole sweep
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
        """Run indices already on disk (any part file, duplicates collapse)."""
        import pyarrow.parquet as pq

        done: set[int] = set()
        for part in _part_files(self.runs_dir):
            try:
                done.update(pq.read_table(part, columns=["run"]).column("run").to_pylist())
            except Exception as err:  # a damaged file: leave it alone, redo its runs
                print(f"warning: skipping unreadable {part}: {err}", file=sys.stderr)
        return done

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
            _atomic_write_table(pa.Table.from_pandas(frame, preserve_index=False), self.series_dir / name)
        _atomic_write_table(pa.Table.from_pylist(rows, schema=self._schema), self.runs_dir / name)
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
        runs_parts = _part_files(self.runs_dir)
        if len(runs_parts) <= 1:
            return False
        import pyarrow.parquet as pq

        first = min(pq.read_table(p, columns=["run"]).column("run").to_numpy().min() for p in runs_parts)
        name = f"part-{int(first):09d}-{uuid.uuid4().hex[:8]}.parquet"
        names = {p.name for p in runs_parts}
        series_parts = [p for p in _part_files(self.series_dir) if p.name in names] if self.keep_series else []
        try:
            if series_parts:
                _merge_parts(series_parts, self.series_dir / name)
            _merge_parts(runs_parts, self.runs_dir / name)
        except Exception as err:  # keep the parts as they are; merging is only a convenience
            print(f"warning: could not merge part files ({err.__class__.__name__}: {err})", file=sys.stderr)
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


def _merge_parts(parts: list[Path], target: Path) -> None:
    """Stream ``parts`` into one Parquet file (tmp name, fsync, rename), keeping each run once."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    seen: set[int] = set()
    writer = None
    try:
        with open(tmp, "wb") as fh:
            for part in parts:
                table = pq.read_table(part)
                runs = table.column("run")
                if seen:
                    table = table.filter(pc.invert(pc.is_in(runs, value_set=pa.array(sorted(seen), pa.int64()))))
                seen.update(pc.unique(runs).to_pylist())
                if writer is None:
                    writer = pq.ParquetWriter(fh, table.schema)
                writer.write_table(table)
            if writer is not None:
                writer.close()
                writer = None
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)


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


def load_runs(out: str | Path) -> Any:
    """The runs table of a sweep folder: one row per run, duplicates dropped, sorted by run index."""
    import pandas as pd
    import pyarrow.parquet as pq

    parts = _part_files(Path(out) / "runs")
    if not parts:
        return pd.DataFrame(columns=list(RESERVED_COLUMNS))
    frame = pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)
    return frame.drop_duplicates("run").sort_values("run", kind="stable").reset_index(drop=True)


def load_series(out: str | Path) -> Any:
    """The weekly tables kept with ``--keep-series`` (one row per run x week x seller)."""
    import pandas as pd
    import pyarrow.parquet as pq

    parts = _part_files(Path(out) / "series")
    if not parts:
        return pd.DataFrame(columns=["run", "point", "replicate", "week", "seller", "strategy"])
    frame = pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)
    return (frame.drop_duplicates(["run", "week", "seller"])
            .sort_values(["run", "week", "seller"], kind="stable").reset_index(drop=True))

