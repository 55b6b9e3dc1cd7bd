"""Public, read-only pages. List views only declare; LedgerListView does the work."""

from django.db.models import Prefetch
from django.views.generic import DetailView, TemplateView

from . import exports
from .filtersets import AgreementFilterSet, DonorFilterSet, LineItemFilterSet
from .listing import LedgerListView, money_totals
from .models import Agreement, Citation, Donor, LineItem, Source
from .passages import highlight
from .tables import AgreementTable, DonorTable, LineItemTable


class LineItemListView(LedgerListView):
    queryset = LineItem.objects.with_related()
    filterset_class = LineItemFilterSet
    table_class = LineItemTable
    export_columns = exports.LINE_ITEM_COLUMNS
    export_basename = "line-items"
    noun = ("line item", "line items")
    title = "Line items"
    intro = "One row for each thing an agreement promises: money, equipment, training."

    def totals(self, queryset):
        return money_totals(queryset)


class AgreementListView(LedgerListView):
    queryset = Agreement.objects.with_related().with_item_count()
    filterset_class = AgreementFilterSet
    table_class = AgreementTable
    export_columns = exports.AGREEMENT_COLUMNS
    export_basename = "agreements"
    noun = ("agreement", "agreements")
    title = "Agreements"
    intro = "Pledge instruments: security agreements, aid packages, financings and funds."

    def totals(self, queryset):
        return money_totals(LineItem.objects.filter(agreement__in=queryset.values("pk")))


class DonorListView(LedgerListView):
    queryset = Donor.objects.with_counts()
    filterset_class = DonorFilterSet
    table_class = DonorTable
    export_columns = exports.DONOR_COLUMNS
    export_basename = "donors"
    noun = ("donor", "donors")
    title = "Donors"
    intro = "Countries and institutions that have pledged military aid."


class AgreementDetailView(DetailView):
    queryset = Agreement.objects.with_related().prefetch_related(
        Prefetch(
            "line_items",
            queryset=LineItem.objects.select_related("category").prefetch_related(
                Prefetch("citations", queryset=Citation.objects.select_related("source"))
            ),
        ),
        Prefetch(
            "citations",
            queryset=Citation.objects.filter(line_item__isnull=True).select_related("source"),
            to_attr="own_citations",
        ),
    )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["totals"] = money_totals(self.object.line_items.all())
        return context


class DonorDetailView(DetailView):
    queryset = Donor.objects.with_counts()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        donor = self.object
        context["agreements"] = donor.agreements.with_item_count().order_by("-announced_on", "pk")
        context["totals"] = money_totals(LineItem.objects.filter(agreement__donor=donor))
        return context


class SourceDetailView(DetailView):
    model = Source

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        citations = list(
            self.object.citations.select_related("agreement", "line_item").order_by("pk")
        )
        context["citations"] = citations
        context["segments"] = highlight(self.object.text, citations)
        return context


class OverviewView(TemplateView):
    template_name = "aid/overview.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            agreement_count=Agreement.objects.count(),
            item_count=LineItem.objects.count(),
            donor_count=Donor.objects.filter(agreements__isnull=False).distinct().count(),
            totals=money_totals(LineItem.objects.all()),
            latest=Agreement.objects.with_related().order_by("-announced_on", "-pk")[:5],
            sources=Source.objects.order_by("pk"),
        )
        return context
