"""Staff saving the same agreement at the same moment, on a real server: one save wins, the
others get the no-lost-edits message (aid/locking.py), and never "database is locked".

The test client runs one request at a time; here gunicorn's worker processes run the saves
truly at once, against the database the suite runs on: a SQLite file (WAL, a busy timeout,
transactions that take the write lock up front: ledger/settings.py) or, with DATABASE_URL,
a database of its own on that PostgreSQL server.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

import pytest

from .served import DRAFT_AGREEMENT, Browser, form_fields, gunicorn, prepare, served_database

STAFF = ("alice", "bob", "carol")
TRIALS = 8
# The US $2 billion financing: one line item, two citations (a quick page to render).
AGREEMENT = f"/admin/aid/agreement/{DRAFT_AGREEMENT}/change/"
REFUSAL = "Not saved: this agreement changed after you opened it."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("concurrent-saves")
    with served_database(directory) as database_url:
        prepare(database_url, users=STAFF)
        log = directory / "server.log"
        with gunicorn(database_url, log, workers=len(STAFF)) as base:
            yield base, log


def open_page(browser):
    page = browser.get(AGREEMENT)
    assert page.status == HTTPStatus.OK, page.body[:500]
    return form_fields(page.body, "agreement_form")


def at_once(browsers, action, *args):
    """action(browser, *each arg) for every browser at the same moment; results in order."""
    start = threading.Barrier(len(browsers))

    def act(browser, *arguments):
        start.wait()
        return action(browser, *arguments)

    with ThreadPoolExecutor(len(browsers)) as pool:
        return list(pool.map(act, browsers, *args))


def save(browser, form):
    return browser.post(AGREEMENT, form)


def test_of_simultaneous_saves_one_wins_and_the_others_are_told(server):
    base, log = server
    browsers = []
    for name in STAFF:
        browser = Browser(base)
        browser.log_in(name)
        browsers.append(browser)
    first_version = int(open_page(browsers[0])["base_version"])

    outcomes = []
    winner = None
    for trial in range(TRIALS + 1):
        forms = at_once(browsers, open_page)
        if winner is not None:
            # The last trial's winning save is what everybody sees now.
            assert {form["title"] for form in forms} == {f"Saved by {winner} in {trial - 1}"}
        if trial == TRIALS:
            break
        for name, form in zip(STAFF, forms, strict=True):
            form["title"] = f"Saved by {name} in {trial}"
        responses = at_once(browsers, save, forms)

        statuses = [response.status for response in responses]
        outcomes.append(statuses)
        winners = [name for name, s in zip(STAFF, statuses, strict=True) if s == HTTPStatus.FOUND]
        assert len(winners) == 1, f"trial {trial}: {statuses}\n{log.read_text()[-3000:]}"
        (winner,) = winners
        for response in responses:
            if response.status != HTTPStatus.FOUND:
                assert response.status == HTTPStatus.OK, (trial, statuses)
                assert REFUSAL in response.body

    # Each trial wrote exactly once: one version each.
    assert int(forms[0]["base_version"]) == first_version + TRIALS
    assert "database is locked" not in log.read_text()
    print(f"{TRIALS} trials of {len(STAFF)} simultaneous saves: {outcomes}")
