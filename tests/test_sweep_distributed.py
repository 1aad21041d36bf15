"""Sweeps on a real Dask distributed cluster.

A ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1 are started by the fixture and torn
down in its finalizer.

The results table must equal the in-process one row for row, also when a worker dies mid-sweep.
A sweep whose scheduler is killed, or that has no worker (at start, or after every worker died),
stops within a bounded time with exit code 1 and one line saying how to resume; the same command
then finishes it (tests marked ``slow``: each takes half a minute or more).
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

    def start_scheduler(self) -> subprocess.Popen:
        return self._start("scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                           "--dashboard-address", "127.0.0.1:0", log="scheduler.log")

    def start_worker(self, name: str) -> subprocess.Popen:
        return self._start("worker", self.address, "--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "1",
                           "--no-dashboard", "--name", name, "--local-directory", str(self.workdir / name),
                           "--death-timeout", "60", log=f"{name}.log")

    def wait_for_scheduler(self, timeout: float = 60.0) -> None:
        self.wait_for_workers(0, timeout)

    def wait_for_workers(self, n: int, timeout: float = 90.0) -> None:
        from distributed import Client

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with Client(self.address, timeout=5) as client:
                    if n > 0:
                        client.wait_for_workers(n, timeout=max(1.0, deadline - time.monotonic()))
                    return
            except Exception as err:   # scheduler not up yet
                last = err
                time.sleep(0.5)
        raise RuntimeError(f"cluster did not come up with {n} workers: {last}\n{self.logs()}")

    def logs(self) -> str:
        """The end of every log of this cluster's processes."""
        return "\n".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-2000:]
                         for p in sorted(self.workdir.glob("*.log")))

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
def long_reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """The same sweep, 4 replicates of ten years at 20,000 customers (48 runs), long enough to kill mid-sweep.

    A scheduler or worker killed after the first runs still leaves runs to do (a run takes about 0.1 s; at
    1,000 customers the fused week finished the whole sweep before the kill).
    """
    tmp = tmp_path_factory.mktemp("dist_long_ref")
    path = tmp / "dist_long.yaml"
    path.write_text(SWEEP.replace("replicates: 2", "replicates: 4").replace("weeks: 30, market.customers: 250",
                                                                          "weeks: 520, market.customers: 20000"),
                    encoding="utf-8")
    plan = sw.plan_sweep(*sw.load_sweep(path))
    assert sw.run_sweep(plan, tmp / "ref", workers=1, progress=False).complete
    return path, sw.load_runs(tmp / "ref")


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


def test_a_result_lost_with_its_worker_is_a_task_to_send_again() -> None:
    """A future that went back to pending, or whose result does not come, is TaskLost (run again), never a wait."""
    from types import SimpleNamespace

    from sim.experiments.executors import DaskExecutor, TaskLost, is_cancelled

    class Fake:
        def __init__(self, status: str, value: object) -> None:
            self.status, self.value, self.key, self.cancelled = status, value, "run_batch-1", False

        def result(self, timeout: float | None = None) -> object:
            assert timeout is not None          # never an unbounded wait
            if isinstance(self.value, BaseException):
                raise self.value
            return self.value

        def cancel(self) -> None:
            self.cancelled = True

    executor = SimpleNamespace(probe_every=0.01)
    assert DaskExecutor.result(executor, Fake("finished", [1, 2])) == [1, 2]
    with pytest.raises(TaskLost, match="lost with its worker") as err:
        DaskExecutor.result(executor, Fake("pending", None))
    assert is_cancelled(err.value)
    gone = Fake("finished", TimeoutError())
    with pytest.raises(TaskLost):
        DaskExecutor.result(executor, gone)
    assert gone.cancelled
    with pytest.raises(ValueError, match="bad run"):   # a task's own error is its error, not a loss
        DaskExecutor.result(executor, Fake("error", ValueError("bad run")))


# ------------------------------------------------------------------------------ a cluster that goes away
def sweep_process(path: Path, out: Path, address: str, *extra: str) -> subprocess.Popen:
    """``sim sweep`` against ``address`` in its own session; a stuck one can be asked for its stacks (SIGABRT)."""
    return subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--scheduler",
                             address, "--quiet", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, "PYTHONFAULTHANDLER": "1"})


def wait_for_runs(proc: subprocess.Popen, out: Path, n: int = 1, timeout: float = 120.0) -> None:
    """Until ``n`` runs are on disk (the sweep is really under way)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "runs").is_dir() and len(sw.load_runs(out)) >= n:
            return
        time.sleep(0.2)
    raise AssertionError(f"no {n} runs on disk (exit {proc.poll()})")


def finish(proc: subprocess.Popen, timeout: float, cluster: Cluster | None = None) -> tuple[int, str, float]:
    """Wait (bounded) for the sweep to stop by itself: exit code, stderr, seconds it took.

    A sweep that does not stop is asked for every thread's stack (faulthandler, SIGABRT) before it
    is killed, and the failure shows them with the end of the cluster's logs.
    """
    start = time.monotonic()
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGABRT)
        try:
            _, stderr = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _, stderr = proc.communicate()
        logs = "" if cluster is None else cluster.logs()
        raise AssertionError(f"the sweep did not stop within {timeout} s; it printed:\n{stderr[-6000:]}\n"
                             f"cluster logs:\n{logs}") from None
    return proc.returncode, stderr, time.monotonic() - start


def one_error_line(stderr: str, start: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"error: {start}"), stderr
    assert "run the same command again to resume" in lines[0] and "Traceback" not in stderr
    return lines[0]


@pytest.mark.slow
def test_lost_scheduler_stops_and_the_same_command_resumes(long_reference, tmp_path: Path) -> None:
    """The scheduler is killed (SIGKILL) mid-sweep: exit 1 in bounded time, then the same command finishes it."""
    path, expected = long_reference
    c = Cluster(tmp_path)
    try:
        scheduler = c.start_scheduler()
        c.start_worker("w1")
        c.wait_for_workers(1)
        out = tmp_path / "out"
        proc = sweep_process(path, out, c.address)
        wait_for_runs(proc, out, 2)
        c.kill(scheduler)
        code, stderr, seconds = finish(proc, timeout=120, cluster=c)
        assert code == 1, stderr
        line = one_error_line(stderr, f"lost the Dask scheduler {c.address}")
        print(f"stopped {seconds:.0f} s after the scheduler was killed: {line}")
        done = len(sw.load_runs(out))
        assert 2 <= done < len(expected)
        c.close()
        c.procs.clear()
        c.start_scheduler()                # the same address again: the same command resumes
        c.start_worker("w2")
        c.wait_for_workers(1)
        code, stderr, _ = finish(sweep_process(path, out, c.address), timeout=240)
        assert code == 0, stderr
        pd.testing.assert_frame_equal(sw.load_runs(out), expected)
    finally:
        c.close()


@pytest.mark.slow
def test_no_worker_warns_then_stops(reference, tmp_path: Path) -> None:
    """A scheduler without workers: one warning line every 10 s at most, then exit 1 after --worker-timeout."""
    path, _ = reference
    c = Cluster(tmp_path)
    try:
        c.start_scheduler()
        c.wait_for_scheduler()
        code, stderr, seconds = finish(sweep_process(path, tmp_path / "out", c.address, "--worker-timeout", "12"),
                                       timeout=120)
        assert code == 1, stderr
        one_error_line(stderr, f"no Dask worker connected to the Dask scheduler {c.address} for 1")
        warnings = [line for line in stderr.splitlines() if line.startswith("warning: no Dask worker connected")]
        assert 1 <= len(warnings) <= 3, stderr          # 12 s at one line per 10 s at most
        assert len(sw.load_runs(tmp_path / "out")) == 0
    finally:
        c.close()


@pytest.mark.slow
def test_every_worker_lost_mid_sweep_stops(long_reference, tmp_path: Path) -> None:
    """The only worker is killed mid-sweep: warnings, then exit 1 with the resume hint; finished runs kept."""
    path, expected = long_reference
    c = Cluster(tmp_path)
    try:
        c.start_scheduler()
        worker = c.start_worker("w1")
        c.wait_for_workers(1)
        out = tmp_path / "out"
        proc = sweep_process(path, out, c.address, "--worker-timeout", "10")
        wait_for_runs(proc, out, 2)
        c.kill(worker)
        code, stderr, _ = finish(proc, timeout=120, cluster=c)
        assert code == 1, stderr
        one_error_line(stderr, "no Dask worker connected")
        assert "warning: no Dask worker connected" in stderr
        runs = sw.load_runs(out)
        assert len(runs) >= 2
        pd.testing.assert_frame_equal(runs, expected[expected["run"].isin(runs["run"])].reset_index(drop=True))
    finally:
        c.close()
