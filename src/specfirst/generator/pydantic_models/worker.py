"""`python -m specfirst.generator.pydantic_models.worker IN,OUT [IN,OUT ...]`: models run in
worker processes that pull their parts from the driver (`driver.WorkerPool`).

Each `IN,OUT` pair is a channel: two pipe file descriptors the driver passed down. The process
first loads datamodel-code-generator (imports and a first run, about 0.6 s), then serves the
first channel itself and forks one copy of itself, already loaded, for each other channel (a
fork costs milliseconds; a second interpreter would cost the load again). So a driver that
starts its workers before the parts are known pays the load once, on a core that is idle while
it plans, and finds one loaded process per core when the parts come.

On a channel, the driver sends a part's document and the worker answers with its module
(`driver._run_datamodel_codegen`), one at a time, until the driver closes the channel; each
message is `<kind> <length>\\n` and `length` bytes of UTF-8 (`driver.write_message`). A document
datamodel-code-generator refuses is answered with `error` and its message, and the worker
goes on. A plain subprocess rather than multiprocessing, whose spawn start re-runs the caller's
main script and whose fork start copies whatever threads the caller holds.
"""

from __future__ import annotations

import json
import os
import sys
from typing import BinaryIO

from specfirst.generator.pydantic_models.driver import (
    ModelGenerationError,
    _run_datamodel_codegen,
    read_message,
    write_message,
)

# A trivial document: running it once loads what datamodel-code-generator loads on first use.
_WARM_UP = {
    "openapi": "3.0.3",
    "info": {"title": "warm-up", "version": "0"},
    "paths": {},
    "components": {"schemas": {"A": {"type": "object", "properties": {"a": {"type": "string"}}}}},
}


def serve(reader: BinaryIO, writer: BinaryIO) -> int:
    """Answer every document on the channel until the driver closes it."""
    while (message := read_message(reader)) is not None:
        try:
            module = _run_datamodel_codegen(json.loads(message[1]))
        except ModelGenerationError as error:
            write_message(writer, "error", str(error))
        else:
            write_message(writer, "ok", module)
    return 0


def _channel(pair: str) -> tuple[BinaryIO, BinaryIO]:
    read_fd, write_fd = (int(fd) for fd in pair.split(","))
    return os.fdopen(read_fd, "rb"), os.fdopen(write_fd, "wb")


def main(pairs: list[str]) -> int:
    _run_datamodel_codegen(_WARM_UP)
    channels = [_channel(pair) for pair in pairs]
    children = []
    for index, (reader, writer) in enumerate(channels[1:], start=1):
        pid = os.fork() if hasattr(os, "fork") else -1
        if pid == 0:  # the copy: its own channel only (the others' ends would keep them open)
            status = 1
            try:
                for other, (r, w) in enumerate(channels):
                    if other != index:
                        r.close()
                        w.close()
                status = serve(reader, writer)
            finally:
                os._exit(status)
        reader.close()  # the copy's (or, with no fork, nobody's: the driver sees it closed)
        writer.close()
        if pid > 0:
            children.append(pid)
    if channels:
        serve(*channels[0])
    for pid in children:
        os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stderr.flush()
    os._exit(code)  # at once: the driver may be waiting, and there is nothing to tear down
