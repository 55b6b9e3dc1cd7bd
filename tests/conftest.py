import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client

SEED_FIXTURE = "fixtures/ledger.json"


@pytest.fixture
def seeded(db):
    """The ledger as `make run` loads it: every figure from seeds/."""
    call_command("seed", verbosity=0)


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "pw")


@pytest.fixture
def superuser_client(client, superuser):
    """The admin, logged in as a superuser (tests/test_admin*.py)."""
    client.force_login(superuser)
    return client


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: summaries of another test's data never show."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _data_version_follows_each_write(request):
    """Inside a test's transaction, each request sees the data version of the writes before it.

    On PostgreSQL the version is bumped by deferred triggers at commit (aid/triggers.py), and
    a test's transaction never commits. Before each request of such a test, the triggers
    waiting for the commit are fired, as a commit would, on the raw connection so that
    query counts do not see it.
    """
    marker = request.node.get_closest_marker("django_db")
    if connection.vendor != "postgresql" or ("db" not in request.fixturenames and not marker):
        yield
        return

    def fire_deferred_triggers(**kwargs):
        if connection.in_atomic_block:
            with connection.connection.cursor() as cursor:
                # The triggers bump once per transaction; here, once per "commit".
                cursor.execute("SELECT set_config('aid.data_version_bumped', '', true)")
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    request_started.connect(fire_deferred_triggers)
    yield
    request_started.disconnect(fire_deferred_triggers)


@pytest.fixture(autouse=True)
def _streamed_responses_are_closed(request, monkeypatch):
    """Every streamed response a test's client opened is closed, as a server always closes it.

    An export runs its query in the view (aid/exports.py): on PostgreSQL an export a test
    never reads holds its connection in COPY, and the test's next query would wait forever.
    Closed before the client's next request, and at the end of the test (before the test
    database's rollback, so after nothing that uses it).
    """
    if "db" in request.fixturenames:
        request.getfixturevalue("db")
    opened = []
    send = Client.request

    def close_opened():
        # As the test client closes a response it streamed to the end: without closing the
        # test's database connection on request_finished.
        while opened:
            request_finished.disconnect(close_old_connections)
            try:
                opened.pop().close()
            finally:
                request_finished.connect(close_old_connections)

    def request_closing_the_last(client, **kwargs):
        close_opened()
        response = send(client, **kwargs)
        if getattr(response, "streaming", False):
            opened.append(response)
        return response

    monkeypatch.setattr(Client, "request", request_closing_the_last)
    yield
    close_opened()
