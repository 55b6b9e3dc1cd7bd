"""Caching for many readers and many machines: validators, 304s, shared summaries, the replica.

The data version is bumped by database triggers at commit (aid/triggers.py). The tests that
check it against real commits are transactional; the others run inside a test transaction,
where tests/conftest.py fires the deferred triggers before each request, as a commit would.
"""

from http import HTTPStatus

import pytest
from django.core.cache import caches
from django.db import connection, connections, transaction
from django.middleware.csrf import get_token
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from aid.caching import current_version
from aid.choices import Stage, Status
from aid.models import Agreement
from aid.views import OverviewView

from .factories import make_agreement, make_citation, make_donor, make_line_item

PUBLIC = ["/", "/items/", "/agreements/", "/donors/", "/glossary/", "/changes/"]


def published_agreement(**fields):
    agreement = make_agreement(**fields)
    make_citation(agreement=agreement)
    return agreement


@pytest.mark.django_db
class TestValidators:
    @pytest.mark.parametrize("url", [*PUBLIC, "/items/?_export=csv", "/agreements/?_export=json"])
    def test_public_responses_carry_validators_and_cache_control(self, client, seeded, url):
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK
        if response.streaming:
            # An export runs its query in the view: read it to the end, as a client does.
            b"".join(response.streaming_content)
        assert response["ETag"].startswith('W/"')
        assert response["Last-Modified"].endswith("GMT")
        control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"public", "max-age=60", "stale-while-revalidate=600"} <= control
        assert not response.cookies

    def test_not_modified_without_running_the_view(self, client, seeded):
        first = client.get("/items/")
        with CaptureQueriesContext(connection) as queries:
            second = client.get("/items/", HTTP_IF_NONE_MATCH=first["ETag"])
        assert second.status_code == HTTPStatus.NOT_MODIFIED
        assert second.content == b""
        assert second["ETag"] == first["ETag"]
        # One query: the data version. No filter, count, facet, page or rendering.
        assert len(queries) == 1, [q["sql"] for q in queries.captured_queries]

    def test_if_modified_since(self, client, seeded):
        first = client.get("/agreements/")
        again = client.get("/agreements/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        assert again.status_code == HTTPStatus.NOT_MODIFIED

    def test_a_publication_changes_the_validators(self, client, seeded):
        before = client.get("/agreements/")
        draft = make_agreement(status=Status.DRAFT)
        make_citation(agreement=draft)
        Agreement.objects.filter(pk=draft.pk).update(status=Status.PUBLISHED)
        after = client.get("/agreements/", HTTP_IF_NONE_MATCH=before["ETag"])
        assert after.status_code == HTTPStatus.OK
        assert after["ETag"] != before["ETag"]
        assert draft.title in after.content.decode()

    def test_bad_input_and_missing_pages_are_not_marked_cacheable(self, client, seeded):
        assert "public" not in client.get("/items/?sort=nonsense").get("Cache-Control", "")
        assert "public" not in client.get("/agreements/999999/").get("Cache-Control", "")

    def test_the_admin_and_health_checks_are_not_public(self, superuser_client, client, seeded):
        for response in (superuser_client.get("/admin/aid/agreement/"), client.get("/healthz")):
            assert "ETag" not in response
            assert "public" not in response.get("Cache-Control", "")


@pytest.mark.django_db
class TestSharedSummaries:
    def test_a_whole_table_summary_is_computed_once_per_data_version(self, client, seeded):
        with CaptureQueriesContext(connection) as first:
            client.get("/items/")
        with CaptureQueriesContext(connection) as second:
            client.get("/items/")
        # The second reads the version and its page's rows; count, totals, facets are kept.
        assert len(second) < len(first) - 3

    def test_a_whole_tables_facet_counts_are_shared_by_every_language(self, client, seeded):
        english = client.get("/items/").context["facets"]
        with CaptureQueriesContext(connection) as ukrainian:
            response = client.get("/uk/items/")
        # Names and labels are the reader's language; the counts were kept, not counted again.
        facet_counts = [
            q["sql"]
            for q in ukrainian.captured_queries
            for column in (
                '"donor_id" AS "donor"',
                '"category_id" AS "category"',
                '"kind" AS "kind"',
            )
            if column in q["sql"]
        ]
        assert not facet_counts
        assert [[o.count for o in f.options] for f in response.context["facets"]] == [
            [o.count for o in f.options] for f in english
        ]

    def test_a_filtered_table_is_never_served_from_the_whole_tables_summary(self, client, seeded):
        whole = client.get("/items/").context["count"]
        filtered = client.get("/items/?donor=spain").context["count"]
        assert 0 < filtered < whole

    def test_a_write_is_seen_at_once(self, client, seeded):
        before = client.get("/items/").context
        count, committed = before["count"], before["totals"].get(Stage.COMMITTED).amount
        make_line_item(
            agreement=published_agreement(amount=None, currency=""),
            amount=1000,
            currency="EUR",
            quantity=None,
            unit="",
        )
        after = client.get("/items/").context
        assert after["count"] == count + 1
        assert after["totals"].get(Stage.COMMITTED).amount == committed + 1000

    def test_the_overview_too(self, client, seeded):
        donors = client.get("/").context["donor_count"]
        published_agreement(donor=make_donor())
        assert client.get("/").context["donor_count"] == donors + 1


@pytest.mark.django_db(transaction=True)
class TestDataVersionAtCommit:
    """Real commits: the triggers as production runs them, on either database."""

    def test_a_commit_moves_it_and_a_rollback_does_not(self):
        start = current_version()
        with transaction.atomic():
            make_donor()
        committed = current_version()
        assert committed.number > start.number
        assert committed.token != start.token
        with pytest.raises(RuntimeError), transaction.atomic():
            make_donor()
            raise RuntimeError("rolled back")
        assert current_version() == committed

    def test_a_transaction_of_many_writes(self):
        start = current_version()
        with transaction.atomic():
            donor = make_donor()
            for _ in range(5):
                make_agreement(donor=donor)
        moved = current_version().number - start.number
        if connection.vendor == "postgresql":
            assert moved == 1  # once, at commit: the row is locked for the commit only
        else:
            assert moved > 5  # SQLite has no deferred triggers: each write moves it

    def test_a_writer_that_bypasses_the_orm_moves_it(self):
        donor = make_donor()
        start = current_version()
        with connection.cursor() as cursor:
            cursor.execute("UPDATE aid_donor SET name = 'Renamed' WHERE id = %s", [donor.pk])
        assert current_version().number > start.number


REDIS = {
    alias: {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/15",
        "KEY_PREFIX": prefix,
    }
    for alias, prefix in (("default", "ledger-tests"), ("pages", "ledger-tests-pages"))
}
NO_REDIS = {
    alias: {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
    }
    for alias in ("default", "pages")
}


PAGE_CACHE = "X-Ledger-Page-Cache"


@pytest.mark.django_db
class TestPageCache:
    """Whole public pages kept per data version, language and address (aid/caching.py)."""

    @pytest.mark.parametrize("url", ["/", "/items/?donor=spain", "/uk/agreements/", "/donors/"])
    def test_a_page_is_rendered_once_per_data_version(self, client, seeded, url):
        first = client.get(url)
        with CaptureQueriesContext(connection) as queries:
            second = client.get(url)
        assert (first[PAGE_CACHE], second[PAGE_CACHE]) == ("miss", "hit")
        assert second.content == first.content
        assert second["ETag"] == first["ETag"]
        assert second["Content-Language"] == first["Content-Language"]
        # One query, the data version: no filter, count or rendering.
        assert len(queries) == 1, [q["sql"] for q in queries.captured_queries]

    def test_a_publication_renders_the_page_again(self, client, seeded):
        client.get("/agreements/")
        assert client.get("/agreements/")[PAGE_CACHE] == "hit"
        agreement = published_agreement(title="Published after the page was kept")
        after = client.get("/agreements/")
        assert after[PAGE_CACHE] == "miss"
        assert agreement.title in after.content.decode()

    def test_a_draft_never_reaches_a_kept_page(self, client, seeded):
        make_agreement(title="A draft written while pages are kept", status=Status.DRAFT)
        for _ in range(2):
            assert "A draft written" not in client.get("/agreements/").content.decode()

    def test_each_language_query_and_host_has_its_own_page(self, client, seeded):
        english = client.get("/items/")
        for url, host in [
            ("/uk/items/", "testserver"),
            ("/items/?donor=spain", "testserver"),
            ("/items/?donor=belgium", "testserver"),
            ("/items/", "localhost"),
        ]:
            response = client.get(url, HTTP_HOST=host)
            assert response[PAGE_CACHE] == "miss", (url, host)
            assert response.content != english.content or host != "testserver"
        assert client.get("/uk/items/")["Content-Language"] == "uk"

    def test_exports_bad_input_and_missing_pages_are_not_kept(self, client, seeded):
        export = client.get("/items/?_export=csv")
        b"".join(export.streaming_content)
        assert PAGE_CACHE not in export
        for url in ("/items/?sort=nonsense", "/agreements/999999/"):
            assert PAGE_CACHE not in client.get(url)
            assert PAGE_CACHE not in client.get(url)

    @pytest.mark.parametrize(
        "personal",
        [
            pytest.param(lambda request: request.session.get("seen"), id="session read"),
            pytest.param(get_token, id="csrf token used"),
        ],
    )
    def test_a_page_that_is_the_readers_own_is_never_kept(
        self, client, seeded, monkeypatch, personal
    ):
        """A public page that reads the session or renders a CSRF token (a POST form) is
        not the same for every reader: keeping it would hand one reader's to the next."""
        client.cookies["csrftoken"] = "a" * 32  # a returning reader: no new cookie is set
        real = OverviewView.get_context_data

        def reading(view, **kwargs):
            personal(view.request)
            return real(view, **kwargs)

        monkeypatch.setattr(OverviewView, "get_context_data", reading)
        for _ in range(2):
            response = client.get("/")
            assert response.status_code == HTTPStatus.OK
            assert PAGE_CACHE not in response

    def test_the_admin_is_never_kept(self, superuser_client, seeded):
        for _ in range(2):
            assert PAGE_CACHE not in superuser_client.get("/admin/aid/agreement/")

    def test_a_long_page_is_rendered_each_time(self, client, seeded):
        with override_settings(LEDGER_PAGE_CACHE_MAX_BYTES=1000):
            for _ in range(2):
                response = client.get("/items/")
                assert response.status_code == HTTPStatus.OK
                assert PAGE_CACHE not in response

    @override_settings(LEDGER_PAGE_CACHE=False)
    def test_it_can_be_turned_off(self, client, seeded):
        first, second = client.get("/"), client.get("/")
        assert PAGE_CACHE not in first and PAGE_CACHE not in second
        assert second.content == first.content


@pytest.mark.django_db
class TestRedis:
    """Django's own Redis backend, against the Redis server the machine runs (CI too)."""

    def test_summaries_are_shared_through_redis_and_follow_the_data(self, client, seeded):
        with override_settings(CACHES=REDIS):
            caches["default"].clear()
            client.get("/items/")
            keys = caches["default"]._cache.get_client().keys("ledger-tests:*")
            token = current_version().token
            assert any(token.encode() in key for key in keys), keys
            published_agreement()
            client.get("/items/")
            assert current_version().token != token
            caches["default"].clear()

    def test_pages_are_shared_through_redis(self, client, seeded):
        with override_settings(CACHES=REDIS):
            caches["pages"].clear()
            first = client.get("/agreements/")
            keys = caches["pages"]._cache.get_client().keys("ledger-tests-pages:*")
            assert any(current_version().token.encode() in key for key in keys), keys
            second = client.get("/agreements/")
            assert (second[PAGE_CACHE], second.content) == ("hit", first.content)
            caches["pages"].clear()

    def test_a_cache_that_is_down_costs_time_never_the_page(self, client, seeded, caplog):
        with override_settings(CACHES=NO_REDIS):
            first, second = client.get("/items/"), client.get("/items/")
        assert first.status_code == second.status_code == HTTPStatus.OK
        assert second.content == first.content
        assert "Cache unavailable" in caplog.text


@pytest.mark.django_db(databases=["default", "replica"], transaction=True)
class TestReadReplica:
    """A replica that is the same database (tests/settings.py): which connection reads."""

    @pytest.fixture
    def ledger(self):
        published_agreement()

    def queries_on(self, alias, request):
        with CaptureQueriesContext(connections[alias]) as queries:
            response = request()
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)
        return len(queries)

    @override_settings(LEDGER_READ_REPLICA=True)
    def test_public_pages_read_from_the_replica(self, client, ledger):
        for url in ["/", "/items/", "/agreements/?_export=csv"]:
            on_replica = self.queries_on("replica", lambda u=url: client.get(u))
            assert on_replica > 0, url
            assert self.queries_on("default", lambda u=url: client.get(u)) == 0, url

    @override_settings(LEDGER_READ_REPLICA=True)
    def test_the_admin_reads_and_writes_the_primary(self, client, ledger, django_user_model):
        admin = django_user_model.objects.create_superuser("boss", "b@example.org", "pw")
        client.force_login(admin)
        client.get("/items/")  # a public page before must not leave the request on the replica
        assert self.queries_on("replica", lambda: client.get("/admin/aid/agreement/")) == 0
        assert self.queries_on("default", lambda: client.get("/admin/aid/agreement/")) > 0

    def test_without_a_replica_everything_reads_the_primary(self, client, ledger):
        assert self.queries_on("replica", lambda: client.get("/items/")) == 0
