"""``python -m sim run`` draws its figures in a second process: the same files, the same errors, a fallback.

The figure process (:mod:`sim.figure_process`) must write byte for byte the PNGs that drawing in
the command's own process writes, report a failure to write as the same one-line error, and, when
it cannot start or dies, leave the drawing to the command's process without a word.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import figure_process
from sim.cli import main
from sim.plots import FIGURE_FILES

SMALL = ["--weeks", "60", "--customers", "300", "--quiet"]


def _run(out: Path, *extra: str) -> int:
    return main(["run", "baseline", *SMALL, *extra, "--out", str(out)])


def _pngs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.png"))}


def test_order_hands_out_every_standard_figure_once() -> None:
    assert sorted(figure_process.ORDER) == sorted(FIGURE_FILES)


def test_no_figure_process_when_no_core_is_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_FIGURE_PROCESS", "")
    monkeypatch.setattr(figure_process, "_idle_cores", lambda: 0)
    assert figure_process.FigureProcess.start() is None


@pytest.fixture(autouse=True)
def _always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start the figure process whatever the machine's load (by default a busy machine draws in-process)."""
    monkeypatch.setenv("SIM_FIGURE_PROCESS", "on")


def test_figure_process_writes_the_same_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started = figure_process.FigureProcess.start()
    assert started is not None
    started.close()   # never asked anything: stopped and reaped
    assert _run(tmp_path / "there") == 0
    monkeypatch.setenv("SIM_FIGURE_PROCESS", "off")
    assert figure_process.FigureProcess.start() is None
    assert _run(tmp_path / "here") == 0
    there, here = _pngs(tmp_path / "there"), _pngs(tmp_path / "here")
    assert sorted(there) == sorted(f"{name}.png" for name in FIGURE_FILES)
    assert there == here


def test_a_figure_that_cannot_be_written_is_the_usual_error(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    (out / "funnel.png").mkdir(parents=True)   # a folder where the file goes: the rename fails
    assert _run(out) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: cannot write results to {out}"), err
    assert (out / "timeseries.parquet").is_file()


def test_a_figure_process_that_dies_leaves_the_drawing_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(figure_process, "SERVE", "import os; os._exit(3)")
    assert _run(tmp_path / "out") == 0
    assert sorted(_pngs(tmp_path / "out")) == sorted(f"{name}.png" for name in FIGURE_FILES)
    assert capsys.readouterr().err == ""


def test_a_failed_run_stops_the_figure_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[figure_process.FigureProcess] = []
    real_start = figure_process.FigureProcess.start

    def start() -> figure_process.FigureProcess | None:
        proc = real_start()
        started.append(proc)
        return proc

    monkeypatch.setattr(figure_process.FigureProcess, "start", staticmethod(start))

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the model broke")

    monkeypatch.setattr("sim.model.runner.run", fail)
    assert _run(tmp_path / "out") == 1
    assert started and started[0] is not None
    assert started[0]._proc.returncode is not None   # stopped and reaped, not left running
