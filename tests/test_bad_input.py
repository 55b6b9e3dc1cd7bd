"""Bad input in a URL never answers 5xx: numbers beyond what the database holds are reported
beside their filter (or refused by an export, before its first byte), and no hostile value in
any parameter of any public page or export breaks one (README, "A bad value").

tests/test_public_pages.py (TestBadInput) has the everyday cases: an unknown slug, a
malformed date, a page out of range.
"""

import itertools
from http import HTTPStatus

import pytest

from aid.filtersets import MAX_ID
from aid.models import Agreement

from .factories import make_citation, make_line_item

pytestmark = pytest.mark.django_db

BIGINT = 2**63  # one more than the largest a bigint holds
OUT_OF_RANGE = [
    "99999999999999999999999999",
    "1e30",
    str(-BIGINT - 1),
    str(BIGINT),
    "9" * 5000,  # more digits than Python's int() reads from text
]
AGREEMENT_ID_ERROR = f"An agreement id is a whole number from 1 to {MAX_ID}."
EUR_ERROR = "A value in EUR is a number from 0 to 999,999,999,999,999,999.99."


def text(response):
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.fixture
def published():
    """One published agreement with a line item (with an amount) and its citation."""
    item = make_line_item(amount=1000, currency="EUR")
    make_citation(line_item=item, agreement=item.agreement)
    return item.agreement


class TestIntegerRanges:
    @pytest.mark.parametrize("value", [*OUT_OF_RANGE, "0", "-1", "1.5", "abc"])
    def test_an_agreement_id_out_of_range_is_shown_beside_its_filter(
        self, client, published, value
    ):
        response = client.get("/items/", {"agreement": value})
        assert response.status_code == HTTPStatus.OK
        assert response.context["filterset"].errors["agreement"] == [AGREEMENT_ID_ERROR]
        assert AGREEMENT_ID_ERROR in text(response)
        # The other filters still apply; this one is ignored.
        assert response.context["count"] == 1

    def test_the_largest_id_is_a_valid_filter_that_matches_nothing(self, client, published):
        response = client.get("/items/", {"agreement": str(MAX_ID)})
        assert response.status_code == HTTPStatus.OK
        assert not response.context["filterset"].errors
        assert response.context["count"] == 0

    @pytest.mark.parametrize("fmt", ["csv", "json"])
    @pytest.mark.parametrize("value", OUT_OF_RANGE)
    def test_an_export_with_an_id_out_of_range_is_refused_before_it_starts(
        self, client, published, fmt, value
    ):
        response = client.get("/items/", {"agreement": value, "_export": fmt})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert not response.streaming
        body = text(response)
        assert "nothing was exported" in body
        assert AGREEMENT_ID_ERROR in body

    @pytest.mark.parametrize("url", ["/items/", "/agreements/"])
    @pytest.mark.parametrize("name", ["min_eur", "max_eur"])
    @pytest.mark.parametrize("value", ["1e30", "-1", "1000000000000000000", "NaN", "-Infinity"])
    def test_a_value_out_of_range_is_shown_beside_its_filter(
        self, client, published, url, name, value
    ):
        response = client.get(url, {name: value})
        assert response.status_code == HTTPStatus.OK
        assert response.context["filterset"].errors[name] == [EUR_ERROR]
        assert EUR_ERROR in text(response)
        exported = client.get(url, {name: value, "_export": "csv"})
        assert exported.status_code == HTTPStatus.BAD_REQUEST
        assert EUR_ERROR in text(exported)

    def test_values_at_the_ends_of_the_range_filter(self, client, published):
        response = client.get("/items/", {"min_eur": "0", "max_eur": "999999999999999999.99"})
        assert not response.context["filterset"].errors
        assert response.context["count"] == 1

    def test_dates_at_the_ends_of_the_calendar_filter(self, client, published):
        response = client.get("/items/", {"date_after": "0001-01-01", "date_before": "9999-12-31"})
        assert not response.context["filterset"].errors
        assert response.context["count"] == 1
        exported = client.get("/items/", {"date_after": "0001-01-01", "_export": "csv"})
        assert exported.status_code == HTTPStatus.OK
        assert text(exported).count("\r\n") == 2  # the header and the one line item

    @pytest.mark.parametrize("value", ["10000-01-01", "0000-12-31", "2024-02-30"])
    def test_a_date_off_the_calendar_is_shown_beside_its_filter(self, client, published, value):
        response = client.get("/items/", {"date_after": value})
        assert response.status_code == HTTPStatus.OK
        assert "Enter a valid date" in text(response)

    @pytest.mark.parametrize("name", ["page", "per_page"])
    @pytest.mark.parametrize("value", OUT_OF_RANGE)
    def test_paging_out_of_range_gives_the_nearest_page_and_says_so(
        self, client, published, name, value
    ):
        response = client.get("/items/", {name: value})
        assert response.status_code == HTTPStatus.OK
        notices = " ".join(response.context["notices"])
        assert f"{name}:" in notices
        # The notice quotes at most the first 20 characters of what was given.
        assert "9" * 21 not in notices

    @pytest.mark.parametrize("value", OUT_OF_RANGE[:2] + [str(BIGINT), "9" * 5000])
    def test_changes_page_out_of_range(self, client, published, value):
        response = client.get("/changes/", {"page": value})
        assert response.status_code == HTTPStatus.OK
        assert response.context["page"].number == 1

    @pytest.mark.parametrize("path", ["/agreements/{}/", "/sources/{}/"])
    @pytest.mark.parametrize("number", [str(BIGINT), "99999999999999999999", "9" * 5000])
    def test_a_record_id_out_of_range_is_not_found(self, client, published, path, number):
        assert client.get(path.format(number)).status_code == HTTPStatus.NOT_FOUND

    def test_an_agreement_page_at_the_largest_id_is_not_found(self, client, published):
        assert not Agreement.objects.filter(pk=MAX_ID).exists()
        assert client.get(f"/agreements/{MAX_ID}/").status_code == HTTPStatus.NOT_FOUND


# Every value goes into every parameter of every public URL. Each answer must be below 500
# and hold no traceback.
# One of each kind of trouble: numbers no column holds, numbers Python reads oddly, text a
# database treats specially, markup, sheer length, dates no calendar has.
HOSTILE = [
    *OUT_OF_RANGE,
    "-1",
    "1.5",
    "NaN",
    "-Infinity",
    "1e-400",
    "٣",  # an Arabic-Indic digit, which int() reads as 3
    "",
    "a\x00b",
    "'; DROP TABLE aid_lineitem; --",
    "<script>alert(1)</script>",
    "x" * 5000,
    "%_\\",
    "2024-02-30",
    "99999-01-01",
    "🇺🇦",
]
FILTERS = [
    "donor",
    "category",
    "kind",
    "stage",
    "date_after",
    "date_before",
    "q",
    "agreement",
    "min_eur",
    "max_eur",
]
LIST_PARAMETERS = [*FILTERS, "page", "per_page", "currency", "sort", "_export"]
PARAMETERS = [*LIST_PARAMETERS, "unknown"]
# Query strings no form would send: bytes that are not UTF-8, broken escapes.
RAW_QUERIES = ["q=%ED%A0%80", "donor=%FF%FE", "page=%", "agreement=%2", "&&&=&=", "q"]


def answers(client, url, queries):
    """(query, status) of every answer that is 5xx, shows a traceback or is a broken export."""
    client.raise_request_exception = False
    failures = []
    for query in queries:
        response = client.get(url, query) if isinstance(query, dict) else client.get(url + query)
        body = text(response)
        if response.status_code >= 500 or "Traceback" in body or "stopped early" in body:
            failures.append((query, response.status_code))
    return failures


@pytest.mark.parametrize(
    ("url", "reads"),
    [
        ("/items/", LIST_PARAMETERS),
        ("/agreements/", LIST_PARAMETERS),
        ("/donors/", LIST_PARAMETERS),
        ("/", [*FILTERS, "currency"]),
        ("/changes/", ["page"]),
        ("/agreements/{agreement}/", ["currency"]),
        ("/donors/{donor}/", ["currency"]),
        ("/sources/{source}/", []),
    ],
)
def test_no_hostile_value_in_any_parameter_gives_a_server_error(client, published, url, reads):
    citation = published.citations.first()
    url = url.format(agreement=published.pk, donor=published.donor.slug, source=citation.source_id)
    # Each value alone in each parameter the page reads; then the same value in every
    # parameter at once, twice over (a repeated parameter); then what no form would send.
    single = [{name: value} for name, value in itertools.product(reads, HOSTILE)]
    together = [{name: [value, value] for name in PARAMETERS} for value in HOSTILE]
    raw = [f"?{query}" for query in RAW_QUERIES]
    assert answers(client, url, single + together + raw) == []


@pytest.mark.parametrize("url", ["/items/", "/agreements/", "/donors/"])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_no_hostile_value_breaks_an_export(client, published, url, fmt):
    queries = [
        {name: value, "_export": fmt}
        for name, value in itertools.product([*FILTERS, "sort", "currency"], HOSTILE)
    ]
    assert answers(client, url, queries) == []
