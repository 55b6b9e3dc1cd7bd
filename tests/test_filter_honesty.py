"""Filters never lie: a bad value is reported and the good ones still apply, everywhere.

`/items/?donor=belgum&donor=spain` once said there was no donor "belgum" and then listed
every donor's rows with Spain still ticked. And the overview filtered by a category
counted whole agreements as that category's. Each page, facet, total, sentence and link
here is held to what the same filters give on the table that counts them.
"""

import csv
import io
from http import HTTPStatus

import pytest
from django.utils.html import strip_tags

from aid.choices import Stage
from aid.models import LineItem

from .factories import category, make_agreement, make_citation, make_line_item

pytestmark = pytest.mark.django_db


def rows(response):
    return [row.record for row in response.context["table"].page.object_list]


def totals(response):
    return {t.stage: (t.amount, t.qualifier, t.count) for t in response.context["totals"]}


def facets(response):
    return {
        facet.name: {option.value: (option.count, option.selected) for option in facet.options}
        for facet in response.context["facets"]
    }


class TestAStaleValueAmongGoodOnes:
    URL = "/items/?donor=belgum&donor=spain&per_page=500"

    def test_the_good_value_applies_to_rows_count_totals_and_sentence(self, client, seeded):
        stale = client.get(self.URL)
        spain = client.get("/items/?donor=spain&per_page=500")
        assert stale.status_code == HTTPStatus.OK
        assert {item.donor.slug for item in rows(stale)} == {"spain"}
        assert [item.pk for item in rows(stale)] == [item.pk for item in rows(spain)]
        assert stale.context["count"] == spain.context["count"] == 2
        assert totals(stale) == totals(spain) and totals(stale)
        assert strip_tags(stale.context["sentence"]) == "2 line items from Spain"

    def test_the_bad_value_is_reported_by_the_results(self, client, seeded):
        body = client.get(self.URL).content.decode()
        # Beside its filter, and in the results' summary (on a phone the filters are folded).
        assert body.count("There is no donor “belgum”.") == 2
        summary = body[body.index('class="summary"') : body.index('class="filter-panel"')]
        assert "Not applied" in summary and "belgum" in summary

    def test_facets_count_with_the_good_value(self, client, seeded):
        stale, spain = facets(client.get(self.URL)), facets(client.get("/items/?donor=spain"))
        assert stale == spain
        assert stale["donor"]["spain"][1] is True  # still ticked, and it is applied

    def test_two_bad_values_each_reported(self, client, seeded):
        response = client.get("/items/?donor=belgum&donor=spian&donor=spain")
        assert response.context["filterset"].errors["donor"] == [
            "There is no donor “belgum”.",
            "There is no donor “spian”.",
        ]
        assert response.context["count"] == 2

    def test_agreements_too(self, client, seeded):
        stale = client.get("/agreements/?donor=belgum&donor=spain&category=funding")
        spain = client.get("/agreements/?donor=spain&category=funding")
        assert [a.pk for a in rows(stale)] == [a.pk for a in rows(spain)]
        assert totals(stale) == totals(spain)

    def test_choices_and_dates_keep_their_good_parts(self, client, seeded):
        stage = client.get("/items/?stage=bogus&stage=delivered&per_page=500")
        assert {item.stage for item in rows(stage)} == {Stage.DELIVERED}
        assert stage.context["filterset"].errors["stage"]
        dates = client.get("/agreements/?date_after=2024-13-45&date_before=2024-04-30")
        assert [a.kind for a in rows(dates)] == ["appropriation"]
        assert "announced on or before 30 April 2024" in dates.context["sentence"]
        assert dates.context["filterset"].errors["date"] == ["From: Enter a valid date."]

    def test_a_nul_among_good_values(self, client, seeded):
        """PostgreSQL refuses a NUL in a query: such a value is invalid without asking."""
        response = client.get("/items/", {"donor": ["be\x00lgium", "spain"]})
        assert response.status_code == HTTPStatus.OK
        assert response.context["count"] == 2
        assert response.context["filterset"].errors["donor"]

    def test_an_empty_value_is_no_filter_and_no_error(self, client, seeded):
        response = client.get("/items/?donor=&q=&date_after=")
        assert not response.context["filterset"].errors
        assert response.context["count"] == LineItem.objects.published().count()

    def test_an_export_still_refuses_it(self, client, seeded):
        response = client.get(self.URL + "&_export=csv")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "belgum" in response.content.decode()


class TestTheSharedWholeTableSummary:
    """Whole-table summaries are cached (aid/caching.py): only a request that applies no
    filter and has none invalid may read or write them."""

    def test_a_partly_bad_filter_is_not_the_whole_table(self, client, seeded):
        whole = client.get("/items/").context["count"]
        stale = client.get("/items/?donor=belgum&donor=spain")
        assert stale.context["count"] == 2 < whole

    def test_an_all_bad_filter_leaves_no_error_in_the_cache(self, client, seeded):
        bad = client.get("/items/?donor=atlantis")
        assert bad.context["count"] == LineItem.objects.published().count()
        assert "atlantis" in bad.content.decode()
        clean = client.get("/items/")
        assert "atlantis" not in clean.content.decode()
        assert all(not facet.errors for facet in clean.context["facets"])

    def test_a_falsy_value_that_filters_is_a_filter(self, client, seeded):
        """min_eur=0 leaves out the amounts with no value: it is not the whole table."""
        client.get("/items/")
        response = client.get("/items/?min_eur=0")
        expected = LineItem.objects.published().filter(value_eur__gte=0).count()
        assert response.context["count"] == expected < LineItem.objects.published().count()
        assert "worth at least EUR 0" in response.context["sentence"]


def exported_items(client, query):
    response = client.get(f"/items/{query}{'&' if query else '?'}_export=csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


class TestTheOverviewFollowsItsFilters:
    def test_category_counts_are_the_tables_counts(self, client, seeded):
        overview = client.get("/?category=air-defence").context
        items = client.get("/items/?category=air-defence").context
        agreements = client.get("/agreements/?category=air-defence").context
        assert overview["item_count"] == items["count"] == 2
        assert overview["agreement_count"] == agreements["count"] == 1
        assert overview["donor_count"] == 1

    def test_its_links_open_the_filtered_tables(self, client, seeded):
        body = client.get("/?category=air-defence&donor=united-states").content.decode()
        query = "?donor=united-states&amp;category=air-defence"
        assert f'href="/items/{query}"' in body
        assert f'href="/agreements/{query}"' in body
        assert '<strong>1</strong> donor: <a href="/donors/united-states/"' in body

    def test_a_category_shows_that_categorys_value_only(self, client, seeded):
        overview = client.get("/?category=air-defence")
        # Both air-defence items are inside the $225 million package, priced as a whole:
        # nothing of the package's value is shown as air defence...
        assert not overview.context["totals"]
        assert all(not chart.rows for chart in overview.context["charts"])
        # ...and the page says why, naming the package.
        unsplit = overview.context["unsplit"]
        assert [a.title for a in unsplit] == ["United States $225 million military aid package"]
        body = overview.content.decode()
        assert "Not split by category" in body and "USD 225,000,000" in body

    def test_many_packages_are_named_up_to_ten(self, client, seeded):
        for _ in range(11):
            package = make_agreement()  # a headline amount: priced as a whole
            make_line_item(agreement=package, category=category("drones"))
            make_citation(agreement=package)
        overview = client.get("/?category=drones").context
        assert len(overview["unsplit"]) == 10
        assert (overview["unsplit_count"], overview["unsplit_more"]) == (11, 1)
        assert "and 1 more" in client.get("/?category=drones").content.decode()

    def test_a_priced_category_totals_as_the_items_table(self, client, seeded):
        overview = client.get("/?category=funding")
        items = client.get("/items/?category=funding")
        assert totals(overview) == totals(items) and totals(overview)
        by_category = next(c for c in overview.context["charts"] if c.slug == "by-category")
        assert [row.label for row in by_category.rows] == ["Funding"]
        committed = items.context["totals"].get(Stage.COMMITTED).amount
        assert by_category.rows[0].total.amount == committed
        by_donor = next(c for c in overview.context["charts"] if c.slug == "by-donor")
        assert sum(row.total.amount for row in by_donor.rows) == committed
        counted = [
            r
            for r in exported_items(client, "?category=funding&stage=committed")
            if r["counted"] == "true"
        ]
        assert len(counted) == by_category.rows[0].total.count

    def test_without_a_category_the_headlines_count(self, client, seeded):
        overview = client.get("/?donor=united-states")
        agreements = client.get("/agreements/?donor=united-states")
        assert totals(overview) == totals(agreements)
        assert overview.context["totals"].get(Stage.COMMITTED).amount > 0
        assert not overview.context["unsplit"]

    def test_a_stale_slug_on_the_overview(self, client, seeded):
        overview = client.get("/?donor=belgum&donor=spain")
        assert overview.context["agreement_count"] == 1
        assert "There is no donor “belgum”." in overview.content.decode()

    def test_filters_are_checkboxes_like_the_tables(self, client, seeded):
        body = client.get("/?donor=spain").content.decode()
        assert "<select" not in body
        assert '<input type="checkbox" name="donor" value="spain" checked>' in body
        assert '<input type="checkbox" name="category" value="air-defence">' in body
