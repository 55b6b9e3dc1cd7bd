import os
import shutil
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client
from django.utils import translation

SEED_FIXTURE = "fixtures/ledger.json"
LOCALE = Path(__file__).resolve().parent.parent / "locale"


def pytest_sessionstart(session):
    """Compile a translation whose .po is newer than its .mo, as `make messages` does, so that
    a run of pytest alone never tests yesterday's catalogue."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in LOCALE.glob("*/LC_MESSAGES/django.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalogue = read_po(source)
        with mo.open("wb") as target:
            write_mo(target, catalogue)


class SeedRows:
    """What `manage.py seed` writes, read once per run and written again for each test.

    178 tests start from the seed data; the command (loaddata, every citation checked against
    its text, every value converted) costs 0.2-0.5 s each time. The first test that asks
    for it runs the real command and notes every row it added or changed, table by table;
    later tests get the same rows written back in bulk. Rows are compared whole, so what
    they receive is exactly what the command wrote (tested in tests/test_seed.py).
    """

    rows = None  # {model: ({pk: row} added, {pk: row} changed)} after the first seed
    # Kept by triggers from whatever else is written; a stale copy must not be written back.
    SKIP = {"aid.dataversion"}

    @classmethod
    def models(cls):
        return [
            model
            for model in apps.get_models(include_auto_created=True)
            if model._meta.label_lower not in cls.SKIP and not model._meta.proxy
        ]

    @staticmethod
    def table(model):
        fields = [field.attname for field in model._meta.concrete_fields]
        return {row[model._meta.pk.attname]: row for row in model._base_manager.values(*fields)}

    @classmethod
    def load(cls):
        if cls.rows is None:
            before = {model: cls.table(model) for model in cls.models()}
            call_command("seed", verbosity=0)
            cls.rows = {}
            for model, old in before.items():
                new = cls.table(model)
                added = {pk: row for pk, row in new.items() if pk not in old}
                changed = {pk: row for pk, row in new.items() if pk in old and old[pk] != row}
                if added or changed:
                    cls.rows[model] = (added, changed)
            return
        for model, (added, changed) in cls.rows.items():
            manager = model._base_manager
            present = set(manager.filter(pk__in=[*added, *changed]).values_list("pk", flat=True))
            # Rows another fixture made first are overwritten, as loaddata overwrites them.
            inserts = [model(**row) for pk, row in added.items() if pk not in present]
            updates = [model(**row) for pk, row in {**added, **changed}.items() if pk in present]
            manager.bulk_create(inserts)
            if updates:
                fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
                manager.bulk_update(updates, fields)
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), list(cls.rows)):
                cursor.execute(statement)


@pytest.fixture
def seeded(db):
    """The ledger as `make run` loads it: every figure from seeds/."""
    SeedRows.load()


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "pw")


@pytest.fixture
def superuser_client(client, superuser):
    """The admin, logged in as a superuser (tests/test_admin*.py)."""
    client.force_login(superuser)
    return client


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request to /uk/ activates Ukrainian for
    the thread, and reverse() or a label read after it would otherwise be in Ukrainian."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with empty caches: summaries and pages of another test's data never
    show."""
    for alias in settings.CACHES:
        caches[alias].clear()
    yield
    for alias in settings.CACHES:
        caches[alias].clear()


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


# Browser tests (tests/test_browser.py, test_layout.py, test_accessibility.py) --------------

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The flags this sandbox needs: no background network, no GPU, root without a sandbox.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_missing():
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return None
    return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run; each test gets its own context (fixture `page`)."""
    reason = chromium_missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the browser tests")
        pytest.skip(reason)
    # Playwright's sync API runs an event loop; the ORM in the test thread stays synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def served(live_server, transactional_db):
    """The seeded ledger, served live, for a browser."""
    from django.apps import apps

    # A transactional test empties every table afterwards, migration data included,
    # so the categories a migration loads are loaded again here.
    import_module("aid.migrations.0002_categories").load(apps, None)
    call_command("seed", verbosity=0)
    return live_server


@pytest.fixture
def new_page(browser, served):
    """make(**context options) -> a page of a new browser context on the served ledger."""
    contexts = []

    def make(**options):
        context = browser.new_context(accept_downloads=True, base_url=served.url, **options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture(scope="session", autouse=True)
def _aside_connections_closed(django_db_setup):
    """Facet counts run aside hold their own connections (aid/aside.py): closed before the
    test database is dropped, which an open connection would prevent."""
    yield
    from aid import aside

    aside.stop()
