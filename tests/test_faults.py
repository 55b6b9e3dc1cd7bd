"""Faults survived: PostgreSQL restarts under load, and the ledger rides it out.

gunicorn (2 workers) serves the ledger from a PostgreSQL cluster of this test's own
(tests/throwaway_postgres.py); readers keep asking for public pages and exports while the
cluster is stopped (fast, then immediate: as in a crash) and started again. Every answer is
a page or the short 503 (ledger/outages.py), never a 500 or a traceback; within
RECOVERY_LIMIT seconds of the database's return every answer is a page again, each worker
having dropped its dead connection by itself (CONN_HEALTH_CHECKS); and an admin save
acknowledged just before the stop is still there after it.

`make faults` runs this module alone, printing what it measured; `make test` runs it too.
Without PostgreSQL's binaries it skips, saying why; under CI (CI=true) it fails instead.
CI runs it once, in the suite's PostgreSQL run (the SQLite run beside it skips it).
"""

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http import HTTPStatus

import psycopg
import pytest
from django.db import connection

from ledger.outages import RETRY_AFTER

from .served import DRAFT_AGREEMENT, Browser, form_fields, gunicorn, prepare
from .throwaway_postgres import ThrowawayPostgres, missing

pytestmark = pytest.mark.faults

PUBLIC = [
    "/",
    "/items/",
    "/items/?donor=belgium&sort=-amount",
    "/agreements/",
    "/agreements/1/",
    "/donors/",
    "/donors/belgium/",
    "/sources/2/",
    "/changes/",
    "/items/?_export=csv",
    "/agreements/?_export=csv",
    "/items/?_export=json",
]
READERS = 6
OUTAGE = 1.0  # seconds the cluster stays down
RECOVERY_LIMIT = 10  # seconds after the database is back within which all must be well
SETTLED = 3  # seconds of nothing but pages that end a run
AGREEMENT = f"/admin/aid/agreement/{DRAFT_AGREEMENT}/change/"


@pytest.fixture(scope="module")
def cluster():
    if os.environ.get("CI") and connection.vendor != "postgresql":
        # The cluster is this test's own whatever the suite's database: CI's PostgreSQL run
        # restarts it, and its SQLite run, going on beside that one, need not do it again.
        pytest.skip("CI runs the fault tests in its PostgreSQL run")
    reason = missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the fault tests")
        pytest.skip(reason)
    postgres = ThrowawayPostgres()
    try:
        postgres.start()
        yield postgres
    finally:
        postgres.remove()


@pytest.fixture(scope="module")
def server(cluster, tmp_path_factory):
    database_url = cluster.create_database()
    prepare(database_url)
    log = tmp_path_factory.mktemp("faults") / "server.log"
    with gunicorn(database_url, log, workers=2) as base:
        yield base, database_url, log


@dataclass
class Answer:
    path: str
    started: float
    ended: float
    status: object  # an HTTP status, or the connection error's text
    retry_after: str = None
    traceback: bool = False
    cut_short: bool = False  # an export that failed while streaming: its last line says so


class Readers:
    """READERS threads asking for the public pages in turn until stopped."""

    def __init__(self, base):
        self.base = base
        self.answers = []
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self.read, args=(offset,)) for offset in range(READERS)
        ]

    def read(self, offset):
        browser = Browser(self.base, timeout=20)
        turn = offset
        while not self.stopping.is_set():
            path = PUBLIC[turn % len(PUBLIC)]
            turn += 1
            started = time.monotonic()
            try:
                response = browser.get(path)
            except OSError as error:
                self.answers.append(Answer(path, started, time.monotonic(), repr(error)))
                continue
            self.answers.append(
                Answer(
                    path,
                    started,
                    time.monotonic(),
                    response.status,
                    response.headers.get("Retry-After"),
                    response.has_traceback,
                    "the export stopped early" in response.body,
                )
            )

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def since(self, moment):
        return [answer for answer in list(self.answers) if answer.started >= moment]


def recovered_at(answers, back):
    """When the last answer that was not a page ended (the database's return if none)."""
    failed = [a.ended for a in answers if a.started >= back and a.status != HTTPStatus.OK]
    return max(failed, default=back)


def save_title(staff, title):
    """Save the draft agreement with a new title through the admin; the answer acknowledges it."""
    form = form_fields(staff.get(AGREEMENT).body, "agreement_form")
    form["title"] = title
    response = staff.post(AGREEMENT, form)
    assert response.status == HTTPStatus.FOUND, response.body[:2000]


def stored_title(database_url):
    with psycopg.connect(database_url) as connection:
        return connection.execute(
            "SELECT title FROM aid_agreement WHERE id = %s", [DRAFT_AGREEMENT]
        ).fetchone()[0]


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_postgresql_restart_under_load(cluster, server, mode):
    base, database_url, log = server
    staff = Browser(base)
    staff.log_in("alice")
    title = f"Saved just before a {mode} stop"

    with Readers(base) as readers:
        time.sleep(1)  # the readers at full speed, every worker holding a connection
        save_title(staff, title)
        down = time.monotonic()
        cluster.stop(mode)
        time.sleep(OUTAGE)
        stopped = time.monotonic()
        cluster.start()
        back = time.monotonic()
        while time.monotonic() - back < RECOVERY_LIMIT + SETTLED:
            time.sleep(0.2)
            settled_for = time.monotonic() - recovered_at(readers.since(back), back)
            if settled_for >= SETTLED and time.monotonic() - back >= SETTLED:
                break
    answers = list(readers.answers)
    recovered = recovered_at(answers, back)

    statuses = Counter(answer.status for answer in answers)
    outage = [a for a in answers if a.ended >= down and a.started <= recovered]
    report = (
        f"{mode} stop: {len(answers)} answers to {READERS} readers, by status "
        f"{dict(statuses)}; {sum(a.cut_short for a in answers)} exports cut short; the "
        f"database unavailable for {back - down:.1f} s (stopping and {OUTAGE} s down "
        f"{stopped - down:.1f} s, starting {back - stopped:.1f} s); every answer a page "
        f"again {recovered - back:.2f} s after it was back"
    )
    print(report)

    # Nothing but pages and 503s, and no traceback anywhere.
    assert set(statuses) <= {HTTPStatus.OK, HTTPStatus.SERVICE_UNAVAILABLE}, report
    assert not any(answer.traceback for answer in answers)
    # The outage was met (or this test tests nothing), and only while it lasted.
    unavailable = [a for a in answers if a.status == HTTPStatus.SERVICE_UNAVAILABLE]
    assert unavailable, report
    assert all(a.ended >= down for a in unavailable)
    assert {a.retry_after for a in unavailable} == {str(RETRY_AFTER)}
    # An export may be cut short only by the outage itself.
    assert all(a in outage for a in answers if a.cut_short), report
    # Within RECOVERY_LIMIT seconds, every worker answers again, and goes on answering.
    assert recovered - back <= RECOVERY_LIMIT, report
    after = [a for a in answers if a.started > recovered]
    assert len(after) >= READERS and {a.status for a in after} == {HTTPStatus.OK}, report

    # The save acknowledged before the stop survived it; so did the staff member's session.
    assert stored_title(database_url) == title
    assert staff.get(AGREEMENT).status == HTTPStatus.OK
    output = log.read_text()
    assert "Internal Server Error" not in output
    assert "Service Unavailable" in output
