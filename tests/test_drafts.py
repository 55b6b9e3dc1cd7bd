"""A draft never reaches a reader: not as a page, a row, an export, a facet count or a total.

The seed data is published. Two drafts are put beside it: one of a donor that
has nothing published, citing a source that nothing published cites, and one
of Belgium, a donor readers know, citing a source readers know. Every public
URL answers byte for byte what it answered before the drafts existed; the
drafts' words appear nowhere; their own pages are 404s. The last test
publishes the drafts and sees them appear, so the probes can fail.
"""

from datetime import date
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains

from aid.choices import AgreementKind, DonorKind, Precision, Qualifier, Stage, Status
from aid.models import Agreement, Donor, LineItem, Source

from .factories import (
    SOURCE_PASSAGE,
    browser_post,
    category,
    decide,
    edit_agreement,
    logged_in,
    make_agreement,
    make_citation,
    make_source,
    make_user,
    propose,
)

pytestmark = pytest.mark.django_db

DRAFT_AGREEMENT_ID = 9001
BELGIAN_DRAFT_ID = 9002
# Words and figures that occur in the drafts and nowhere in the seed data.
DRAFT_TEXT = [
    "Zephyria",
    "zephyria-consortium",
    "orbital lances",
    "Quietly drafted",
    "987654321",
    "987,654,321",
    "123456789",
    "123,456,789",
    "Belgian draft",
    "55555",
]

LISTS = ["/agreements/", "/items/", "/donors/"]
PUBLIC_URLS = [
    "/",
    "/?currency=USD",
    "/?donor=zephyria-consortium",
    "/?category=aircraft",
    "/?q=Zephyria",
    "/changes/",
    "/donors/belgium/",
    "/donors/belgium/?currency=USD",
    "/sources/1/",
    "/sources/2/",
    "/agreements/2/",
    *LISTS,
    *[f"{path}?_export={fmt}" for path in LISTS for fmt in ("csv", "json")],
    *[f"{path}?per_page=500" for path in LISTS],
    *[f"{path}?currency=USD" for path in LISTS],
    *[f"{path}?q=Zephyria" for path in LISTS],
    *[f"{path}?q=orbital" for path in LISTS],
    *[f"{path}?q=Zephyria&_export=csv" for path in LISTS],
    "/items/?donor=zephyria-consortium",
    "/agreements/?donor=zephyria-consortium",
    "/items/?donor=belgium",
    "/items/?donor=belgium&_export=csv",
    "/agreements/?donor=belgium",
    "/agreements/?donor=belgium&_export=json",
    "/items/?category=aircraft",
    "/items/?category=aircraft&_export=json",
    "/agreements/?category=aircraft",
    "/items/?stage=committed&per_page=500",
    "/agreements/?stage=committed",
    "/agreements/?kind=security-agreement",
    "/donors/?kind=multilateral",
    "/items/?sort=-amount",
    "/agreements/?sort=-amount",
    "/items/?min_eur=100000000",
    "/items/?date_after=2024-05-28&date_before=2024-05-28",
    f"/items/?agreement={DRAFT_AGREEMENT_ID}",
    f"/items/?agreement={DRAFT_AGREEMENT_ID}&_export=csv",
    f"/agreements/{DRAFT_AGREEMENT_ID}/",
    f"/agreements/{BELGIAN_DRAFT_ID}/",
    "/donors/zephyria-consortium/",
    "/sources/3/",
]


def fetch(client, url):
    response = client.get(url)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, content


def snapshot(client):
    return {url: fetch(client, url) for url in PUBLIC_URLS}


def add_drafts():
    """Two drafts, their line items and citations, and changes to them (history)."""
    donor = Donor.objects.create(
        name="Zephyria Defence Consortium",
        slug="zephyria-consortium",
        kind=DonorKind.MULTILATERAL,
        iso_code="",
    )
    draft = Agreement.objects.create(
        pk=DRAFT_AGREEMENT_ID,
        donor=donor,
        title="Zephyria pledge of orbital lances",
        kind=AgreementKind.SECURITY_AGREEMENT,
        announced_on=date(2024, 5, 28),
        announced_precision=Precision.DAY,
        amount=Decimal("987654321"),
        currency="EUR",
        qualifier=Qualifier.AT_LEAST,
        summary="Quietly drafted; not yet reviewed.",
        status=Status.DRAFT,
    )
    item = LineItem.objects.create(
        agreement=draft,
        category=category("aircraft"),
        description="Zephyria orbital lances",
        quantity=55555,
        unit="lances",
        amount=Decimal("123456789"),
        currency="EUR",
        stage=Stage.COMMITTED,
    )
    source = make_source(title="Zephyria dossier")
    assert source.pk == 3
    make_citation(source=source, agreement=draft, line_item=item)
    make_citation(source=Source.objects.get(pk=2), agreement=draft, passage=SOURCE_PASSAGE)

    belgian = Agreement.objects.create(
        pk=BELGIAN_DRAFT_ID,
        donor=Donor.objects.get(slug="belgium"),
        title="Belgian draft of orbital lances",
        kind=AgreementKind.AID_PACKAGE,
        announced_on=date(2024, 5, 28),
        announced_precision=Precision.DAY,
        status=Status.DRAFT,
    )
    LineItem.objects.create(
        agreement=belgian,
        category=category("aircraft"),
        description="Belgian draft: Zephyria orbital lances",
        amount=Decimal("987654321"),
        currency="EUR",
        stage=Stage.DELIVERED,
    )
    make_citation(source=Source.objects.get(pk=2), agreement=belgian, passage=SOURCE_PASSAGE)

    # Corrections of a draft are not public corrections.
    item.amount = Decimal("123456789.50")
    item.save()
    draft.amount = Decimal("987654321.00")
    draft.stage = Stage.DELIVERED
    draft.save()
    return draft, belgian


DRAFT_PAGES = [
    f"/agreements/{DRAFT_AGREEMENT_ID}/",
    f"/agreements/{BELGIAN_DRAFT_ID}/",
    "/donors/zephyria-consortium/",
    "/sources/3/",
]


def test_no_public_url_reveals_a_draft(client, seeded):
    """One snapshot of every public URL before the drafts exist, one after (three seconds each)."""
    before = snapshot(client)
    add_drafts()
    after = snapshot(client)

    # Not even through a count: every page, export, facet and total is unchanged.
    assert [url for url in PUBLIC_URLS if before[url] != after[url]] == []

    # Their words and figures appear nowhere, but where the reader typed them (?q=Zephyria).
    leaks = [
        (url, text)
        for url, (_, content) in after.items()
        for text in DRAFT_TEXT
        if text.lower() not in url.lower() and text in content.decode("utf-8")
    ]
    assert leaks == []

    # Their own pages, their donor's and their source's, are not found.
    assert {url: after[url][0] for url in DRAFT_PAGES} == dict.fromkeys(
        DRAFT_PAGES, HTTPStatus.NOT_FOUND
    )

    # Their donor is no donor at all.
    for url in ("/items/?donor=zephyria-consortium", "/agreements/?donor=zephyria-consortium"):
        status, content = after[url]
        assert status == HTTPStatus.OK
        assert "There is no donor “zephyria-consortium”." in content.decode()


def test_counts_and_totals_leave_drafts_out(client, seeded):
    add_drafts()
    overview = client.get("/").context
    assert overview["agreement_count"] == Agreement.objects.count() - 2
    assert overview["item_count"] == LineItem.objects.count() - 2
    assert overview["donor_count"] == Donor.objects.count() - 1
    assert client.get("/items/").context["count"] == LineItem.objects.count() - 2
    assert client.get("/donors/").context["count"] == Donor.objects.count() - 1


def test_publishing_the_drafts_shows_them(client, seeded):
    """The probes above can fail: once published, the drafts are everywhere."""
    urls = ["/", "/items/?_export=csv", "/donors/belgium/", "/items/?q=Zephyria", *DRAFT_PAGES]
    before = {url: fetch(client, url) for url in urls}
    draft, belgian = add_drafts()
    Agreement.objects.filter(pk__in=[draft.pk, belgian.pk]).update(status=Status.PUBLISHED)
    after = {url: fetch(client, url) for url in urls}

    assert [url for url in urls if before[url] == after[url]] == []
    assert {url: after[url][0] for url in DRAFT_PAGES} == dict.fromkeys(DRAFT_PAGES, HTTPStatus.OK)
    assert "Zephyria orbital lances" in after["/items/?q=Zephyria"][1].decode()


def test_no_public_url_reveals_a_pending_revision(client, seeded):
    """A change to a published agreement is public only once a reviewer approves it.

    Belgium's agreement (/agreements/2/) gets a revision that changes a figure and adds
    a line item: every public URL answers as before, and again after the revision is
    discarded. The same change, approved, is on the pages and in /changes/.
    """
    before = snapshot(client)
    analyst = logged_in(make_user("ana", ["Analysts"]))
    reviewer = logged_in(make_user("rita", ["Reviewers"]))
    belgium = Agreement.objects.get(pk=2)
    figure = belgium.line_items.get(description="at least €977 million in military aid")

    def propose_the_change():
        revision = propose(analyst, belgium)
        edit_agreement(
            analyst,
            revision,
            items={figure: {"amount": "987654321"}},
            status=Status.READY,
            **{
                f"line_items-{belgium.line_items.count()}-{name}": value
                for name, value in {
                    "description": "Zephyria orbital lances",
                    "category": category("aircraft").pk,
                    "quantity": "55555",
                    "unit": "lances",
                    "stage": Stage.COMMITTED,
                }.items()
            },
        )
        return revision

    revision = propose_the_change()
    pending = snapshot(client)
    assert [url for url in PUBLIC_URLS if before[url] != pending[url]] == []
    # The staff's preview shows the change.
    preview = reviewer.get(reverse("aid:agreement_preview", args=[revision.pk]))
    assertContains(preview, "Zephyria orbital lances")

    decide(analyst, revision, "discard")
    discarded = snapshot(client)
    assert [url for url in PUBLIC_URLS if before[url] != discarded[url]] == []

    decide(reviewer, propose_the_change(), "approve")
    approved = snapshot(client)
    changed = {url for url in PUBLIC_URLS if before[url] != approved[url]}
    assert {"/agreements/2/", "/changes/", "/", "/items/?_export=csv"} <= changed
    for url in ("/agreements/2/", "/changes/"):
        page = approved[url][1].decode()
        assert "987,654,321" in page and "Zephyria orbital lances" in page


class TestReviewThenPublish:
    """Analysts draft; reviewers publish, and only what a citation supports."""

    @pytest.fixture
    def draft(self):
        agreement = make_agreement(status=Status.DRAFT, title="Drafted agreement")
        make_citation(agreement=agreement)
        return agreement

    @pytest.fixture
    def uncited(self):
        return make_agreement(status=Status.DRAFT, title="Uncited agreement")

    @staticmethod
    def browser(*groups):
        browser = Client()
        browser.force_login(make_user("-".join(groups).lower() or "nobody", groups))
        return browser

    @staticmethod
    def act(browser, action, *agreements):
        return browser.post(
            reverse("admin:aid_agreement_changelist"),
            {"action": action, "_selected_action": [a.pk for a in agreements]},
            follow=True,
        )

    @staticmethod
    def status(agreement):
        agreement.refresh_from_db()
        return agreement.status

    def test_groups_and_the_permission(self):
        analysts = Group.objects.get(name="Analysts")
        reviewers = Group.objects.get(name="Reviewers")
        publish = Permission.objects.get(codename="publish_agreement")
        assert publish not in analysts.permissions.all()
        assert publish in reviewers.permissions.all()
        # Reviewers do all that analysts do.
        assert set(analysts.permissions.all()) < set(reviewers.permissions.all())

    @staticmethod
    def status_choices(page):
        return [value for value, _ in page.context["adminform"].form.fields["status"].choices]

    def test_analyst_marks_ready_but_cannot_publish(self, draft):
        browser = self.browser("Analysts")
        url = reverse("admin:aid_agreement_change", args=[draft.pk])
        page = browser.get(url)
        assert self.status_choices(page) == [Status.DRAFT, Status.READY]
        response = browser.post(url, browser_post(page, status=Status.PUBLISHED))
        assert response.status_code == HTTPStatus.OK
        assertContains(response, "Select a valid choice.")
        assert self.status(draft) == Status.DRAFT
        response = browser.post(url, browser_post(page, status=Status.READY))
        assert response.status_code == HTTPStatus.FOUND
        assert self.status(draft) == Status.READY

    def test_analyst_adds_drafts_only(self):
        browser = self.browser("Analysts")
        page = browser.get(reverse("admin:aid_agreement_add"))
        assert self.status_choices(page) == [Status.DRAFT, Status.READY]

    def test_analyst_has_no_publish_action(self, draft):
        browser = self.browser("Analysts")
        changelist = browser.get(reverse("admin:aid_agreement_changelist"))
        action_form = changelist.context["action_form"]
        assert action_form is None or "publish" not in dict(action_form.fields["action"].choices)
        self.act(browser, "publish", draft)
        assert self.status(draft) == Status.DRAFT

    def test_reviewer_publishes_and_unpublishes(self, draft):
        browser = self.browser("Reviewers")
        response = self.act(browser, "publish", draft)
        assertContains(response, "Published 1 agreement(s).")
        assert self.status(draft) == Status.PUBLISHED
        latest = draft.history.latest()
        assert (latest.history_user.username, latest.history_change_reason) == (
            "reviewers",
            "published",
        )
        assert client_sees(draft)

        response = self.act(browser, "unpublish", draft)
        assertContains(response, "Unpublished 1 agreement(s)")
        assert self.status(draft) == Status.DRAFT
        assert not client_sees(draft)

    def test_nothing_is_published_while_one_has_no_citation(self, draft, uncited):
        response = self.act(self.browser("Reviewers"), "publish", draft, uncited)
        assertContains(response, "Nothing was published.")
        assertContains(response, "cannot be published without at least one citation")
        assertContains(response, "Uncited agreement")
        assert (self.status(draft), self.status(uncited)) == (Status.DRAFT, Status.DRAFT)

    def test_reviewer_publishes_on_the_page_only_with_a_citation(self, uncited):
        browser = self.browser("Reviewers")
        url = reverse("admin:aid_agreement_change", args=[uncited.pk])
        page = browser.get(url)
        response = browser.post(url, browser_post(page, status=Status.PUBLISHED, summary="Kept"))
        # Saved, since nothing in it is wrong, but not published.
        assert response.status_code == HTTPStatus.FOUND
        shown = " ".join(str(m) for m in response.wsgi_request._messages)
        assert "Saved, but not published: An agreement cannot be published without" in shown
        assert self.status(uncited) == Status.DRAFT
        assert Agreement.objects.get(pk=uncited.pk).summary == "Kept"
        page = browser.get(url)

        source = make_source()
        with_citation = browser_post(
            page,
            status=Status.PUBLISHED,
            **{"citations-0-source": source.pk, "citations-0-passage": SOURCE_PASSAGE},
        )
        response = browser.post(url, with_citation)
        assert response.status_code == HTTPStatus.FOUND
        assert self.status(uncited) == Status.PUBLISHED

    def test_a_published_agreement_keeps_its_citations(self, draft):
        """Its page is read-only (a change goes through a revision: tests/test_review.py)."""
        Agreement.objects.filter(pk=draft.pk).update(status=Status.PUBLISHED)
        citation = draft.citations.get()
        browser = self.browser("Analysts")
        url = reverse("admin:aid_agreement_change", args=[draft.pk])
        page = browser.get(url)
        data = browser_post(page) | {
            "citations-TOTAL_FORMS": "1",
            "citations-INITIAL_FORMS": "1",
            "citations-0-id": str(citation.pk),
            "citations-0-DELETE": "on",
        }
        assert browser.post(url, data).status_code == HTTPStatus.FOUND
        delete = reverse("admin:aid_citation_delete", args=[citation.pk])
        assert browser.post(delete, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
        assert draft.citations.exists()


def client_sees(agreement):
    return Client().get(agreement.get_absolute_url()).status_code == HTTPStatus.OK
