"""A request that cannot reach the database gets a short 503, not a 500 and a traceback.

While PostgreSQL restarts (or a SQLite file cannot be opened, or its write lock is not free
within the busy timeout), every request that needs the database fails. That is not a
bug in the ledger: the reader is told to come back in a moment (503 with Retry-After), and
the log says so in one line at WARNING, without a traceback. Any other database error (a
missing table, a query PostgreSQL refuses) is a bug and stays a 500 with its traceback.

Nothing here retries or reconnects: Django checks a kept connection before each request
reuses it (CONN_HEALTH_CHECKS, ledger/settings.py), so once the database is back the next
request connects afresh (tests/test_faults.py).
"""

import sqlite3

from django.db import OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.log import log_response

# Seconds a client is asked to wait: about what a PostgreSQL restart takes.
RETRY_AFTER = 5

# PostgreSQL's SQLSTATEs for a server that is not there or is going away: connection
# exceptions (class 08), admin_shutdown, crash_shutdown, cannot_connect_now (starting up
# or shutting down), too_many_connections.
POSTGRESQL_UNREACHABLE = ("08", "57P01", "57P02", "57P03", "53300")
# SQLite's: the file cannot be opened; the lock was not free within the busy timeout.
SQLITE_UNREACHABLE = ("SQLITE_CANTOPEN", "SQLITE_BUSY", "SQLITE_LOCKED")


def unreachable(error):
    """Whether a database error means the database cannot be reached now (not a bug).

    Only OperationalError can: psycopg 3 reports a closed or broken connection as one, and
    its InterfaceError means the driver was misused (a bug).
    """
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    if isinstance(cause, sqlite3.Error):
        return (cause.sqlite_errorname or "").startswith(SQLITE_UNREACHABLE)
    if not hasattr(cause, "sqlstate"):
        return False
    if cause.sqlstate is None:
        # psycopg's own errors carry no SQLSTATE: a refused, reset or closed connection,
        # never one the server sent about a query.
        return True
    return cause.sqlstate.startswith(POSTGRESQL_UNREACHABLE)


def first_line(error):
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


class DatabaseOutageMiddleware:
    """Answers 503 with Retry-After when a view (or its template) cannot reach the database.

    Exports run their query in the view (aid/exports.py), so they are answered the same way.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not unreachable(exception):
            return None
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        response["Cache-Control"] = "no-store"
        # Logged once, here, at WARNING and without a traceback (django.request would log
        # any 5xx at ERROR).
        log_response(
            "Service Unavailable: %s (the database cannot be reached: %s)",
            request.path,
            first_line(exception),
            response=response,
            request=request,
            level="warning",
        )
        return response
