"""The admin at a million line items (issue #6, bench/README.md §5), in miniature.

What keeps it fast is checked here as query counts, which do not depend on the
machine: no per-row queries on the change lists or on an agreement's page (each
page is measured at two sizes with one ceiling), no DISTINCT over line items for
the donor filter, no full-table COUNT(*) when PostgreSQL has an estimate, and no
drop-down of every line item on a line item's page.
"""

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from aid import paginators, revisions
from aid.admin_choices import SharedChoicesField
from aid.choices import Stage, Status
from aid.models import Agreement, Category, Citation, LineItem

from .factories import (
    browser_post,
    category,
    make_agreement,
    make_citation,
    make_donor,
    make_line_item,
    make_source,
)
from .test_admin import admin_url

pytestmark = pytest.mark.django_db


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_class.reltuples is PostgreSQL's"
)

# An unfiltered change list on PostgreSQL first asks pg_class for the table's estimate
# (aid/paginators.py); a test's small table then is still counted.
ESTIMATE_LOOKUP = 1 if connection.vendor == "postgresql" else 0


def queries_of(client, url, params=None):
    """The SQL of one GET, after a first GET has warmed the per-process caches."""
    assert client.get(url, params).status_code == HTTPStatus.OK
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == HTTPStatus.OK
    return response, [query["sql"] for query in captured.captured_queries]


def counts_of_line_items(sql):
    return [q for q in sql if "COUNT(" in q.upper() and '"aid_lineitem"' in q]


def make_items(rows):
    """Line items of three donors, two categories and two stages."""
    donors = [make_donor() for _ in range(3)]
    agreements = [make_agreement(donor=donor) for donor in donors]
    for index in range(rows):
        make_line_item(
            agreement=agreements[index % 3],
            category=category("aircraft" if index % 2 else "ammunition"),
            stage=Stage.DELIVERED if index % 4 == 0 else Stage.COMMITTED,
        )
    return donors


class TestLineItemDonorFilter:
    def filter_spec(self, response):
        (spec,) = [
            spec
            for spec in response.context["cl"].filter_specs
            if getattr(spec, "field_path", None) == "donor"
        ]
        return spec

    def test_lists_every_donor_without_a_distinct_over_line_items(self, superuser_client):
        with_items = make_line_item().agreement.donor
        without_items = make_agreement(donor=make_donor(name="Norway")).donor
        response, sql = queries_of(superuser_client, admin_url(LineItem, "changelist"))
        spec = self.filter_spec(response)
        # RelatedOnlyFieldListFilter is a subclass; it is the one that scans line items.
        assert type(spec) is admin.RelatedFieldListFilter
        assert {pk for pk, _ in spec.lookup_choices} >= {with_items.pk, without_items.pk}
        assert not [q for q in sql if "DISTINCT" in q.upper()]

    def test_filtering_by_donor_lists_only_that_donors_items(self, superuser_client):
        donors = make_items(9)
        response = superuser_client.get(
            admin_url(LineItem, "changelist"), {"donor__id__exact": donors[1].pk}
        )
        rows = list(response.context["cl"].result_list)
        assert len(rows) == 3
        assert {row.agreement.donor for row in rows} == {donors[1]}
        assert response.context["cl"].result_count == 3


class TestEstimatedCount:
    """An unfiltered change list is counted by PostgreSQL's estimate, said to be one."""

    @pytest.fixture
    def estimate(self, monkeypatch):
        """What pg_class says, on any database: set .rows (None: never analysed)."""

        class Estimate:
            rows = None

        def estimated_rows(connection, table):
            assert table == "aid_lineitem"
            return Estimate.rows

        monkeypatch.setattr(paginators, "estimated_rows", estimated_rows)
        return Estimate

    def test_unfiltered_list_uses_the_estimate_and_says_about(self, superuser_client, estimate):
        make_items(3)
        estimate.rows = 1_234_567
        response, sql = queries_of(superuser_client, admin_url(LineItem, "changelist"))
        cl = response.context["cl"]
        assert cl.paginator.estimated
        assert cl.result_count == 1_234_567
        assert counts_of_line_items(sql) == []
        assert len(cl.result_list) == 3  # the page is sliced, never the whole table
        assertContains(response, "about 1,230,000 line items")
        assertContains(response, "Select all about 1,230,000 line items")
        assertNotContains(response, "1234567")  # nor "1234567 results" by the search box

    @pytest.mark.parametrize("rows", [None, 0, 200], ids=["never analysed", "empty", "small"])
    def test_no_estimate_or_a_small_one_is_not_trusted(self, superuser_client, estimate, rows):
        # A stale estimate below a page would make the admin list the table unsliced.
        make_items(3)
        estimate.rows = rows
        response, sql = queries_of(superuser_client, admin_url(LineItem, "changelist"))
        cl = response.context["cl"]
        assert not cl.paginator.estimated
        assert cl.result_count == 3
        assert len(counts_of_line_items(sql)) == 1
        assertContains(response, "3 line items")
        assertNotContains(response, "about")

    @pytest.mark.parametrize(
        "params",
        [{"stage__exact": Stage.DELIVERED}, {"q": "F-16"}, {"category__slug": "aircraft"}],
        ids=["stage", "search", "category"],
    )
    def test_filtered_list_is_counted_exactly(self, superuser_client, estimate, params):
        make_items(8)
        if "category__slug" in params:
            params = {"category__id__exact": category(params["category__slug"]).pk}
        estimate.rows = 1_234_567
        response = superuser_client.get(admin_url(LineItem, "changelist"), params)
        cl = response.context["cl"]
        assert not cl.paginator.estimated
        assert cl.result_count == cl.queryset.count() == len(cl.result_list)

    @postgresql_only
    def test_postgresql_estimate_after_analyze(self, superuser_client, monkeypatch):
        make_items(12)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE aid_lineitem")
        assert paginators.estimated_rows(connection, "aid_lineitem") == 12
        monkeypatch.setattr(paginators.EstimatedCountPaginator, "estimate_from", 10)
        response, sql = queries_of(superuser_client, admin_url(LineItem, "changelist"))
        assert response.context["cl"].paginator.estimated
        assert counts_of_line_items(sql) == []
        assert [q for q in sql if "pg_class" in q]
        assertContains(response, "about 12 line items")

    @postgresql_only
    def test_postgresql_table_never_analysed_has_no_estimate(self):
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE never_analysed (id integer)")
            cursor.execute("INSERT INTO never_analysed VALUES (1), (2)")
        # -1 on PostgreSQL 14+, 0 before: either way no estimate, so an exact count.
        assert paginators.estimated_rows(connection, "never_analysed") is None
        assert paginators.estimated_rows(connection, "no_such_table") is None

    def test_other_databases_have_no_estimate(self):
        if connection.vendor == "postgresql":
            pytest.skip("this is the other databases' case")
        assert paginators.estimated_rows(connection, "aid_lineitem") is None

    def test_about_rounds_to_three_digits(self):
        assert [paginators.about(n) for n in (7, 999, 12_345, 998_734, 1_234_567)] == [
            7,
            999,
            12_300,
            999_000,
            1_230_000,
        ]


class TestChangeListQueries:
    """A change list's queries do not grow with its rows: related rows come in the page's query.

    Line items: session, user, the count, the page (with agreement, donor and category
    joined), the category filter's and the donor filter's choices; unfiltered on
    PostgreSQL, the estimate's lookup.
    """

    CASES = {
        "line items": (LineItem, {}, 6 + ESTIMATE_LOOKUP),
        "line items filtered": (
            LineItem,
            {"category__slug": "aircraft", "stage__exact": Stage.COMMITTED, "q": "F-16"},
            6,
        ),
        # With the donor, category and date-hierarchy queries of the agreement list.
        "agreements": (Agreement, {}, 8 + ESTIMATE_LOOKUP),
        "agreements filtered": (Agreement, {"status__exact": "published", "q": "agreement"}, 8),
        "citations": (Citation, {}, 4 + ESTIMATE_LOOKUP),
    }

    @pytest.mark.parametrize("case", CASES)
    @pytest.mark.parametrize("rows", [4, 40])
    def test_ceiling(self, superuser_client, case, rows):
        model, params, ceiling = self.CASES[case]
        if "category__slug" in params:
            params = params.copy()
            params["category__id__exact"] = category(params.pop("category__slug")).pk
        make_items(rows)
        for item in LineItem.objects.all():
            make_citation(line_item=item)
        response, sql = queries_of(superuser_client, admin_url(model, "changelist"), params)
        assert len(response.context["cl"].result_list) > 0
        assert len(sql) <= ceiling, "\n".join(sql)

    def test_line_item_rows_come_with_their_agreement_donor_and_category(self, superuser_client):
        make_items(5)
        response = superuser_client.get(admin_url(LineItem, "changelist"))
        with CaptureQueriesContext(connection) as captured:
            for row in response.context["cl"].result_list:
                str(row.agreement), str(row.agreement.donor), str(row.category)
        assert captured.captured_queries == []


class TestAgreementPage:
    """An agreement's page: its queries do not grow with its line items or citations."""

    # Session, user, the agreement, its version (aid/locking.py), the donor's
    # autocomplete, the categories once, the line items, the citations, and the line
    # items a citation may support.
    CEILING = 9

    @staticmethod
    def agreement_with(items, citations, status=Status.DRAFT):
        agreement = make_agreement(status=status)
        for index in range(items):
            make_line_item(
                agreement=agreement,
                category=category("aircraft" if index % 2 else "ammunition"),
                description=f"Item {index}",
            )
        line_items = list(agreement.line_items.all())
        for index in range(citations):
            make_citation(
                agreement=agreement,
                line_item=line_items[index % len(line_items)] if line_items else None,
                source=make_source(title=f"Source {index}"),
            )
        return agreement

    @pytest.mark.parametrize("items, citations", [(3, 1), (49, 20)])
    def test_ceiling(self, superuser_client, items, citations):
        agreement = self.agreement_with(items, citations)
        response, sql = queries_of(superuser_client, admin_url(Agreement, "change", agreement.pk))
        line_items, citation_forms = (
            inline.formset for inline in response.context["inline_admin_formsets"]
        )
        assert len(line_items.initial_forms) == items
        assert len(citation_forms.initial_forms) == citations
        assert len(sql) <= self.CEILING, "\n".join(sql)
        # Each citation still shows its source as chosen, and its line item.
        for index in range(citations):
            assertContains(response, f"Source {index}</option>")

    @pytest.mark.parametrize("kind", ["published (read-only)", "pending revision"])
    @pytest.mark.parametrize("items, citations", [(3, 1), (49, 20)])
    def test_ceiling_of_published_and_revision_pages(
        self, superuser_client, kind, items, citations
    ):
        agreement = self.agreement_with(items, citations, status=Status.PUBLISHED)
        if kind == "pending revision":
            agreement = revisions.open_revision(agreement)
        response, sql = queries_of(superuser_client, admin_url(Agreement, "change", agreement.pk))
        line_items, citation_forms = (
            inline.formset for inline in response.context["inline_admin_formsets"]
        )
        assert len(line_items.initial_forms) == items
        assert len(citation_forms.initial_forms) == citations
        assert len(sql) <= self.CEILING, "\n".join(sql)

    def test_queries_are_the_same_at_any_size(self, superuser_client):
        small = self.agreement_with(2, 1)
        large = self.agreement_with(30, 12)
        _, small_sql = queries_of(superuser_client, admin_url(Agreement, "change", small.pk))
        _, large_sql = queries_of(superuser_client, admin_url(Agreement, "change", large.pk))
        assert len(small_sql) == len(large_sql)

    def test_categories_are_offered_in_every_row(self, superuser_client):
        agreement = self.agreement_with(4, 0)
        response = superuser_client.get(admin_url(Agreement, "change", agreement.pk))
        formset = response.context["inline_admin_formsets"][0].formset
        every = list(Category.objects.values_list("pk", flat=True))
        for form in [*formset.forms, formset.empty_form]:
            offered = [value for value, _ in form.fields["category"].choices if value != ""]
            assert [int(str(value)) for value in offered] == every
            assert form["category"].value() in (None, *every)
        row = formset.forms[0]
        assertContains(
            response,
            f'<option value="{row.instance.category_id}" selected>{row.instance.category}</option>',
            html=False,
        )

    def test_changed_rows_are_saved(self, superuser_client):
        agreement = self.agreement_with(49, 2)
        url = admin_url(Agreement, "change", agreement.pk)
        page = superuser_client.get(url)
        target = agreement.line_items.order_by("pk")[10]
        data = browser_post(page, **{"line_items-10-category": category("air-defence").pk})

        response = superuser_client.post(url, data)

        assert response.status_code == HTTPStatus.FOUND, response.context and [
            inline.formset.errors for inline in response.context["inline_admin_formsets"]
        ]
        target.refresh_from_db()
        assert target.category == category("air-defence")
        assert agreement.line_items.filter(category=category("ammunition")).count() == 24

    @pytest.mark.parametrize("value", ["999999", "abc", "1.5"])
    def test_a_category_not_offered_is_refused(self, superuser_client, value):
        agreement = self.agreement_with(5, 1)
        url = admin_url(Agreement, "change", agreement.pk)
        before = list(agreement.line_items.values_list("category", flat=True))
        data = browser_post(superuser_client.get(url), **{"line_items-2-category": value})

        response = superuser_client.post(url, data)

        assert response.status_code == HTTPStatus.OK
        assertContains(response, "Select a valid choice.")
        assert list(agreement.line_items.values_list("category", flat=True)) == before


class TestReviewPage:
    """A revision's review page (aid/admin_review.py): the diff reads each side once.

    Session, user, the revision, permissions twice, who wrote it (three histories), the
    revision with its agreement, each side's line items and citations, and the rule.
    """

    CEILING = 14

    @pytest.mark.parametrize("items", [2, 40])
    def test_ceiling(self, superuser_client, items):
        agreement = make_agreement(status=Status.DRAFT)
        for index in range(items):
            make_line_item(agreement=agreement, description=f"Item {index}")
            make_citation(agreement=agreement, source=make_source(title=f"Source {index}"))
        agreement.status = Status.PUBLISHED
        agreement.save()
        revision = revisions.open_revision(agreement)
        LineItem.objects.filter(agreement=revision).update(quantity=7)
        Citation.objects.filter(agreement=revision).update(passage="Belgium")
        url = reverse("admin:aid_agreement_review", args=[revision.pk])
        response, sql = queries_of(superuser_client, url)
        diff = response.context["diff"]
        assert (len(diff.line_items), len(diff.citations)) == (items, items)
        assert len(sql) <= self.CEILING, "\n".join(sql)


class TestSharedChoicesField:
    def test_copies_share_one_fetch_and_check_values_against_it(self, django_assert_num_queries):
        field = SharedChoicesField(Category.objects.all())
        copies = [field.__deepcopy__({}) for _ in range(5)]
        aircraft, offered = category("aircraft"), Category.objects.count() + 1  # and "---"
        with django_assert_num_queries(1):
            for copy in copies:
                assert len(list(copy.choices)) == offered
            assert copies[0].clean(str(aircraft.pk)) == aircraft
            assert copies[1].clean(aircraft) == aircraft
        with django_assert_num_queries(0):
            for value in ("999999", "x"):
                with pytest.raises(Exception, match="Select a valid choice"):
                    copies[2].clean(value)

    def test_a_narrowed_queryset_is_fetched_again(self):
        field = SharedChoicesField(Category.objects.all())
        list(field.choices)
        field.queryset = Category.objects.filter(slug="aircraft")
        assert [str(value) for value, _ in field.choices if value != ""] == [
            str(category("aircraft").pk)
        ]


class TestLineItemPage:
    def test_part_of_is_an_autocomplete_not_every_line_item(self, superuser_client):
        item = make_line_item(agreement=make_agreement(status=Status.DRAFT))
        for _ in range(30):
            make_line_item(agreement=item.agreement)
        response, sql = queries_of(superuser_client, admin_url(LineItem, "change", item.pk))
        part_of = response.context["adminform"].form.fields["part_of"]
        assert isinstance(part_of.widget.widget, AutocompleteSelect)
        # The item itself only: no query lists the line items.
        assert len([q for q in sql if 'FROM "aid_lineitem"' in q]) == 1
        assert len(sql) <= 5, "\n".join(sql)


class TestAgreementOfFiftyItems:
    """Issue #13: an agreement of 50 line items, opened and saved with one row changed.

    The save was ~1,200 queries (every row validated, each check constraint a query); rows
    sent back unchanged are no longer validated again (aid/admin.py, EditedRowsForm), and
    a changed record's check constraints are one query (aid/constraints.py).
    """

    # TestAgreementPage's nine; on the first visit, the currencies' use too (two counts,
    # kept for an hour) and the process's first content-type lookup.
    GET_CEILING = TestAgreementPage.CEILING
    FIRST_GET_CEILING = GET_CEILING + 2 + 1
    POST_CEILING = 49

    @pytest.fixture
    def agreement(self):
        return TestAgreementPage.agreement_with(50, 5)

    def test_the_page(self, superuser_client, agreement, django_assert_max_num_queries):
        url = admin_url(Agreement, "change", agreement.pk)
        with django_assert_max_num_queries(self.FIRST_GET_CEILING):
            superuser_client.get(url)
        with django_assert_max_num_queries(self.GET_CEILING):
            response = superuser_client.get(url)
        assert len(response.context["inline_admin_formsets"][0].formset.initial_forms) == 50
        # One list of currencies, not a select of 180 codes in each of 51 rows.
        assertContains(response, "<datalist", count=1, html=False)
        assertNotContains(response, '<option value="AED">AED</option>', html=False)

    def test_a_save_with_one_row_changed(
        self, superuser_client, agreement, django_assert_max_num_queries
    ):
        url = admin_url(Agreement, "change", agreement.pk)
        changed = agreement.line_items.order_by("pk")[17]
        data = browser_post(
            superuser_client.get(url),
            **{"line_items-17-amount": "1.5 million", "line_items-17-currency": "eur"},
        )
        with django_assert_max_num_queries(self.POST_CEILING):
            response = superuser_client.post(url, data)
        assert response.status_code == HTTPStatus.FOUND, response.context and [
            inline.formset.errors for inline in response.context["inline_admin_formsets"]
        ]
        changed.refresh_from_db()
        assert (changed.amount, changed.currency) == (Decimal("1500000"), "EUR")
        # The other rows were not written: each has its first history record only.
        assert LineItem.history.filter(agreement_id=agreement.pk).count() == 50 + 1

    def test_a_changed_row_among_fifty_is_still_validated_in_full(
        self, superuser_client, agreement
    ):
        url = admin_url(Agreement, "change", agreement.pk)
        data = browser_post(
            superuser_client.get(url),
            **{"line_items-30-amount": "1000", "line_items-30-currency": ""},
        )
        response = superuser_client.post(url, data)
        assert response.status_code == HTTPStatus.OK
        assertContains(response, "An amount needs its currency, and a currency needs an amount.")
