"""CSV and JSON exports of a filtered table: streamed, chunked, and safe to open in a spreadsheet.

The column names below are a public contract (README, "Exports"): add columns at the end,
never rename or remove one without saying so in the changelog.
"""

import csv
import json
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone

from .choices import Stage

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000
# Cells starting with these are read as formulas by spreadsheets (CWE-1236).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportColumn:
    name: str
    value: object  # callable(record, request) -> str | int | Decimal | None


def attr(path):
    """A column value read from a dotted attribute path."""

    def read(record, request):
        value = record
        for part in path.split("."):
            value = getattr(value, part)
            if value is None:
                return None
        return value

    return read


def page_url(record, request):
    return request.build_absolute_uri(record.get_absolute_url())


# The normalised values of an amount and the ECB rates that gave them (aid/fx.py).
MONEY_VALUE_COLUMNS = [
    ExportColumn("value_eur", attr("value_eur")),
    ExportColumn("value_usd", attr("value_usd")),
    ExportColumn("ecb_currency_per_eur", attr("ecb_currency_per_eur")),
    ExportColumn("ecb_usd_per_eur", attr("ecb_usd_per_eur")),
    ExportColumn("rate_date", attr("rate_date")),
]


def counted(item):
    """Whether this line item's value enters totals (LineItemQuerySet.counted)."""
    return item.amount is not None and item.part_of_id is None and item.agreement.amount is None


LINE_ITEM_COLUMNS = [
    ExportColumn("id", attr("pk")),
    ExportColumn("url", page_url),
    ExportColumn("description", attr("description")),
    ExportColumn("donor_slug", attr("agreement.donor.slug")),
    ExportColumn("donor_name", attr("agreement.donor.name")),
    ExportColumn("agreement_id", attr("agreement_id")),
    ExportColumn("agreement_title", attr("agreement.title")),
    ExportColumn("agreement_kind", attr("agreement.kind")),
    ExportColumn("category_slug", attr("category.slug")),
    ExportColumn("category_name", attr("category.name")),
    ExportColumn("quantity", attr("quantity")),
    ExportColumn("unit", attr("unit")),
    ExportColumn("amount", attr("amount")),
    ExportColumn("currency", attr("currency")),
    ExportColumn("qualifier", lambda r, q: r.qualifier if r.amount is not None else ""),
    ExportColumn("period_start_year", attr("period_start_year")),
    ExportColumn("period_end_year", attr("period_end_year")),
    ExportColumn("period_text", attr("period_text")),
    ExportColumn("stage", attr("stage")),
    ExportColumn("announced_on", attr("agreement.announced_iso")),
    ExportColumn("announced_precision", attr("agreement.announced_precision")),
    ExportColumn("notes", attr("notes")),
    *MONEY_VALUE_COLUMNS,
    ExportColumn("part_of_id", attr("part_of_id")),
    ExportColumn("counted", lambda r, q: counted(r)),
]

AGREEMENT_COLUMNS = [
    ExportColumn("id", attr("pk")),
    ExportColumn("url", page_url),
    ExportColumn("title", attr("title")),
    ExportColumn("donor_slug", attr("donor.slug")),
    ExportColumn("donor_name", attr("donor.name")),
    ExportColumn("kind", attr("kind")),
    ExportColumn("announced_on", attr("announced_iso")),
    ExportColumn("announced_precision", attr("announced_precision")),
    ExportColumn("signed_on", attr("signed_iso")),
    ExportColumn("signed_precision", attr("signed_precision")),
    ExportColumn("period_start_year", attr("period_start_year")),
    ExportColumn("period_end_year", attr("period_end_year")),
    ExportColumn("amount", attr("amount")),
    ExportColumn("currency", attr("currency")),
    ExportColumn("qualifier", lambda r, q: r.qualifier if r.amount is not None else ""),
    ExportColumn("item_count", attr("item_count")),
    ExportColumn("summary", attr("summary")),
    ExportColumn("notes", attr("notes")),
    *MONEY_VALUE_COLUMNS,
    ExportColumn("headline_stage", lambda r, q: r.stage if r.amount is not None else ""),
    # The agreement's figures per stage (AgreementQuerySet.with_stage_values).
    *[
        ExportColumn(f"{stage}_{currency}", attr(f"{stage}_{currency}"))
        for currency in ("eur", "usd")
        for stage in Stage.values
    ],
]

DONOR_COLUMNS = [
    ExportColumn("slug", attr("slug")),
    ExportColumn("url", page_url),
    ExportColumn("name", attr("name")),
    ExportColumn("kind", attr("kind")),
    ExportColumn("iso_code", attr("iso_code")),
    ExportColumn("agreement_count", attr("agreement_count")),
    ExportColumn("item_count", attr("item_count")),
]


def neutralise(value):
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe.

    Numbers are left alone: -5 is a number, not a formula, and must stay one.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(value)


def json_value(value):
    if isinstance(value, Decimal):
        # As a string: a JSON number would pass through a float in most readers.
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value):
        return value


def records(queryset):
    # Chunked reads: a server-side cursor on PostgreSQL, batches on SQLite.
    return queryset.iterator(chunk_size=CHUNK_SIZE)


def csv_lines(columns, queryset, request):
    writer = csv.writer(Echo(), lineterminator="\r\n")
    yield writer.writerow([column.name for column in columns])
    try:
        for record in records(queryset):
            yield writer.writerow([csv_cell(column.value(record, request)) for column in columns])
    except Exception:
        # The 200 has gone out; say so in the file rather than end it silently short.
        logger.exception("CSV export stopped early")
        yield writer.writerow(["# ERROR: the export stopped early; this file is incomplete."])


def json_chunks(columns, queryset, request):
    yield "[\n"
    separator = ""
    try:
        for record in records(queryset):
            row = {column.name: json_value(column.value(record, request)) for column in columns}
            yield separator + json.dumps(row, ensure_ascii=False)
            separator = ",\n"
    except Exception:
        logger.exception("JSON export stopped early")
        error = {"error": "the export stopped early; this file is incomplete"}
        yield separator + json.dumps(error)
    yield "\n]\n"


def export_response(fmt, columns, queryset, request, basename):
    stamp = timezone.now().date().isoformat()
    if fmt == "csv":
        response = StreamingHttpResponse(
            csv_lines(columns, queryset, request), content_type="text/csv; charset=utf-8"
        )
    else:
        response = StreamingHttpResponse(
            json_chunks(columns, queryset, request), content_type="application/json"
        )
    response["Content-Disposition"] = f'attachment; filename="{basename}-{stamp}.{fmt}"'
    return response
