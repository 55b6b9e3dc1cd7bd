"""The public URL contract: pages work on the seed data, filters combine, bad input is safe."""

import re
from http import HTTPStatus

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape, strip_tags

from aid.models import Agreement, Donor, LineItem, Source

pytestmark = pytest.mark.django_db


def text(response):
    """The page's text as a reader reads it: tags out, so "at least <span>EUR 1</span>" reads
    "at least EUR 1"."""
    return re.sub(r"<[^>]+>", "", response.content.decode())


def rows(response):
    """The records a list page shows on this page."""
    return [row.record for row in response.context["table"].page.object_list]


class TestUrlContract:
    @pytest.mark.parametrize(
        "url",
        ["/", "/agreements/", "/items/", "/donors/", "/donors/belgium/", "/sources/2/"],
    )
    def test_page_is_public(self, client, seeded, url):
        assert client.get(url).status_code == HTTPStatus.OK

    def test_every_agreement_page(self, client, seeded):
        for agreement in Agreement.objects.all():
            response = client.get(f"/agreements/{agreement.pk}/")
            assert response.status_code == HTTPStatus.OK
            assert escape(agreement.title) in response.content.decode()

    def test_names_match_the_paths(self):
        assert reverse("aid:lineitem_list") == "/items/"
        assert reverse("aid:agreement_list") == "/agreements/"
        assert reverse("aid:donor_detail", args=["spain"]) == "/donors/spain/"

    @pytest.mark.parametrize("url", ["/donors/atlantis/", "/agreements/99999/", "/sources/999/"])
    def test_unknown_record_is_404(self, client, seeded, url):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND

    def test_overview_links_into_tables_and_sources(self, client, seeded):
        body = client.get("/").content.decode()
        for path in ("/agreements/", "/items/", "/donors/", "/sources/1/", "/sources/2/"):
            assert f'href="{path}"' in body


class TestFilters:
    def test_donor_filter(self, client, seeded):
        shown = rows(client.get("/items/?donor=belgium"))
        assert {item.agreement.donor.slug for item in shown} == {"belgium"}
        assert len(shown) == LineItem.objects.filter(agreement__donor__slug="belgium").count()

    def test_repeated_donor_means_either(self, client, seeded):
        shown = rows(client.get("/items/?donor=belgium&donor=spain&per_page=500"))
        assert {item.agreement.donor.slug for item in shown} == {"belgium", "spain"}

    def test_filters_combine(self, client, seeded):
        shown = rows(client.get("/items/?donor=united-states&category=anti-tank"))
        assert {item.description for item in shown} == {
            "guided missiles (TOW)",
            "Javelin and AT-4 anti-tank systems",
        }

    def test_agreement_matches_when_any_item_matches_category(self, client, seeded):
        shown = rows(client.get("/agreements/?category=aircraft"))
        assert {a.donor.slug for a in shown} == {"belgium", "portugal"}
        # The count is of the agreement's items, not of the rows the join produced.
        belgium = next(a for a in shown if a.donor.slug == "belgium")
        assert belgium.item_count == 2

    def test_stage_and_kind(self, client, seeded):
        delivered = rows(client.get("/items/?stage=delivered"))
        assert delivered and {i.agreement.donor.slug for i in delivered} == {"france"}
        packages = rows(client.get("/agreements/?kind=aid-package"))
        assert {a.kind for a in packages} == {"aid-package"}

    def test_announcement_date_range(self, client, seeded):
        shown = rows(client.get("/agreements/?date_after=2024-05-27&date_before=2024-05-28"))
        assert {a.donor.slug for a in shown} == {"spain", "belgium", "portugal"}
        before = rows(client.get("/agreements/?date_before=2024-04-30"))
        assert [a.kind for a in before] == ["appropriation"]

    def test_text_search(self, client, seeded):
        shown = rows(client.get("/items/?q=javelin"))
        assert [i.description for i in shown] == ["Javelin and AT-4 anti-tank systems"]

    def test_items_of_one_agreement(self, client, seeded):
        shown = rows(client.get("/items/?agreement=4&per_page=100"))
        assert len(shown) == 13

    def test_sentence_says_what_is_shown(self, client, seeded):
        response = client.get("/items/?donor=belgium&category=aircraft")
        sentence = response.context["sentence"]
        assert strip_tags(sentence) == "1 line item from Belgium, in Aircraft"
        # The donor's name is the record's own, marked as English on a page in any language.
        assert '<span lang="en">Belgium</span>' in sentence

    def test_facets_count_what_each_value_would_give(self, client, seeded):
        response = client.get("/items/?donor=belgium")
        facets = {facet.name: facet for facet in response.context["facets"]}
        donors = {o.value: o.count for o in facets["donor"].options}
        # The donor facet ignores its own filter: ticking Spain would add Spain's 2 items.
        assert donors["spain"] == 2 and donors["belgium"] == 2
        categories = {o.value: o.count for o in facets["category"].options}
        assert categories == {**dict.fromkeys(categories, 0), "funding": 1, "aircraft": 1}

    def test_donor_counts_drill_down(self, client, seeded):
        body = client.get("/donors/").content.decode()
        assert 'href="/items/?donor=belgium"' in body
        assert 'href="/agreements/?donor=belgium"' in body


class TestSorting:
    def test_sort_by_amount_both_ways_with_empty_amounts_last(self, client, seeded):
        ascending = [i.amount for i in rows(client.get("/items/?sort=amount&per_page=500"))]
        descending = [i.amount for i in rows(client.get("/items/?sort=-amount&per_page=500"))]
        priced = [a for a in ascending if a is not None]
        assert priced == sorted(priced)
        assert [a for a in descending if a is not None] == sorted(priced, reverse=True)
        assert ascending[-1] is None and descending[-1] is None

    def test_unknown_sort_column_is_a_clear_400(self, client, seeded):
        response = client.get("/items/?sort=password")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "Unknown sort column" in response.content.decode()
        assert "amount" in response.content.decode()


class TestBadInput:
    """Each bad parameter gets a 200 with the problem shown, or a 4xx with a message."""

    def test_unknown_slug_is_shown_beside_the_filter(self, client, seeded):
        response = client.get("/items/?donor=atlantis")
        assert response.status_code == HTTPStatus.OK
        assert "There is no donor “atlantis”" in response.content.decode()

    def test_malformed_date(self, client, seeded):
        response = client.get("/agreements/?date_after=2024-13-45")
        assert response.status_code == HTTPStatus.OK
        assert "Enter a valid date" in response.content.decode()

    def test_huge_query(self, client, seeded):
        response = client.get("/items/", {"q": "x" * 10_000})
        assert response.status_code == HTTPStatus.OK
        assert "at most 200 characters" in response.content.decode()

    @pytest.mark.parametrize(
        ("page", "shown"), [("0", 1), ("-3", 1), ("abc", 1), ("99999", 4), ("", 1)]
    )
    def test_page_out_of_range_shows_the_nearest_page(self, client, seeded, page, shown):
        response = client.get(f"/items/?per_page=10&page={page}")
        assert response.status_code == HTTPStatus.OK
        assert response.context["table"].page.number == shown

    def test_huge_per_page_is_capped(self, client, seeded):
        response = client.get("/items/?per_page=1000000")
        assert response.status_code == HTTPStatus.OK
        assert response.context["table"].paginator.per_page == 500
        assert "showing 500 per page" in response.content.decode()

    def test_non_numeric_agreement(self, client, seeded):
        response = client.get("/items/?agreement=abc")
        assert response.status_code == HTTPStatus.OK
        assert "An agreement id is a whole number" in response.content.decode()

    def test_unknown_export_format(self, client, seeded):
        response = client.get("/items/?_export=xlsx")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "_export=csv" in response.content.decode()

    def test_export_refuses_invalid_filters_rather_than_ignore_them(self, client, seeded):
        response = client.get("/items/?_export=csv&donor=atlantis")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "nothing was exported" in response.content.decode()

    @pytest.mark.parametrize("url", ["/items/", "/agreements/", "/donors/"])
    def test_garbage_in_every_parameter_never_500s(self, client, seeded, url):
        params = {
            name: ["\x00'\"<>%00", "-1"]
            for name in (
                "donor",
                "category",
                "kind",
                "stage",
                "date_after",
                "date_before",
                "q",
                "agreement",
                "page",
                "per_page",
            )
        }
        assert client.get(url, params).status_code == HTTPStatus.OK


class TestDetailPages:
    def test_figure_keeps_its_qualifier_and_stage(self, client, seeded):
        belgium = Agreement.objects.get(donor__slug="belgium")
        body = text(client.get(belgium.get_absolute_url()))
        assert "at least EUR 977,000,000" in body
        # Said once: not "at least EUR 977,000,000 (at least)".
        assert "(at least" not in body
        assert "Committed" in body
        assert "by 2028" in body

    def test_month_precision_is_shown_as_a_month(self, client, seeded):
        package = Agreement.objects.get(amount=225_000_000)
        body = text(client.get(package.get_absolute_url()))
        assert "May 2024 (the source gives only the month)" in body
        assert " 1 May 2024 (" not in body
        assert "precision:" not in body

    def test_each_item_shows_its_passage_and_links_to_it(self, client, seeded):
        item = LineItem.objects.get(description="F-16 fighter jets")
        citation = item.citations.get()
        body = client.get(item.agreement.get_absolute_url()).content.decode()
        assert "30 F-16 fighter jets by 2028" in body
        assert f'href="/sources/{citation.source_id}/#citation-{citation.pk}"' in body

    def test_source_page_highlights_each_cited_passage(self, client, seeded):
        source = Source.objects.get(pk=2)
        body = client.get(source.get_absolute_url()).content.decode()
        for citation in source.citations.all():
            assert f'id="citation-{citation.pk}"' in body
        assert body.count("<mark") >= 10
        assert "Ten countries have expressed support" in body  # the whole text is there

    def test_donor_page_lists_its_agreements_and_totals(self, client, seeded):
        body = text(client.get("/donors/portugal/"))
        assert "Security agreement between Ukraine and Portugal" in body
        assert "at least EUR 126,000,000" in body


class TestEscaping:
    def test_script_in_a_description_is_inert_everywhere(self, client, seeded):
        evil = "<script>alert(1)</script>"
        item = LineItem.objects.get(description="F-16 fighter jets")
        item.description = evil
        item.notes = evil
        item.save()
        Donor.objects.filter(slug="belgium").update(name=evil)
        for url in (
            "/",
            "/items/",
            "/agreements/",
            "/donors/",
            "/donors/belgium/",
            item.agreement.get_absolute_url(),
            "/sources/2/",
            f"/items/?q={evil}",
        ):
            body = client.get(url).content.decode()
            assert evil not in body, url
        assert "&lt;script&gt;" in client.get("/items/?donor=belgium").content.decode()

    def test_a_source_links_to_its_web_address_only(self, client, seeded):
        source = Source.objects.get(pk=2)
        Source.objects.filter(pk=2).update(url="https://example.org/weekly")
        body = client.get(source.get_absolute_url()).content.decode()
        assert '<a href="https://example.org/weekly" rel="noopener noreferrer"' in body

    def test_a_source_url_that_is_not_a_web_address_is_never_a_link(self, rf):
        # The database refuses one (tests/test_constraints.py); a row from before the
        # constraint, or any other way in, is still not rendered as a link.
        source = Source(pk=999, title="Planted", file="", url="javascript:alert(1)")
        body = render_to_string(
            "aid/source_detail.html",
            {"source": source, "object": source, "citations": [], "segments": []},
            request=rf.get("/sources/999/"),
        )
        assert "javascript:" not in body
        assert "<a href" not in body.split("<main", 1)[1].split("</main>")[0]


@pytest.mark.django_db
class TestDonorPage:
    def test_counts_and_the_latest_agreements_with_a_link_to_all(self, client, seeded, monkeypatch):
        from aid.views import DonorDetailView

        donor = Donor.objects.get(slug="united-states")
        published = Agreement.objects.published().filter(donor=donor)
        assert published.count() >= 3
        monkeypatch.setattr(DonorDetailView, "LATEST", 2)
        page = client.get(donor.get_absolute_url())
        assert page.context["agreement_count"] == published.count()
        assert (
            page.context["item_count"] == LineItem.objects.published().filter(donor=donor).count()
        )
        latest = list(published.order_by("-announced_on", "pk")[:2])
        assert list(page.context["agreements"]) == latest
        html = page.content.decode()
        assert f"All {published.count()} agreements, in the table of agreements" in html
        assert 'href="/agreements/?donor=united-states"' in html

    def test_a_donor_with_few_agreements_lists_them_all_without_the_link(self, client, seeded):
        page = client.get("/donors/belgium/")
        assert len(page.context["agreements"]) == page.context["agreement_count"]
        assert "in the table of agreements" not in page.content.decode()
