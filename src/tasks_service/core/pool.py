"""A connection pool that hands connections out in the order they were asked for.

SQLAlchemy's `AsyncAdaptedQueuePool` keeps idle connections in an `asyncio.Queue`, and its
`get` takes one without waiting whenever one is there. A connection given back wakes the longest
waiting request, but a request arriving meanwhile (before the woken one runs) takes it first, and
the woken one waits again, at the back. Under load, with more requests than connections, some
requests are passed over again and again: the benchmark's p99 at 64 connections reached seconds,
and the pool's bounded wait (`database_pool_timeout_seconds`) turned them into 503s.

`FairAsyncQueuePool` is that pool over a queue that gives a connection coming back straight to
the longest waiting request (FIFO hand-off), so a newcomer finds none idle while others wait.
Everything else (size, overflow, timeout, invalidation, `recreate`) is SQLAlchemy's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any, Generic, TypeVar

from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.util import memoized_property
from sqlalchemy.util.queue import AsyncAdaptedQueue

T = TypeVar("T")


class FairQueue(Generic[T]):
    """The part of `asyncio.Queue` that SQLAlchemy's `AsyncAdaptedQueue` uses, with a hand-off:
    `put_nowait` gives the item to the longest waiting `get` if there is one. So items are only
    ever idle here while nobody waits, and `get_nowait` cannot take one from a waiter."""

    def __init__(self, maxsize: int = 0, *, lifo: bool = False) -> None:
        self.maxsize = maxsize
        self._lifo = lifo
        self._items: deque[T] = deque()
        self._waiters: deque[asyncio.Future[T]] = deque()

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self._items)

    def put_nowait(self, item: T) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(item)
                return
        if self.full():
            raise asyncio.QueueFull
        self._items.append(item)

    def get_nowait(self) -> T:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.pop() if self._lifo else self._items.popleft()

    async def get(self) -> T:
        if self._items:  # idle items mean nobody is waiting (see put_nowait)
            return self.get_nowait()
        waiter: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except BaseException:  # cancelled, or timed out by wait_for
            if waiter.done() and not waiter.cancelled():
                self.put_nowait(waiter.result())  # handed over as we gave up: pass it on
            else:
                with contextlib.suppress(ValueError):  # put_nowait may have dropped it
                    self._waiters.remove(waiter)
            raise


class FairAsyncAdaptedQueue(AsyncAdaptedQueue[T]):
    """SQLAlchemy's asyncio queue adapter over a `FairQueue`."""

    @memoized_property
    def _queue(self) -> Any:  # made on first use, on the running loop (as the base class does)
        return FairQueue(self.maxsize, lifo=self.use_lifo)


class _ConnectionQueue(FairAsyncAdaptedQueue[ConnectionPoolEntry]):
    pass


class FairAsyncQueuePool(AsyncAdaptedQueuePool):
    """`AsyncAdaptedQueuePool` handing connections out first come, first served."""

    _queue_class = _ConnectionQueue
