"""Public, read-only pages (placeholder until the public-ledger issue)."""

from django.views.generic import DetailView, TemplateView

from .models import Agreement, Donor, Source


class OverviewView(TemplateView):
    template_name = "aid/overview.html"


class AgreementDetailView(DetailView):
    model = Agreement


class DonorDetailView(DetailView):
    model = Donor


class SourceDetailView(DetailView):
    model = Source
