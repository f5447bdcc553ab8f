"""Ending the `specfirst` process without freeing its heap object by object.

A generate on a large contract leaves millions of objects behind (the parsed document, the
plans, the models' source and their caches), and an ordinary interpreter exit frees them one
by one and tears every module down: 0.12-0.14 s on GitHub's contract, an eighth of an edit's
run, spent on nothing anyone sees. Like mypy (its `util.hard_exit`), the command line ends
with `os._exit` instead, once it has done what an ordinary exit does that can be observed:

- the threads an ordinary exit would wait for (non-daemon ones): while any is alive, the
  process exits the ordinary way (`sys.exit`), which waits for them;
- the `atexit` functions (weakref finalizers such as a `TemporaryDirectory`'s cleanup,
  `logging`'s flush) run, as at an ordinary exit;
- the standard streams are flushed (a failed flush makes a 0 exit 1, as it does then).

What it skips is freeing memory and tearing modules down, which the kernel's reclaiming of the
process makes moot. A file object left open and unflushed would lose its buffer (an ordinary
exit may flush it on finalization); the package writes every file in a `with` block or
`Path.write_*`, and the test suite turns `ResourceWarning` into an error.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn


def waited_threads() -> list[threading.Thread]:
    """The threads an ordinary exit of this process would wait for."""
    main = threading.main_thread()
    return [t for t in threading.enumerate() if t is not main and not t.daemon and t.is_alive()]


def hard_exit(code: int) -> NoReturn:
    """End the process with `code` as described in the module's docstring."""
    if waited_threads():
        sys.exit(code)
    atexit._run_exitfuncs()  # as `Py_FinalizeEx` runs them, after the threads
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more reaches it
            if code == 0:
                code = 1  # as an ordinary exit does when a final flush fails
    os._exit(code)
