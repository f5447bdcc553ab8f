"""A TCP proxy the fault tests put between the service and PostgreSQL or Redis.

Modes, switched at any time by the test:

- `pass`: bytes flow both ways (a healthy dependency);
- `refuse`: the listening socket is closed and every open connection is reset, so connecting
  is refused (a stopped server);
- `freeze`: connections are accepted but no byte moves in either direction, on new and on
  existing connections (a stuck server or a network partition); thawing lets the held bytes
  flow again.

It runs in the test's event loop, beside the app under test, and never touches the real server
beyond relaying what the app sends.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Literal

Mode = Literal["pass", "refuse", "freeze"]
_CHUNK = 65536


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.mode: Mode = "pass"
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> FaultProxy:
        await self._listen()
        return self

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def set_mode(self, mode: Mode) -> None:
        if mode == self.mode:
            return
        previous, self.mode = self.mode, mode
        if mode == "freeze":
            self._flowing.clear()
        else:
            self._flowing.set()
        if mode == "refuse":
            assert self._server is not None
            self._server.close()
            self._reset_all()
            await self._server.wait_closed()
            self._server = None
        elif previous == "refuse":
            await self._listen()

    def _reset_all(self) -> None:
        for writer in list(self._writers):
            transport = writer.transport
            if isinstance(transport, asyncio.WriteTransport):
                transport.abort()
        self._writers.clear()

    async def _serve(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        self._writers.add(client)
        await self._flowing.wait()  # a frozen server accepts but never answers
        try:
            up_reader, upstream = await asyncio.open_connection(*self.upstream)
        except OSError:
            client.transport.abort()
            self._writers.discard(client)
            return
        self._writers.add(upstream)
        pumps = [
            asyncio.create_task(self._pump(client_reader, upstream)),
            asyncio.create_task(self._pump(up_reader, client)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pumps:
                task.cancel()
            for writer in (client, upstream):
                self._writers.discard(writer)
                writer.transport.abort()
            self._tasks.difference_update(pumps)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while True:
                data = await reader.read(_CHUNK)
                if not data:
                    return
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()

    async def close(self) -> None:
        self._flowing.set()
        if self._server is not None:
            self._server.close()
        self._reset_all()
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            await self._server.wait_closed()
