"""The one base view behind every public table.

A list view declares its queryset, FilterSet, Table and export columns; this
module does the rest the same way for all of them: filters from the URL, a
whitelisted sort, forgiving paging, facet counts, a sentence saying what is
shown, totals, and the CSV/JSON export of exactly the filtered, sorted set.
"""

import logging
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import Count, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpResponseBadRequest
from django.utils import translation
from django.utils.html import conditional_escape, format_html, strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.generic import TemplateView
from django_tables2.rows import BoundRow

from .aside import Aside
from .caching import dont_keep_page, shared
from .choices import Precision
from .dates import format_date
from .exports import export_response
from .filtersets import SlugFilter, applies
from .money import format_money
from .totals import CURRENCIES

logger = logging.getLogger(__name__)

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
# The deepest row a page reaches (Datasette and search engines stop paging too); the
# exports hold every row. 200 pages of 50.
MAX_PAGED_ROWS = 10_000
EXPORT_FORMATS = ("csv", "json")
# Datasette's rule: a facet that takes longer than this shows no counts rather than
# holding up the page (PostgreSQL only; elsewhere facets are always counted).
FACET_TIME_LIMIT_MS = 200
# A whole table's facets are counted once per data version and shared by every reader
# (aid/caching.py), so they get longer: at 10 million line items one takes 1–2 s.
WHOLE_TABLE_FACET_TIME_LIMIT_MS = 5_000


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
    timed_out: bool = False


@dataclass
class Summary:
    """What a list view says about its whole filtered set, however it was counted."""

    count: int
    totals: object = ()
    # Records per value of a facet, when the view counted them along the way.
    facet_counts: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def fill(pattern, **values):
    """The translated `pattern` with its %(name)s placeholders filled, as safe HTML: the
    pattern and plain values escaped, HTML values (a name marked lang="en") kept."""
    escaped = {name: conditional_escape(value) for name, value in values.items()}
    return mark_safe(conditional_escape(str(pattern)) % escaped)  # noqa: S308 (all escaped)


def joined(separator, parts):
    return mark_safe(conditional_escape(separator).join(conditional_escape(p) for p in parts))  # noqa: S308


def verbatim(text):
    """A record's own words inside a sentence, marked as in their language (English)."""
    return format_html('<span lang="en">{}</span>', text)


def describe(filterset):
    """What the filters that apply keep, one phrase each, in a reader's words (safe HTML:
    a donor's name is marked as in its own language).

    Only what applies is described: a bad value is reported beside its filter, never
    described as if it applied.
    """
    data = filterset.form.cleaned_data if filterset.is_bound else {}
    phrases = []
    for name, phrase in (
        ("donor", _("from %(values)s")),
        ("category", _("in %(values)s")),
        ("kind", _("of kind %(values)s")),
        ("stage", _("at stage %(values)s")),
        ("aid_type", _("of aid type %(values)s")),
    ):
        if data.get(name):
            values = either(filterset.filters[name], data[name], names=name == "donor")
            phrases.append(fill(phrase, values=values))
    if data.get("agreement") is not None:
        phrases.append(fill(_("in agreement %(id)s"), id=data["agreement"]))
    dates = data.get("date")
    start = format_day(dates.start) if dates and dates.start else None
    stop = format_day(dates.stop) if dates and dates.stop else None
    if start and stop:
        phrases.append(fill(_("announced between %(start)s and %(stop)s"), start=start, stop=stop))
    elif start:
        phrases.append(fill(_("announced on or after %(start)s"), start=start))
    elif stop:
        phrases.append(fill(_("announced on or before %(stop)s"), stop=stop))
    low, high = data.get("min_eur"), data.get("max_eur")
    low = None if low is None else format_money(low, "EUR")
    high = None if high is None else format_money(high, "EUR")
    if low is not None and high is not None:
        phrases.append(fill(_("worth between %(low)s and %(high)s"), low=low, high=high))
    elif low is not None:
        phrases.append(fill(_("worth at least %(low)s"), low=low))
    elif high is not None:
        phrases.append(fill(_("worth at most %(high)s"), high=high))
    if data.get("q"):
        phrases.append(fill(_("matching “%(text)s”"), text=data["q"]))
    return phrases


def applied_count(filterset):
    """How many values the filters apply (a donor and two categories: 3)."""
    if not filterset.is_bound:
        return 0
    values = [value for value in filterset.form.cleaned_data.values() if applies(value)]
    return sum(len(v) if isinstance(v, QuerySet | list | tuple) else 1 for v in values)


def filter_problems(filterset):
    """(filter label, its problems) for each filter with an invalid value: shown by the results."""
    return [
        (
            str(filterset.filters[name].label) if name in filterset.filters else name,
            joined(" ", errors),
        )
        for name, errors in filterset.errors.items()
    ]


def either(filter_, values, names=False):
    """Selected values by name: model instances print their name, choices their label.

    names: the values are records' own names (donors), marked as in their language.
    """
    labels = dict(filter_.extra.get("choices", ()))
    shown = [str(labels.get(value, value)) for value in values]
    return joined(_(" or "), [verbatim(name) for name in shown] if names else shown)


def join_conditions(things, phrases):
    """ "2 line items from Spain, in Aircraft": what is counted, then what keeps it."""
    if not phrases:
        return things
    return fill(
        _("%(things)s %(conditions)s"),
        things=things,
        conditions=joined(pgettext("between conditions", ", "), phrases),
    )


def format_day(moment):
    """A filter's bound (a datetime at the start or end of its day) as a reader's date."""
    return format_date(moment.date(), Precision.DAY)


def option_facets(filterset, names, request):
    """The options of these filters as checkboxes, without counts (the overview's filters)."""
    facets = []
    for name in names:
        filter_ = filterset.filters[name]
        selected = set(request.GET.getlist(name))
        facet = Facet(name=name, label=str(filter_.label), errors=filterset.errors.get(name, []))
        for value, label, _pk in LedgerListView.facet_choices(filter_, request):
            facet.options.append(FacetOption(value, label, None, value in selected))
        facets.append(facet)
    return facets


def crosses_many(model, path):
    """Whether a lookup path goes through a to-many relation (so rows can repeat)."""
    for part in path.split(LOOKUP_SEP):
        try:
            relation = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if relation.many_to_many or relation.one_to_many:
            return True
        if not relation.is_relation:
            return False
        model = relation.related_model
    return False


def all_counted(facets):
    """Whether every facet was counted in time."""
    return not any(facet.timed_out for facet in facets)


def within_time_limit(milliseconds, run, *args, using=DEFAULT_DB_ALIAS):
    """run(*args), or None when PostgreSQL cancels its queries after `milliseconds`.

    `using`: the database the queries read (the replica's, for a public page that reads
    from one). The limit is local to a transaction (or a savepoint, when cancelled), so it
    never outlives the queries it was set for.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return run(*args)
    # Outside a transaction the commit ends the limit; inside one, it is lifted by hand.
    nested = connection.in_atomic_block
    try:
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true)", [str(milliseconds)]
                )
            result = run(*args)
            if nested:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
            return result
    except DatabaseError as error:
        if getattr(error.__cause__, "sqlstate", None) != "57014":  # query_canceled
            raise
        logger.info("Facet query stopped after %s ms", milliseconds)
        return None


def in_language(language, chunks):
    """Streamed chunks, each made with `language` active."""
    with translation.override(language):
        yield from chunks


def requested_currency(request):
    """The currency a reader asked totals in, EUR by default; (currency, problem or None)."""
    asked = request.GET.get("currency", "EUR").upper()
    if asked in CURRENCIES:
        return asked, None
    return "EUR", _("currency: use EUR or USD; showing EUR, not “%(asked)s”.") % {
        "asked": asked[:10]
    }


def bounded_int(raw, default, low, high):
    """An integer from the URL, clamped to [low, high]; (value, problem or None).

    A number beyond any column's range is read (Python's int is unbounded) and clamped
    before it goes near a query; the problem quotes at most 20 characters of what was given.
    """
    if raw in (None, ""):
        return default, None
    shown = raw if len(raw) <= 20 else f"{raw[:20]}…"
    try:
        value = int(raw)
    except ValueError:  # not a number, or more than the 4,300 digits int() reads from text
        return default, _("“%(raw)s” is not a whole number") % {"raw": shown}
    if value < low:
        return low, _("%(value)s is below %(low)s") % {"value": shown, "low": low}
    if value > high:
        return high, _("%(value)s is above %(high)s") % {"value": shown, "high": high}
    return value, None


class LedgerListView(TemplateView):
    """Base for the public tables; subclasses only declare."""

    template_name = "aid/list.html"
    queryset = None
    filterset_class = None
    table_class = None
    export_columns = None
    export_basename = None
    # ngettext_lazy("%(number)s row", "%(number)s rows", "count"): the count chooses the form.
    noun = None
    title = None
    intro = ""
    # Facets that summarise() counts along the way (Summary.facet_counts) while their own
    # filter is unused: they need no query of their own.
    summary_facets = ()

    def get_queryset(self):
        return self.queryset.all()

    def get_facet_queryset(self):
        """What facets count: the queryset without annotations that join (and repeat) rows."""
        return self.get_queryset()

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
                    _(
                        "Unknown sort column “%(sort)s”. Sort by one of: %(columns)s, with a "
                        "leading - for descending."
                    )
                    % {"sort": sort[:50], "columns": ", ".join(sorted(allowed))},
                    content_type="text/plain; charset=utf-8",
                )
            table.order_by = sort

        export = request.GET.get("_export")
        if export is not None:
            return self.export(export, filterset, table)

        per_page, per_page_problem = bounded_int(
            request.GET.get("per_page"), DEFAULT_PER_PAGE, 1, MAX_PER_PAGE
        )
        currency, currency_problem = requested_currency(request)
        whole_table = self.is_whole_table(filterset)
        if whole_table:
            # The same for every unfiltered request until the data changes: shared by every
            # app server, keyed by the data version (aid/caching.py).
            summary = shared(
                request,
                f"{type(self).__name__}:summary:{currency}",
                lambda: self.summarise(queryset, currency),
            )
        else:
            # The facets' counts run aside, on their own connections, while the summary
            # is counted here: the page waits for the slowest, not for their sum.
            counting = self.count_facets_aside(filterset)
            summary = self.summarise(queryset, currency)
        paginator = Paginator(table.rows, per_page)
        # Counted already: the paginator must not count again, nor let django-tables2
        # count with len(), which would load every filtered row (bench/README.md).
        # Pages reach the first MAX_PAGED_ROWS rows only: a deeper page costs time in
        # proportion to its depth (the database skips every row before it).
        paginator.count = min(summary.count, MAX_PAGED_ROWS)
        table.paginator = paginator
        page_number, page_problem = bounded_int(
            request.GET.get("page"), 1, 1, max(paginator.num_pages, 1)
        )
        table.page = self.page(table, paginator, page_number)

        notices = [currency_problem] if currency_problem else []
        if per_page_problem:
            notices.append(
                _("per_page: %(problem)s; showing %(number)s per page.")
                % {"problem": per_page_problem, "number": per_page}
            )
        if page_problem:
            notices.append(
                _("page: %(problem)s; showing page %(number)s.")
                % {"problem": page_problem, "number": page_number}
            )
        if summary.count > MAX_PAGED_ROWS:
            notices.append(
                _(
                    "Pages go as far as the first %(shown)s of these %(count)s rows. Narrow "
                    "the filters or reverse the sort to reach the others, or download them all."
                )
                % {"shown": intcomma(MAX_PAGED_ROWS), "count": intcomma(summary.count)}
            )

        facets = (
            shared(
                request,
                f"{type(self).__name__}:facets",
                lambda: self.facets(filterset, summary, whole_table=True),
                # A facet out of time is counted again by the next request.
                keep=all_counted,
            )
            if whole_table
            else self.facets(filterset, summary, counting=counting)
        )
        if not all_counted(facets):
            # Nor is the page kept without them (aid/caching.py).
            dont_keep_page(request)
        context = self.get_context_data(
            filterset=filterset,
            table=table,
            count=summary.count,
            facets=facets,
            sentence=self.sentence(filterset, summary.count),
            currency=currency,
            totals=summary.totals,
            **summary.extra,
            notices=notices,
            problems=filter_problems(filterset),
            applied=applied_count(filterset),
            open_filters=bool(filterset.errors),
            default_per_page=DEFAULT_PER_PAGE,
            export_links=self.export_links(request),
            title=self.title,
            intro=self.intro,
        )
        return self.render_to_response(context)

    @staticmethod
    def is_whole_table(filterset):
        """No filter narrows the table: its summary and facets are the whole table's.

        A partly invalid filter (`donor=belgum&donor=spain`) narrows it: Spain applies. One
        with any invalid value is not served from the shared cache either: its facets carry
        the error, which another reader's page must not show.
        """
        return not filterset.errors and not filterset.narrows()

    # Paging ------------------------------------------------------------------

    def page(self, table, paginator, number):
        """One page of rows, fetched as a deferred join.

        First the page's ids, in the table's order: a narrow query the planner can
        sort and skip through from an index, however deep the page. Then those rows
        with their related records, by primary key. One query that joined first and
        sorted after would join every filtered row to reach fifty (bench/README.md).
        """
        page = paginator.page(number)
        bottom = (number - 1) * paginator.per_page
        ordered = table.data.data.values_list("pk", flat=True)
        ids = list(ordered[bottom : bottom + paginator.per_page])
        records = self.get_queryset().filter(pk__in=ids).in_bulk()
        page.object_list = [BoundRow(records[pk], table=table) for pk in ids if pk in records]
        return page

    # Sorting -----------------------------------------------------------------

    @staticmethod
    def sortable_columns(table):
        return {column.name for column in table.columns if column.orderable}

    # Export ------------------------------------------------------------------

    def export(self, fmt, filterset, table):
        if fmt not in EXPORT_FORMATS:
            return HttpResponseBadRequest(
                _("Unknown export format “%(format)s”: use _export=csv or _export=json.")
                % {"format": fmt[:20]},
                content_type="text/plain; charset=utf-8",
            )
        if filterset.errors:
            # An export that silently ignored a filter would not hold what was asked for.
            problems = "; ".join(
                f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items()
            )
            return HttpResponseBadRequest(
                _("The filters are not valid, so nothing was exported. %(problems)s")
                % {"problems": strip_tags(problems)},
                content_type="text/plain; charset=utf-8",
            )
        queryset = self.export_queryset(table.data.data)
        # Exports are data, never localised: the same bytes from /uk/ as from the English
        # page (its links to records included), whatever is still to be streamed.
        with translation.override(settings.LANGUAGE_CODE):
            response = export_response(
                fmt, self.export_columns, queryset, self.request, self.export_basename
            )
        response.streaming_content = in_language(settings.LANGUAGE_CODE, response.streaming_content)
        return response

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

    def count_facets_aside(self, filterset):
        """{facet name: (its choices, the Aside counting it)} for each facet that needs a
        query of its own: its count starts now, on another connection (aid/aside.py)."""
        using = self.get_facet_queryset().db
        counting = {}
        for name in filterset.facet_names:
            filter_ = filterset.filters.get(name)
            if filter_ is None or self.summary_counts(name):
                continue
            choices = self.facet_choices(filter_, self.request)
            count = partial(
                within_time_limit,
                FACET_TIME_LIMIT_MS,
                self.facet_counter(filterset, name, choices),
                using=using,
            )
            counting[name] = (choices, Aside(using, count))
        return counting

    def summary_counts(self, name):
        """Whether the summary counts this facet (its own filter unused)."""
        return name in self.summary_facets and not self.request.GET.getlist(name)

    def facets(self, filterset, summary, whole_table=False, counting=None):
        """For each facet filter, how many records each value would give.

        Counted with every other active filter applied but not the facet's own, so
        a reader sees what ticking one more value adds (values of one filter combine with OR).
        A facet the summary counted already (its filter unused) costs no query; the others
        get FACET_TIME_LIMIT_MS each and show no counts when they run out. A whole table's
        counts are shared by every reader and language until the data changes, and get
        WHOLE_TABLE_FACET_TIME_LIMIT_MS.
        """
        facets = []
        for name in filterset.facet_names:
            filter_ = filterset.filters.get(name)
            if filter_ is None:
                continue
            if counting and name in counting:
                choices, aside = counting[name]
                counts = aside.result()
                facets.append(self.facet(filterset, name, choices, counts))
                continue
            choices = self.facet_choices(filter_, self.request)
            if name in summary.facet_counts and not self.request.GET.getlist(name):
                counts = summary.facet_counts[name]
            elif whole_table:
                counts = shared(
                    self.request,
                    f"{type(self).__name__}:facet-counts:{name}",
                    partial(
                        within_time_limit,
                        WHOLE_TABLE_FACET_TIME_LIMIT_MS,
                        self.facet_counter(filterset, name, choices),
                        using=self.get_facet_queryset().db,
                    ),
                    keep=lambda counts: counts is not None,
                    per_language=False,
                )
            else:
                counts = within_time_limit(
                    FACET_TIME_LIMIT_MS,
                    self.facet_counter(filterset, name, choices),
                    using=self.get_facet_queryset().db,
                )
            facets.append(self.facet(filterset, name, choices, counts))
        return facets

    def facet(self, filterset, name, choices, counts):
        """A facet's options with their counts (None: it ran out of time)."""
        selected = set(self.request.GET.getlist(name))
        facet = Facet(
            name=name,
            label=str(filterset.filters[name].label),
            errors=list(filterset.errors.get(name, [])),
            timed_out=counts is None,
        )
        for value, label, _pk in choices:
            count = None if counts is None else counts.get(value, 0)
            facet.options.append(FacetOption(value, label, count, value in selected))
        return facet

    def facet_counter(self, filterset, name, choices):
        """A function giving {value in the URL: records}, grouped by the foreign key itself
        where there is one. Its query is built here, in the request's thread; the function
        only runs it (aside, on another connection, for a filtered page)."""
        filter_ = filterset.filters[name]
        filterset.is_valid()
        others = filterset.facet_base(name, self.get_facet_queryset()).order_by()
        path = filter_.field_name
        by_id = isinstance(filter_, SlugFilter) and not filter_.method
        if by_id:
            path = path.removesuffix("__slug")  # no join to the donor or category table
        # A path through a to-many relation (agreements by their items' category) can
        # meet one record more than once; count each once there. Elsewhere COUNT(*), not
        # COUNT(id): it reads no column, so a covering index answers alone (the id is not
        # in it), 3 times faster at a million line items (bench/README.md).
        many = crosses_many(others.model, path)
        counter = Count("pk", distinct=True) if many else Count("*")
        rows = others.values_list(path).annotate(n=counter).values_list(path, "n")
        slugs = {pk: value for value, _, pk in choices} if by_id else None

        def count():
            if slugs is not None:
                return {slugs.get(pk): n for pk, n in rows}
            return dict(rows)

        return count

    @staticmethod
    def facet_choices(filter_, request):
        """(value in the URL, label, primary key or None) for each option."""
        if filter_.extra.get("to_field_name"):
            return [(obj.slug, str(obj), obj.pk) for obj in filter_.get_queryset(request)]
        return [(value, label, None) for value, label in filter_.extra["choices"]]

    # What is shown -----------------------------------------------------------

    def sentence(self, filterset, count):
        """ "3 line items from Belgium, in Aircraft, at stage Committed, matching “jets”"."""
        things = self.noun % {"count": count, "number": intcomma(count)}
        # Safe: escaped by join_conditions; capfirst changes the first letter only.
        return mark_safe(capfirst(join_conditions(things, describe(filterset))))  # noqa: S308

    def summarise(self, queryset, currency):
        """The filtered set's count and totals; views that can, count more in one query."""
        return Summary(count=queryset.count(), totals=self.totals(queryset, currency))

    def totals(self, queryset, currency):
        return []
