"""`python -m specfirst.generator.pydantic_models.worker IN,OUT [IN,OUT ...]`: models run in
worker processes that pull their parts from the driver (`driver.PartRun`).

Each `IN,OUT` pair is a channel: two pipe file descriptors the driver passed down. The process
first loads datamodel-code-generator (imports and a first run, about 0.6 s), then serves the
first channel itself and forks one copy of itself, already loaded, for each other channel
(`fork_serving`; a fork costs milliseconds, a second interpreter would cost the load again;
the resident worker, `resident`, forks its copies the same way). So a driver that
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
import signal
import sys
from collections.abc import Sequence
from typing import BinaryIO

from specfirst.generator.pydantic_models.driver import (
    ModelGenerationError,
    _run_datamodel_codegen,
    read_message,
    write_message,
)

# A small document of the kinds real parts hold (enums, defaults, arrays, formats, nullable,
# allOf, a discriminated union, readOnly/writeOnly variants): running it once loads and compiles
# what datamodel-code-generator loads on first use of each (its templates above all), so the
# first real part does not pay for it (about 0.07 s less for it in a fresh copy).
_WARM_UP = {
    "openapi": "3.0.3",
    "info": {"title": "warm-up", "version": "0"},
    "paths": {},
    "components": {
        "schemas": {
            "Pet": {
                "type": "object",
                "required": ["id", "kind"],
                "properties": {
                    "id": {"type": "integer", "readOnly": True},
                    "kind": {"type": "string", "enum": ["cat", "dog"], "default": "cat"},
                    "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}},
                    "born": {"type": "string", "format": "date-time"},
                    "weight": {"type": "number", "minimum": 0},
                    "owner": {"$ref": "#/components/schemas/Owner"},
                    "extra": {"type": "object", "additionalProperties": {"type": "string"}},
                    "any": {
                        "oneOf": [
                            {"$ref": "#/components/schemas/Cat"},
                            {"$ref": "#/components/schemas/Dog"},
                        ],
                        "discriminator": {"propertyName": "t"},
                    },
                    "note": {"type": "string", "nullable": True},
                    "secret": {"type": "string", "writeOnly": True},
                },
            },
            "Owner": {
                "allOf": [
                    {"$ref": "#/components/schemas/Base"},
                    {"type": "object", "properties": {"name": {"type": "string"}}},
                ]
            },
            "Base": {"type": "object", "properties": {"b": {"type": "boolean"}}},
            "Cat": {"type": "object", "required": ["t"], "properties": {"t": {"enum": ["Cat"]}}},
            "Dog": {"type": "object", "required": ["t"], "properties": {"t": {"enum": ["Dog"]}}},
            "Ids": {"type": "array", "items": {"type": "integer"}},
        }
    },
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


def warm_up() -> None:
    """Load what datamodel-code-generator loads on first use, by running it once."""
    _run_datamodel_codegen(_WARM_UP)


def fork_serving(
    channels: Sequence[tuple[BinaryIO, BinaryIO]], index: int, close: tuple[int, ...] = ()
) -> int:
    """Fork a copy of this (loaded) process that serves `channels[index]` and exits when the
    driver closes it; its pid. The copy holds no other channel (their ends would keep them
    open) nor the descriptors in `close`, and takes the default signal handlers back (the
    resident's are its own)."""
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for fd in close:
                os.close(fd)
            for other, (reader, writer) in enumerate(channels):
                if other != index:
                    reader.close()
                    writer.close()
            status = serve(*channels[index])
        finally:
            os._exit(status)
    return pid


def main(pairs: list[str]) -> int:
    warm_up()
    channels = [_channel(pair) for pair in pairs]
    children = []
    for index in range(1, len(channels)):
        if hasattr(os, "fork"):
            children.append(fork_serving(channels, index))
        reader, writer = channels[index]
        reader.close()  # the copy's (or, with no fork, nobody's: the driver sees it closed)
        writer.close()
    if channels:
        serve(*channels[0])
    for pid in children:
        os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stderr.flush()
    os._exit(code)  # at once: the driver may be waiting, and there is nothing to tear down
