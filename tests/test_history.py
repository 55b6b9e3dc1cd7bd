"""Every change to a ledger record is kept, viewable and revertible; readers see corrections.

The admin keeps who changed what and when (django-simple-history); /changes/
shows readers each change to a published figure: what it was, what it is and
when, never who or why.
"""

from datetime import date
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from aid import revisions
from aid.choices import Stage, Status
from aid.corrections import CorrectionsLog
from aid.history import BASELINE_REASON
from aid.models import Agreement, Citation, Donor, LineItem, Source

from .factories import (
    browser_post,
    category,
    decide,
    edit_agreement,
    logged_in,
    make_agreement,
    make_citation,
    make_line_item,
    make_source,
    make_user,
    propose,
)

pytestmark = pytest.mark.django_db

LEDGER_MODELS = [Donor, Source, Agreement, LineItem, Citation]


@pytest.fixture
def analyst():
    return make_user("analyst-ana", ["Analysts"])


@pytest.fixture
def analyst_client(analyst):
    browser = Client()
    browser.force_login(analyst)
    return browser


@pytest.fixture
def reviewer_client():
    return logged_in(make_user("rita", ["Reviewers"]))


def admin_url(model, view, *args):
    return reverse(f"admin:aid_{model._meta.model_name}_{view}", args=args)


def edit_in_admin(browser, record, **changes):
    """Open the record's admin page and save it with the changes, as a browser would.

    Only records readers do not see are edited in place: a published one changes through
    approve_change().
    """
    agreement = getattr(record, "agreement", record)
    assert not (isinstance(agreement, Agreement) and agreement.is_published)
    url = admin_url(type(record), "change", record.pk)
    response = browser.post(url, browser_post(browser.get(url), **changes))
    assert response.status_code == HTTPStatus.FOUND, response.context and [
        response.context["adminform"].form.errors
    ]
    record.refresh_from_db()
    return record


def approve_change(analyst_client, reviewer_client, agreement, items=None, **fields):
    """An analyst proposes a change to a published agreement; a reviewer approves it."""
    revision = propose(analyst_client, agreement)
    edit_agreement(analyst_client, revision, items=items, status=Status.READY, **fields)
    response = decide(reviewer_client, revision, "approve")
    assert response.url == admin_url(Agreement, "change", agreement.pk), [
        str(m) for m in response.wsgi_request._messages
    ]
    agreement.refresh_from_db()
    return agreement


def corrections(client, page=None):
    response = client.get("/changes/", {"page": page} if page else {})
    assert response.status_code == HTTPStatus.OK
    return response, list(response.context["page"].object_list)


@pytest.fixture
def drafted_item():
    """A line item of an agreement drafted with its citation."""
    agreement = make_agreement(status=Status.DRAFT)
    item = make_line_item(agreement=agreement, amount=Decimal("500000000"), currency="EUR")
    make_citation(line_item=item)
    return item


@pytest.fixture
def published_item(drafted_item):
    """The same, published."""
    agreement = drafted_item.agreement
    agreement.status = Status.PUBLISHED
    agreement.save()
    drafted_item.refresh_from_db()
    return drafted_item


class TestHistoryInTheAdmin:
    @pytest.mark.parametrize("model", LEDGER_MODELS, ids=lambda model: model.__name__)
    def test_every_ledger_model_keeps_who_when_and_what(self, analyst_client, analyst, model):
        draft = make_agreement(status=Status.DRAFT)
        citation = make_citation(line_item=make_line_item(agreement=draft))
        record = {
            Donor: citation.agreement.donor,
            Source: citation.source,
            Agreement: citation.agreement,
            LineItem: citation.line_item,
            Citation: citation,
        }[model]
        changed_field = {
            Donor: ("name", "Renamed donor"),
            Source: ("title", "Renamed source"),
            Agreement: ("title", "Renamed agreement"),
            LineItem: ("description", "Renamed item"),
            Citation: ("passage", citation.passage),  # unchanged text: still a new record
        }[model]

        edit_in_admin(analyst_client, record, **dict([changed_field]))

        latest = record.history.latest()
        assert latest.history_user == analyst
        assert latest.history_type == "~"
        assert getattr(latest, changed_field[0]) == changed_field[1]
        assert record.history.count() == 2

    @pytest.mark.parametrize("model", LEDGER_MODELS, ids=lambda model: model.__name__)
    def test_history_page_opens(self, client, model):
        citation = make_citation(line_item=make_line_item())
        record = {
            Donor: citation.agreement.donor,
            Source: citation.source,
            Agreement: citation.agreement,
            LineItem: citation.line_item,
            Citation: citation,
        }[model]
        client.force_login(make_user("root", is_superuser=True))
        response = client.get(admin_url(model, "history", record.pk))
        assert response.status_code == HTTPStatus.OK

    def test_history_page_shows_what_changed(self, analyst_client, drafted_item):
        agreement = drafted_item.agreement
        edit_in_admin(analyst_client, agreement, title="A clearer title")
        response = analyst_client.get(admin_url(Agreement, "history", agreement.pk))
        assertContains(response, "analyst-ana")
        assertContains(response, "A clearer title")

    def test_derived_values_are_not_history(self, published_item):
        agreement = published_item.agreement
        fields = {field.name for field in LineItem.history.model._meta.fields}
        assert "value_eur" not in fields and "amount" in fields
        fields = {field.name for field in Agreement.history.model._meta.fields}
        assert {"counted_eur", "value_usd", "updated_at"}.isdisjoint(fields)
        before = (agreement.history.count(), published_item.history.count())
        agreement.refresh_values()
        agreement.recount()
        assert (agreement.history.count(), published_item.history.count()) == before

    def test_a_record_loaded_without_history_gets_a_baseline_on_its_first_change(
        self, seeded, analyst_client, reviewer_client
    ):
        item = LineItem.objects.get(description="at least €977 million in military aid")
        assert item.history.count() == 0
        approve_change(
            analyst_client, reviewer_client, item.agreement, items={item: {"amount": "978000000"}}
        )
        baseline, change = item.history.order_by("history_date")
        assert baseline.history_change_reason == BASELINE_REASON
        assert baseline.history_user is None
        assert baseline.amount == Decimal("977000000.00")
        assert change.amount == Decimal("978000000.00")
        assert (change.history_user.username, change.history_change_reason) == (
            "rita",
            revisions.APPROVED,
        )


class TestRevert:
    def test_an_agreement_is_reverted_to_an_earlier_version(self, analyst_client, drafted_item):
        agreement = drafted_item.agreement
        original_title = agreement.title
        edit_in_admin(analyst_client, agreement, title="A mistaken title", summary="Oops")
        earlier = agreement.history.get(title=original_title, history_type="+")

        url = reverse("admin:aid_agreement_simple_history", args=[agreement.pk, earlier.history_id])
        page = analyst_client.get(url)
        assert page.status_code == HTTPStatus.OK
        response = analyst_client.post(url, browser_post(page))

        assert response.status_code == HTTPStatus.FOUND
        agreement.refresh_from_db()
        assert (agreement.title, agreement.summary) == (original_title, "")
        assert agreement.version == 3
        assert agreement.history.latest().history_user.username == "analyst-ana"

    def test_reverting_never_publishes(self, analyst_client, published_item):
        """A revert restores what was entered; whether readers see it is a reviewer's call."""
        agreement = published_item.agreement
        published = agreement.history.latest()
        agreement.status = Status.DRAFT
        agreement.save()

        url = reverse(
            "admin:aid_agreement_simple_history", args=[agreement.pk, published.history_id]
        )
        response = analyst_client.post(url, browser_post(analyst_client.get(url)))

        assert response.status_code == HTTPStatus.FOUND
        agreement.refresh_from_db()
        assert agreement.status == Status.DRAFT

    def test_a_line_item_is_reverted(self, analyst_client, drafted_item):
        edit_in_admin(analyst_client, drafted_item, quantity="12")
        assert drafted_item.quantity == 12
        earlier = drafted_item.history.earliest()
        url = reverse(
            "admin:aid_lineitem_simple_history", args=[drafted_item.pk, earlier.history_id]
        )
        response = analyst_client.post(url, browser_post(analyst_client.get(url)))
        assert response.status_code == HTTPStatus.FOUND
        drafted_item.refresh_from_db()
        assert drafted_item.quantity == 30

    def test_a_published_line_item_is_not_reverted_in_place(
        self, analyst_client, reviewer_client, published_item
    ):
        approve_change(
            analyst_client,
            reviewer_client,
            published_item.agreement,
            items={published_item: {"quantity": "12"}},
        )
        earlier = published_item.history.earliest()
        url = reverse(
            "admin:aid_lineitem_simple_history", args=[published_item.pk, earlier.history_id]
        )
        page = analyst_client.get(url)
        assert page.context["revert_disabled"]
        response = analyst_client.post(url, browser_post(page))
        assert response.status_code == HTTPStatus.FOUND
        published_item.refresh_from_db()
        assert published_item.quantity == 12


class TestCorrectionsLog:
    def test_a_published_amount_changed(
        self, client, analyst_client, reviewer_client, published_item
    ):
        approve_change(
            analyst_client,
            reviewer_client,
            published_item.agreement,
            items={published_item: {"amount": "450000000", "notes": "Typo in feed"}},
        )

        response, shown = corrections(client)

        assert len(shown) == 1
        correction = shown[0]
        assert (correction.what, correction.action, correction.title) == (
            "line item",
            "changed",
            "F-16 fighter jets",
        )
        assert [(c.figure, c.was, c.now) for c in correction.changes] == [
            ("amount", "EUR 500,000,000", "EUR 450,000,000")
        ]
        assertContains(response, "EUR 500,000,000")
        assertContains(response, f'href="{published_item.get_absolute_url()}"')
        # Never who, never why.
        assertNotContains(response, "analyst-ana")
        assertNotContains(response, "rita")
        assertNotContains(response, "Typo in feed")

    def test_each_figure_and_the_headline(
        self, client, analyst_client, reviewer_client, published_item
    ):
        agreement = published_item.agreement
        item_changes = {
            "quantity": "24",
            "stage": Stage.DELIVERED,
            "description": "F-16 jets",
            "qualifier": "at-least",
        }
        approve_change(
            analyst_client, reviewer_client, agreement, items={published_item: item_changes}
        )
        approve_change(
            analyst_client, reviewer_client, agreement, amount="1000000000", qualifier="exact"
        )

        _, shown = corrections(client)

        headline, item = shown
        assert headline.what == "agreement"
        assert [(c.figure, c.was, c.now) for c in headline.changes] == [
            ("headline amount", "at least EUR 977,000,000", "EUR 1,000,000,000")
        ]
        assert [(c.figure, c.was, c.now) for c in item.changes] == [
            ("amount", "EUR 500,000,000", "at least EUR 500,000,000"),
            ("quantity", "30", "24"),
            ("stage", "Committed", "Delivered"),
            ("description", "F-16 fighter jets", "F-16 jets"),
        ]

    def test_notes_periods_and_dates_are_not_figures(
        self, client, analyst_client, reviewer_client, published_item
    ):
        agreement = published_item.agreement
        revision = propose(analyst_client, agreement)
        # Notes are written on the line item's own page (the agreement's rows leave them out).
        edit_in_admin(analyst_client, revision.line_items.get(), notes="Reading")
        edit_agreement(
            analyst_client,
            revision,
            items={published_item: {"period_text": "by 2029"}},
            summary="Longer",
            announced_on="2024-05-29",
            status=Status.READY,
        )
        decide(reviewer_client, revision, "approve")
        agreement.refresh_from_db()
        published_item.refresh_from_db()
        assert published_item.period_text == "by 2029"
        assert (published_item.notes, agreement.summary) == ("Reading", "Longer")
        _, shown = corrections(client)
        assert shown == []

    def test_seeded_records_changed_for_the_first_time(
        self, client, seeded, analyst_client, reviewer_client
    ):
        item = LineItem.objects.get(description="at least €977 million in military aid")
        approve_change(
            analyst_client, reviewer_client, item.agreement, items={item: {"amount": "978000000"}}
        )
        _, shown = corrections(client)
        assert [(c.figure, c.was, c.now) for c in shown[0].changes] == [
            ("amount", "at least EUR 977,000,000", "at least EUR 978,000,000")
        ]

    def test_added_and_removed_line_items(self, client, published_item):
        agreement = published_item.agreement
        added = make_line_item(agreement=agreement, description="Sea King helicopters")
        published_item.citations.all().delete()
        published_item.delete()

        _, shown = corrections(client)

        assert [(c.action, c.title) for c in shown] == [
            ("removed", "F-16 fighter jets"),
            ("added", "Sea King helicopters"),
        ]
        assert shown[1].url == f"/agreements/{agreement.pk}/#item-{added.pk}"

    def test_drafts_never_appear(self, client):
        draft = make_agreement(status=Status.DRAFT, title="Drafted pledge")
        item = make_line_item(agreement=draft, amount=Decimal("5"), currency="EUR")
        item.amount = Decimal("6")
        item.save()
        draft.amount = Decimal("7")
        draft.save()
        _, shown = corrections(client)
        assert shown == []

    def test_an_unpublished_agreement_takes_its_corrections_with_it(
        self, client, analyst_client, reviewer_client, published_item
    ):
        approve_change(
            analyst_client,
            reviewer_client,
            published_item.agreement,
            items={published_item: {"amount": "450000000"}},
        )
        assert len(corrections(client)[1]) == 1
        Agreement.objects.filter(pk=published_item.agreement_id).update(status=Status.DRAFT)
        _, shown = corrections(client)
        assert shown == []

    def test_changes_made_while_drafting_are_not_corrections(self, client):
        reviewer = make_user("rita", ["Reviewers"])
        browser = Client()
        browser.force_login(reviewer)
        draft = make_agreement(status=Status.DRAFT)
        item = make_line_item(agreement=draft, amount=Decimal("5"), currency="EUR")
        make_citation(agreement=draft, line_item=item)
        item.amount = Decimal("6")
        item.save()

        # Published on its page, with an edit and a new line item in the same save.
        url = admin_url(Agreement, "change", draft.pk)
        response = browser.post(
            url,
            browser_post(
                browser.get(url),
                status=Status.PUBLISHED,
                amount="2000",
                **{
                    "line_items-1-description": "Added while publishing",
                    "line_items-1-category": category("ammunition").pk,
                },
            ),
        )
        assert response.status_code == HTTPStatus.FOUND
        draft.refresh_from_db()
        assert draft.is_published
        _, shown = corrections(client)
        assert shown == []

        # After publication, a change is a correction.
        item.amount = Decimal("7")
        item.save()
        _, shown = corrections(client)
        assert [(c.figure, c.was, c.now) for c in shown[0].changes] == [
            ("amount", "EUR 6", "EUR 7")
        ]

    def test_newest_first_and_paged(self, client, published_item):
        for amount in range(1, 56):
            published_item.amount = Decimal(amount)
            published_item.save()
        agreement = published_item.agreement
        agreement.amount = Decimal("1")
        agreement.save()

        response, first = corrections(client)
        _, second = corrections(client, page=2)

        assert len(first) == 50 and len(second) == 6
        assert first[0].what == "agreement"
        assert first[1].changes[0].now == "EUR 55"
        assert second[-1].changes[0].now == "EUR 1"
        times = [c.when for c in first + second]
        assert times == sorted(times, reverse=True)
        assert CorrectionsLog().count() == 56
        assertContains(response, "Page 1 of 2")

    def test_a_page_out_of_range_shows_the_nearest(self, client, published_item):
        response = client.get("/changes/", {"page": "999"})
        assert response.status_code == HTTPStatus.OK
        assertContains(response, "page: 999 is above 1; showing page 1.")
        response = client.get("/changes/", {"page": "x"})
        assert response.status_code == HTTPStatus.OK

    def test_empty_log(self, client, seeded):
        response, shown = corrections(client)
        assert shown == []
        assertContains(response, "No published figure has been corrected yet.")

    def test_queries_do_not_grow_with_the_page(
        self, client, published_item, django_assert_max_num_queries
    ):
        for amount in range(1, 40):
            published_item.amount = Decimal(amount)
            published_item.save()
        make_source(published_on=date(2024, 1, 1))
        with django_assert_max_num_queries(8):
            client.get("/changes/")
