"""A filtered table's facets are counted aside, on their own connections (aid/aside.py).

Another connection sees only what is committed, so these tests commit (transactional) and
run on PostgreSQL, the only database where counting runs aside.
"""

import threading
from importlib import import_module

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from aid import listing
from aid.aside import Aside

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="aside on PostgreSQL only"),
]

FILTERED = [
    "/items/?donor=belgium",
    "/items/?category=aircraft&stage=committed",
    "/agreements/?donor=spain",
]


@pytest.fixture
def committed_seed():
    from django.apps import apps

    # As tests/conftest.py `served`: a transactional test empties the migrations' categories.
    import_module("aid.migrations.0002_categories").load(apps, None)
    call_command("seed", verbosity=0)


def facets(response):
    return {f.name: [(o.value, o.count) for o in f.options] for f in response.context["facets"]}


def test_counts_aside_equal_counts_in_line(committed_seed, settings, monkeypatch):
    settings.LEDGER_PAGE_CACHE = False  # each path is rendered twice, not answered kept
    threads = []
    real = listing.Aside

    def recording(using, work, *args):
        task = real(using, lambda: (threads.append(threading.current_thread().name), work())[1])
        assert task.future is not None, "counted in line, not aside"
        return task

    monkeypatch.setattr(listing, "Aside", recording)
    client = Client()
    aside_counts = {path: facets(client.get(path)) for path in FILTERED}
    assert threads and all(name.startswith("ledger-aside") for name in threads)

    settings.LEDGER_ASIDE_THREADS = 0
    monkeypatch.setattr(listing, "Aside", real)
    in_line = {path: facets(client.get(path)) for path in FILTERED}
    assert aside_counts == in_line
    assert any(count for counts in in_line.values() for _, count in sum(counts.values(), []))


def test_inside_a_transaction_work_runs_in_the_requests_thread():
    from django.db import transaction

    with transaction.atomic():
        task = Aside("default", threading.current_thread)
        assert task.future is None
        assert task.result() is threading.current_thread()


def test_an_error_aside_reaches_the_request():
    def fails():
        raise ValueError("counted badly")

    task = Aside("default", fails)
    assert task.future is not None
    with pytest.raises(ValueError, match="counted badly"):
        task.result()
    # The pool still works after it.
    assert Aside("default", lambda: 2).result() == 2
