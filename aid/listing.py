"""The one base view behind every public table.

A list view declares its queryset, FilterSet, Table and export columns; this
module does the rest the same way for all of them: filters from the URL, a
whitelisted sort, forgiving paging, facet counts, a sentence saying what is
shown, totals, and the CSV/JSON export of exactly the filtered, sorted set.
"""

from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponseBadRequest
from django.utils.text import capfirst
from django.views.generic import TemplateView

from .exports import export_response
from .totals import CURRENCIES

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
EXPORT_FORMATS = ("csv", "json")


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    label: str
    options: list = field(default_factory=list)
    errors: list = field(default_factory=list)


def requested_currency(request):
    """The currency a reader asked totals in, EUR by default; (currency, problem or None)."""
    asked = request.GET.get("currency", "EUR").upper()
    if asked in CURRENCIES:
        return asked, None
    return "EUR", f"currency: use EUR or USD; showing EUR, not “{asked[:10]}”."


def bounded_int(raw, default, low, high):
    """An integer from the URL, clamped to [low, high]; (value, problem or None)."""
    if raw in (None, ""):
        return default, None
    try:
        value = int(raw)
    except ValueError:
        return default, f"“{raw[:20]}” is not a whole number"
    if value < low:
        return low, f"{value} is below {low}"
    if value > high:
        return high, f"{value} is above {high}"
    return value, None


class LedgerListView(TemplateView):
    """Base for the public tables; subclasses only declare."""

    template_name = "aid/list.html"
    queryset = None
    filterset_class = None
    table_class = None
    export_columns = None
    export_basename = None
    noun = None  # (singular, plural)
    title = None
    intro = ""

    def get_queryset(self):
        return self.queryset.all()

    def get(self, request, *args, **kwargs):
        filterset = self.filterset_class(request.GET, queryset=self.get_queryset())
        queryset = filterset.qs
        # No request here: django-tables2 would paginate from the raw URL itself.
        table = self.table_class(queryset)

        sort = request.GET.get("sort", "")
        if sort:
            allowed = self.sortable_columns(table)
            if sort.removeprefix("-") not in allowed:
                return HttpResponseBadRequest(
                    f"Unknown sort column “{sort[:50]}”. Sort by one of: "
                    f"{', '.join(sorted(allowed))}, with a leading - for descending.",
                    content_type="text/plain; charset=utf-8",
                )
            table.order_by = sort

        export = request.GET.get("_export")
        if export is not None:
            return self.export(export, filterset, table)

        per_page, per_page_problem = bounded_int(
            request.GET.get("per_page"), DEFAULT_PER_PAGE, 1, MAX_PER_PAGE
        )
        paginator = Paginator(table.rows, per_page)
        # Set before counting: django-tables2 then counts with COUNT(*) instead of
        # len(), which would load every filtered row (bench/README.md).
        table.paginator = paginator
        page_number, page_problem = bounded_int(
            request.GET.get("page"), 1, 1, max(paginator.num_pages, 1)
        )
        table.page = paginator.page(page_number)

        currency, currency_problem = requested_currency(request)
        notices = [currency_problem] if currency_problem else []
        if per_page_problem:
            notices.append(f"per_page: {per_page_problem}; showing {per_page} per page.")
        if page_problem:
            notices.append(f"page: {page_problem}; showing page {page_number}.")

        context = self.get_context_data(
            filterset=filterset,
            table=table,
            count=paginator.count,
            facets=self.facets(filterset),
            sentence=self.sentence(filterset, paginator.count),
            currency=currency,
            totals=self.totals(queryset, currency),
            notices=notices,
            export_links=self.export_links(request),
            title=self.title,
            intro=self.intro,
        )
        return self.render_to_response(context)

    # Sorting -----------------------------------------------------------------

    @staticmethod
    def sortable_columns(table):
        return {column.name for column in table.columns if column.orderable}

    # Export ------------------------------------------------------------------

    def export(self, fmt, filterset, table):
        if fmt not in EXPORT_FORMATS:
            return HttpResponseBadRequest(
                f"Unknown export format “{fmt[:20]}”: use _export=csv or _export=json.",
                content_type="text/plain; charset=utf-8",
            )
        if filterset.errors:
            # An export that silently ignored a filter would not hold what was asked for.
            problems = "; ".join(
                f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items()
            )
            return HttpResponseBadRequest(
                f"The filters are not valid, so nothing was exported. {problems}",
                content_type="text/plain; charset=utf-8",
            )
        queryset = self.export_queryset(table.data.data)
        return export_response(
            fmt, self.export_columns, queryset, self.request, self.export_basename
        )

    def export_queryset(self, queryset):
        """The rows to export: the table's filtered, sorted queryset, and what only exports need."""
        return queryset

    def export_links(self, request):
        params = request.GET.copy()
        for name in ("page", "per_page", "_export", "currency"):
            params.pop(name, None)
        links = {}
        for fmt in EXPORT_FORMATS:
            params["_export"] = fmt
            links[fmt] = f"?{params.urlencode()}"
        return links

    # Facets ------------------------------------------------------------------

    def facets(self, filterset):
        """For each facet filter, how many records each value would give.

        Counted with every other active filter applied but not the facet's own, so
        a reader sees what ticking one more value adds (values of one filter combine with OR).
        """
        facets = []
        for name in filterset.facet_names:
            filter_ = filterset.filters.get(name)
            if filter_ is None:
                continue
            data = self.request.GET.copy()
            data.pop(name, None)
            others = self.filterset_class(data, queryset=self.get_queryset()).qs
            path = filter_.field_name
            counts = dict(
                others.order_by()
                .values_list(path)
                .annotate(n=Count("pk", distinct=True))
                .values_list(path, "n")
            )
            selected = set(self.request.GET.getlist(name))
            facet = Facet(
                name=name,
                label=str(filter_.label),
                errors=list(filterset.errors.get(name, [])),
            )
            for value, label in self.facet_choices(filter_, self.request):
                facet.options.append(
                    FacetOption(value, label, counts.get(value, 0), value in selected)
                )
            facets.append(facet)
        return facets

    @staticmethod
    def facet_choices(filter_, request):
        if filter_.extra.get("to_field_name"):
            return [(obj.slug, str(obj)) for obj in filter_.get_queryset(request)]
        return list(filter_.extra["choices"])

    # What is shown -----------------------------------------------------------

    def sentence(self, filterset, count):
        """ "3 line items from Belgium, in Aircraft, at stage Committed, matching “jets”"."""
        singular, plural = self.noun
        parts = [f"{count:,} {singular if count == 1 else plural}"]
        data = filterset.form.cleaned_data if filterset.is_bound else {}
        for name, prefix in (
            ("donor", "from"),
            ("category", "in"),
            ("kind", "of kind"),
            ("stage", "at stage"),
        ):
            if data.get(name):
                parts.append(f"{prefix} {self.describe(filterset.filters[name], data[name])}")
        if data.get("agreement"):
            parts.append(f"in agreement {data['agreement']}")
        dates = data.get("date")
        start = dates.start.date().isoformat() if dates and dates.start else None
        stop = dates.stop.date().isoformat() if dates and dates.stop else None
        if start and stop:
            parts.append(f"announced between {start} and {stop}")
        elif start or stop:
            parts.append(f"announced on or {'after ' + start if start else 'before ' + stop}")
        if data.get("q"):
            parts.append(f"matching “{data['q']}”")
        return capfirst(
            ", ".join([" ".join(parts[:2])] + parts[2:]) if len(parts) > 1 else parts[0]
        )

    @staticmethod
    def describe(filter_, values):
        """Selected values by name: model instances print their name, choices their label."""
        labels = dict(filter_.extra.get("choices", ()))
        return " or ".join(str(labels.get(value, value)) for value in values)

    def totals(self, queryset, currency):
        return []
