"""`specfirst.hard_exit`: the process ends as an ordinary exit would be seen to end (threads
waited for, `atexit` functions run, streams flushed), without freeing its heap."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = """
import atexit, sys, threading, time
from pathlib import Path
from specfirst.hard_exit import hard_exit

out = Path(sys.argv[1])

class Finalized:
    def __del__(self):  # runs when an ordinary exit tears the module down
        (out / "teardown").write_text("ran")

kept = Finalized()
atexit.register(lambda: (out / "atexit").write_text("ran"))
if sys.argv[2] == "thread":
    def late():
        time.sleep(0.3)
        (out / "thread").write_text("ran")
    threading.Thread(target=late).start()
sys.stdout.write("buffered, no newline")
sys.stderr.write("to stderr")
hard_exit(3)
"""


def _run(tmp_path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(SCRIPT), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script), str(tmp_path), mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_exit_code_the_streams_and_atexit_are_kept_and_the_teardown_skipped(
    tmp_path: Path,
) -> None:
    done = _run(tmp_path, "plain")
    assert (done.returncode, done.stdout, done.stderr) == (3, "buffered, no newline", "to stderr")
    assert (tmp_path / "atexit").read_text() == "ran"
    assert not (tmp_path / "teardown").exists()  # no module teardown: the heap is not freed


def test_a_thread_an_ordinary_exit_waits_for_makes_it_an_ordinary_exit(tmp_path: Path) -> None:
    done = _run(tmp_path, "thread")
    assert (done.returncode, done.stdout) == (3, "buffered, no newline")
    assert (tmp_path / "thread").read_text() == "ran"
    assert (tmp_path / "atexit").read_text() == "ran"
    assert (tmp_path / "teardown").read_text() == "ran"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full to fail a write")
@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_failed_flush_makes_a_zero_exit_one_as_an_ordinary_exit_does(stream: str) -> None:
    script = f"import sys\nfrom specfirst.hard_exit import hard_exit\nsys.{stream}.write('x')\n"
    codes = []
    for end in ("hard_exit(0)", "sys.exit(0)"):
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [sys.executable, "-c", script + end],
                stdout=full if stream == "stdout" else subprocess.DEVNULL,
                stderr=full if stream == "stderr" else subprocess.DEVNULL,
                timeout=60,
                check=False,
            )
        codes.append(done.returncode)
    assert codes == [1, 1]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "specfirst.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_line_ends_with_its_exit_code_and_output() -> None:
    version = _cli("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("specfirst ")
    usage = _cli("no-such-command")
    assert usage.returncode == 2
    assert "invalid choice" in usage.stderr
