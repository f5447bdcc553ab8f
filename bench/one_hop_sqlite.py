"""A candidate measured and not adopted (`bench_service.py --variants one-hop-sqlite`): SQLite
through aiosqlite in one hop per statement.

Measured (issue 15, session 4; SQLite, 64 connections, same interleaved runs): it cut the
Tasks API's CPU per GET by 6-19 % but raised its p99 by 30-40 % (1.1-1.2x the lean peer's
without it, 1.7x with it), so the service keeps SQLAlchemy's stock cursor. Why the tail grows
is not known yet; a shorter GIL switch interval did not change it.

aiosqlite runs each SQLite call on a thread of its own connection; SQLAlchemy's adapter calls it
once to make a cursor, once to execute, once to fetch the rows and once to close the cursor: four
hops to that thread per statement, each a queue put, a wake-up of the event loop from the other
thread and a round of the GIL between them. A py-spy profile of `GET /api/{user_id}/tasks/{id}`
on SQLite spent 35-50 % of its samples in them.

`OneHopDBAPI` is SQLAlchemy's own aiosqlite DBAPI adapter (`create_async_engine(..., module=...)`)
whose cursor does the four steps in one call on the driver's thread: the same statements, the
same parameters, the same rows, the same sqlite3 exceptions, through the same aiosqlite queue
(so the order of a connection's calls holds). Everything else (connecting, commit, rollback,
close, isolation level, server-side cursors) is the stock adapter's.

It reaches into aiosqlite's `Connection._execute` (queue a function for the connection's thread)
and `_conn` (the sqlite3 connection, only touched on that thread), as SQLAlchemy's adapter does
for the isolation level; both versions are pinned in pyproject.toml, and
tests/bench/test_one_hop_sqlite.py checks that the cursor behaves as the stock one (rows,
description, rowcount, lastrowid, errors).
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, list[Any], int, int | None]  # description, rows, rowcount, lastrowid


def _run(connection: aiosqlite.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """On the driver's thread: one statement, start to finish, on a cursor of its own."""
    cursor = connection._conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose `execute` is one call on the driver's thread (no aiosqlite cursor
    is kept: the rows, description, rowcount and lastrowid are copied out with the result)."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # Not the base __init__: it makes an aiosqlite cursor, a hop of its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]  # None before an INSERT, as sqlite3's

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return  # nothing is open on the driver's side

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._run_async(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(self._run_async(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run_async(self, operation: Any, parameters: Any, *, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            outcome: _Outcome = await self._connection._execute(  # type: ignore[attr-defined]
                _run, self._connection, operation, parameters, many
            )
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    def nextset(self) -> None:
        return None  # sqlite3 has one result set per statement

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None  # as sqlite3's (a no-op)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    _cursor_cls: type[AsyncAdapt_aiosqlite_cursor] = OneHopCursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI adapter, with `OneHopConnection` for its connections."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDBAPI:
    """The `module=` for `create_async_engine` of a `sqlite+aiosqlite` URL."""
    return OneHopDBAPI(aiosqlite, sqlite3)
