"""Every public page is usable without sight and without a mouse, in Chromium.

axe-core (vendored: tests/vendor/axe-core, MPL-2.0) audits each page in both languages, at a
laptop's width and a phone's, with the filter panels closed and open; no violation rated
serious or critical may remain. A keyboard alone filters a table; the charts read as tables.
"""

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
PAGES = [
    "/",
    "/?category=air-defence&donor=belgum",
    "/items/",
    "/items/?donor=belgum&donor=spain&q=jets&min_eur=lots&per_page=5&page=2",
    "/agreements/",
    "/donors/",
    "/donors/united-states/",
    "/agreements/4/",
    "/sources/2/",
    "/glossary/",
    "/changes/",
    "/no-such-page/",
]
BLOCKING = ("serious", "critical")


def audit(page):
    """The serious and critical violations axe finds on the page as it stands."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in violations
        if v["impact"] in BLOCKING
    ]


@pytest.fixture
def audited(new_page):
    """make(viewport) -> a page that may run axe: the ledger's Content-Security-Policy would
    block the injected script, so this context alone bypasses it (the policy is tested
    elsewhere, tests/test_browser.py)."""

    def make(viewport):
        return new_page(viewport=viewport, bypass_csp=True)

    return make


class TestAxe:
    @pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366px", "390px"])
    def test_no_serious_or_critical_violation_on_any_public_page(self, audited, viewport):
        page = audited(viewport)
        found = {}
        for prefix in ("", "/uk"):
            for path in PAGES:
                page.goto(prefix + path)
                problems = audit(page)
                if problems:
                    found[prefix + path] = problems
        assert found == {}

    def test_with_the_filter_panels_open_on_a_phone(self, audited):
        page = audited(PHONE)
        for path, panel in (("/items/?donor=belgum", "#filter-panel"), ("/", ".overview-panel")):
            page.goto(path)
            if not page.locator(panel).evaluate("details => details.open"):
                page.locator(f"{panel} > summary").click()
            assert page.get_by_role("button", name="Apply filters").is_visible()
            assert audit(page) == [], path

    def test_the_audit_can_fail(self, audited):
        """A page with an unlabelled field and an image without text is reported."""
        page = audited(LAPTOP)
        page.goto("/glossary/")
        page.evaluate(
            "document.querySelector('main').insertAdjacentHTML('beforeend', "
            "'<input type=text><img src=/x.png>')"
        )
        assert {problem.split(" ")[0] for problem in audit(page)} >= {"label", "image-alt"}


class TestKeyboard:
    def tab_to(self, page, predicate, limit=80):
        """Press Tab until the focused element satisfies the JavaScript predicate."""
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"(e => {predicate})(document.activeElement)"):
                return
        raise AssertionError(f"Tab never reached {predicate}")

    def test_filtering_a_table_with_the_keyboard_alone(self, new_page):
        page = new_page(viewport=LAPTOP)
        page.goto("/items/")
        self.tab_to(page, "e.type === 'checkbox' && e.value === 'belgium'")
        page.keyboard.press("Space")
        assert page.get_by_label("Belgium").is_checked()
        self.tab_to(page, "e.tagName === 'BUTTON' && e.type === 'submit'")
        assert page.evaluate("document.activeElement.textContent") == "Apply filters"
        page.keyboard.press("Enter")
        page.wait_for_url("**/items/?donor=belgium")
        assert page.locator("#sentence").inner_text() == "2 line items from Belgium."

    def test_on_a_phone_the_panel_opens_from_the_keyboard(self, new_page):
        page = new_page(viewport=PHONE)
        page.goto("/uk/items/")
        self.tab_to(page, "e.tagName === 'SUMMARY'")
        page.keyboard.press("Enter")
        self.tab_to(page, "e.type === 'checkbox' && e.value === 'aircraft'")
        page.keyboard.press("Space")
        self.tab_to(page, "e.tagName === 'BUTTON' && e.type === 'submit'")
        page.keyboard.press("Enter")
        page.wait_for_url("**/uk/items/?category=aircraft")
        assert page.locator("#sentence").inner_text() == "2 позиції — категорія: Авіація."

    def test_the_filters_can_be_skipped(self, new_page):
        page = new_page(viewport=LAPTOP)
        page.goto("/items/")
        self.tab_to(page, "e.getAttribute('href') === '#results'")
        assert page.evaluate("document.activeElement.getBoundingClientRect().width") > 0
        page.keyboard.press("Enter")
        assert page.url.endswith("#results")
        page.keyboard.press("Tab")
        inside = "document.getElementById('results').contains(document.activeElement)"
        assert page.evaluate(inside)


class TestChartsReadAsText:
    def test_each_chart_is_a_table_named_by_its_title(self, new_page):
        page = new_page(viewport=PHONE)
        page.goto("/")
        table = page.get_by_role("table", name="Committed military aid in EUR, by donor")
        rows = table.get_by_role("row")
        # A header row, then one per donor: name and value, read as text.
        assert rows.count() == 5
        spain = table.get_by_role("row", name="Spain")
        assert spain.get_by_role("cell").last.inner_text() == "EUR 5,000,000,000"
        # The bars say nothing a screen reader would have to skip.
        hidden = page.locator(".chart svg").evaluate_all(
            "bars => bars.every(b => b.getAttribute('aria-hidden') === 'true')"
        )
        assert hidden

    def test_and_in_ukrainian(self, new_page):
        page = new_page(viewport=LAPTOP)
        page.goto("/uk/")
        name = "Зобов’язання щодо військової допомоги (EUR) за категоріями"
        table = page.get_by_role("table", name=name)
        assert table.get_by_role("row", name="Кошти").count() == 1
