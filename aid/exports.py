"""CSV and JSON exports of a filtered table: streamed, chunked, and safe to open in a spreadsheet.

The column names below are a public contract (README, "Exports"): add columns at the end,
never rename or remove one without saying so in the changelog.

Each column has a Python value, and may have an SQL expression giving the same text. On
PostgreSQL, a CSV export whose columns all have one is written by the database with COPY
(aid/copy_export.py), byte for byte the file the Python writer makes; JSON, SQLite and
tables with a column lacking SQL take the Python writer.
"""

import csv
import json
import logging
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import chain

from django.db import connections
from django.db.models import F
from django.http import StreamingHttpResponse
from django.utils import timezone

from .choices import Stage
from .copy_export import (
    DateText,
    Neutralised,
    boolean_sql,
    column_expressions,
    copy_csv,
    iso_date_sql,
    url_sql,
    when_amount,
)
from .models import COUNTED, Agreement, LineItem

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000
# Cells starting with these are read as formulas by spreadsheets (CWE-1236).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportColumn:
    name: str
    value: object  # callable(record, request) -> str | int | Decimal | None
    # The same cell as an SQL expression yielding the text csv_cell writes (aid/copy_export.py):
    # an expression, a field path, or a callable(request) -> expression; None: Python only.
    sql: object = None


def text(path):
    """A text column in SQL, neutralised as csv_cell does it."""
    return Neutralised(F(path), prefixes=FORMULA_PREFIXES)


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


CENT = Decimal("0.01")


def cents(path):
    """A sum of money, to the cent on every database.

    SQLite hands back an aggregate as a number of its own making (977000000,
    209927225.230000, 56424012579.7800); the exports write every amount with two places.
    PostgreSQL's COPY gets the same from the annotation's cast to numeric(20, 2).
    """
    read = attr(path)

    def value(record, request):
        amount = read(record, request)
        return None if amount is None else Decimal(amount).quantize(CENT)

    return value


def page_url(record, request):
    return request.build_absolute_uri(record.get_absolute_url())


# Stand-in ids for the URL of one record, cut where they stand (copy_export.url_sql).
MARKERS = ("9876543210", "9876543211")


def absolute_url_sql(url, markers):
    # An absolute URL starts with its scheme, never with a formula prefix; if it ever did,
    # csv_cell would change it and the Python writer takes the export.
    return None if url.startswith(FORMULA_PREFIXES) else url_sql(url, markers)


def line_item_url_sql(request):
    agreement, item = MARKERS
    url = request.build_absolute_uri(
        LineItem(pk=int(item), agreement=Agreement(pk=int(agreement))).get_absolute_url()
    )
    return absolute_url_sql(url, {agreement: F("agreement_id"), item: F("pk")})


def agreement_url_sql(request):
    marker = MARKERS[0]
    url = request.build_absolute_uri(Agreement(pk=int(marker)).get_absolute_url())
    return absolute_url_sql(url, {marker: F("pk")})


# The normalised values of an amount and the ECB rates that gave them (aid/fx.py).
MONEY_VALUE_COLUMNS = [
    ExportColumn("value_eur", attr("value_eur"), "value_eur"),
    ExportColumn("value_usd", attr("value_usd"), "value_usd"),
    ExportColumn("ecb_currency_per_eur", attr("ecb_currency_per_eur"), "ecb_currency_per_eur"),
    ExportColumn("ecb_usd_per_eur", attr("ecb_usd_per_eur"), "ecb_usd_per_eur"),
    ExportColumn("rate_date", attr("rate_date"), DateText("rate_date", "YYYY-MM-DD")),
]


# A qualifier ("at least") means nothing without the amount it qualifies.
QUALIFIER_COLUMN = ExportColumn(
    "qualifier",
    lambda r, q: r.qualifier if r.amount is not None else "",
    when_amount(text("qualifier")),
)

# Like the qualifier, a basis (once, per year) belongs to an amount.
BASIS_COLUMN = ExportColumn(
    "basis", lambda r, q: r.basis if r.amount is not None else "", when_amount(text("basis"))
)

LINE_ITEM_COLUMNS = [
    ExportColumn("id", attr("pk"), "pk"),
    ExportColumn("url", page_url, line_item_url_sql),
    ExportColumn("description", attr("description"), text("description")),
    ExportColumn("donor_slug", attr("agreement.donor.slug"), text("agreement__donor__slug")),
    ExportColumn("donor_name", attr("agreement.donor.name"), text("agreement__donor__name")),
    ExportColumn("agreement_id", attr("agreement_id"), "agreement_id"),
    ExportColumn("agreement_title", attr("agreement.title"), text("agreement__title")),
    ExportColumn("agreement_kind", attr("agreement.kind"), text("agreement__kind")),
    ExportColumn("category_slug", attr("category.slug"), text("category__slug")),
    ExportColumn("category_name", attr("category.name"), text("category__name")),
    ExportColumn("quantity", attr("quantity"), "quantity"),
    ExportColumn("unit", attr("unit"), text("unit")),
    ExportColumn("amount", attr("amount"), "amount"),
    ExportColumn("currency", attr("currency"), text("currency")),
    QUALIFIER_COLUMN,
    ExportColumn("period_start_year", attr("period_start_year"), "period_start_year"),
    ExportColumn("period_end_year", attr("period_end_year"), "period_end_year"),
    ExportColumn("period_text", attr("period_text"), text("period_text")),
    ExportColumn("stage", attr("stage"), text("stage")),
    ExportColumn(
        "announced_on",
        attr("agreement.announced_iso"),
        iso_date_sql("agreement__announced_on", "agreement__announced_precision"),
    ),
    ExportColumn(
        "announced_precision",
        attr("agreement.announced_precision"),
        text("agreement__announced_precision"),
    ),
    ExportColumn("notes", attr("notes"), text("notes")),
    *MONEY_VALUE_COLUMNS,
    ExportColumn("part_of_id", attr("part_of_id"), "part_of_id"),
    # One rule, in SQL and in Python: aid/models.py, COUNTED and LineItem.is_counted.
    ExportColumn("counted", lambda r, q: r.is_counted, boolean_sql(COUNTED)),
    ExportColumn("aid_type", attr("aid_type"), text("aid_type")),
    BASIS_COLUMN,
]

AGREEMENT_COLUMNS = [
    ExportColumn("id", attr("pk"), "pk"),
    ExportColumn("url", page_url, agreement_url_sql),
    ExportColumn("title", attr("title"), text("title")),
    ExportColumn("donor_slug", attr("donor.slug"), text("donor__slug")),
    ExportColumn("donor_name", attr("donor.name"), text("donor__name")),
    ExportColumn("kind", attr("kind"), text("kind")),
    ExportColumn(
        "announced_on", attr("announced_iso"), iso_date_sql("announced_on", "announced_precision")
    ),
    ExportColumn("announced_precision", attr("announced_precision"), text("announced_precision")),
    ExportColumn("signed_on", attr("signed_iso"), iso_date_sql("signed_on", "signed_precision")),
    ExportColumn("signed_precision", attr("signed_precision"), text("signed_precision")),
    ExportColumn("period_start_year", attr("period_start_year"), "period_start_year"),
    ExportColumn("period_end_year", attr("period_end_year"), "period_end_year"),
    ExportColumn("amount", attr("amount"), "amount"),
    ExportColumn("currency", attr("currency"), text("currency")),
    QUALIFIER_COLUMN,
    # Annotations: AgreementQuerySet.with_item_count and, below, with_stage_values.
    ExportColumn("item_count", attr("item_count"), "item_count"),
    ExportColumn("summary", attr("summary"), text("summary")),
    ExportColumn("notes", attr("notes"), text("notes")),
    *MONEY_VALUE_COLUMNS,
    ExportColumn(
        "headline_stage",
        lambda r, q: r.stage if r.amount is not None else "",
        when_amount(text("stage")),
    ),
    # The agreement's military figures per stage (AgreementQuerySet.with_stage_values).
    *[
        ExportColumn(f"{stage}_{currency}", cents(f"{stage}_{currency}"), f"{stage}_{currency}")
        for currency in ("eur", "usd")
        for stage in Stage.values
    ],
    # The headline amount's aid type and basis: empty without a headline amount.
    ExportColumn(
        "aid_type",
        lambda r, q: r.aid_type if r.amount is not None else "",
        when_amount(text("aid_type")),
    ),
    BASIS_COLUMN,
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


def csv_writer():
    return csv.writer(Echo(), lineterminator="\r\n")


def csv_error_line(writer):
    return writer.writerow(["# ERROR: the export stopped early; this file is incomplete."])


# Each writer below runs its query, and reads the first rows, before it yields its first
# line: export_response takes that line in the view (Started), so a query that fails at
# once fails before the 200. What fails after the first line is logged as an error and
# said at the end of the file, which a reader has already begun to receive.


def csv_lines(columns, queryset, request):
    """The CSV written in Python, one record at a time."""
    writer = csv_writer()
    rows = records(queryset)
    with closing(rows):
        first = next(rows, None)
        yield writer.writerow([column.name for column in columns])
        if first is None:
            return
        try:
            for record in chain([first], rows):
                yield writer.writerow(
                    [csv_cell(column.value(record, request)) for column in columns]
                )
        except Exception:
            logger.exception("CSV export stopped early")
            yield csv_error_line(writer)


def copy_expressions(fmt, columns, queryset, request):
    """The columns' SQL when PostgreSQL can write this export with COPY, else None."""
    if fmt != "csv" or connections[queryset.db].vendor != "postgresql":
        return None
    return column_expressions(columns, request)


def csv_copy_lines(columns, queryset, expressions):
    """The same CSV as csv_lines, written by PostgreSQL (aid/copy_export.py)."""
    writer = csv_writer()
    chunks = copy_csv(queryset, expressions, CHUNK_SIZE)
    with closing(chunks):
        first = next(chunks, None)
        yield writer.writerow([column.name for column in columns])
        if first is None:
            return
        yield first
        try:
            yield from chunks
        except Exception:
            logger.exception("CSV export (COPY) stopped early")
            yield csv_error_line(writer)


def json_chunks(columns, queryset, request):
    rows = records(queryset)
    with closing(rows):
        first = next(rows, None)
        yield "[\n"
        separator = ""
        if first is not None:
            try:
                for record in chain([first], rows):
                    row = {
                        column.name: json_value(column.value(record, request)) for column in columns
                    }
                    yield separator + json.dumps(row, ensure_ascii=False)
                    separator = ",\n"
            except Exception:
                logger.exception("JSON export stopped early")
                error = {"error": "the export stopped early; this file is incomplete"}
                yield separator + json.dumps(error)
        yield "\n]\n"


class Started:
    """A generator run up to its first item, now; iterating it goes on from there.

    Whatever the generator does before its first yield (an export: its query) happens
    in the view, where a failure is still an error page rather than a broken download.
    """

    def __init__(self, generator):
        self.generator = generator
        self.first = [next(generator)]

    def __iter__(self):
        return self

    def __next__(self):
        if self.first:
            return self.first.pop()
        return next(self.generator)

    def close(self):
        # Called by the server when the response ends or the reader leaves: the query's
        # cursor (or COPY) is closed at once, not whenever the generator is collected.
        self.generator.close()


def export_response(fmt, columns, queryset, request, basename):
    stamp = timezone.now().date().isoformat()
    expressions = copy_expressions(fmt, columns, queryset, request)
    csv_type = "text/csv; charset=utf-8"
    if expressions is not None:
        lines, content_type = csv_copy_lines(columns, queryset, expressions), csv_type
    elif fmt == "csv":
        lines, content_type = csv_lines(columns, queryset, request), csv_type
    else:
        lines, content_type = json_chunks(columns, queryset, request), "application/json"
    # The query runs here, in the view: see Started.
    response = StreamingHttpResponse(Started(lines), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{basename}-{stamp}.{fmt}"'
    return response
