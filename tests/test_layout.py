"""Pages a reader can use on a laptop (1366 px) and a phone (390 px), in Chromium.

No page scrolls sideways; tables fold their columns and become cards; charts keep their
text legible and their numbers whole; a phone can sort; forms share short links; the
filters never lie. (tests/conftest.py has the browser and the served ledger.)
"""

from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest

from aid.choices import Qualifier, Stage

from .factories import make_agreement, make_citation, make_line_item

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
PAGES = [
    "/",
    "/items/",
    "/agreements/",
    "/donors/",
    "/donors/united-states/",
    "/agreements/4/",
    "/sources/2/",
]


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def query(page):
    return parse_qsl(urlsplit(page.url).query, keep_blank_values=True)


class TestNoSidewaysScroll:
    @pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366px", "390px"])
    def test_every_public_page_fits_in_both_languages(self, new_page, viewport):
        page = new_page(viewport=viewport)
        wide = []
        for prefix in ("", "/uk"):
            for path in PAGES:
                page.goto(prefix + path)
                if page_width(page) > viewport["width"]:
                    wide.append((prefix + path, page_width(page)))
        assert wide == [], f"wider than {viewport['width']} px"

    def test_the_tables_themselves_fit_a_laptop(self, new_page):
        """Not a table scrolling inside its box either: its columns fold instead."""
        page = new_page(viewport=LAPTOP)
        for path in ("/items/", "/agreements/", "/donors/"):
            page.goto(path)
            box = page.locator(".table-scroll")
            assert box.evaluate("e => e.scrollWidth <= e.clientWidth"), path
        # The agreement column is folded under each description, still a link.
        page.goto("/items/")
        assert not page.locator("th", has_text="Agreement").is_visible()
        folded = page.locator("td.lead .fold-p3 a").first
        assert folded.is_visible() and folded.get_attribute("href").startswith("/agreements/")

    def test_a_long_web_address_breaks_on_a_phone(self, new_page):
        """The weekly quotes web addresses of 130 characters and more, unbroken: the source
        page was 1,012 px wide on a phone."""
        page = new_page(viewport=PHONE)
        page.goto("/sources/2/")
        document = page.locator(".document")
        assert "https://www.theguardian.com/world/article/2024/may/31/" in document.inner_text()
        box = document.bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"]
        assert document.evaluate("e => e.scrollWidth <= e.clientWidth")


class TestCards:
    def test_a_phone_shows_rows_as_labelled_cards(self, new_page):
        page = new_page(viewport=PHONE)
        page.goto("/items/?donor=belgium")
        # The column headers are left to assistive technology: each cell says its column.
        assert page.locator("table.ledger-table thead").bounding_box()["height"] <= 1
        card = page.locator("table.ledger-table tbody tr").first
        labels = card.locator("td").evaluate_all(
            "cells => cells.filter(c => c.offsetParent).map("
            "c => getComputedStyle(c, '::before').content)"
        )
        assert '"Donor"' in labels and '"Amount"' in labels and '"Stage"' in labels
        # The lead cell is the card's title, without a label.
        assert labels[0] == "none"


def long_figures():
    """A figure whose value is the longest the ledger prints: the category chart once cut
    its number off ("approximately EUR 10,969,019,78…")."""
    agreement = make_agreement(amount=None, currency="", qualifier=Qualifier.EXACT)
    make_line_item(
        agreement=agreement,
        amount=Decimal("10969019783"),
        currency="EUR",
        qualifier=Qualifier.APPROXIMATELY,
        stage=Stage.COMMITTED,
        quantity=None,
        unit="",
    )
    make_citation(agreement=agreement)


class TestCharts:
    def test_legible_and_whole_on_a_phone(self, new_page):
        long_figures()
        page = new_page(viewport=PHONE)
        for path in ("/", "/uk/", "/donors/united-states/"):
            page.goto(path)
            texts = page.locator(".chart :is(figcaption, th, td, a, p, span)")
            sizes = texts.evaluate_all(
                "els => els.filter(e => e.innerText.trim()).map("
                "e => parseFloat(getComputedStyle(e).fontSize))"
            )
            assert sizes and min(sizes) >= 12, path
            for value in page.locator(".chart .bar-value").all():
                box = value.bounding_box()
                assert value.evaluate("e => e.scrollWidth <= e.clientWidth"), path
                assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], path
        page.goto("/")
        shown = page.locator("#chart-by-category .bar-value").all_inner_texts()
        assert any(text.replace("\n", " ") == "approximately EUR 10,969,019,783" for text in shown)

    def test_bars_are_in_proportion(self, new_page):
        page = new_page(viewport=PHONE)
        page.goto("/")
        bars = page.locator("#chart-by-donor .bar")
        widths = [bar.bounding_box()["width"] for bar in bars.all()]
        assert len(set(round(w) for w in widths)) == 1, "every bar has the same room"
        lengths = [rect.bounding_box()["width"] for rect in bars.locator("rect").all()]
        values = [
            Decimal(v)
            for v in page.locator("#chart-by-donor .bar-value").evaluate_all(
                "els => els.map(e => e.dataset.value)"
            )
        ]
        for length, value in zip(lengths, values, strict=True):
            assert length == pytest.approx(widths[0] * float(value / values[0]), abs=1.5)

    def test_the_notes_agree_with_their_numbers(self, new_page):
        page = new_page(viewport=LAPTOP)
        page.goto("/")
        note = page.locator("#chart-by-category .hint").inner_text()
        assert note.startswith("1 package priced only as a whole")
        assert "it is left out" in note


class TestSortingOnAPhone:
    @pytest.mark.parametrize("script", [True, False], ids=["with script", "without script"])
    def test_the_sort_control(self, new_page, script):
        page = new_page(viewport=PHONE, java_script_enabled=script)
        page.goto("/items/?donor=united-states")
        page.get_by_label("Sort by").select_option(label="Value (EUR), largest first")
        page.get_by_role("button", name="Sort", exact=True).click()
        page.wait_for_url("**sort=-eur**")
        assert ("donor", "united-states") in query(page)
        values = page.locator("tbody td[data-label='Value (EUR)'] .figure").all_inner_texts()
        numbers = [Decimal(v.split()[-1].replace(",", "")) for v in values]
        assert numbers and numbers == sorted(numbers, reverse=True)
        assert page.get_by_label("Sort by").input_value() == "-eur"


class TestShortLinks:
    def test_a_submitted_filter_carries_no_empty_or_default_parameter(self, new_page):
        page = new_page(viewport=LAPTOP)
        page.goto("/items/")
        page.get_by_label("Belgium").check()
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url("**donor=belgium**")
        assert query(page) == [("donor", "belgium")]
        # The back button brings the form back whole.
        page.go_back()
        page.go_forward()
        assert page.get_by_label("Rows per page").is_enabled()

    def test_without_script_the_form_still_works(self, new_page):
        page = new_page(viewport=LAPTOP, java_script_enabled=False)
        page.goto("/items/")
        page.get_by_label("Belgium").check()
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url("**donor=belgium**")
        assert ("donor", "belgium") in query(page)
        assert page.locator("#sentence").inner_text() == "2 line items from Belgium."


class TestFiltersNeverLie:
    def test_a_stale_slug_shows_spains_items(self, new_page):
        page = new_page(viewport=PHONE)
        page.goto("/items/?donor=belgum&donor=spain")
        assert page.locator("#sentence").inner_text() == "2 line items from Spain."
        donors = page.locator("tbody td[data-label='Donor']").all_inner_texts()
        assert donors == ["Spain", "Spain"]
        assert "There is no donor “belgum”." in page.locator(".summary").inner_text()

    def test_the_overviews_category_filter_gives_the_items_tables_counts(self, new_page):
        page = new_page(viewport=LAPTOP)
        page.goto("/")
        page.locator(".overview-panel > summary").click()
        page.get_by_label("Air defence").check()
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url("**category=air-defence**")
        assert query(page) == [("category", "air-defence")]
        link = page.locator(".headline a", has_text="line item")
        assert link.inner_text() == "2 line items"
        link.click()
        page.wait_for_url("**/items/?category=air-defence")
        assert page.locator("#sentence").inner_text() == "2 line items in Air defence."


class TestAdminAgreementPageFitsALaptop:
    """Issue #13: the agreement page's line items were a table 2,361 px wide."""

    def test_no_sideways_scroll_on_the_add_page_and_an_agreement_with_items(self, new_page):
        from aid.choices import Status

        from .factories import make_user
        from .test_browser import log_in

        make_user("editor", is_superuser=True, password="a long test password")
        agreement = make_agreement(status=Status.DRAFT)
        for index in range(12):
            make_line_item(
                agreement=agreement,
                description=f"Item {index}, as the source words it at some length",
                amount=Decimal("13300000000"),
                currency="SEK",
            )
        make_citation(agreement=agreement)
        page = new_page(viewport=LAPTOP)
        log_in(page, "editor", "a long test password")
        wide = []
        # The add page, a draft with items, a published agreement (read-only rows).
        for path in (
            "/admin/aid/agreement/add/",
            f"/admin/aid/agreement/{agreement.pk}/change/",
            "/admin/aid/agreement/2/change/",
        ):
            page.goto(path)
            fits = page.evaluate(
                "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
            )
            if not fits:
                wide.append((path, page_width(page)))
        assert wide == [], "wider than the window"
        # Every field of a row is on the page, and visible without scrolling sideways.
        page.goto(f"/admin/aid/agreement/{agreement.pk}/change/")
        row = page.locator("#line_items-11")
        for label in ["Category", "Description", "Amount", "Currency", "Stage", "Period as worded"]:
            box = row.get_by_label(label, exact=True).bounding_box()
            assert box and box["x"] + box["width"] <= LAPTOP["width"], label
