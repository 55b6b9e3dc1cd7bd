"""The public URL contract (README, "URLs"): stable paths, all state in GET parameters."""

from django.urls import path

from . import preview, views

app_name = "aid"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("agreements/", views.AgreementListView.as_view(), name="agreement_list"),
    path("agreements/<int:pk>/", views.AgreementDetailView.as_view(), name="agreement_detail"),
    path("items/", views.LineItemListView.as_view(), name="lineitem_list"),
    path("donors/", views.DonorListView.as_view(), name="donor_list"),
    path("donors/<slug:slug>/", views.DonorDetailView.as_view(), name="donor_detail"),
    path("sources/<int:pk>/", views.SourceDetailView.as_view(), name="source_detail"),
    path("changes/", views.ChangesView.as_view(), name="changes"),
    path("glossary/", views.GlossaryView.as_view(), name="glossary"),
    # Staff only, and a 404 to anyone else: not part of the public contract.
    path(
        "preview/agreements/<int:pk>/",
        preview.AgreementPreviewView.as_view(),
        name="agreement_preview",
    ),
]
