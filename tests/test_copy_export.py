"""CSV exports written by PostgreSQL's COPY: the same bytes as the Python writer.

On PostgreSQL, each test exports the same URL twice through the real view: once as the
ledger does it (COPY) and once with the COPY path switched off (the Python writer), and
compares the bytes. On SQLite, the Python writer must make every export.
"""

import logging
from datetime import date
from decimal import Decimal
from http import HTTPStatus

import psycopg
import pytest
from django.db import DataError, connection, transaction
from django.db.models import F, Func, IntegerField
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from aid import copy_export, exports
from aid.choices import Precision, Qualifier, Stage, Status
from aid.exports import LINE_ITEM_COLUMNS, ExportColumn, attr
from aid.models import Category, LineItem

from .factories import make_agreement, make_donor, make_line_item

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="COPY is PostgreSQL's; on SQLite test_which_writer checks the Python writer is used",
)

# Every character csv_cell neutralises, and what a CSV writer must quote or leave alone.
TRICKY_TEXTS = [
    "=1+1",
    '=HYPERLINK("http://x")',
    "+44 20 7946 0000",
    "-2+3",
    "@SUM(A1)",
    "\ttab first",
    "\rCR first",
    '"quoted", with a comma',
    'a lone " quote',
    "line one\nline two",
    "CRLF\r\ninside",
    "ends with a newline\n",
    "Ünïcödé — €977 million, Київ",
    "'already an apostrophe",
    " leading space",
    "trailing space ",
    "semi;colon",
    "back\\slash",
    "\\.",
    "NULL",
    "tab\tinside",
    "x",
]


def export(client, url):
    """The export's bytes, its chunks and the SQL it ran."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK
        chunks = [bytes(chunk) for chunk in response.streaming_content]
    return b"".join(chunks), chunks, [query["sql"] for query in queries.captured_queries]


def copied(statements):
    return [sql for sql in statements if sql.startswith("COPY (")]


def python_export(client, url, monkeypatch):
    """The export as the Python writer makes it."""
    with monkeypatch.context() as patch:
        patch.setattr(exports, "copy_expressions", lambda *args: None)
        content, _, statements = export(client, url)
    assert not copied(statements)
    return content


def assert_same_bytes(client, url, monkeypatch):
    """COPY wrote the export, and its bytes are the Python writer's. Returns them."""
    content, _, statements = export(client, url)
    assert len(copied(statements)) == 1, statements
    expected = python_export(client, url, monkeypatch)
    assert content.count(b"\r\n") >= 1
    assert content == expected
    return content


def test_which_writer(client, seeded):
    """COPY for CSV of line items and agreements on PostgreSQL; Python for everything else."""
    on_postgresql = connection.vendor == "postgresql"
    for url, expect_copy in (
        ("/items/?_export=csv", on_postgresql),
        ("/items/?_export=json", False),
        ("/agreements/?_export=csv", on_postgresql),
        ("/agreements/?_export=json", False),
        ("/donors/?_export=csv", False),  # the donor URL holds a slug: Python only
    ):
        content, _, statements = export(client, url)
        assert bool(copied(statements)) == expect_copy, url
        first = b"[" if "json" in url else b"slug,url," if "donors" in url else b"id,url,"
        assert content.startswith(first)


def test_every_line_item_and_agreement_column_has_sql():
    request = RequestFactory().get("/items/")
    for columns in (exports.LINE_ITEM_COLUMNS, exports.AGREEMENT_COLUMNS):
        expressions = copy_export.column_expressions(columns, request)
        assert expressions is not None and len(expressions) == len(columns)
    assert copy_export.column_expressions(exports.DONOR_COLUMNS, request) is None


def test_a_column_whose_url_cannot_be_cut_falls_back_to_python():
    request = RequestFactory().get("/items/")
    no_sql = ExportColumn("url", exports.page_url, lambda request: None)
    assert copy_export.column_expressions([*LINE_ITEM_COLUMNS, no_sql], request) is None
    assert copy_export.url_sql("http://testserver/agreements/1/", {"9": F("pk")}) is None


def test_crlf_chunks():
    rows = [b"1,a\n", memoryview(b'2,"x\ny"\n'), b"3,\n"]
    assert list(copy_export.crlf_chunks(rows, 2)) == [b'1,a\r\n2,"x\ny"\r\n', b"3,\r\n"]
    assert list(copy_export.crlf_chunks([], 2)) == []


def test_crlf_chunks_passes_on_the_rows_read_before_an_error():
    def failing():
        yield b"1\n"
        yield b"2\n"
        raise RuntimeError("connection lost")

    chunks = copy_export.crlf_chunks(failing(), 10)
    assert next(chunks) == b"1\r\n2\r\n"
    with pytest.raises(RuntimeError):
        next(chunks)


@on_postgresql
class TestSameBytesAsPython:
    @pytest.mark.parametrize(
        "query",
        [
            "",
            "donor=united-states&sort=-amount",
            "category=ammunition&category=anti-tank&sort=description",
            "stage=committed&date_after=2024-05-01&sort=-announced",
            "q=missiles",
            "sort=quantity",
            "sort=-eur",
            "sort=usd&stage=delivered",
            "q=nothing-matches-this",
        ],
    )
    def test_seed_line_items(self, client, seeded, monkeypatch, query):
        content = assert_same_bytes(client, f"/items/?{query}&_export=csv", monkeypatch)
        if query != "q=nothing-matches-this":
            assert content.count(b"\r\n") > 1

    @pytest.mark.parametrize("query", ["", "donor=belgium", "sort=-amount", "sort=eur"])
    def test_seed_agreements(self, client, seeded, monkeypatch, query):
        assert_same_bytes(client, f"/agreements/?{query}&_export=csv", monkeypatch)

    @pytest.fixture
    def tricky(self, db):
        """Line items with every kind of cell the writers must agree on."""
        donor = make_donor(name="=Evil donor, Inc.", slug="-evil-donor")
        category = Category.objects.create(
            slug="@odd", name='+Odd "category"', definition="Tricky names."
        )
        # Each date precision; no headline amount, so that priced items are counted.
        agreements = [
            make_agreement(
                donor=donor,
                title=f"{text} (agreement)",
                announced_on=announced_on,
                announced_precision=precision,
                amount=None,
                currency="",
                period_start_year=None,
                period_end_year=None,
                summary=text,
                notes=text,
            )
            for text, (announced_on, precision) in zip(
                ["-agreement", "\tagreement", "@agreement", "agreement, plain"],
                [
                    (date(2024, 5, 28), Precision.DAY),
                    (date(2023, 2, 1), Precision.MONTH),
                    (date(2022, 1, 1), Precision.YEAR),
                    (None, Precision.UNKNOWN),
                ],
                strict=True,
            )
        ]
        # A headline amount: its items are not counted.
        headline = make_agreement(donor=donor, amount=Decimal("1234567.89"), currency="GBP")
        items = []
        amounts = [
            (None, ""),
            (Decimal("0.01"), "EUR"),
            (Decimal("977000000"), "USD"),
            (Decimal("1234567890123456.78"), "JPY"),
            (Decimal("0"), "PLN"),
            (Decimal("5.5"), "EUR"),
        ]
        for i, text in enumerate(TRICKY_TEXTS):
            amount, currency = amounts[i % len(amounts)]
            with_quantity = i % 3 != 0
            items.append(
                make_line_item(
                    agreement=agreements[i % len(agreements)],
                    category=category if i % 2 else Category.objects.first(),
                    description=f"{text} #{i}" if i % 4 else text,
                    quantity=(i * 1000 if with_quantity else None),
                    unit=(text if with_quantity else ""),
                    amount=amount,
                    currency=currency,
                    qualifier=list(Qualifier)[i % len(Qualifier)],
                    period_start_year=2024 if i % 2 else None,
                    period_end_year=2030 if i % 2 else None,
                    period_text="" if i % 5 == 0 else text,
                    stage=list(Stage)[i % len(Stage)],
                    notes="" if i % 3 == 1 else text,
                )
            )
        items.append(
            make_line_item(
                agreement=agreements[0],
                description="a part of the figure above",
                amount=Decimal("100"),
                currency="EUR",
                part_of=items[1],
            )
        )
        items.append(
            make_line_item(agreement=headline, amount=Decimal("10"), currency="GBP", unit="")
        )
        draft = make_agreement(donor=donor, status=Status.DRAFT, title="draft agreement")
        hidden = make_line_item(agreement=draft, description="=draft only")
        return items, hidden

    @pytest.mark.parametrize(
        "query",
        [
            "",
            "sort=description",
            "sort=-amount",
            "sort=announced",
            "sort=quantity",
            "donor=-evil-donor&sort=-eur",
            "category=@odd",
            "q=quoted",
        ],
    )
    def test_tricky_rows(self, client, monkeypatch, tricky, query):
        items, hidden = tricky
        url = f"/items/?{query}&_export=csv"
        content = assert_same_bytes(client, url, monkeypatch)
        assert f"#item-{hidden.pk}".encode() not in content
        if not query:
            assert all(f"#item-{item.pk}".encode() in content for item in items)
            text = content.decode()
            for cell in (
                "'=1+1",
                '"\'=HYPERLINK(""http://x"")"',
                "'+44 20 7946 0000",
                "'-2+3",
                "'@SUM(A1)",
                "'\ttab first",
                '"\'\rCR first"',
                '"""quoted"", with a comma"',
                '"line one\nline two"',
                "'=Evil donor",
                "'-evil-donor",
                "2023-02,month",
                "2022,year",
                ",unknown,",
                "\r\n",
            ):
                assert cell in text, cell
            assert "\r\n\r\n" not in text

    def test_tricky_agreements(self, client, monkeypatch, tricky):
        content = assert_same_bytes(client, "/agreements/?_export=csv", monkeypatch)
        assert b"'-agreement (agreement)" in content

    def test_chunks_of_rows(self, client, seeded, monkeypatch):
        monkeypatch.setattr(exports, "CHUNK_SIZE", 3)
        content, chunks, _ = export(client, "/items/?_export=csv")
        rows = content.count(b"\r\n") - 1
        assert rows > 6
        # The header, then ceil(rows / 3) chunks of whole rows.
        assert len(chunks) == 1 + -(-rows // 3)
        assert all(chunk.endswith(b"\r\n") for chunk in chunks)
        assert content == python_export(client, "/items/?_export=csv", monkeypatch)

    def test_an_empty_queryset_gives_the_header_only(self, client, seeded):
        request = RequestFactory().get("/items/")
        response = exports.export_response(
            "csv", LINE_ITEM_COLUMNS, LineItem.objects.none(), request, "line-items"
        )
        content = b"".join(response.streaming_content).decode()
        assert content == ",".join(column.name for column in LINE_ITEM_COLUMNS) + "\r\n"

    def test_a_statement_that_fails_at_once_fails_in_the_view_before_any_byte(self, seeded):
        failing = ExportColumn(
            "boom",
            attr("pk"),
            Func(
                F("pk"),
                template="1 / (%(expressions)s - %(expressions)s)",
                output_field=IntegerField(),
            ),
        )
        request = RequestFactory().get("/items/")
        queryset = LineItem.objects.published().order_by("pk")
        # A savepoint: the failed statement would abort the test's transaction.
        with pytest.raises(DataError, match="division by zero"), transaction.atomic():
            exports.export_response(
                "csv", [LINE_ITEM_COLUMNS[0], failing], queryset, request, "line-items"
            )

    def test_an_error_while_streaming_ends_the_file_with_a_line_saying_so(
        self, seeded, caplog, monkeypatch
    ):
        # Last in its test: the failed statement aborts the test's transaction.
        monkeypatch.setattr(exports, "CHUNK_SIZE", 1)
        queryset = LineItem.objects.published().order_by("pk")
        first, second, third = queryset.values_list("pk", flat=True)[:3]
        # Division by zero at the third row. random() makes the expression volatile, so
        # PostgreSQL computes it row by row as it sends them, after the sort.
        failing = ExportColumn(
            "boom",
            attr("pk"),
            Func(
                F("pk"),
                template=f"1 / (%(expressions)s - {third} + (random() * 0)::int)",
                output_field=IntegerField(),
            ),
        )
        request = RequestFactory().get("/items/")
        with caplog.at_level(logging.ERROR, logger="aid.exports"):
            response = exports.export_response(
                "csv", [LINE_ITEM_COLUMNS[0], failing], queryset, request, "line-items"
            )
            assert response.status_code == HTTPStatus.OK
            content = b"".join(response.streaming_content)
        assert content.startswith(b"id,boom\r\n")
        assert f"\r\n{first},".encode() in content
        assert f"\r\n{second},".encode() in content
        assert f"\r\n{third},".encode() not in content
        assert content.endswith(
            b"\r\n# ERROR: the export stopped early; this file is incomplete.\r\n"
        )
        (record,) = caplog.records
        assert record.levelno == logging.ERROR
        assert "division by zero" in caplog.text


@on_postgresql
@pytest.mark.parametrize("taken", [1, 2])
def test_a_reader_who_leaves_early_leaves_the_connection_usable(seeded, monkeypatch, taken):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 1)
    # psycopg cancels a COPY left part-way, then reads what is left of it. A request runs in
    # autocommit; here, in the test's transaction, a cancel would abort it: hence a savepoint,
    # rolled back once the reader has gone.
    request = RequestFactory().get("/items/")
    queryset = LineItem.objects.published().order_by("pk")
    expressions = exports.copy_expressions("csv", LINE_ITEM_COLUMNS, queryset, request)
    with transaction.atomic():
        # As export_response streams it: the COPY begins before the header is taken.
        lines = exports.Started(exports.csv_copy_lines(LINE_ITEM_COLUMNS, queryset, expressions))
        # The reader takes the header, or the header and a row, and goes.
        assert next(lines).startswith("id,url,")
        if taken == 2:
            assert next(lines).endswith(b"\r\n")
        lines.close()  # what the server does when the reader goes: response.close()
        # No COPY left running on the connection (a query would wait for it forever).
        status = connection.connection.info.transaction_status
        assert status != psycopg.pq.TransactionStatus.ACTIVE
        transaction.set_rollback(True)
    assert LineItem.objects.published().count() > 2


def test_a_url_csv_cell_would_change_is_left_to_python():
    assert exports.absolute_url_sql("=1/agreements/5/", {"5": F("pk")}) is None
    assert exports.absolute_url_sql("http://x/agreements/5/", {"5": F("pk")}) is not None
