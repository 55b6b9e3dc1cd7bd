"""Every change that readers would see is reviewed.

Analysts hand drafts over as ready for review; reviewers publish them or send them back
with a note. A published agreement is read-only in the admin: a change to it is made in
a pending revision (aid/revisions.py), which readers never see (tests/test_drafts.py
compares every public URL byte for byte), and which a reviewer who did not write it
approves, field by field, into the published records; /changes/ then lists it. Staff
preview what is not public at /preview/agreements/<id>/, which is a 404 to anyone else.
"""

from decimal import Decimal
from http import HTTPStatus
from urllib.parse import quote

import pytest
from django.db import IntegrityError, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains

from aid import review, revisions
from aid.choices import Qualifier, Stage, Status
from aid.models import Agreement, Citation, LineItem
from aid.triggers import drifted_line_items

from .factories import (
    SOURCE_PASSAGE,
    admin_change_url,
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
    review_url,
)

pytestmark = pytest.mark.django_db

# Another passage of the same seed document (tests/factories.py, SOURCE_FILE).
JETS_PASSAGE = "30 F-16 fighter jets by 2028"


@pytest.fixture
def ana():
    return make_user("ana", ["Analysts"])


@pytest.fixture
def rita():
    return make_user("rita", ["Reviewers"])


@pytest.fixture
def ruth():
    return make_user("ruth", ["Reviewers"])


@pytest.fixture
def published():
    """Belgium's agreement, drafted with three line items and their passages, then published.

    "€200 million in 2024" is a part of the €977 million (part_of), so totals count the
    whole once.
    """
    agreement = make_agreement(
        status=Status.DRAFT,
        title="Belgium–Ukraine security agreement",
        amount=None,
        currency="",
        qualifier=Qualifier.EXACT,
    )
    whole = make_line_item(
        agreement=agreement,
        category=category("funding"),
        description="at least €977 million in military aid",
        quantity=None,
        unit="",
        amount=Decimal("977000000"),
        currency="EUR",
        qualifier=Qualifier.AT_LEAST,
    )
    make_line_item(
        agreement=agreement,
        category=category("funding"),
        description="€200 million in 2024",
        quantity=None,
        unit="",
        amount=Decimal("200000000"),
        currency="EUR",
        part_of=whole,
    )
    jets = make_line_item(agreement=agreement, description="F-16 fighter jets")
    source = make_source()
    make_citation(agreement=agreement, line_item=whole, source=source)
    make_citation(agreement=agreement, line_item=jets, source=source, passage=JETS_PASSAGE)
    agreement.status = Status.PUBLISHED
    agreement.save()
    return agreement


def item(agreement, description):
    return agreement.line_items.get(description=description)


def public(client, agreement):
    """What readers get of the agreement: its page, its rows' export, the corrections log."""
    urls = [
        agreement.get_absolute_url(),
        f"/items/?agreement={agreement.pk}&_export=csv",
        "/agreements/?_export=csv",
        "/changes/",
    ]
    pages = {}
    for url in urls:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        pages[url] = (response.status_code, body)
    return pages


def messages_of(response):
    return [str(message) for message in response.wsgi_request._messages]


class TestHandOff:
    """Draft → ready for review → published, or back to draft with a note."""

    @pytest.fixture
    def draft(self):
        agreement = make_agreement(status=Status.DRAFT, title="Drafted agreement")
        make_citation(agreement=agreement)
        return agreement

    def test_an_analyst_marks_a_draft_ready_and_it_joins_the_queue(self, ana, rita, draft):
        page = logged_in(ana).get(admin_change_url(draft))
        status = page.context["adminform"].form.fields["status"]
        assert [value for value, _ in status.choices] == [Status.DRAFT, Status.READY]

        edit_agreement(logged_in(ana), draft, status=Status.READY)

        draft.refresh_from_db()
        assert draft.status == Status.READY
        reviewer = logged_in(rita)
        queue = reviewer.get(reverse("admin:aid_agreement_changelist"), {"review": "waiting"})
        assert list(queue.context["cl"].result_list) == [draft]
        home = reviewer.get(reverse("admin:index"))
        assertContains(home, "<strong>1</strong> waiting for review")
        assertContains(home, "1 new agreement, 0 revisions of published ones")

    def test_an_analyst_cannot_publish(self, ana, draft):
        browser = logged_in(ana)
        response = edit_agreement(browser, draft, status=Status.PUBLISHED, expect=HTTPStatus.OK)
        assertContains(response, "Select a valid choice.")
        page = browser.get(review_url(draft))
        assertNotContains(page, 'value="publish"')
        response = browser.post(review_url(draft), {"decision": "publish", "version": 1})
        assert response.status_code == HTTPStatus.FORBIDDEN
        draft.refresh_from_db()
        assert draft.status == Status.DRAFT

    def test_the_list_action_marks_drafts_ready(self, ana, draft):
        response = logged_in(ana).post(
            reverse("admin:aid_agreement_changelist"),
            {"action": "mark_ready", "_selected_action": [draft.pk]},
            follow=True,
        )
        assertContains(response, "Marked 1 draft(s) ready for review")
        draft.refresh_from_db()
        assert (draft.status, draft.version) == (Status.READY, 2)
        assert draft.history.latest().history_change_reason == review.MARKED_READY

    def test_a_reviewer_sends_it_back_with_a_note(self, ana, rita, draft):
        review.mark_ready(draft)
        reviewer = logged_in(rita)

        refused = decide(reviewer, draft, "send_back", note="   ")
        assert "a note goes back with it" in " ".join(messages_of(refused))
        draft.refresh_from_db()
        assert draft.status == Status.READY

        response = decide(reviewer, draft, "send_back", note="Cite the jets' passage.")
        assert response.url == admin_change_url(draft)
        draft.refresh_from_db()
        assert (draft.status, draft.review_note) == (Status.DRAFT, "Cite the jets' passage.")
        # The analyst reads the note on the agreement's page.
        assertContains(logged_in(ana).get(admin_change_url(draft)), "Cite the jets&#x27; passage.")

    def test_a_reviewer_publishes_from_the_review_page(self, rita, draft):
        review.mark_ready(draft)
        response = decide(logged_in(rita), draft, "publish")
        assert response.url == admin_change_url(draft)
        draft.refresh_from_db()
        assert draft.status == Status.PUBLISHED
        assert Client().get(draft.get_absolute_url()).status_code == HTTPStatus.OK

    def test_publishing_asks_the_one_rule(self, rita):
        uncited = make_agreement(status=Status.READY, title="Uncited")
        reviewer = logged_in(rita)
        page = reviewer.get(review_url(uncited))
        assertContains(page, escape(review.NO_CITATION))
        assertNotContains(page, 'value="publish"')
        response = reviewer.post(review_url(uncited), {"decision": "publish", "version": 1})
        assert f"Not published: {review.NO_CITATION}" in messages_of(response)
        uncited.refresh_from_db()
        assert uncited.status == Status.READY

    def test_a_decision_on_a_changed_agreement_is_refused(self, ana, rita, draft):
        review.mark_ready(draft)
        reviewer = logged_in(rita)
        reviewer.get(review_url(draft))
        read_at = Agreement.objects.get(pk=draft.pk).version
        edit_agreement(logged_in(ana), draft, summary="A later edit")
        response = reviewer.post(review_url(draft), {"decision": "publish", "version": read_at})
        (message,) = messages_of(response)
        assert message.startswith("Nothing was done: “Drafted agreement” changed after you")
        assert "ana changed summary" in message
        draft.refresh_from_db()
        assert draft.status == Status.READY

    @pytest.mark.parametrize("data", [{}, {"decision": "approve"}, {"decision": "x", "version": 1}])
    def test_a_malformed_decision_is_explained(self, rita, draft, data):
        response = logged_in(rita).post(review_url(draft), data)
        assert response.status_code == HTTPStatus.FOUND
        assert messages_of(response)
        draft.refresh_from_db()
        assert draft.status == Status.DRAFT


class TestPublishedIsReadOnly:
    """Nobody changes a published agreement in place, analyst or reviewer."""

    @pytest.mark.parametrize("user", ["ana", "rita"])
    def test_its_page_is_read_only_and_proposes_a_change(self, request, published, user):
        browser = logged_in(request.getfixturevalue(user))
        page = browser.get(admin_change_url(published))
        assert page.context["has_change_permission"] is False
        assertContains(page, "Propose a change")
        assertContains(page, reverse("admin:aid_agreement_propose", args=[published.pk]))
        # A stale tab's form, posted anyway, changes nothing and says why.
        data = browser_post(page) | {"title": "Changed in place", "base_version": "2"}
        response = browser.post(admin_change_url(published), data)
        assert response.status_code == HTTPStatus.FOUND
        assert "is published, and readers see it as it is" in " ".join(messages_of(response))
        published.refresh_from_db()
        assert published.title == "Belgium–Ukraine security agreement"

    def test_its_line_items_and_citations_are_read_only(self, ana, published):
        browser = logged_in(ana)
        jets = item(published, "F-16 fighter jets")
        url = reverse("admin:aid_lineitem_change", args=[jets.pk])
        page = browser.get(url)
        assert page.context["has_change_permission"] is False
        response = browser.post(url, {"description": "Changed", "quantity": "1"})
        assert response.status_code == HTTPStatus.FOUND
        delete = reverse("admin:aid_lineitem_delete", args=[jets.pk])
        assert browser.post(delete, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
        citation = jets.citations.get()
        delete = reverse("admin:aid_citation_delete", args=[citation.pk])
        assert browser.post(delete, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
        jets.refresh_from_db()
        assert (jets.description, jets.quantity) == ("F-16 fighter jets", 30)

    def test_a_line_item_cannot_be_added_to_it_on_its_own_page(self, ana, published):
        before = LineItem.objects.count()
        response = logged_in(ana).post(
            reverse("admin:aid_lineitem_add"),
            {
                "agreement": published.pk,
                "category": category("aircraft").pk,
                "description": "Sneaked in",
                "qualifier": Qualifier.EXACT,
                "aid_type": "military",
                "basis": "once",
                "stage": Stage.COMMITTED,
            },
        )
        assert response.status_code == HTTPStatus.OK
        assertContains(response, "is published: a change to it is proposed on its page")
        assert LineItem.objects.count() == before

    def test_it_is_not_reverted_in_place(self, rita, published):
        browser = logged_in(rita)
        earlier = published.history.earliest()
        url = reverse("admin:aid_agreement_simple_history", args=[published.pk, earlier.pk])
        page = browser.get(url)
        assert page.status_code == HTTPStatus.OK
        response = browser.post(url, browser_post(page, title="Reverted"))
        assert response.status_code == HTTPStatus.FOUND
        published.refresh_from_db()
        assert published.title == "Belgium–Ukraine security agreement"
        assert published.status == Status.PUBLISHED

    def test_a_revision_is_never_published(self, ana, rita, published):
        revision = propose(logged_in(ana), published)
        with pytest.raises(IntegrityError), transaction.atomic():
            Agreement.objects.filter(pk=revision.pk).update(status=Status.PUBLISHED)
        response = logged_in(rita).post(
            reverse("admin:aid_agreement_changelist"),
            {"action": "publish", "_selected_action": [revision.pk]},
            follow=True,
        )
        assertContains(response, "is a revision: a reviewer approves it on its review page")
        page = logged_in(rita).get(admin_change_url(revision))
        status = page.context["adminform"].form.fields["status"]
        assert [value for value, _ in status.choices] == [Status.DRAFT, Status.READY]


class TestRevision:
    def test_proposing_opens_one_working_copy_of_everything(self, ana, published):
        revision = propose(logged_in(ana), published)

        assert (revision.status, revision.revises, revision.revises_version) == (
            Status.DRAFT,
            published,
            published.version,
        )
        assert revision.title == published.title
        copies = {copy.origin: copy for copy in revision.line_items.all()}
        assert set(copies) == set(published.line_items.all())
        for original, copy in copies.items():
            assert (copy.description, copy.amount, copy.value_eur, copy.published) == (
                original.description,
                original.amount,
                original.value_eur,
                False,
            )
        part = copies[item(published, "€200 million in 2024")]
        assert part.part_of == copies[item(published, "at least €977 million in military aid")]
        cited = {c.origin: c for c in revision.citations.select_related("line_item")}
        assert set(cited) == set(published.citations.all())
        for original, copy in cited.items():
            assert copy.line_item == copies[original.line_item]
        assert drifted_line_items() == 0
        # Proposing again opens the same revision.
        assert propose(logged_in(ana), published) == revision
        # The published agreement's page points to it.
        page = logged_in(ana).get(admin_change_url(published))
        assertContains(page, "Open the pending revision")
        assertNotContains(page, "Propose a change</button>")

    def test_readers_see_nothing_of_it(self, client, ana, published):
        before = public(client, published)
        browser = logged_in(ana)
        revision = propose(browser, published)
        jets = item(published, "F-16 fighter jets")
        edit_agreement(
            browser,
            revision,
            items={jets: {"quantity": "24", "stage": Stage.DELIVERED}},
            title="Renamed in the revision",
            status=Status.READY,
        )
        assert revision.line_items.get(origin=jets).quantity == 24
        assert public(client, published) == before

    def test_the_reviewer_reads_the_change_field_by_field(self, ana, rita, published):
        browser = logged_in(ana)
        revision = propose(browser, published)
        jets = item(published, "F-16 fighter jets")
        part = item(published, "€200 million in 2024")
        jets_citation = jets.citations.get()
        edit_agreement(
            browser,
            revision,
            items={
                jets: {"quantity": "24", "stage": Stage.DELIVERED},
                part: {"DELETE": "on"},
            },
            citations={jets_citation: {"passage": SOURCE_PASSAGE}},
            **{
                "status": Status.READY,
                "title": "Belgium–Ukraine agreement",
                "line_items-3-description": "Sea King helicopters",
                "line_items-3-category": category("aircraft").pk,
                "line_items-3-stage": Stage.COMMITTED,
            },
        )

        page = logged_in(rita).get(review_url(revision))

        diff = page.context["diff"]
        assert [(c.field, c.was, c.now) for c in diff.agreement] == [
            ("title", "Belgium–Ukraine security agreement", "Belgium–Ukraine agreement")
        ]
        rows = {(row.action, row.label): row.changes for row in diff.line_items}
        assert set(rows) == {
            ("changed", "F-16 fighter jets"),
            ("added", "Sea King helicopters"),
            ("removed", "€200 million in 2024"),
        }
        assert [(c.field, c.was, c.now) for c in rows[("changed", "F-16 fighter jets")]] == [
            ("quantity", "30", "24"),
            ("stage", "Committed", "Delivered"),
        ]
        added = {c.field: c.now for c in rows[("added", "Sea King helicopters")]}
        assert (added["description"], added["category"]) == ("Sea King helicopters", "Aircraft")
        removed = {c.field: c.was for c in rows[("removed", "€200 million in 2024")]}
        assert removed["amount"] == "200,000,000.00"
        assert removed["part of"] == "at least €977 million in military aid"
        (citation,) = diff.citations
        assert citation.action == "changed"
        assert [(c.field, c.was, c.now) for c in citation.changes] == [
            ("passage", JETS_PASSAGE, SOURCE_PASSAGE)
        ]
        assertContains(page, "Approve: readers see the change")
        assertContains(page, '<td class="was">30</td><td class="now">24</td>', html=True)

    def test_approval_applies_it_and_the_corrections_log_shows_it(
        self, client, ana, rita, published
    ):
        browser = logged_in(ana)
        revision = propose(browser, published)
        whole = item(published, "at least €977 million in military aid")
        part = item(published, "€200 million in 2024")
        jets = item(published, "F-16 fighter jets")
        edit_agreement(
            browser,
            revision,
            items={
                jets: {"quantity": "24"},
                whole: {"amount": "1000000000"},
                part: {"DELETE": "on"},
            },
            **{
                "line_items-3-description": "€300 million in 2025",
                "line_items-3-category": category("funding").pk,
                "line_items-3-amount": "300000000",
                "line_items-3-currency": "EUR",
                "line_items-3-stage": Stage.COMMITTED,
                "status": Status.READY,
            },
        )
        # The new part belongs to the revision's whole: set on its own page, as an analyst would.
        added = revision.line_items.get(description="€300 million in 2025")
        added_url = reverse("admin:aid_lineitem_change", args=[added.pk])
        whole_copy = revision.line_items.get(origin=whole)
        response = browser.post(
            added_url, browser_post(browser.get(added_url), part_of=whole_copy.pk)
        )
        assert response.status_code == HTTPStatus.FOUND
        before = public(client, published)

        response = decide(logged_in(rita), revision, "approve")

        assert response.url == admin_change_url(published)
        assert any("Approved: readers now see the change" in m for m in messages_of(response))
        assert not Agreement.objects.filter(pk=revision.pk).exists()
        assert not LineItem.objects.filter(agreement_id=revision.pk).exists()
        assert not Citation.objects.filter(agreement_id=revision.pk).exists()
        published.refresh_from_db()
        assert published.status == Status.PUBLISHED
        jets.refresh_from_db()
        whole.refresh_from_db()
        assert (jets.quantity, whole.amount) == (24, Decimal("1000000000"))
        assert not LineItem.objects.filter(pk=part.pk).exists()
        new_part = published.line_items.get(description="€300 million in 2025")
        assert new_part.part_of == whole
        assert new_part.published and drifted_line_items() == 0
        # Citations follow their line items; the removed item's passage stays with the rest.
        assert {(c.line_item, c.passage) for c in published.citations.all()} == {
            (whole, SOURCE_PASSAGE),
            (jets, JETS_PASSAGE),
        }
        # The history says who approved it; the corrections log what, and when.
        assert whole.history.latest().history_user.username == "rita"
        assert whole.history.latest().history_change_reason == revisions.APPROVED
        after = public(client, published)
        assert after[published.get_absolute_url()] != before[published.get_absolute_url()]
        assert after["/changes/"] != before["/changes/"]
        # public() has just read the log: rendered again (not from the page cache) for its rows.
        with override_settings(LEDGER_PAGE_CACHE=False):
            log = client.get("/changes/")
        shown = {(c.action, c.title): c for c in log.context["page"].object_list}
        assert set(shown) == {
            ("changed", "F-16 fighter jets"),
            ("changed", "at least €977 million in military aid"),
            ("added", "€300 million in 2025"),
            ("removed", "€200 million in 2024"),
        }
        changed = shown[("changed", "at least €977 million in military aid")]
        assert [(c.figure, c.was, c.now) for c in changed.changes] == [
            ("amount", "at least EUR 977,000,000", "at least EUR 1,000,000,000")
        ]
        assert changed.when == whole.history.latest().history_date
        # Totals count the new whole once, not its new part.
        with override_settings(LEDGER_PAGE_CACHE=False):
            totals = client.get(published.get_absolute_url()).context["totals"]
        assert totals.get(Stage.COMMITTED).display == "at least EUR 1,000,000,000"

    def test_a_reviewer_never_approves_their_own_revision(self, rita, ruth, published):
        author = logged_in(rita)
        revision = propose(author, published)
        edit_agreement(author, revision, summary="Rita's reading", status=Status.READY)

        page = author.get(review_url(revision))
        assertContains(page, "You worked on this revision")
        assertNotContains(page, 'value="approve"')
        version = Agreement.objects.get(pk=revision.pk).version
        response = author.post(review_url(revision), {"decision": "approve", "version": version})
        assert messages_of(response) == [
            "Not approved: you worked on this revision, and a change is approved by a "
            "reviewer who did not write it. Ask another reviewer."
        ]
        published.refresh_from_db()
        assert published.summary == ""

        # Sending back is not writing: a reviewer who sent it back may approve it later.
        decide(logged_in(ruth), revision, "send_back", note="Say where the reading comes from.")
        edit_agreement(author, revision, summary="Rita's reading, sourced", status=Status.READY)
        decide(logged_in(ruth), revision, "approve")
        published.refresh_from_db()
        assert published.summary == "Rita's reading, sourced"

    def test_approving_after_the_published_agreement_changed_is_refused(
        self, client, ana, rita, ruth, published
    ):
        revision = propose(logged_in(ana), published)
        edit_agreement(logged_in(ana), revision, title="From the old version", status=Status.READY)
        # Meanwhile a reviewer unpublishes the agreement and publishes it again.
        for action in ("unpublish", "publish"):
            logged_in(ruth).post(
                reverse("admin:aid_agreement_changelist"),
                {"action": action, "_selected_action": [published.pk]},
            )
        before = public(client, published)

        response = decide(logged_in(rita), revision, "approve")

        (message,) = messages_of(response)
        assert message.startswith(
            "Not approved: the published agreement “Belgium–Ukraine security agreement” "
            "changed after this revision was opened. Meanwhile ruth changed status"
        )
        assert "discard it, and propose the change again" in message
        assert Agreement.objects.filter(pk=revision.pk).exists()
        assert public(client, published) == before

    def test_approving_a_revision_changed_after_it_was_read_is_refused(self, ana, rita, published):
        revision = propose(logged_in(ana), published)
        reviewer = logged_in(rita)
        read = reviewer.get(review_url(revision)).context["agreement"].version
        jets = item(published, "F-16 fighter jets")
        edit_agreement(logged_in(ana), revision, items={jets: {"quantity": "2"}})

        response = reviewer.post(review_url(revision), {"decision": "approve", "version": read})

        (message,) = messages_of(response)
        assert message.startswith("Not approved: the revision changed after you opened it.")
        assert "ana changed line item “F-16 fighter jets”" in message
        jets.refresh_from_db()
        assert jets.quantity == 30

    def test_a_revision_without_a_citation_is_not_approved(self, ana, rita, published):
        browser = logged_in(ana)
        revision = propose(browser, published)
        edit_agreement(
            browser,
            revision,
            citations={citation: {"DELETE": "on"} for citation in published.citations.all()},
            status=Status.READY,
        )
        assert not revision.citations.exists()
        page = logged_in(rita).get(review_url(revision))
        assertContains(page, escape(review.NO_CITATION))
        response = logged_in(rita).post(
            review_url(revision),
            {"decision": "approve", "version": page.context["agreement"].version},
        )
        assert messages_of(response) == [f"Not approved: {review.NO_CITATION}"]
        assert published.citations.count() == 2

    def test_discarding_leaves_the_published_agreement_as_it_was(self, client, ana, published):
        before = public(client, published)
        counts = (LineItem.objects.count(), Citation.objects.count())
        browser = logged_in(ana)
        revision = propose(browser, published)
        jets = item(published, "F-16 fighter jets")
        edit_agreement(browser, revision, items={jets: {"quantity": "2"}})

        response = decide(browser, revision, "discard")

        assert response.url == admin_change_url(published)
        assert not Agreement.objects.filter(pk=revision.pk).exists()
        assert (LineItem.objects.count(), Citation.objects.count()) == counts
        assert public(client, published) == before
        # A new proposal starts again from the published agreement.
        assert propose(browser, published).line_items.get(origin=jets).quantity == 30

    def test_two_analysts_editing_one_revision(self, ana, published):
        bob = make_user("bob", ["Analysts"])
        revision = propose(logged_in(ana), published)
        first, second = logged_in(ana), logged_in(bob)
        first_page = first.get(admin_change_url(revision))
        second_page = second.get(admin_change_url(revision))
        first.post(admin_change_url(revision), browser_post(first_page, title="Ana's title"))
        response = second.post(
            admin_change_url(revision), browser_post(second_page, title="Bob's title")
        )
        assert response.status_code == HTTPStatus.OK
        assert "ana changed title" in " ".join(
            response.context["adminform"].form.non_field_errors()
        )
        revision.refresh_from_db()
        assert revision.title == "Ana's title"

    def test_the_queue_counts_revisions(self, ana, rita, published):
        revision = propose(logged_in(ana), published)
        home = logged_in(rita).get(reverse("admin:index"))
        assertContains(home, "Nothing is waiting for review.")
        assertContains(home, "1 pending revision</a> in all")
        review.mark_ready(revision)
        home = logged_in(rita).get(reverse("admin:index"))
        assertContains(home, "0 new agreements, 1 revision of published ones")
        changelist = logged_in(rita).get(
            reverse("admin:aid_agreement_changelist"), {"review": "waiting"}
        )
        assert list(changelist.context["cl"].result_list) == [revision]
        assertContains(changelist, f"Revision of #{published.pk}: ready for review")


def without(content, path):
    """A page with the address it was asked at (plain and URL-encoded) taken out."""
    return content.replace(path.encode(), b"").replace(quote(path, safe="").encode(), b"")


class TestPreview:
    @pytest.fixture
    def draft(self):
        agreement = make_agreement(status=Status.DRAFT, title="Drafted pledge of boats")
        make_line_item(agreement=agreement, description="Patrol boats", category=category("naval"))
        return agreement

    @staticmethod
    def url(agreement):
        return reverse("aid:agreement_preview", args=[agreement.pk])

    @pytest.mark.parametrize(
        "who", ["anonymous", "not staff", "staff without view permission", "inactive staff"]
    )
    def test_anyone_but_the_staff_gets_a_404(self, draft, who):
        browser = Client()
        if who == "not staff":
            browser.force_login(make_user("reader", ["Analysts"], is_staff=False))
        elif who == "staff without view permission":
            browser.force_login(make_user("nobody", []))
        elif who == "inactive staff":
            user = make_user("gone", ["Analysts"])
            browser.force_login(user)
            user.is_active = False
            user.save()
        response = browser.get(self.url(draft))
        assert response.status_code == HTTPStatus.NOT_FOUND
        assertNotContains(response, "Patrol boats", status_code=HTTPStatus.NOT_FOUND)
        # The same page as for an agreement that does not exist: nothing tells them apart
        # but the address asked for, which the page repeats (its language links).
        missing = self.url(Agreement(pk=999999))
        assert without(response.content, self.url(draft)) == without(
            Client().get(missing).content, missing
        )

    def test_the_staff_see_it_as_readers_will_with_a_banner(self, ana, draft):
        response = logged_in(ana).get(self.url(draft))
        assert response.status_code == HTTPStatus.OK
        assertContains(response, "Preview — not public.")
        assertContains(response, "Patrol boats")
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        # The public agreement template, as readers will get it once published.
        draft.status = Status.PUBLISHED
        draft.save()
        readers = Client().get(draft.get_absolute_url()).content.decode()
        assert readers.split("<h1")[1] in response.content.decode()

    def test_a_revision_is_previewed_with_its_changes(self, client, ana, published):
        browser = logged_in(ana)
        revision = propose(browser, published)
        jets = item(published, "F-16 fighter jets")
        edit_agreement(browser, revision, items={jets: {"description": "Forty F-16 jets"}})
        preview = browser.get(self.url(revision))
        assertContains(preview, "A pending revision")
        assertContains(preview, "Forty F-16 jets")
        assertNotContains(client.get(published.get_absolute_url()), "Forty F-16 jets")

    def test_view_on_site_points_at_the_preview_until_published(self, ana, rita, draft):
        browser = logged_in(ana)
        page = browser.get(admin_change_url(draft))
        assertContains(page, f'href="{self.url(draft)}" class="viewsitelink"')
        # Its line items' rows, and their own pages, too.
        boats = draft.line_items.get()
        assertContains(page, f'href="{self.url(draft)}#item-{boats.pk}"')
        item_page = browser.get(reverse("admin:aid_lineitem_change", args=[boats.pk]))
        assertContains(item_page, f'href="{self.url(draft)}#item-{boats.pk}"')
        published = make_agreement()
        page = browser.get(admin_change_url(published))
        assertContains(page, f'href="{published.get_absolute_url()}" class="viewsitelink"')
        assertNotContains(page, self.url(published))

    def test_an_unknown_agreement_is_a_404_to_the_staff_too(self, ana):
        assert logged_in(ana).get("/preview/agreements/999999/").status_code == HTTPStatus.NOT_FOUND
