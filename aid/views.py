"""Public, read-only pages. List views only declare; LedgerListView does the work.

Every query here starts from .published(): a draft never reaches a reader.
"""

from django.core.paginator import Paginator
from django.http import QueryDict
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy
from django.views.generic import DetailView, TemplateView

from . import charts, exports, glossary
from .caching import shared
from .choices import AidType, Basis, Precision, Qualifier, Stage
from .corrections import CorrectionsLog
from .filtersets import AgreementFilterSet, DonorFilterSet, LineItemFilterSet
from .listing import (
    DEFAULT_PER_PAGE,
    LedgerListView,
    Summary,
    bounded_int,
    describe,
    filter_problems,
    join_conditions,
    option_facets,
    requested_currency,
)
from .models import Agreement, Category, Donor, LineItem, Source
from .rendering import render_document, source_format
from .tables import AgreementTable, DonorTable, LineItemTable
from .totals import figure_totals, item_summary, item_totals


class LineItemListView(LedgerListView):
    queryset = LineItem.objects.published().with_related()
    filterset_class = LineItemFilterSet
    table_class = LineItemTable
    export_columns = exports.LINE_ITEM_COLUMNS
    export_basename = "line-items"
    noun = ngettext_lazy("%(number)s line item", "%(number)s line items", "count")
    title = gettext_lazy("Line items")
    intro = gettext_lazy(
        "One row for each thing an agreement promises: money, equipment, training."
    )
    summary_facets = ("stage", "aid_type")

    def summarise(self, queryset, currency):
        summary = item_summary(queryset, currency)
        return Summary(
            count=summary.count,
            totals=summary.totals,
            facet_counts={"stage": summary.by_stage, "aid_type": summary.by_aid_type},
            extra={"uncounted": summary.uncounted},
        )


class AgreementListView(LedgerListView):
    queryset = Agreement.objects.published().with_related().with_item_count()
    filterset_class = AgreementFilterSet
    table_class = AgreementTable
    export_columns = exports.AGREEMENT_COLUMNS
    export_basename = "agreements"
    noun = ngettext_lazy("%(number)s agreement", "%(number)s agreements", "count")
    title = gettext_lazy("Agreements")
    intro = gettext_lazy(
        "Pledge instruments: security agreements, aid packages, financings and funds."
    )

    def totals(self, queryset, currency):
        return figure_totals(queryset, currency)

    def export_queryset(self, queryset):
        return queryset.with_stage_values()


class DonorListView(LedgerListView):
    queryset = Donor.objects.public().with_counts()
    filterset_class = DonorFilterSet
    table_class = DonorTable
    export_columns = exports.DONOR_COLUMNS
    export_basename = "donors"
    noun = ngettext_lazy("%(number)s donor", "%(number)s donors", "count")
    title = gettext_lazy("Donors")
    intro = gettext_lazy("Countries and institutions that have pledged military aid.")

    def get_facet_queryset(self):
        return Donor.objects.public()


class AgreementDetailView(DetailView):
    queryset = Agreement.objects.published().for_page()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = Agreement.objects.filter(pk=self.object.pk)
        context["currency"] = requested_currency(self.request)[0]
        context["totals"] = figure_totals(agreement, context["currency"])
        return context


class DonorDetailView(DetailView):
    """A donor: its counts, totals and charts, and its latest agreements.

    The figures are computed once per data version (aid/caching.py): at a million line items
    a large donor's totals and charts read a tenth of them. The list stops at the latest
    LATEST agreements, with a link to all of them in the agreements' table (filterable,
    paged, exportable) — a page of every agreement would grow with the data.
    """

    queryset = Donor.objects.public()
    LATEST = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        donor = self.object
        agreements = Agreement.objects.published().filter(donor=donor)
        currency = requested_currency(self.request)[0]

        def figures():
            return {
                "agreement_count": agreements.count(),
                "item_count": LineItem.objects.published().filter(donor=donor).count(),
                "totals": figure_totals(agreements, currency),
                "charts": charts.for_agreements(agreements, currency, by_donor=False),
            }

        context.update(shared(self.request, f"donor:{donor.pk}:{currency}", figures))
        latest = agreements.with_item_count().order_by("-announced_on", "pk")[: self.LATEST]
        context.update(currency=currency, agreements=latest, latest=self.LATEST)
        return context


class SourceDetailView(DetailView):
    """A source's stored text with every checked passage highlighted and anchored.

    Passages not found in the text (checked before the text was stored, or never
    found) are listed apart, marked as not verified, each with its anchor too.
    """

    # A source cited only by drafts is not public yet: 404.
    queryset = Source.objects.public()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        citations = list(
            self.object.citations.filter(agreement__in=Agreement.objects.published())
            .select_related("agreement", "line_item")
            .order_by("start", "pk")
        )
        checked = [citation for citation in citations if citation.is_checked]
        context.update(
            citations=citations,
            checked=checked,
            unverified=[citation for citation in citations if not citation.is_checked],
            # Markdown and HTML read as documents, each checked passage highlighted where
            # its stored offsets put it (aid/rendering.py).
            document=(
                render_document(self.object.text, source_format(self.object), checked)
                if self.object.text
                else ""
            ),
        )
        return context


# The filters the overview offers: the tables' parameters, with the tables' meaning.
OVERVIEW_FILTERS = ("donor", "category", "date_after", "date_before")
# A filtered overview names its donors, up to this many.
DONORS_NAMED = 8
# ...and the packages a category filter cannot split, up to this many.
PACKAGES_NAMED = 10


def unsplit_packages(agreements):
    """The packages priced only as a whole among these: the newest by name, and how many."""
    packages = agreements.filter(amount__isnull=False)
    named = list(packages.order_by("-announced_on", "pk")[:PACKAGES_NAMED])
    count = len(named) if len(named) < PACKAGES_NAMED else packages.count()
    return {"unsplit": named, "unsplit_count": count, "unsplit_more": count - len(named)}


class OverviewView(TemplateView):
    """Headline figures, totals and charts, following the overview's filters exactly.

    Each count is the count of the table its link opens, with the same filters: the line
    items are counted as /items/ counts them. A category filter narrows the figures below
    their agreements, so its totals and charts are those of the line items in that
    category (as /items/ gives them), and packages priced only as a whole, which cannot be
    split by category, are named apart rather than counted under it.
    """

    template_name = "aid/overview.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = QueryDict(mutable=True)
        for name in OVERVIEW_FILTERS:
            values = [value for value in self.request.GET.getlist(name) if value]
            if values:
                params.setlist(name, values)
        filterset = AgreementFilterSet(
            params, queryset=Agreement.objects.published().with_related()
        )
        agreements = filterset.qs
        # The same cleaned values, applied as /items/ applies them: no slug looked up twice.
        items = LineItemFilterSet(queryset=LineItem.objects.published()).apply(
            LineItem.objects.published(), filterset.form.cleaned_data
        )
        by_category = bool(filterset.form.cleaned_data.get("category"))
        currency = requested_currency(self.request)[0]
        whole = LedgerListView.is_whole_table(filterset)

        def figures():
            donor_count = agreements.values("donor").distinct().count()
            named = (
                []
                if whole
                else list(
                    Donor.objects.filter(pk__in=agreements.values("donor")).order_by("name")[
                        :DONORS_NAMED
                    ]
                )
            )
            return {
                "agreement_count": agreements.count(),
                "item_count": items.count(),
                "donor_count": donor_count,
                "donors_named": named,
                "donors_more": donor_count - len(named),
                "totals": (
                    item_totals(items, currency)
                    if by_category
                    else figure_totals(agreements, currency)
                ),
                **unsplit_packages(agreements if by_category else agreements.none()),
                "charts": charts.for_agreements(
                    agreements, currency, items=items if by_category else None
                ),
            }

        phrases = describe(filterset)
        context["sentence"] = (
            mark_safe(capfirst(join_conditions(_("figures"), phrases)))  # noqa: S308 (escaped)
            if phrases
            else _("All figures")
        )
        if whole:
            # Every reader's first page: computed once per data version (aid/caching.py).
            context.update(shared(self.request, f"overview:{currency}", figures))
        else:
            context.update(figures())
        query = params.urlencode()
        context.update(
            filterset=filterset,
            problems=filter_problems(filterset),
            facets=option_facets(filterset, ("donor", "category"), self.request),
            filtered=not whole,
            by_category=by_category,
            query=f"?{query}" if query else "",
            currency=currency,
            latest=agreements.order_by("-announced_on", "-pk")[:5],
            sources=Source.objects.public().defer(*Source.TEXT_BODIES),
        )
        return context


class GlossaryView(TemplateView):
    """What the ledger's words mean: stages, aid types, bases, qualifiers, dates, counting.

    Every total links here; the vocabularies come from aid/choices.py, so a new value
    cannot go unexplained (tests/test_glossary.py).
    """

    template_name = "aid/glossary.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            stages=glossary.entries(Stage, glossary.STAGES),
            aid_types=glossary.entries(AidType, glossary.AID_TYPES),
            bases=glossary.entries(Basis, glossary.BASES),
            qualifiers=glossary.entries(Qualifier, glossary.QUALIFIERS),
            precisions=glossary.entries(Precision, glossary.PRECISIONS),
            categories=Category.objects.all(),
        )
        return context


class ChangesView(TemplateView):
    """The corrections log: changes to published figures, newest first (aid/corrections.py)."""

    template_name = "aid/changes.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        paginator = Paginator(CorrectionsLog(), DEFAULT_PER_PAGE)
        number, problem = bounded_int(
            self.request.GET.get("page"), 1, 1, max(paginator.num_pages, 1)
        )
        context.update(
            page=paginator.page(number),
            notices=[f"page: {problem}; showing page {number}."] if problem else [],
        )
        return context
