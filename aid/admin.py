"""The analysts' admin: agreements are entered with their line items and citations on one page.

Tables grow to many thousands of rows, so every change list fetches its related
rows up front (list_select_related, an annotated item count), skips the
full-table count, and filters foreign keys through autocomplete or
RelatedOnlyFieldListFilter rather than loading every related row.
"""

from functools import partial

from django.contrib import admin
from django.db import models

from .models import Agreement, Category, Citation, Donor, LineItem, Source


@admin.register(Donor)
class DonorAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "iso_code"]
    list_filter = ["kind"]
    search_fields = ["name", "iso_code"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The taxonomy is loaded by a migration; only a superuser may change it."""

    list_display = ["name", "slug", "definition", "position"]
    search_fields = ["name", "definition"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class LineItemInline(admin.TabularInline):
    """What the agreement contains, one row per line item."""

    model = LineItem
    extra = 1
    show_change_link = True
    # Notes are left to the line item's own page: the row is wide enough.
    fields = [
        "category",
        "description",
        "quantity",
        "unit",
        "amount",
        "currency",
        "qualifier",
        "period_start_year",
        "period_end_year",
        "period_text",
        "stage",
    ]


class CitationInline(admin.StackedInline):
    """The passages that support the agreement or one of its line items.

    A new agreement has no line items to offer yet: its citations support the
    agreement as a whole until it is saved and its line items can be chosen.
    """

    model = Citation
    extra = 1
    fields = ["source", "line_item", "passage"]
    autocomplete_fields = ["source"]

    def get_formset(self, request, obj=None, **kwargs):
        # The admin builds inline form fields knowing only the request; hand the
        # agreement being edited along so that line_item can offer its own items.
        kwargs["formfield_callback"] = partial(
            self.formfield_for_dbfield, request=request, agreement=obj
        )
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_dbfield(self, db_field, request, agreement=None, **kwargs):
        if db_field.name == "line_item":
            kwargs["queryset"] = self.line_item_choices(agreement)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @staticmethod
    def line_item_choices(agreement):
        """The agreement's own line items; none while it is being added (it has none yet)."""
        if agreement is None or agreement.pk is None:
            return LineItem.objects.none()
        return LineItem.objects.filter(agreement=agreement)


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    """An agreement is entered on one page: its fields, line items and citations."""

    inlines = [LineItemInline, CitationInline]
    autocomplete_fields = ["donor"]
    list_display = ["title", "donor", "kind", "announced", "headline_amount", "line_item_count"]
    list_select_related = ["donor"]
    list_filter = [
        ("donor", admin.RelatedOnlyFieldListFilter),
        "kind",
        "line_items__category",
        "line_items__stage",
        "announced_on",
    ]
    search_fields = [
        "title",
        "summary",
        "notes",
        "donor__name",
        "line_items__description",
    ]
    date_hierarchy = "announced_on"
    show_full_result_count = False
    fieldsets = [
        ("What", {"fields": ["donor", "title", "kind", "summary"]}),
        (
            "When",
            {
                "fields": [
                    ("announced_on", "announced_precision"),
                    ("signed_on", "signed_precision"),
                    ("period_start_year", "period_end_year"),
                ],
                "description": (
                    "A date known only to the month is the 1st with precision month; "
                    "one known only to the year is 1 January with precision year."
                ),
            },
        ),
        (
            "Headline amount",
            {
                "fields": [("amount", "currency", "qualifier")],
                "description": (
                    "The total the source gives for the whole agreement, if it gives one."
                ),
            },
        ),
        ("Notes", {"fields": ["notes"]}),
    ]

    def get_queryset(self, request):
        # A subquery count (see with_item_count): the line-item filters and search
        # join line_items again, which would multiply a joined Count.
        return super().get_queryset(request).with_item_count()

    @admin.display(description="announced", ordering="announced_on")
    def announced(self, obj):
        return obj.announced_display

    @admin.display(description="headline amount")
    def headline_amount(self, obj):
        return obj.money_display

    @admin.display(description="line items", ordering="item_count")
    def line_item_count(self, obj):
        return obj.item_count


@admin.register(LineItem)
class LineItemAdmin(admin.ModelAdmin):
    list_display = ["description", "agreement", "donor", "category", "stage", "money", "quantity"]
    list_select_related = ["agreement__donor", "category"]
    list_filter = [
        "category",
        "stage",
        ("agreement__donor", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["description", "agreement__title"]
    autocomplete_fields = ["agreement"]
    show_full_result_count = False

    @admin.display(description="donor", ordering="agreement__donor__name")
    def donor(self, obj):
        return obj.agreement.donor

    @admin.display(description="amount")
    def money(self, obj):
        return obj.money_display


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "publisher", "published_on", "file"]
    search_fields = ["title", "publisher"]
    date_hierarchy = "published_on"
    # Sources are cited from public sites; a URL typed without a scheme is https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Citation)
class CitationAdmin(admin.ModelAdmin):
    list_display = ["excerpt", "source", "agreement", "line_item"]
    list_select_related = ["source", "agreement", "line_item"]
    search_fields = ["passage"]
    autocomplete_fields = ["source", "agreement", "line_item"]
    show_full_result_count = False

    @admin.display(description="passage")
    def excerpt(self, obj):
        return obj.passage if len(obj.passage) <= 80 else f"{obj.passage[:79]}…"
