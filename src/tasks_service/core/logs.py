"""Structured logs: one JSON object per line, with the request id of the request being served.

Only what is passed explicitly is logged (method, path, status, duration, ids); headers, bodies,
query strings, passwords and tokens never are.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from tasks_service.core import context
from tasks_service.core.config import Settings

_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}
# One encoder for every line (json.dumps with `default` builds a new one per call).
_encode = json.JSONEncoder(default=str).encode


class _Timestamps:
    """`datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds")`, with the date and
    time of day formatted once per second instead of once per line. The instant is rounded to
    microseconds as `datetime.fromtimestamp` rounds it (half to even), then cut to milliseconds
    as `isoformat` cuts it, so the text is the same."""

    __slots__ = ("_prefix", "_second")

    def __init__(self) -> None:
        self._second: float | None = None
        self._prefix = ""

    def __call__(self, created: float) -> str:
        fraction, second = math.modf(created)
        micros = round(fraction * 1e6)
        if micros >= 1_000_000:
            second, micros = second + 1, micros - 1_000_000
        elif micros < 0:  # before 1970
            second, micros = second - 1, micros + 1_000_000
        if second != self._second:
            self._prefix = datetime.fromtimestamp(second, UTC).isoformat(timespec="seconds")[:-6]
            self._second = second
        return f"{self._prefix}.{micros // 1000:03d}+00:00"


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self._timestamp = _Timestamps()

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self._timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "msg": record.getMessage(),
            "request_id": context.request_id.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return _encode(entry)


class LoopBatchedStreamHandler(logging.StreamHandler[TextIO]):
    """A stream handler that, on an event loop's thread, writes the lines of one loop iteration
    together at the start of the next one: under load, one write for many access-log lines
    instead of one per request. Each write is a system call that lets other threads take the
    GIL (SQLite's driver threads), and winning it back cost a tenth of a GET's CPU time on
    SQLite. A line waits one loop iteration at most; warnings and errors, and lines logged off
    the loop, are written at once (after what is pending, so the order holds)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        self._scheduled = False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or record.levelno >= logging.WARNING:
            self._write_pending()
            super().emit(record)
            return
        try:
            self._pending.append(self.format(record) + self.terminator)
        except Exception:
            self.handleError(record)
            return
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._write_pending)

    def _write_pending(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            self._scheduled = False
            if not self._pending:
                return
            text, self._pending = "".join(self._pending), []
            try:
                self.stream.write(text)
                self.stream.flush()
            except Exception:
                self.handleError(logging.makeLogRecord({"msg": "writing log lines failed"}))

    def flush(self) -> None:
        self._write_pending()
        super().flush()


def configure_logging(settings: Settings) -> None:
    """Route the root logger (and uvicorn's) to stderr in JSON (or plain text if disabled)."""
    handler = LoopBatchedStreamHandler(sys.stderr)
    if settings.json_logs:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    # What no formatter of the service writes is not gathered for every record (the logging
    # HOWTO's "Optimization"): the caller's file and line (a walk up the stack per line), the
    # thread, the multiprocessing process name. The pid stays (`pid` in every JSON line).
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # The request middleware writes one line per request; uvicorn's access log would repeat it.
    logging.getLogger("uvicorn.access").disabled = True
