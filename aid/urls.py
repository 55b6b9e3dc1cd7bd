from django.urls import path

from . import views

app_name = "aid"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("agreements/<int:pk>/", views.AgreementDetailView.as_view(), name="agreement_detail"),
    path("donors/<slug:slug>/", views.DonorDetailView.as_view(), name="donor_detail"),
    path("sources/<int:pk>/", views.SourceDetailView.as_view(), name="source_detail"),
]
