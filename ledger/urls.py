from django.contrib import admin
from django.urls import include, path

from .health import healthz

admin.site.site_header = "Ukraine aid ledger"
admin.site.site_title = "Aid ledger admin"
admin.site.index_title = "Ledger records"

urlpatterns = [
    path("admin/", admin.site.urls),
    # For load balancers (README, "Serving in production"); outside the public URL contract.
    path("healthz", healthz, name="healthz"),
    path("", include("aid.urls")),
]
