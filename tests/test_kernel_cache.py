"""The compiled-kernel cache never stops a run: damaged files are rebuilt, no writable place compiles in memory.

Each case runs the model in a fresh process whose cache is a copy of the checkout's (``NUMBA_CACHE_DIR``
points at it, so the checkout's own cache is never touched), damages one cached file, and checks that
the run succeeds with exactly one warning line naming the file. Marked slow: some cases compile.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.model.kernels import cache

ROOT = Path(__file__).resolve().parent.parent
KERNELS = ROOT / "sim" / "model" / "kernels"
RUN = "import sim; r = sim.run('baseline', weeks=26, updates={'market.customers': 300}); print(r.summary['weeks'])"
WARM = "import sim.model.warmup as w; w.warm_up()"   # reaches every kernel
SUBPATH = cache._CacheLocator.get_suitable_cache_subpath(str(KERNELS / "state.py"))


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "SIM_KERNEL_CACHE")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _run(env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def warm_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete, valid cache in a folder of its own (compiled once for this module)."""
    folder = tmp_path_factory.mktemp("numba-cache")
    proc = subprocess.run([sys.executable, "-c", WARM], capture_output=True, text=True,
                          env=_env(NUMBA_CACHE_DIR=str(folder)), timeout=1200)
    assert proc.returncode == 0, proc.stderr
    files = list((folder / SUBPATH).glob("*.nbi"))
    assert files, f"no cache written under {folder}"
    return folder


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst / SUBPATH


DAMAGE = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    "empty": lambda p: p.write_bytes(b""),
    "garbage": lambda p: p.write_bytes(os.urandom(300)),
}


@pytest.mark.slow
@pytest.mark.parametrize("how", sorted(DAMAGE))
@pytest.mark.parametrize("suffix", [".nbi", ".nbc"])
def test_damaged_cache_file_is_rebuilt(warm_copy: Path, tmp_path: Path, how: str, suffix: str) -> None:
    files = _copy(warm_copy, tmp_path / "cache")
    victim = sorted(p for p in files.iterdir()
                    if p.name.startswith("after_sales.after_sales") and p.suffix == suffix)[0]
    DAMAGE[how](victim)
    proc = _run(_env(NUMBA_CACHE_DIR=str(tmp_path / "cache")))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "damaged" in warnings[0] and victim.name in warnings[0], proc.stderr
    # rebuilt: the next process finds a valid cache and says nothing
    again = _run(_env(NUMBA_CACHE_DIR=str(tmp_path / "cache")))
    assert again.returncode == 0 and "warning" not in again.stderr, again.stderr


def test_check_files_removes_only_what_numba_cannot_read(tmp_path: Path) -> None:
    import pickle

    good_index = tmp_path / "m.f-1.py312.nbi"
    with good_index.open("wb") as fh:
        pickle.dump("version", fh)
        fh.write(pickle.dumps(("stamp", {})))
    good_data = tmp_path / "m.f-1.py312.1.nbc"
    good_data.write_bytes(pickle.dumps({"code": b"x" * 100}, protocol=4))
    bad_data = tmp_path / "m.g-9.py312.1.nbc"
    bad_data.write_bytes(pickle.dumps({"code": b"y" * 100}, protocol=4)[:-7])
    bad_index = tmp_path / "m.g-9.py312.nbi"
    with bad_index.open("wb") as fh:
        pickle.dump("version", fh)
        fh.write(pickle.dumps(("stamp", {})))
    removed = cache.check_files(tmp_path)
    assert removed == ["m.g-9.py312.1.nbc", "m.g-9.py312.nbi"]   # the damaged data file and its index
    assert good_index.exists() and good_data.exists()


def test_choose_folder_in_order(tmp_path: Path) -> None:
    nowhere = Path("/dev/null/not-a-folder")   # cannot be created, even by root
    own = tmp_path / "own"
    assert cache.choose_folder(tmp_path / "pkg", {"NUMBA_CACHE_DIR": str(own)}, nowhere)[:2] == (own, "numba_cache_dir")
    assert cache.choose_folder(tmp_path / "pkg", {}, nowhere)[:2] == (None, "in_tree")
    user = tmp_path / "user"
    assert cache.choose_folder(nowhere, {}, user)[:2] == (user, "user")           # read-only install
    folder, kind, tried = cache.choose_folder(nowhere, {"NUMBA_CACHE_DIR": str(nowhere / "x")}, nowhere)
    assert (folder, kind) == (None, "temporary") and len(tried) == 3
    assert cache.choose_folder(tmp_path / "pkg", {"SIM_KERNEL_CACHE": "off"}, user)[1] == "temporary"


@pytest.mark.slow
def test_no_writable_cache_compiles_in_memory() -> None:
    proc = _run(_env(SIM_KERNEL_CACHE="off"))
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "for this process only" in warnings[0], proc.stderr


@pytest.mark.slow
def test_unwritable_numba_cache_dir_still_runs(tmp_path: Path) -> None:
    """A NUMBA_CACHE_DIR that cannot be created falls back to the next place (here: the checkout's cache)."""
    proc = _run(_env(NUMBA_CACHE_DIR="/dev/null/cache"))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_two_processes_compiling_at_once(tmp_path: Path) -> None:
    env = _env(NUMBA_CACHE_DIR=str(tmp_path / "fresh"))
    procs = [subprocess.Popen([sys.executable, "-c", RUN], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=1200) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert out.strip() == "26"
    again = _run(env)
    assert again.returncode == 0 and "warning" not in again.stderr, again.stderr
