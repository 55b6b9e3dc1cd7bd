"""A database that cannot be reached: a short 503 with Retry-After, one line at WARNING and no
traceback, for public pages, exports and the admin alike; a bug stays a 500; once the
database is back, everything works again (ledger/outages.py).

The errors are real ones, from real connections: to a PostgreSQL port nobody listens on, to
a SQLite file in a folder that does not exist, to a SQLite file another connection holds
locked. tests/test_faults.py restarts a real PostgreSQL under a real server.
"""

import logging
import sqlite3
from http import HTTPStatus

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

from ledger.outages import RETRY_AFTER, unreachable

from .factories import make_citation, make_line_item
from .served import Browser, free_port, gunicorn, prepare

pytestmark = pytest.mark.django_db


def wrapper(cls, **settings):
    """A Django connection of its own (not the suite's), with these settings."""
    defaults = {**connection.settings_dict, "HOST": "", "PORT": "", "USER": "", "OPTIONS": {}}
    return cls(defaults | settings, alias="elsewhere")


def postgresql_nowhere():
    """A PostgreSQL connection to a port nobody listens on."""
    return wrapper(
        PostgreSQLWrapper,
        ENGINE="django.db.backends.postgresql",
        NAME="ledger",
        USER="postgres",
        HOST="127.0.0.1",
        PORT=str(free_port()),
        OPTIONS={"connect_timeout": 2},
    )


def sqlite_at(path, **options):
    return wrapper(
        SQLiteWrapper, ENGINE="django.db.backends.sqlite3", NAME=str(path), OPTIONS=options
    )


def raised(action):
    """The database error action() raises."""
    try:
        action()
    except DatabaseError as error:
        return error
    raise AssertionError(f"{action} raised no database error")


class TestWhatCountsAsUnreachable:
    def test_a_postgresql_server_that_is_not_there(self):
        error = raised(postgresql_nowhere().ensure_connection)
        assert unreachable(error)

    def test_a_sqlite_file_that_cannot_be_opened(self, tmp_path):
        error = raised(sqlite_at(tmp_path / "missing" / "ledger.sqlite3").ensure_connection)
        assert unreachable(error)

    def test_a_sqlite_write_lock_not_freed_within_the_timeout(self, tmp_path):
        path = tmp_path / "ledger.sqlite3"
        holder = sqlite3.connect(path)
        holder.execute("BEGIN IMMEDIATE")
        try:
            waiting = sqlite_at(path, timeout=0.1, transaction_mode="IMMEDIATE")

            def write():
                with transaction.atomic(using=waiting.alias), waiting.cursor() as cursor:
                    cursor.execute("CREATE TABLE t (x)")

            # transaction.atomic looks connections up by alias: lend it this one.
            connections["elsewhere"] = waiting
            try:
                error = raised(write)
            finally:
                waiting.close()
                del connections["elsewhere"]
        finally:
            holder.close()
        assert "database is locked" in str(error)
        assert unreachable(error)

    def test_a_missing_table_is_a_bug(self):
        def query():
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT * FROM no_such_table")

        assert not unreachable(raised(query))

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="time limits are PostgreSQL's")
    def test_a_cancelled_query_is_not_an_outage(self):
        def query():
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = 1")
                cursor.execute("SELECT pg_sleep(1)")

        assert not unreachable(raised(query))

    def test_other_errors_are_not_outages(self):
        assert not unreachable(ValueError("not a database error"))


@pytest.fixture
def agreement():
    item = make_line_item()
    make_citation(line_item=item, agreement=item.agreement)
    return item.agreement


@pytest.fixture
def nowhere(tmp_path):
    """A connection of the suite's kind that cannot reach its database."""
    if connection.vendor == "postgresql":
        return postgresql_nowhere()
    return sqlite_at(tmp_path / "missing" / "ledger.sqlite3")


@pytest.fixture
def outage(nowhere):
    """While on, every query of the suite's connection meets the error `nowhere` gives.

    The query is not run: where it would run, the connection to the database that is not
    there is made instead, and its real error raised (Django's execute_wrapper hook).
    """

    def unreachable_database(execute, sql, params, many, context):
        nowhere.ensure_connection()
        return execute(sql, params, many, context)

    return connection.execute_wrapper(unreachable_database)


# Exports by the Python writer: PostgreSQL's COPY bypasses execute_wrapper (it is met by a
# real outage in tests/test_faults.py).
PAGES = ["/", "/items/", "/agreements/{pk}/", "/items/?_export=json", "/donors/?_export=csv"]
ADMIN_PAGES = ["/admin/aid/agreement/", "/admin/aid/agreement/{pk}/change/"]


class TestDuringAnOutage:
    @pytest.mark.parametrize("path", PAGES + ADMIN_PAGES)
    def test_a_short_503_that_says_to_come_back(
        self, superuser_client, agreement, outage, caplog, path
    ):
        with outage, caplog.at_level(logging.INFO):
            response = superuser_client.get(path.format(pk=agreement.pk))

        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert response["Retry-After"] == str(RETRY_AFTER)
        assert response["Cache-Control"] == "no-store"
        page = response.content.decode()
        assert "try again in a few seconds" in page
        assert "Traceback" not in page and "Error" not in page
        assert len(page) < 500
        problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
        (record,) = problems
        assert record.levelno == logging.WARNING
        assert record.exc_info is None
        assert "the database cannot be reached" in record.getMessage()

    def test_every_page_works_again_afterwards(self, superuser_client, agreement, outage):
        pages = [path.format(pk=agreement.pk) for path in PAGES + ADMIN_PAGES]
        with outage:
            assert {superuser_client.get(p).status_code for p in pages} == {
                HTTPStatus.SERVICE_UNAVAILABLE
            }
        assert {superuser_client.get(p).status_code for p in pages} == {HTTPStatus.OK}

    def test_a_bug_in_a_query_is_still_a_500_with_its_traceback_logged(
        self, client, agreement, caplog
    ):
        # Last in its test: on PostgreSQL the failed query aborts the test's transaction.
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE aid_category RENAME TO aid_category_moved")
        client.raise_request_exception = False
        with caplog.at_level(logging.INFO):
            response = client.get("/items/")
        assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
        (record,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert record.levelno == logging.ERROR
        assert record.exc_info is not None


def test_a_served_sqlite_ledger_whose_file_cannot_be_opened_then_can(tmp_path):
    """gunicorn on a SQLite file in a folder that is not there yet: 503s; then the folder
    and the database are made, and the same server answers, without a restart."""
    database = tmp_path / "not-yet" / "ledger.sqlite3"
    url = f"sqlite:///{database}"
    log = tmp_path / "server.log"
    paths = ["/", "/items/", "/agreements/1/", "/items/?_export=csv", "/admin/login/"]
    with gunicorn(url, log) as base:
        reader = Browser(base)
        during = [reader.get(path) for path in paths]
        database.parent.mkdir()
        prepare(url)
        after = [reader.get(path) for path in paths]
        staff = Browser(base)
        staff.log_in("alice")
        admin = staff.get("/admin/aid/agreement/")

    # The login page needs no database until a form is posted: it is served all along.
    assert [r.status for r in during] == [HTTPStatus.SERVICE_UNAVAILABLE] * 4 + [HTTPStatus.OK]
    for response in during[:4]:
        assert response.headers["Retry-After"] == str(RETRY_AFTER)
        assert not response.has_traceback
    assert [r.status for r in after] == [HTTPStatus.OK] * len(paths)
    assert admin.status == HTTPStatus.OK
    output = log.read_text()
    assert output.count("Service Unavailable") == 4
    assert "unable to open database file" in output
    assert "Traceback" not in output
