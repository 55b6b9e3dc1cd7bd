"""The public URL contract (README, "URLs"): stable paths, all state in GET parameters.

Every view here is public: the same for every reader, so cacheable by any HTTP cache
(aid/caching.py).
"""

from django.urls import path

from . import preview, views
from .caching import public

app_name = "aid"

urlpatterns = [
    path("", public(views.OverviewView.as_view()), name="overview"),
    path("agreements/", public(views.AgreementListView.as_view()), name="agreement_list"),
    path(
        "agreements/<int:pk>/", public(views.AgreementDetailView.as_view()), name="agreement_detail"
    ),
    path("items/", public(views.LineItemListView.as_view()), name="lineitem_list"),
    path("donors/", public(views.DonorListView.as_view()), name="donor_list"),
    path("donors/<slug:slug>/", public(views.DonorDetailView.as_view()), name="donor_detail"),
    path("sources/<int:pk>/", public(views.SourceDetailView.as_view()), name="source_detail"),
    path("changes/", public(views.ChangesView.as_view()), name="changes"),
    path("glossary/", public(views.GlossaryView.as_view()), name="glossary"),
    # Staff only, and a 404 to anyone else: not public, never cached (aid/preview.py).
    path(
        "preview/agreements/<int:pk>/",
        preview.AgreementPreviewView.as_view(),
        name="agreement_preview",
    ),
]
