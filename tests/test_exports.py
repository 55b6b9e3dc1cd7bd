"""CSV and JSON exports: exactly the filtered, sorted set, every page, safe in a spreadsheet."""

import csv
import io
import json
import logging
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.db import DatabaseError, transaction
from django.db.models import IntegerField
from django.db.models.expressions import RawSQL
from django.test import RequestFactory

from aid import exports
from aid.exports import (
    AGREEMENT_COLUMNS,
    DONOR_COLUMNS,
    LINE_ITEM_COLUMNS,
    ExportColumn,
    attr,
    neutralise,
)
from aid.models import LineItem

from .factories import make_line_item

pytestmark = pytest.mark.django_db

LINE_ITEM_HEADER = (
    "id,url,description,donor_slug,donor_name,agreement_id,agreement_title,agreement_kind,"
    "category_slug,category_name,quantity,unit,amount,currency,qualifier,period_start_year,"
    "period_end_year,period_text,stage,announced_on,announced_precision,notes,"
    "value_eur,value_usd,ecb_currency_per_eur,ecb_usd_per_eur,rate_date,part_of_id,counted,"
    "aid_type,basis"
)


def body(response):
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(body(response))))


def all_pages(client, url):
    """Record ids shown on every page of a list, in order."""
    ids, page = [], 1
    while True:
        response = client.get(f"{url}&page={page}")
        table = response.context["table"]
        ids += [str(row.record.pk) for row in table.page.object_list]
        if not table.page.has_next():
            return ids
        page += 1


class TestCsv:
    def test_header_is_the_documented_contract(self, client, seeded):
        response = client.get("/items/?_export=csv")
        assert response.status_code == HTTPStatus.OK
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment;" in response["Content-Disposition"]
        assert body(response).splitlines()[0] == LINE_ITEM_HEADER
        assert [c.name for c in LINE_ITEM_COLUMNS] == LINE_ITEM_HEADER.split(",")

    def test_other_tables_headers(self, client, seeded):
        for url, columns in (("/agreements/", AGREEMENT_COLUMNS), ("/donors/", DONOR_COLUMNS)):
            first = body(client.get(f"{url}?_export=csv")).splitlines()[0]
            assert first.split(",") == [c.name for c in columns]
            assert "slug" in first and "url" in first

    @pytest.mark.parametrize(
        "query",
        [
            "donor=united-states&sort=-amount",
            "category=ammunition&category=anti-tank&sort=description",
            "stage=committed&date_after=2024-05-01&sort=-announced",
            "q=missiles",
        ],
    )
    def test_holds_exactly_the_rows_of_every_page_in_order(self, client, seeded, query):
        shown = all_pages(client, f"/items/?{query}&per_page=2")
        exported = [row["id"] for row in csv_rows(client.get(f"/items/?{query}&_export=csv"))]
        assert shown and exported == shown

    def test_values_are_plain_and_typed(self, client, seeded):
        exported = csv_rows(client.get("/items/?donor=belgium&_export=csv&sort=amount"))
        money = next(row for row in exported if row["amount"])
        assert money["amount"] == "977000000.00"  # no thousands separators, no symbol
        assert (money["currency"], money["qualifier"]) == ("EUR", "at-least")
        assert (money["donor_slug"], money["donor_name"]) == ("belgium", "Belgium")
        assert (money["category_slug"], money["category_name"]) == ("funding", "Funding")
        assert (money["announced_on"], money["announced_precision"]) == ("2024-05-28", "day")
        assert (
            money["url"]
            == f"http://testserver/agreements/{money['agreement_id']}/#item-{money['id']}"
        )
        jets = next(row for row in exported if row["quantity"])
        assert (jets["quantity"], jets["amount"], jets["qualifier"]) == ("30", "", "")

    def test_month_precision_dates_are_truncated_not_invented(self, client, seeded):
        exported = csv_rows(client.get("/items/?donor=netherlands&_export=csv"))
        assert (exported[0]["announced_on"], exported[0]["announced_precision"]) == (
            "2024-05",
            "month",
        )

    def test_utf8_without_bom(self, client, seeded):
        raw = b"".join(client.get("/items/?_export=csv").streaming_content)
        assert raw.startswith(b"id,url,")
        assert "€977 million".encode() in raw

    def test_formula_cells_are_neutralised_and_numbers_kept(self, client, seeded):
        for text in ('=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
            make_line_item(description=text, notes=text)
        exported = csv_rows(client.get("/items/?_export=csv&per_page=1"))
        descriptions = {row["description"] for row in exported}
        for text in ('=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
            assert "'" + text in descriptions
            assert text not in descriptions
        # A real number stays a number.
        assert neutralise(Decimal("-5")) == Decimal("-5")
        assert neutralise(-5) == -5

    def test_script_in_text_stays_text(self, client, seeded):
        make_line_item(description="<script>alert(1)</script>")
        exported = csv_rows(client.get("/items/?_export=csv&q=script"))
        assert exported[0]["description"] == "<script>alert(1)</script>"

    def test_reads_in_chunks_not_one_query_per_row(
        self, client, seeded, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(6):
            body(client.get("/items/?_export=csv"))
        with django_assert_max_num_queries(6):
            body(client.get("/agreements/?_export=csv"))


class TestJson:
    def test_same_rows_and_keys_as_csv(self, client, seeded):
        query = "donor=united-states&sort=-amount"
        as_json = json.loads(body(client.get(f"/items/?{query}&_export=json")))
        as_csv = csv_rows(client.get(f"/items/?{query}&_export=csv"))
        assert [str(row["id"]) for row in as_json] == [row["id"] for row in as_csv]
        assert list(as_json[0]) == [c.name for c in LINE_ITEM_COLUMNS]

    def test_amounts_are_exact_strings(self, client, seeded):
        rows = json.loads(body(client.get("/items/?donor=spain&_export=json&sort=amount")))
        assert [row["amount"] for row in rows] == ["1000000000.00", "5000000000.00"]
        assert LineItem.objects.filter(amount=Decimal(rows[0]["amount"])).exists()

    def test_empty_result_is_an_empty_list(self, client, seeded):
        assert json.loads(body(client.get("/items/?q=nothing-matches-this&_export=json"))) == []


class TestFailures:
    """What can fail before the first byte fails in the view; what fails later is said."""

    @pytest.mark.parametrize("fmt", ["csv", "json"])
    def test_a_query_that_fails_at_once_fails_before_the_first_byte(self, seeded, fmt):
        broken = RawSQL("no_such_function(1)", [], output_field=IntegerField())
        queryset = LineItem.objects.published().alias(broken=broken).filter(broken=1)
        request = RequestFactory().get("/items/")
        # A savepoint: on PostgreSQL the failed query would abort the test's transaction.
        with pytest.raises(DatabaseError, match="no_such_function"), transaction.atomic():
            exports.export_response(fmt, LINE_ITEM_COLUMNS, queryset, request, "line-items")

    @pytest.mark.parametrize("fmt", ["csv", "json"])
    def test_a_failure_while_streaming_ends_the_file_and_is_logged_as_an_error(
        self, seeded, caplog, fmt
    ):
        queryset = LineItem.objects.published().order_by("pk")
        first, second = queryset.values_list("pk", flat=True)[:2]

        def value(record, request):
            if record.pk == second:
                raise RuntimeError("the second row cannot be written")
            return record.pk

        # No SQL for this column: the Python writer, on PostgreSQL too.
        columns = [ExportColumn("id", attr("pk")), ExportColumn("checked", value)]
        request = RequestFactory().get("/items/")
        with caplog.at_level(logging.ERROR, logger="aid.exports"):
            response = exports.export_response(fmt, columns, queryset, request, "line-items")
            assert response.status_code == HTTPStatus.OK
            content = body(response)
        if fmt == "csv":
            assert content == (
                f"id,checked\r\n{first},{first}\r\n"
                "# ERROR: the export stopped early; this file is incomplete.\r\n"
            )
        else:
            assert json.loads(content) == [
                {"id": first, "checked": first},
                {"error": "the export stopped early; this file is incomplete"},
            ]
        (record,) = caplog.records
        assert record.levelno == logging.ERROR
        assert "the second row cannot be written" in caplog.text
