"""The JSON log formatter: the timestamp it formats once per second reads as `datetime` would
write it, and a line carries every field passed."""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, datetime

import pytest

from tasks_service.core import context
from tasks_service.core.logs import JsonFormatter, _Timestamps


def _reference(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


@pytest.mark.parametrize(
    "created",
    [
        0.0,
        1.0,
        1_764_608_000.0,
        1_764_608_000.0005,
        1_764_608_000.9994999,
        1_764_608_000.9995,
        1_764_608_000.9999994,
        1_764_608_000.9999996,  # rounds up into the next second
        1_764_608_059.9999999,  # ... and the next minute
        1_767_225_599.9999999,  # ... and the next year
        -0.5,
        -1.0000004,
    ],
)
def test_timestamps_read_as_datetime_writes_them(created: float) -> None:
    assert _Timestamps()(created) == _reference(created)


def test_timestamps_agree_with_datetime_line_after_line() -> None:
    stamp = _Timestamps()  # one instance: its cached second is reused and replaced
    rng = random.Random(15)
    instant = 1_764_608_000.0
    for _ in range(20_000):
        instant += rng.choice([0.0, 1e-7, 4e-4, 0.0005, 0.3, 0.9999996, 1.0, 61.0])
        assert stamp(instant) == _reference(instant)


def test_a_line_has_the_fixed_fields_and_every_extra() -> None:
    record = logging.makeLogRecord(
        {
            "name": "tasks_service.access",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "request %s",
            "args": ("done",),
            "created": 1_764_608_000.25,
            "process": 4242,
            "method": "GET",
            "status": 200,
            "duration_ms": 1.5,
            "when": datetime(2026, 12, 1, tzinfo=UTC),  # not JSON: written as str()
            "_private": "left out",
        }
    )
    token = context.request_id.set("rid-1")
    try:
        line = JsonFormatter().format(record)
    finally:
        context.request_id.reset(token)
    assert json.loads(line) == {
        "ts": "2025-12-01T16:53:20.250+00:00",
        "level": "info",
        "logger": "tasks_service.access",
        "pid": 4242,
        "msg": "request done",
        "request_id": "rid-1",
        "method": "GET",
        "status": 200,
        "duration_ms": 1.5,
        "when": "2026-12-01 00:00:00+00:00",
    }
