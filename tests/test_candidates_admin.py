"""From a new document to a draft (issue 11): a source's candidate pledges in the admin, and
the agreement add page pre-filled from one (aid/admin_candidates.py).

The seed documents' figures are those aid/candidates/measure.py finds in fixtures/ledger.json:
the candidates page must list each of them, and mark it cited, as the seeded ledger cites it.
"""

import re
from datetime import date
from decimal import Decimal
from http import HTTPStatus
from importlib import import_module

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from aid import admin_candidates
from aid.candidates.measure import measure
from aid.choices import Precision, Qualifier, Stage, Status
from aid.models import Agreement, Category, Donor, Source

from .factories import (
    SOURCE_FILE,
    SOURCE_PASSAGE,
    browser_post,
    logged_in,
    make_source_with_text,
    make_url_only_source,
    make_user,
)

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:aid_agreement_add")
# The Belgium sentence of the weekly, as the engine cuts it: the passage a draft cites.
BELGIUM = "According to the agreement, " + SOURCE_PASSAGE


def candidates_url(source, **query):
    url = reverse("admin:aid_source_candidates", args=[source.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def listed(browser, source, show="proposed"):
    """Every candidate the page lists, across its pages: {(start, end): article HTML}."""
    found, number = {}, 1
    while True:
        response = browser.get(candidates_url(source, show=show, page=number))
        assert response.status_code == HTTPStatus.OK
        html = response.content.decode()
        for start, end, body in re.findall(
            r'<article class="candidate[^"]*" id="candidate-(\d+)-(\d+)">(.*?)</article>',
            html,
            re.S,
        ):
            found[int(start), int(end)] = body
        if not response.context["page"].has_next():
            return found
        number += 1


class part(dict):  # noqa: N801 - read as a phrase: part(values) == {...}
    """The values named in the dict it is compared with: a comparison of only those."""

    def __eq__(self, expected):
        return {name: self.get(name, "(missing)") for name in expected} == expected

    __hash__ = None


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def prefilled(response):
    """The add page's initial values: the agreement's, and each inline's rows."""
    rows = {
        inline.formset.prefix: [form.initial for form in inline.formset.forms]
        for inline in response.context["inline_admin_formsets"]
    }
    return response.context["adminform"].form.initial, rows


@pytest.fixture
def weekly(seeded):
    return Source.objects.get(file=SOURCE_FILE)


@pytest.fixture
def analyst():
    return logged_in(make_user("ana", ["Analysts"]))


def belgium_link(weekly):
    text = weekly.text
    start = text.index(BELGIUM)
    return f"{ADD_URL}?candidate={weekly.pk}:{start}:{start + len(BELGIUM)}"


class TestTheCandidatesPage:
    def test_lists_every_figure_of_the_seed_fixture_and_marks_it_cited(
        self, seeded, superuser_client
    ):
        report = measure()
        checked = 0
        for source_report in report.sources:
            source = Source.objects.get(file=source_report.file)
            page = listed(superuser_client, source)
            for item in source_report.expected:
                if item.found is None:
                    continue  # the engine's recall is tests/test_candidates.py's business
                article = page[item.found.start, item.found.end]
                assert "Already cited by" in article, item
                checked += 1
        assert checked == len(report.expected) - len(report.missed) > 10

    def test_what_was_read_the_explanation_and_the_button(self, weekly, analyst):
        response = analyst.get(candidates_url(weekly))
        assertContains(
            response,
            "<mark>at least €977 million</mark> in military aid and <mark>30 F-16 fighter jets"
            "</mark> by 2028.",
        )
        article = listed(analyst, weekly)[
            weekly.text.index(BELGIUM), weekly.text.index(BELGIUM) + len(BELGIUM)
        ]
        for read in ("Belgium", "at least EUR 977,000,000", "30 aircraft", "F-16", "committed"):
            assert read in article
        assert "Proposed: score" in article  # candidate.explain()
        agreement = Agreement.objects.get(pk=2)
        assert f'href="/admin/aid/agreement/{agreement.pk}/change/">{agreement.title}' in article
        assert belgium_link(weekly) in article
        counts = response.context["counts"]
        assert counts["proposed"] == counts["cited"] + counts["remaining"] > 0

    def test_still_to_enter_leaves_out_what_is_cited(self, weekly, analyst):
        remaining = listed(analyst, weekly, show="remaining")
        proposed = listed(analyst, weekly)
        everything = listed(analyst, weekly, show="all")
        assert set(remaining) < set(proposed) < set(everything)
        assert not any("Already cited by" in article for article in remaining.values())

    def test_html_in_a_passage_is_shown_as_text(self, superuser_client):
        source = make_source_with_text(
            "Norway will provide €5 million to Ukraine <script>alert(1)</script> & more.\n"
        )
        response = superuser_client.get(candidates_url(source))
        assertContains(
            response,
            "Norway will provide <mark>€5 million</mark> to Ukraine "
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more.",
        )
        assertNotContains(response, "<script>alert")
        assertContains(response, "Not cited yet.")

    def test_the_source_page_links_to_it_only_with_a_stored_text(self, weekly, analyst):
        page = analyst.get(reverse("admin:aid_source_change", args=[weekly.pk]))
        assertContains(page, f'href="{candidates_url(weekly)}" id="candidates-link"')
        bare = make_url_only_source()
        page = analyst.get(reverse("admin:aid_source_change", args=[bare.pk]))
        assertNotContains(page, "candidates-link")
        assertContains(analyst.get(candidates_url(bare)), "no stored text yet")

    def test_pages_a_long_document_reading_it_once(
        self, superuser_client, monkeypatch, django_assert_max_num_queries
    ):
        sentences = [f"Norway will provide €{n} million to Ukraine.\n" for n in range(1, 61)]
        source = make_source_with_text("".join(sentences))
        calls = []
        engine = admin_candidates.find_candidates
        monkeypatch.setattr(
            admin_candidates, "find_candidates", lambda text: calls.append(1) or engine(text)
        )
        with django_assert_max_num_queries(12):
            first = superuser_client.get(candidates_url(source))
        assert len(first.context["rows"]) == admin_candidates.PER_PAGE
        assert first.context["counts"]["proposed"] == 60
        last = superuser_client.get(candidates_url(source, page=3))
        assert len(last.context["rows"]) == 60 - 2 * admin_candidates.PER_PAGE
        assertContains(last, "Norway will provide <mark>€60 million</mark>")
        row = last.context["rows"][0]
        superuser_client.get(row.add_url)
        assert calls == [1], "the engine read the text once, for every page and the add page"


class TestWhoMaySeeIt:
    def test_anonymous_is_sent_to_log_in(self, client):
        source = make_source_with_text("Norway will provide €5 million to Ukraine.")
        response = client.get(candidates_url(source))
        assert response.status_code == HTTPStatus.FOUND
        assert response.url.startswith(reverse("admin:login"))
        assert client.get(f"{ADD_URL}?candidate={source.pk}:0:42").status_code == HTTPStatus.FOUND

    def test_staff_without_permission_gets_nothing(self):
        source = make_source_with_text("Norway will provide €5 million to Ukraine.")
        browser = logged_in(make_user("nobody"))
        assert browser.get(candidates_url(source)).status_code == HTTPStatus.FORBIDDEN
        assert browser.get(f"{ADD_URL}?candidate={source.pk}:0:42").status_code == (
            HTTPStatus.FORBIDDEN
        )

    def test_a_reader_of_sources_sees_the_candidates_without_the_button(self):
        source = make_source_with_text("Norway will provide €5 million to Ukraine.")
        user = make_user("reader")
        user.user_permissions.set(Permission.objects.filter(codename="view_source"))
        response = logged_in(user).get(candidates_url(source))
        assertContains(response, "<mark>€5 million</mark>")
        assertNotContains(response, "New draft agreement from this passage")

    def test_an_unknown_source_is_not_found(self, superuser_client):
        assert superuser_client.get(
            reverse("admin:aid_source_candidates", args=[999999])
        ).status_code == (HTTPStatus.NOT_FOUND)
        for odd in ("x", "9" * 30):
            response = superuser_client.get(reverse("admin:aid_source_candidates", args=[odd]))
            assert response.status_code == HTTPStatus.NOT_FOUND


class TestTheDraftFromACandidate:
    def test_the_add_page_is_pre_filled(self, weekly, analyst):
        response = analyst.get(belgium_link(weekly))
        assert response.status_code == HTTPStatus.OK
        agreement, rows = prefilled(response)
        assert part(agreement) == {
            "donor": Donor.objects.get(slug="belgium").pk,
            "title": "Belgium: at least €977 million in military aid",
            "kind": "security-agreement",
            "announced_on": date(2024, 5, 28),
            "announced_precision": Precision.DAY,
            "status": Status.DRAFT,
            "stage": Stage.COMMITTED,
        }
        assert "amount" not in agreement  # the €977 million is a line item's, as in the fixture
        funding, aircraft = rows["line_items"]
        assert part(funding) == {
            "category": Category.objects.get(slug="funding").pk,
            "amount": Decimal("977000000"),
            "currency": "EUR",
            "qualifier": Qualifier.AT_LEAST,
            "stage": Stage.COMMITTED,
        }
        assert part(aircraft) == {
            "category": Category.objects.get(slug="aircraft").pk,
            "quantity": 30,
            "unit": "aircraft",
            "period_end_year": 2028,
        }
        # The passage cites each row's figure, by the row's number (saved first).
        assert rows["citations"] == [
            {"source": weekly.pk, "passage": BELGIUM, "line_item": "row-1"},
            {"source": weekly.pk, "passage": BELGIUM, "line_item": "row-2"},
        ]
        # The fixture cites it already: the analyst is told, not stopped.
        assert any("already cited by" in message for message in messages_of(response))

    def test_saving_it_as_shown_makes_a_draft_with_its_items_and_a_checked_citation(
        self, weekly, analyst
    ):
        url = belgium_link(weekly)
        page = analyst.get(url)
        before = set(Agreement.objects.values_list("pk", flat=True))
        response = analyst.post(url, browser_post(page))
        assert response.status_code == HTTPStatus.FOUND, response.context and [
            response.context["adminform"].form.errors,
            *(inline.formset.errors for inline in response.context["inline_admin_formsets"]),
        ]
        (draft,) = Agreement.objects.exclude(pk__in=before)
        assert draft.status == Status.DRAFT
        assert draft.donor.slug == "belgium"
        items = sorted(draft.line_items.all(), key=lambda item: item.description)
        assert [(i.amount, i.currency, i.qualifier, i.quantity) for i in items] == [
            (None, "", Qualifier.EXACT, 30),
            (Decimal("977000000.00"), "EUR", Qualifier.AT_LEAST, None),
        ]
        citations = draft.citations.order_by("line_item__description")
        # Each figure cites the passage, in one save (the rows are saved first).
        assert [citation.line_item for citation in citations] == items
        for citation in citations:
            assert citation.is_checked
            assert weekly.text[citation.start : citation.end] == citation.passage == BELGIUM

    def test_a_package_s_one_amount_is_its_headline(self, superuser_client):
        source = make_source_with_text(
            "The United States announced a $225 million package for Ukraine on 10 June 2024."
        )
        (candidate,) = admin_candidates.source_candidates(source)
        response = superuser_client.get(
            f"{ADD_URL}?candidate={admin_candidates.candidate_param(source, candidate)}"
        )
        agreement, rows = prefilled(response)
        assert part(agreement) == {
            "kind": "aid-package",
            "amount": Decimal("225000000"),
            "currency": "USD",
            "qualifier": Qualifier.EXACT,
            "announced_on": date(2024, 6, 10),
        }
        assert rows["line_items"] == [{}]  # the package's contents, to enter

    def test_a_donor_not_in_the_ledger_is_said(self, superuser_client):
        Donor.objects.filter(slug="norway").delete()
        source = make_source_with_text("Norway will provide €5 million to Ukraine.")
        (candidate,) = admin_candidates.source_candidates(source)
        response = superuser_client.get(admin_candidates.add_url(source, candidate))
        agreement, _ = prefilled(response)
        assert agreement["donor"] == ""
        assert any("Norway, who is not among" in m for m in messages_of(response))

    @pytest.mark.parametrize(
        "value",
        [
            "abc",
            "1:2",
            "1:2:3:4",
            "-1:0:5",
            "99999999999999999999:0:5",
            "{source}:0:999999999",
            "{source}:20:5",
            "{source}:1:42",
            "999999:0:42",
            "{source}:0:42<script>",
        ],
    )
    def test_a_tampered_link_is_refused_with_a_message(self, superuser_client, value):
        source = make_source_with_text("Norway will provide €5 million to Ukraine.")
        response = superuser_client.get(f"{ADD_URL}?candidate={value.format(source=source.pk)}")
        assert response.status_code == HTTPStatus.OK
        (message,) = messages_of(response)
        assert "candidate" in message or "No source" in message
        agreement, rows = prefilled(response)
        assert "title" not in agreement
        assert rows["citations"] == [{}]

    def test_the_offsets_of_a_changed_text_are_refused(self, superuser_client):
        source = make_source_with_text("Norway will provide €5 million to Ukraine.")
        (candidate,) = admin_candidates.source_candidates(source)
        url = admin_candidates.add_url(source, candidate)
        Source.objects.filter(pk=source.pk).update(
            text="Since then: Norway will provide €5 million to Ukraine."
        )
        (message,) = messages_of(superuser_client.get(url))
        assert "may have changed" in message


@pytest.mark.browser
def test_analyst_opens_a_draft_from_a_passage_and_saves_it(page):
    """From the source's page to a saved draft, as an analyst clicks through it."""
    from django.apps import apps

    aid = apps.get_app_config("aid")
    models_module = aid.models_module  # which the migrations' code sets to None
    try:
        import_module("aid.migrations.0003_analysts_group").create_group(apps, None)
    finally:
        aid.models_module = models_module
    make_user("ana", ["Analysts"], password="ana-pw-Kx81")
    weekly = Source.objects.get(file=SOURCE_FILE)

    page.goto("/admin/login/")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill("ana-pw-Kx81")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    page.goto(reverse("admin:aid_source_change", args=[weekly.pk]))
    page.get_by_role("link", name="Candidate pledges").first.click()
    page.wait_for_url("**/candidates/")
    article = page.locator("article.candidate", has_text=SOURCE_PASSAGE)
    assert "at least €977 million" in article.locator("mark").all_inner_texts()
    article.get_by_role("link", name="New draft agreement from this passage").click()
    page.wait_for_url("**/admin/aid/agreement/add/?candidate=*")
    assert page.locator("#id_title").input_value() == (
        "Belgium: at least €977 million in military aid"
    )
    assert page.locator("#id_citations-0-passage").input_value() == BELGIUM
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/admin/aid/agreement/")

    draft = Agreement.objects.get(title="Belgium: at least €977 million in military aid")
    assert draft.status == Status.DRAFT
    assert draft.line_items.count() == 2
    citations = draft.citations.all()
    assert {citation.line_item for citation in citations} == set(draft.line_items.all())
    assert all(citation.is_checked for citation in citations)
