"""Facets and the page summary stay correct when they are counted the cheap way.

/items/ counts its rows, stage facet, totals and "not counted" notes in one grouped
query, and its other facets by foreign key with a time limit (aid/listing.py). These
tests hold the cheap answers to the plain ones.
"""

import csv
import io
from collections import Counter

import pytest
from django.db import connection
from django.db.models.expressions import RawSQL

from aid import listing
from aid.choices import Stage
from aid.listing import LedgerListView, within_time_limit
from aid.models import Agreement, LineItem
from aid.totals import item_summary, item_totals
from aid.views import LineItemListView

pytestmark = pytest.mark.django_db

FILTERS = [
    {},
    {"donor": "belgium"},
    {"category": "aircraft"},
    {"stage": Stage.COMMITTED},
    {"donor": ["united-states", "spain"], "date_after": "2024-01-01"},
]


@pytest.mark.parametrize("currency", ["EUR", "USD"])
def test_the_one_query_summary_equals_the_plain_counts(seeded, currency):
    for queryset in (
        LineItem.objects.published(),
        LineItem.objects.published().filter(category__slug="air-defence"),
        LineItem.objects.published().filter(donor__slug="belgium"),
    ):
        summary = item_summary(queryset, currency)
        assert summary.count == queryset.count() > 0
        assert summary.by_stage == dict(Counter(queryset.values_list("stage", flat=True)))
        plain = item_totals(queryset, currency)
        assert [
            (t.stage, t.amount, t.qualifier, t.count, t.unconverted) for t in summary.totals
        ] == [(t.stage, t.amount, t.qualifier, t.count, t.unconverted) for t in plain]
        assert summary.uncounted == {
            "in_packages": queryset.filter(agreement__amount__isnull=False).count(),
            "parts": queryset.filter(part_of__isnull=False, agreement__amount__isnull=True).count(),
            "unpriced": queryset.filter(
                amount__isnull=True, agreement__amount__isnull=True
            ).count(),
        }


def exported(client, params):
    response = client.get("/items/", {**params, "_export": "csv"})
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("params", FILTERS, ids=[str(p) for p in FILTERS])
def test_facet_counts_match_what_ticking_the_value_exports(client, seeded, params):
    """Each facet option's count is the number of rows its link would give."""
    page = client.get("/items/", params)
    rows = exported(client, params)
    assert page.context["count"] == len(rows)
    for facet in page.context["facets"]:
        others = {k: v for k, v in params.items() if k != facet.name}
        without = exported(client, others)
        column = {"donor": "donor_slug", "category": "category_slug", "stage": "stage"}.get(
            facet.name
        )
        if column is None:
            continue
        expected = Counter(row[column] for row in without)
        assert {o.value: o.count for o in facet.options if o.count} == dict(expected), facet.name


@pytest.mark.parametrize(
    "url, queryset, field",
    [
        ("/items/?sort=-eur&per_page=7", LineItem.objects.published(), "value_eur"),
        ("/items/?sort=quantity&per_page=5", LineItem.objects.published(), "quantity"),
        ("/agreements/?sort=-eur&per_page=3", Agreement.objects.published(), "counted_eur"),
    ],
)
def test_every_page_holds_the_rows_of_the_sorted_set_in_order(client, seeded, url, queryset, field):
    """Pages are fetched by id first (LedgerListView.page): same rows, same order, no gaps."""
    shown = []
    for number in range(1, 40):
        response = client.get(f"{url}&page={number}")
        rows = [row.record.pk for row in response.context["table"].paginated_rows]
        shown.extend(rows)
        if not response.context["table"].page.has_next():
            break
    expected = list(queryset.values_list("pk", field))
    assert len(shown) == len(expected) == len(set(shown))
    # Ties and empty values may fall either way between databases; the order of values may not.
    value = dict(expected)
    values = [value[pk] for pk in shown]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse="-" in url.split("sort=")[1][:1])
    assert values[len(present) :] == [None] * (len(values) - len(present))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="time limits are PostgreSQL's")
class TestTimeLimits:
    def sleep(self, seconds):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(%s)", [seconds])
        return "done"

    def timeout(self):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            return cursor.fetchone()[0]

    def test_a_slow_query_is_stopped_and_the_connection_still_works(self):
        before = self.timeout()
        assert within_time_limit(50, self.sleep, 2) is None
        assert self.timeout() == before
        assert LineItem.objects.count() >= 0

    def test_a_fast_query_gives_its_result_and_lifts_the_limit(self):
        before = self.timeout()
        assert within_time_limit(5000, self.sleep, 0) == "done"
        assert self.timeout() == before
        assert self.sleep(0.3) == "done"  # the 5 s limit is gone, not only not hit

    def test_a_facet_out_of_time_shows_no_counts_and_the_page_still_works(
        self, client, seeded, monkeypatch
    ):
        slow = LineItem.objects.published().filter(
            pk__in=RawSQL("SELECT id FROM aid_lineitem, pg_sleep(0.5)", [])
        )
        # Fault injection: facets (not the page) read a queryset that sleeps past the limit.
        monkeypatch.setattr(LineItemListView, "get_facet_queryset", lambda self: slow)
        response = client.get("/items/", {"donor": "belgium"})
        assert response.status_code == 200
        facets = {facet.name: facet for facet in response.context["facets"]}
        assert facets["donor"].timed_out
        assert {option.count for option in facets["donor"].options} == {None}
        assert "Not counted: counting took too long" in response.content.decode()
        # Nor is the page kept for other readers without its counts (aid/caching.py).
        assert "X-Ledger-Page-Cache" not in response.headers
        # The stage facet came from the page's own summary query, so it is still counted.
        assert not facets["stage"].timed_out
        assert sum(option.count for option in facets["stage"].options) == response.context["count"]
        assert (
            response.context["count"]
            == LineItem.objects.published().filter(donor__slug="belgium").count()
        )

    def test_a_whole_tables_facet_out_of_time_is_counted_again_not_kept(
        self, client, seeded, monkeypatch
    ):
        """The unfiltered table's facets are shared until the data changes: one that ran out
        of time must not stay uncounted for every reader until then."""
        slow = LineItem.objects.published().filter(
            pk__in=RawSQL("SELECT id FROM aid_lineitem, pg_sleep(0.5)", [])
        )
        with monkeypatch.context() as patch:
            patch.setattr(LineItemListView, "get_facet_queryset", lambda self: slow)
            patch.setattr(listing, "WHOLE_TABLE_FACET_TIME_LIMIT_MS", 50)
            facets = {f.name: f for f in client.get("/items/").context["facets"]}
            assert facets["donor"].timed_out
        facets = {f.name: f for f in client.get("/items/").context["facets"]}
        assert not facets["donor"].timed_out
        assert sum(option.count for option in facets["donor"].options) == (
            LineItem.objects.published().count()
        )


def test_the_base_view_counts_plainly_without_a_summary(seeded):
    """Views that do not summarise in one query count with COUNT(*)."""
    summary = LedgerListView.summarise(LineItemListView(), LineItem.objects.published(), "EUR")
    assert summary.count == LineItem.objects.published().count()


def test_pages_stop_at_the_paging_limit_and_say_so(client, seeded, monkeypatch):
    """Deep pages cost time in proportion to their depth, so pages stop at a limit."""
    from aid import listing

    monkeypatch.setattr(listing, "MAX_PAGED_ROWS", 5)
    total = LineItem.objects.published().count()
    assert total > 5
    response = client.get("/items/", {"per_page": 2, "page": 99})
    assert response.status_code == 200
    table = response.context["table"]
    assert table.page.number == 3  # rows 5 (the limit) and nothing beyond
    assert table.paginator.num_pages == 3
    assert response.context["count"] == total  # the sentence and totals still count all
    text = response.content.decode()
    assert f"Pages go as far as the first 5 of these {total:,} rows" in text
    assert "page: 99 is above 3; showing page 3." in text
    # Below the limit nothing is said.
    monkeypatch.setattr(listing, "MAX_PAGED_ROWS", 10_000)
    assert "Pages go as far" not in client.get("/items/").content.decode()


def test_agreement_facets_count_each_agreement_once(client, seeded):
    """Agreements are counted by their items' category through a to-many path: DISTINCT."""
    response = client.get("/agreements/")
    facets = {facet.name: facet for facet in response.context["facets"]}
    for option in facets["category"].options:
        expected = (
            Agreement.objects.published().filter(line_items__category__slug=option.value).distinct()
        ).count()
        assert option.count == expected, option.value
    # At least one agreement has several items in one category, so a plain COUNT would differ.
    assert any(
        LineItem.objects.published().filter(agreement=agreement, category=item_category).count() > 1
        for agreement, item_category in LineItem.objects.published().values_list(
            "agreement", "category"
        )
    )


class TestAgreementItemFilters:
    """On /agreements/, category and stage together mean one item in that category at that stage."""

    @pytest.fixture
    def agreements(self, seeded):
        from aid.choices import Status

        from .factories import category, make_agreement, make_citation, make_line_item

        mixed = make_agreement(title="Mixed: aircraft announced, shells delivered")
        make_line_item(agreement=mixed, category=category("aircraft"), stage=Stage.ANNOUNCED)
        make_line_item(agreement=mixed, category=category("ammunition"), stage=Stage.DELIVERED)
        both = make_agreement(title="Both: aircraft delivered")
        make_line_item(agreement=both, category=category("aircraft"), stage=Stage.DELIVERED)
        for agreement in (mixed, both):
            make_citation(agreement=agreement)
            agreement.status = Status.PUBLISHED
            agreement.save()
        return mixed, both

    def titles(self, client, params):
        rows = exported_agreements(client, params)
        return {row["title"] for row in rows}

    def test_one_item_must_meet_both(self, client, agreements):
        mixed, both = agreements
        shown = self.titles(client, {"category": "aircraft", "stage": Stage.DELIVERED})
        assert both.title in shown
        assert mixed.title not in shown
        # Each alone still finds the mixed agreement.
        assert mixed.title in self.titles(client, {"category": "aircraft"})
        assert mixed.title in self.titles(client, {"stage": Stage.DELIVERED})

    @pytest.mark.parametrize(
        "params",
        [{"stage": Stage.DELIVERED}, {"category": "aircraft"}, {"donor": "belgium"}],
        ids=str,
    )
    def test_item_facets_count_what_ticking_gives(self, client, agreements, params):
        page = client.get("/agreements/", params)
        for facet in page.context["facets"]:
            if facet.name not in ("category", "stage"):
                continue
            for option in facet.options:
                ticked = {**params, facet.name: option.value}
                expected = len(exported_agreements(client, ticked))
                assert option.count == expected, (facet.name, option.value)


def exported_agreements(client, params):
    response = client.get("/agreements/", {**params, "_export": "csv"})
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
