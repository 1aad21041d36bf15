"""Helpers several test modules share (imported as ``support``; not a test module itself).

* :func:`write_file`: write a file of text, bytes, or let a callable damage/shape it;
* :func:`check_one_line_error`: run the CLI in-process and check the project's error form;
* :func:`free_port` / :func:`stop_server`: a loopback port for a server under test, and stopping it.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

ESC = "\x1b"


def write_file(path: Path, content: object) -> None:
    """Write ``content`` to ``path``: bytes, text, or a callable given the (empty) file to shape."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if callable(content):
        path.touch()
        content(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(str(content), encoding="utf-8")


def check_one_line_error(main: Callable[[list[str]], int], capsys: pytest.CaptureFixture[str], argv: Sequence[str],
                         fragments: Sequence[str]) -> str:
    """``main(argv)`` exits 2 with one line ``error: ...`` naming every fragment; return that line."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2, f"exit {code}; stderr: {err!r}; stdout: {out[:200]!r}"
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err and ESC not in err
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a Jupyter server with SIGTERM, on which it shuts its kernels down and exits.

    (SIGINT asks for a confirmation, and a job started in the background ignores it.)
    """
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
