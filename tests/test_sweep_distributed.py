"""Sweeps on a real Dask distributed cluster.

A ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1 are started by the fixture and torn
down in its finalizer.

The results table must equal the in-process one row for row, also when a worker dies mid-sweep.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim import experiments as sw
from sim.experiments import cli as sweep_cli

pytestmark = pytest.mark.distributed

distributed = pytest.importorskip("distributed")

BIN = Path(sys.executable).parent
SWEEP = """\
name: dist
scenario: baseline
set: {weeks: 30, market.customers: 250}
levers:
  relationship.pressure: {low: 0.1, high: 0.7}
  relationship.asks_referrals: [0.0, 1.0]
uncertainties:
  market.skepticism_mean: [0.2, 0.5]
design: {kind: grid, levels: 3}
replicates: 2
seed: 77
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dask_command(*args: str) -> list[str]:
    """``dask scheduler|worker ...`` from this venv (the console script, else the module)."""
    exe = BIN / "dask"
    if exe.exists():
        return [str(exe), *args]
    return [sys.executable, "-m", f"distributed.cli.dask_{args[0]}", *args[1:]]


class Cluster:
    """Processes of one test cluster; every process gets its own session so teardown kills its children."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []

    def _start(self, *args: str, log: str) -> subprocess.Popen:
        fh = open(self.workdir / log, "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(dask_command(*args), cwd=self.workdir, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
        proc.log = fh  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def start_scheduler(self) -> None:
        self._start("scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard",
                    log="scheduler.log")

    def start_worker(self, name: str) -> subprocess.Popen:
        return self._start("worker", self.address, "--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "1",
                           "--no-dashboard", "--name", name, "--local-directory", str(self.workdir / name),
                           "--death-timeout", "60", log=f"{name}.log")

    def wait_for_workers(self, n: int, timeout: float = 90.0) -> None:
        from distributed import Client

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with Client(self.address, timeout=5) as client:
                    client.wait_for_workers(n, timeout=max(1.0, deadline - time.monotonic()))
                    return
            except Exception as err:   # scheduler not up yet
                last = err
                time.sleep(0.5)
        logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in self.workdir.glob("*.log"))
        raise RuntimeError(f"cluster did not come up with {n} workers: {last}\n{logs}")

    @staticmethod
    def kill(proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        proc.log.close()  # type: ignore[attr-defined]

    def close(self) -> None:
        for proc in reversed(self.procs):
            self.kill(proc)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """A scheduler and two single-threaded workers on 127.0.0.1."""
    c = Cluster(tmp_path_factory.mktemp("dask"))
    try:
        c.start_scheduler()
        c.start_worker("w1")
        c.start_worker("w2")
        c.wait_for_workers(2)
        yield c
    finally:
        c.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    tmp = tmp_path_factory.mktemp("dist_ref")
    path = tmp / "dist.yaml"
    path.write_text(SWEEP, encoding="utf-8")
    plan = sw.plan_sweep(*sw.load_sweep(path))
    assert sw.run_sweep(plan, tmp / "ref", workers=1, progress=False).complete
    return path, sw.load_runs(tmp / "ref")


def test_dask_cluster_gives_the_in_process_table(cluster: Cluster, reference, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path, expected = reference
    out = tmp_path / "dask"
    code = sweep_cli.main(["sweep", str(path), "--out", str(out), "--scheduler", cluster.address, "--keep-series"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"Dask scheduler {cluster.address}" in captured.out
    pd.testing.assert_frame_equal(sw.load_runs(out), expected)
    assert sw.load_series(out)["run"].nunique() == len(expected)


def test_lost_worker_mid_sweep(cluster: Cluster, reference, tmp_path: Path) -> None:
    """A third worker is killed (SIGKILL) while the sweep runs; Dask reschedules, nothing is lost."""
    path, expected = reference
    extra = cluster.start_worker("w3")
    cluster.wait_for_workers(3)
    out = tmp_path / "lost"
    proc = subprocess.Popen([sys.executable, "-m", "sim.experiments", "sweep", str(path), "--out", str(out),
                             "--scheduler", cluster.address, "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (out / "sweep.json").exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)            # tasks are spread over the three workers by now
        assert proc.poll() is None, "the sweep finished before the worker could be killed"
        cluster.kill(extra)
        stdout, stderr = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    pd.testing.assert_frame_equal(sw.load_runs(out), expected)
    assert pd.read_parquet(out / "runs")["run"].is_unique


def test_unreachable_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    from sim.config import ConfigError
    from sim.experiments.executors import DaskExecutor

    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(ConfigError, match="cannot connect to a Dask scheduler") as err:
        DaskExecutor(address, timeout=2)
    assert "\n" not in str(err.value) and address in str(err.value)
