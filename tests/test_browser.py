"""A reader's visit, and an analyst's upload, in a real browser: Debian's Chromium by Playwright.

The browser and the `page` fixture (a seeded ledger served live) are in tests/conftest.py.
Without Chromium these tests skip, saying why; under CI (CI=true) a missing
browser is a failure, so a green CI always means the browser tests ran.
"""

import csv
import io
from decimal import Decimal
from importlib import import_module

import pytest
from django.utils.html import escape

from aid import passages
from aid.choices import TextFormat
from aid.models import Source

from .factories import make_user

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

    # The change form of a draft (a published one is read-only): autocomplete (select2 over
    # XHR), inline rows added by script, a date.
    from django.urls import reverse

    from aid.choices import Status
    from aid.models import Agreement

    Agreement.objects.filter(pk=2).update(status=Status.DRAFT)
    page.goto("/admin/aid/agreement/2/change/")
    page.locator("#select2-id_donor-container").click()
    page.locator(".select2-search__field").fill("Spa")
    page.locator(".select2-results__option", has_text="Spain").wait_for()
    page.keyboard.press("Escape")
    rows = page.locator("#line_items-group .inline-related:not(.empty-form)")
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
    page.goto(reverse("admin:aid_agreement_review", args=[2]))
    page.get_by_role("heading").first.wait_for()
    assert blocked() == []
    page.goto("/admin/aid/agreement/2/history/")
    page.get_by_text("Checked against", exact=False).first.wait_for()
    # django-simple-history's list carries one style attribute (a border); the browser
    # drops that border and nothing else (README, "Security headers").
    assert {violation.split(" directive ")[0] for violation in blocked()} == {
        "style-src-attr blocked inline",
        "Applying inline style violates the following Content Security Policy",
    }


def log_in(page, username, password):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def test_a_change_to_a_published_agreement_waits_for_a_reviewer(page, browser, live_server):
    """An analyst proposes a change; readers see it only once a second person approves it."""
    from django.apps import apps

    from aid.models import Agreement

    # A transactional test empties every table afterwards: the groups the migrations make
    # are made again here, as the categories are (the page fixture).
    aid = apps.get_app_config("aid")
    models_module = aid.models_module  # which the migrations' code sets to None
    try:
        for migration in ("0003_analysts_group", "0007_reviewers_group"):
            import_module(f"aid.migrations.{migration}").create_group(apps, None)
    finally:
        aid.models_module = models_module
    make_user("ana", ["Analysts"], password="ana-pw-Kx81")
    make_user("rita", ["Reviewers"], password="rita-pw-Qz42")
    belgium = Agreement.objects.get(pk=2)
    figure = belgium.line_items.get(description="at least €977 million in military aid")

    log_in(page, "ana", "ana-pw-Kx81")
    page.goto("/admin/aid/agreement/2/change/")
    page.get_by_role("button", name="Propose a change").click()
    page.wait_for_url("**/admin/aid/agreement/*/change/")
    revision = Agreement.objects.get(revises=belgium)
    assert page.url.endswith(f"/admin/aid/agreement/{revision.pk}/change/")
    row = list(revision.line_items.order_by("pk").values_list("origin", flat=True)).index(figure.pk)
    page.locator(f'input[name="line_items-{row}-amount"]').fill("978000000")
    page.locator('select[name="status"]').select_option("ready")
    page.locator('input[name="_save"]').click()
    page.wait_for_url("**/admin/aid/agreement/")
    # Readers still see the published figure.
    readers = page.request.get("/agreements/2/").text()
    assert "977,000,000" in readers and "978,000,000" not in readers

    reviewing = browser.new_context(base_url=live_server.url)
    reviewer = reviewing.new_page()
    log_in(reviewer, "rita", "rita-pw-Qz42")
    reviewer.goto("/admin/")
    reviewer.get_by_role("link", name="1 waiting for review").click()
    reviewer.get_by_role("link", name=belgium.title).click()
    reviewer.get_by_role("link", name="Review").first.click()
    changed = reviewer.locator("#diff-line-items").inner_text()
    assert "977,000,000.00" in changed and "978,000,000.00" in changed
    reviewer.get_by_role("button", name="Approve: readers see the change").click()
    reviewer.wait_for_url("**/admin/aid/agreement/2/change/")
    reviewing.close()

    page.goto("/agreements/2/")
    assert "978,000,000" in page.inner_text("main")
    page.goto("/changes/")
    assert "at least EUR 978,000,000" in page.inner_text("main")


def test_analyst_uploads_a_pdf_and_finds_every_passage_in_its_text(page, tmp_path):
    """The weekly, printed to PDF by Chromium, uploaded in the admin: its passages are all there."""
    weekly = Source.objects.get(file="002_c8fdc93dd4fbe3f3.txt")
    printer = page.context.new_page()
    printer.set_content(
        "<!DOCTYPE html><meta charset='utf-8'><body style='font: 11pt sans-serif'>"
        + "".join(f"<p>{escape(line)}</p>" for line in weekly.text.split("\n"))
    )
    pdf = tmp_path / "weekly.pdf"
    pdf.write_bytes(printer.pdf())

    # A superuser: the transactional database has lost the groups the migrations made.
    make_user("editor", is_superuser=True, password="a long test password")
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a long test password")
    page.get_by_role("button", name="Log in").click()
    page.goto("/admin/aid/source/add/")
    page.get_by_label("Title").fill("International Weekly, as a PDF")
    page.get_by_label("Or upload the file").set_input_files(str(pdf))
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/admin/aid/source/")

    stored = Source.objects.get(text_format=TextFormat.PDF)
    assert stored.text_file_name == "weekly.pdf"
    missing = [
        citation.pk
        for citation in weekly.citations.all()
        if passages.find_passage(stored.text, citation.passage) is None
    ]
    assert missing == []


def test_an_agreement_with_two_items_and_an_item_citation_is_entered_in_one_save(watched):
    """Issue #13: amounts in words, a currency in lower case, and a citation of row 2 of the
    line items, all on the add page, saved once."""
    from aid.models import Agreement, Donor

    from .factories import SOURCE_FILE

    page, blocked = watched
    make_user("editor", is_superuser=True, password="a long test password")
    log_in(page, "editor", "a long test password")
    weekly = Source.objects.get(file=SOURCE_FILE)
    page.goto("/admin/aid/agreement/add/")
    page.locator(".field-donor .select2-selection").click()
    page.locator(".select2-search__field").fill("Belg")
    page.locator(".select2-results__option", has_text="Belgium").click()
    page.locator("#id_title").fill("Belgium–Ukraine security agreement, as entered")
    page.locator("#id_kind").select_option("security-agreement")
    page.locator("#id_announced_on").fill("28/05/2024")

    first = page.locator("#line_items-0")
    first.get_by_label("Category").select_option(label="Funding")
    first.get_by_label("Description").fill("at least €977 million in military aid")
    first.get_by_label("Amount").fill("977m")
    first.get_by_label("Currency").fill("eur")
    # How the ledger reads it, before saving.
    assert first.locator(".amount-reading").inner_text() == "EUR 977,000,000 = 977 million"
    first.get_by_label("Amount").fill("977,0")
    assert "Not an amount the ledger reads" in first.locator(".amount-reading").inner_text()
    first.get_by_label("Amount").fill("0.977 billion")
    assert first.locator(".amount-reading").inner_text() == "EUR 977,000,000 = 977 million"

    page.locator("#line_items-group .add-row a").click()
    second = page.locator("#line_items-1")
    second.get_by_label("Category").select_option(label="Aircraft")
    second.get_by_label("Description").fill("F-16 fighter jets")
    second.get_by_label("Quantity").fill("30")

    citation = page.locator("#citations-0")
    citation.locator(".select2-selection").click()
    page.locator(".select2-search__field").fill("Weekly")
    page.locator(".select2-results__option", has_text=weekly.title).click()
    # Row 2 was added by the page's script, and is offered for the citation.
    citation.get_by_label("Line item").select_option(label="Line item row 2")
    citation.get_by_label("Passage").fill("30 F-16 fighter jets by 2028")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state("load")
    assert page.locator(".errorlist, .errornote").all_inner_texts() == [], "not saved"
    page.wait_for_url("**/admin/aid/agreement/")
    assert blocked() == []

    agreement = Agreement.objects.get(title="Belgium–Ukraine security agreement, as entered")
    assert agreement.donor == Donor.objects.get(name="Belgium")
    money, jets = agreement.line_items.order_by("pk")
    assert (money.amount, money.currency) == (Decimal("977000000"), "EUR")
    cited = agreement.citations.get()
    assert cited.line_item == jets and cited.is_checked

    # Opened again, the amount is shown grouped, and read beside it.
    page.goto(f"/admin/aid/agreement/{agreement.pk}/change/")
    amount = page.locator("#line_items-0").get_by_label("Amount")
    assert amount.input_value() == "977,000,000"
    assert page.locator("#line_items-0 .amount-reading").inner_text() == (
        "EUR 977,000,000 = 977 million"
    )
