"""A reader's visit in a real browser: Debian's Chromium driven by Playwright.

The browser and the `page` fixture (a seeded ledger served live) are in tests/conftest.py.
Without Chromium these tests skip, saying why; under CI (CI=true) a missing
browser is a failure, so a green CI always means the browser tests ran.
"""

import csv
import io

import pytest

pytestmark = pytest.mark.browser


def table_column(page, header):
    """The texts of one column of the results table on the current page: each cell's first
    line (what a narrower table folds into a cell comes on the lines under it)."""
    headers = page.locator("table.ledger-table thead th").all_inner_texts()
    index = [h.strip().rstrip("▲▼ ").strip() for h in headers].index(header)
    cells = page.locator(f"table.ledger-table tbody tr td:nth-child({index + 1})")
    return [text.strip().split("\n")[0] for text in cells.all_inner_texts()]


def test_reader_filters_sorts_pages_and_downloads(page, tmp_path):
    page.goto("/")
    page.get_by_role("link", name="line items").first.click()
    page.wait_for_url("**/items/")

    # Filter by a donor and two categories, three rows a page, through the form.
    page.get_by_label("United States").check()
    page.get_by_label("Ammunition").check()
    page.get_by_label("Anti-tank").check()
    page.get_by_label("Rows per page").fill("3")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**donor=united-states**")
    assert "5 line items from United States, in Ammunition or Anti-tank" in page.inner_text(
        "#sentence"
    )

    # Sort by description, then turn the page.
    page.locator("thead").get_by_role("link", name="Description").click()
    page.wait_for_url("**sort=description**")
    first_page = [t.strip() for t in table_column(page, "Description")]
    assert first_page == sorted(first_page, key=str.lower) or first_page == sorted(first_page)
    assert len(first_page) == 3
    page.get_by_role("link", name="Next ›").click()
    page.wait_for_url("**page=2**")
    second_page = [t.strip() for t in table_column(page, "Description")]
    assert len(second_page) == 2
    shown = first_page + second_page

    # The CSV holds exactly what the table showed, across both pages, in order.
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    path = tmp_path / "items.csv"
    download.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [row["description"] for row in rows] == shown
    assert {row["donor_slug"] for row in rows} == {"united-states"}
    assert {row["category_slug"] for row in rows} == {"ammunition", "anti-tank"}


def test_phone_layout_keeps_filters_and_rows_readable(page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/items/?donor=belgium")
    # Rows become cards: each cell carries its column name.
    cell = page.locator("table.ledger-table tbody tr").first.locator("td").first
    assert cell.get_attribute("data-label") == "Description"
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 390, "the page scrolls sideways on a phone"
    # The results come first; the filters are one tap away.
    apply = page.get_by_role("button", name="Apply filters")
    assert not apply.is_visible()
    sentence = page.locator("#sentence").bounding_box()
    panel = page.locator("#filter-panel").bounding_box()
    assert sentence["y"] < panel["y"] < sentence["y"] + 200
    page.locator("#filter-panel > summary").click()
    assert apply.is_visible()


def test_source_link_lands_on_the_highlighted_passage(page):
    page.goto("/agreements/2/")
    page.locator("blockquote.citation a").first.click()
    page.wait_for_url("**/sources/2/#citation-*")
    target = page.url.split("#")[1]
    marked = page.locator("mark", has=page.locator(f"#{target}")).inner_text()
    assert "Ukraine signed a bilateral security cooperation agreement with Belgium" in marked


def test_charts_render_and_match_their_tables(page):
    page.goto("/")
    chart = page.locator("#chart-by-donor")
    bars = chart.locator("svg rect")
    rows = chart.locator("table.chart-table tbody tr")
    assert bars.count() == rows.count() > 0
    assert bars.first.bounding_box()["width"] > 0, "the largest bar is drawn"
    # Each bar's number is text beside it, and equals the donor's own page.
    belgium = chart.locator("table.chart-table tr", has_text="Belgium").locator(".bar-value")
    shown = belgium.inner_text()
    page.goto("/donors/belgium/")
    committed = page.locator("table.totals td[data-stage=committed]").inner_text()
    assert shown == committed == "at least EUR 977,000,000"


# Every Content-Security-Policy violation a page causes, as the page itself reports them.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.cspViolations.push(
        `${event.effectiveDirective} blocked ${event.blockedURI} ${event.sample}`.trim()
    );
});
"""


@pytest.fixture
def watched(page):
    """The page, and a function that gives what the policy blocked since the last call."""
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    def blocked():
        page.wait_for_load_state("load")
        found = page.evaluate("window.cspViolations.splice(0)") + console[:]
        console.clear()
        return found

    return page, blocked


def test_public_pages_break_no_content_security_policy(watched):
    page, blocked = watched
    for path in ["/", "/items/?donor=belgium", "/agreements/2/", "/donors/belgium/"]:
        response = page.goto(path)
        # The policy was there to break: a page without one would break none.
        assert "style-src 'self'" in response.headers["content-security-policy"]
        # And the stylesheet, from 'self', was applied.
        assert page.evaluate("document.styleSheets[0].cssRules.length") > 0
        assert blocked() == [], path
    # A list's filter panel on a phone, and a source's passages, opened by a reader.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/items/")
    page.locator("#filter-panel summary").click()
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/agreements/2/")
    page.locator("blockquote.citation a").first.click()
    page.wait_for_url("**/sources/2/#citation-*")
    assert blocked() == []


def test_admin_pages_break_no_content_security_policy(watched, django_user_model):
    page, blocked = watched
    django_user_model.objects.create_superuser("root", "root@example.org", "a-long-passphrase")

    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("a-long-passphrase")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    assert blocked() == []

    page.goto("/admin/aid/agreement/")
    page.get_by_role("link", name="Belgium").first.wait_for()
    assert blocked() == []

    # The change form: autocomplete (select2 over XHR), inline rows added by script, a date.
    page.goto("/admin/aid/agreement/2/change/")
    page.locator("#select2-id_donor-container").click()
    page.locator(".select2-search__field").fill("Spa")
    page.locator(".select2-results__option", has_text="Spain").wait_for()
    page.keyboard.press("Escape")
    rows = page.locator("#line_items-group tr.form-row:not(.empty-form)")
    shown = rows.count()
    page.locator("#line_items-group .add-row a").click()
    assert rows.count() == shown + 1
    assert blocked() == []

    # A save, so that the history page has a list to show.
    page.goto("/admin/aid/agreement/2/change/")
    page.locator("#id_notes").fill("Checked against the agreement's text.")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/admin/aid/agreement/")
    assert blocked() == []
    page.goto("/admin/aid/agreement/2/history/")
    page.get_by_text("Checked against", exact=False).first.wait_for()
    # django-simple-history's list carries one style attribute (a border); the browser
    # drops that border and nothing else (README, "Security headers").
    assert {violation.split(" directive ")[0] for violation in blocked()} == {
        "style-src-attr blocked inline",
        "Applying inline style violates the following Content Security Policy",
    }
