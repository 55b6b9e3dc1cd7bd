"""Queries run aside, on their own database connections, while the request goes on.

A filtered table counts its rows and totals in one query and each facet in another
(aid/listing.py); at ten million line items each takes tens of milliseconds, and in a row
they add up past the page's budget (bench/README.md §8). Run side by side they take as
long as the slowest. Each pool thread keeps its own connection, checked before each use as
a request's is (a database restart is met the same way), and a task runs in the request's
context (its language; whether it reads from the replica).

Only on PostgreSQL, and only outside a transaction: another connection cannot see what a
transaction has not committed (the tests' transactions, a view run in atomic()). There
the work runs in the request's own thread, when its result is asked for.
"""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context

from django.conf import settings
from django.db import close_old_connections, connections

_pool = None
_pool_lock = threading.Lock()


def pool():
    global _pool  # noqa: PLW0603 - one pool per process, made after gunicorn forks
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=settings.LEDGER_ASIDE_THREADS, thread_name_prefix="ledger-aside"
            )
        return _pool


def allowed(using):
    connection = connections[using]
    return (
        settings.LEDGER_ASIDE_THREADS > 0
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )


def _run(work, args):
    # A request's thread does this at each request_started (health check, age limit).
    close_old_connections()
    return work(*args)


class Aside:
    """work(*args), started now on another connection where that is safe; result() waits."""

    def __init__(self, using, work, *args):
        self.work, self.args = work, args
        self.future = (
            pool().submit(copy_context().run, _run, work, args) if allowed(using) else None
        )

    def result(self):
        if self.future is None:
            return self.work(*self.args)
        return self.future.result()


def stop():
    """Closes each pool thread's database connections and ends the pool (a test session does,
    before its database is dropped: an open connection would keep it)."""
    global _pool  # noqa: PLW0603
    with _pool_lock:
        running, _pool = _pool, None
    if running is None:
        return
    threads = running._max_workers
    barrier = threading.Barrier(threads)

    def close():
        # Every thread takes one of these tasks: each waits until all have started.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)
        connections.close_all()

    for task in [running.submit(close) for _ in range(threads)]:
        task.result()
    running.shutdown(wait=True)
