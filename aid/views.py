"""Public, read-only pages. List views only declare; LedgerListView does the work.

Every query here starts from .published(): a draft never reaches a reader.
"""

from django.core.paginator import Paginator
from django.http import Http404
from django.views.generic import DetailView, TemplateView

from . import charts, exports, glossary, passages
from .caching import shared
from .choices import AidType, Basis, Precision, Qualifier, Stage
from .corrections import CorrectionsLog
from .filtersets import AgreementFilterSet, DonorFilterSet, LineItemFilterSet
from .listing import DEFAULT_PER_PAGE, LedgerListView, Summary, bounded_int, requested_currency
from .models import Agreement, Category, Donor, LineItem, Source
from .tables import AgreementTable, DonorTable, LineItemTable
from .totals import figure_totals, item_summary


class LineItemListView(LedgerListView):
    queryset = LineItem.objects.published().with_related()
    filterset_class = LineItemFilterSet
    table_class = LineItemTable
    export_columns = exports.LINE_ITEM_COLUMNS
    export_basename = "line-items"
    noun = ("line item", "line items")
    title = "Line items"
    intro = "One row for each thing an agreement promises: money, equipment, training."

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
    noun = ("agreement", "agreements")
    title = "Agreements"
    intro = "Pledge instruments: security agreements, aid packages, financings and funds."

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
    noun = ("donor", "donors")
    title = "Donors"
    intro = "Countries and institutions that have pledged military aid."

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
    queryset = Donor.objects.public().with_counts()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        donor = self.object
        agreements = Agreement.objects.published().filter(donor=donor)
        currency = requested_currency(self.request)[0]
        context.update(
            currency=currency,
            agreements=agreements.with_item_count().order_by("-announced_on", "pk"),
            totals=figure_totals(agreements, currency),
            charts=charts.for_agreements(agreements, currency, by_donor=False),
        )
        return context


class SourceDetailView(DetailView):
    """A source's stored text with every checked passage highlighted and anchored.

    Passages not found in the text (checked before the text was stored, or never
    found) are listed apart, marked as not verified, each with its anchor too.
    """

    model = Source

    def get_object(self, queryset=None):
        source = super().get_object(queryset)
        if not source.citations.filter(agreement__in=Agreement.objects.published()).exists():
            # A source cited only by drafts is not public yet.
            raise Http404("No such source.")
        return source

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
            document=passages.render_text(self.object, checked) if self.object.text else "",
        )
        return context


class OverviewView(TemplateView):
    template_name = "aid/overview.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = AgreementFilterSet(
            self.request.GET, queryset=Agreement.objects.published().with_related()
        )
        agreements = filterset.qs
        currency = requested_currency(self.request)[0]

        def figures():
            return {
                "agreement_count": agreements.count(),
                "item_count": LineItem.objects.filter(
                    agreement__in=agreements.values("pk")
                ).count(),
                "donor_count": agreements.values("donor").distinct().count(),
                "totals": figure_totals(agreements, currency),
                "charts": charts.for_agreements(agreements, currency),
            }

        if LedgerListView.is_whole_table(filterset):
            # Every reader's first page: computed once per data version (aid/caching.py).
            context.update(shared(self.request, f"overview:{currency}", figures))
        else:
            context.update(figures())
        context.update(
            filterset=filterset,
            currency=currency,
            latest=agreements.order_by("-announced_on", "-pk")[:5],
            sources=Source.objects.filter(citations__agreement__in=Agreement.objects.published())
            .defer(*Source.TEXT_BODIES)
            .distinct(),
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
