from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Ukraine aid ledger"
admin.site.site_title = "Aid ledger admin"
admin.site.index_title = "Ledger records"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("aid.urls")),
]
