"""The access log's handler: lines logged on an event loop are written together one loop
iteration later; warnings, and lines logged off the loop, at once and in order."""

from __future__ import annotations

import asyncio
import io
import logging

from tasks_service.core.logs import LoopBatchedStreamHandler


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def _logger(stream: CountingStream) -> logging.Logger:
    logger = logging.getLogger(f"test-batching-{id(stream)}")
    logger.handlers[:] = [LoopBatchedStreamHandler(stream)]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def test_lines_of_one_loop_iteration_are_written_together() -> None:
    stream = CountingStream()
    log = _logger(stream)

    async def scenario() -> tuple[str, str, int]:
        log.info("one")
        log.info("two")
        before = stream.getvalue()
        await asyncio.sleep(0)  # the next loop iteration
        await asyncio.sleep(0)
        return before, stream.getvalue(), stream.writes

    before, after, writes = asyncio.run(scenario())
    assert before == ""
    assert after == "one\ntwo\n"
    assert writes == 1


def test_warnings_and_lines_off_the_loop_are_written_at_once_in_order() -> None:
    stream = CountingStream()
    log = _logger(stream)

    async def scenario() -> str:
        log.info("queued")
        log.warning("urgent")
        return stream.getvalue()

    assert asyncio.run(scenario()) == "queued\nurgent\n"
    log.info("outside")
    assert stream.getvalue() == "queued\nurgent\noutside\n"


def test_flush_writes_what_is_pending() -> None:
    stream = CountingStream()
    log = _logger(stream)

    async def scenario() -> str:
        log.info("pending")
        log.handlers[0].flush()
        return stream.getvalue()  # before the loop runs (or closes and runs) the batch

    assert asyncio.run(scenario()) == "pending\n"
