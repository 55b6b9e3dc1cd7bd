from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from .health import healthz
from .languages import choose_language

admin.site.site_header = "Ukraine aid ledger"
admin.site.site_title = "Aid ledger admin"
admin.site.index_title = "Ledger records"

urlpatterns = [
    path("admin/", admin.site.urls),
    # For load balancers (README, "Serving in production"); outside the public URL contract.
    path("healthz", healthz, name="healthz"),
    # The language switch on every public page (ledger/languages.py).
    path("language/<str:code>/", choose_language, name="choose_language"),
    # The public pages: English at the contract's URLs, Ukrainian under /uk/.
    *i18n_patterns(path("", include("aid.urls")), prefix_default_language=False),
]
