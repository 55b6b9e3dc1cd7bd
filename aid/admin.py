"""The analysts' admin: agreements are entered with their line items and citations on one page.

Tables grow to a million line items (bench/README.md §5), so every change list
fetches its related rows in the same query (list_select_related, an annotated
item count), counts an unfiltered list by PostgreSQL's estimate rather than
COUNT(*) (aid/paginators.py), and offers foreign keys to large tables through
autocomplete rather than a drop-down of every row. On an agreement's page the
inline rows share one fetch of their choices (aid/admin_choices.py): its
queries do not grow with its line items or citations.

The workflow (README, "The analysts' workflow"): analysts draft and mark drafts
ready for review, reviewers publish (the publish_agreement permission) what
aid/review.py allows; a published agreement is read-only here, and a change to
it is proposed in a pending revision that a second reviewer approves
(aid/revisions.py, aid/admin_review.py); every ledger record keeps its history,
viewable and revertible (django-simple-history); an agreement's page refuses to
overwrite a save made after it was opened (aid/locking.py); line items are
imported from a CSV with a preview (aid/importing.py).
"""

import copy
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import (
    AdminBigIntegerFieldWidget,
    AdminIntegerFieldWidget,
    AdminTextInputWidget,
)
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy
from import_export.admin import ImportMixin
from import_export.formats.base_formats import CSV
from simple_history.admin import SimpleHistoryAdmin

from . import documents, locking, passages, review
from .admin_candidates import AgreementFromCandidate, SourceCandidates
from .admin_choices import (
    PreloadedAutocompleteSelect,
    PreloadedChoiceField,
    SharedChoicesField,
    currency_datalist,
)
from .admin_fields import (
    CURRENCY_LIST_ID,
    ROW_LABEL,
    AmountField,
    CitedLineItemField,
    CurrencyField,
    RowHiddenInput,
    RowNumberInput,
    RowReference,
    RowSelect,
    RowTextInput,
)
from .admin_review import InRevisionFilter, ReviewFilter, ReviewViews
from .choices import Status, TextFormat
from .importing import LineItemResource
from .models import NOT_PUBLISHABLE, Agreement, Category, Citation, Donor, LineItem, Source
from .paginators import EstimatedCountPaginator

NO_CITATION = NOT_PUBLISHABLE


def can_publish(request):
    return review.can_review(request.user)


def read_only_message(agreement):
    return (
        f"Not saved: “{agreement}” is published, and readers see it as it is. A change to "
        "it is proposed on its page (“Propose a change”) and waits for a reviewer."
    )


def of_published(record):
    """Whether a line item or citation belongs to a published agreement."""
    # A line item carries its agreement's status (aid/triggers.py): no query.
    return record.published if isinstance(record, LineItem) else record.agreement.is_published


def site_url(record):
    """Where readers see a line item or citation, or the staff's preview while it is not public."""
    if not isinstance(record, LineItem):
        if record.agreement.is_published:
            return record.get_absolute_url()
        return reverse("aid:agreement_preview", args=[record.agreement_id])
    # Built from the agreement's id: no query per inline row.
    page = "aid:agreement_detail" if record.published else "aid:agreement_preview"
    return f"{reverse(page, args=[record.agreement_id])}#item-{record.pk}"


def stored_is_published(model, pk):
    """Whether the record of this agreement, as stored now, is published (not as a form had it)."""
    if model is Agreement:
        rows = Agreement.objects.filter(pk=pk)
    else:
        rows = Agreement.objects.filter(pk=model.objects.filter(pk=pk).values("agreement")[:1])
    return rows.filter(status=Status.PUBLISHED).exists()


@admin.register(Donor)
class DonorAdmin(SimpleHistoryAdmin):
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


class SharedChoicesInline:
    """An inline whose drop-downs are fetched once for all its rows, not once per row.

    Autocomplete and raw-id fields query only their selected object and are left as
    they are.
    """

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if (
            db_field.name not in self.get_autocomplete_fields(request)
            and db_field.name not in self.raw_id_fields
        ):
            kwargs.setdefault("form_class", SharedChoicesField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MoneyEntry:
    """Amounts typed as analysts read them ("13.3 billion"), currencies typed as codes.

    The page lists the currencies once, in a <datalist> (currency_datalist).
    """

    ENTRY_HELP = {
        "amount": gettext_lazy(
            "In units of the currency, in figures or words: 977,000,000, 977 000 000, "
            "977 million or 977m for €977 million."
        ),
        "currency": gettext_lazy(
            "ISO 4217 code, e.g. EUR (in any case; the list suggests the ledger's most "
            "used first). Required with an amount."
        ),
    }

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("amount", "currency") and db_field.model in (Agreement, LineItem):
            field_class = AmountField if db_field.name == "amount" else CurrencyField
            return field_class(
                required=False,
                label=capfirst(db_field.verbose_name),
                help_text=self.ENTRY_HELP[db_field.name],
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["currency_datalist"] = currency_datalist(CURRENCY_LIST_ID)
        return super().render_change_form(request, context, add, change, form_url, obj)


class EditedRowsForm(forms.ModelForm):
    """An inline row that is validated in full only when it is new or changed.

    Django saves only the rows of a formset that changed, yet validates every one: on
    an agreement of 50 line items that was ~1,200 queries for a save that changed one
    (each row's foreign keys looked up, each check constraint run as a query). A row sent
    back as it was shown holds the values stored, which the database's constraints
    already hold, and is not written: only the model's clean() runs on it, for rules that
    involve other records (the agreement may change in the same save).
    """

    def _post_clean(self):
        if self.instance.pk is None or self.has_changed():
            super()._post_clean()
            return
        try:
            self.instance.clean()
        except ValidationError as error:
            self._update_errors(error)


class FormsetRowField(forms.ModelChoiceField):
    """A row's primary key, found among the formset's own rows (Django queries once per row)."""

    def __init__(self, formset, field):
        super().__init__(field.queryset, initial=field.initial, required=False, widget=field.widget)
        self.formset = formset

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            key = self.formset.model._meta.pk.to_python(value)
        except ValidationError:
            key = None
        found = self.formset._existing_object(key) if key is not None else None
        if found is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return found


class SiblingFormSet(BaseInlineFormSet):
    """An inline formset that the other inlines of the same page can find (get_formset_kwargs)."""

    def __init__(self, *args, siblings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.siblings = {} if siblings is None else siblings
        self.siblings[self.prefix] = self

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # Each row's id is looked up among the rows the formset has fetched, not with a
        # query per row: a row of another agreement is refused either way.
        name = self._pk_field.name
        form.fields[name] = FormsetRowField(self, form.fields[name])
        # Hidden inputs of every row written without a template, as the row's widgets.
        for field in (form.fields[name], form.fields.get(self.fk.name)):
            if field is not None and type(field.widget) is forms.HiddenInput:
                field.widget = RowHiddenInput(field.widget.attrs)


# The inputs of a line-item row (the admin's, for text and whole numbers), written in Python.
PYTHON_RENDERED = {
    forms.TextInput: RowTextInput,
    AdminTextInputWidget: RowTextInput,
    forms.NumberInput: RowNumberInput,
    AdminIntegerFieldWidget: RowNumberInput,
    AdminBigIntegerFieldWidget: RowNumberInput,
}


class LineItemInline(MoneyEntry, SharedChoicesInline, admin.StackedInline):
    """What the agreement contains: one block per line item, its fields in a grid.

    A tabular row of these fields was 2,361 px wide; the grid fits a laptop, with each
    field's help given once above the rows (templates/admin/aid/agreement/
    line_items_inline.html). The rows' widgets are written in Python (aid/admin_fields.py).
    """

    model = LineItem
    form = EditedRowsForm
    formset = SiblingFormSet
    template = "admin/aid/agreement/line_items_inline.html"
    extra = 1
    show_change_link = True
    view_on_site = staticmethod(site_url)

    def get_queryset(self, request):
        # A published agreement's rows are shown read-only, with their category's name.
        return super().get_queryset(request).select_related("category")

    # Notes are left to the line item's own page.
    fields = [
        "category",
        "description",
        "quantity",
        "unit",
        "amount",
        "currency",
        "qualifier",
        "aid_type",
        "basis",
        "period_start_year",
        "period_end_year",
        "period_text",
        "stage",
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "category":
            # A plain select: no add/change links in every row (categories are the
            # migrations' and change only by a superuser, on their own page).
            field = self.formfield_for_foreignkey(db_field, request, widget=RowSelect, **kwargs)
        elif db_field.choices and db_field.name != "currency":
            field = db_field.formfield(widget=RowSelect, **kwargs)
        else:
            field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is None:
            return None
        if type(field.widget) in PYTHON_RENDERED:
            field.widget = PYTHON_RENDERED[type(field.widget)](field.widget.attrs)
        if field.help_text:
            # Given once above the rows, each row's input pointing to it.
            field.widget.attrs["aria-describedby"] = f"line_items-help-{db_field.name}"
            field.help_text = ""
        return field

    def row_help(self):
        """(field name, label, help) of each field that has help, for the rows' shared help."""
        rows = []
        for name in self.fields:
            field = LineItem._meta.get_field(name)
            if field.help_text:
                rows.append((name, capfirst(field.verbose_name), field.help_text))
        return rows


class CitationFormSet(SiblingFormSet):
    """An agreement's citations, their sources fetched with them.

    A citation may name a line item of the same form by its row ("Line item row 2"): the
    row is checked against the line-item inline of the same POST, and resolved to the line
    item once that inline is saved (AgreementAdmin.save_related saves it first).
    """

    line_items_prefix = "line_items"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The rows' sources come with them (CitationInline.get_queryset): hand them to
        # the source widget, which would otherwise look each one up (aid/admin_choices.py).
        field = self.form.base_fields.get("source")
        widget = getattr(field, "widget", None)
        known = getattr(getattr(widget, "widget", widget), "known", None)
        if known is not None:
            known.update({str(row.source_id): row.source for row in self.get_queryset()})
        line_item = self.form.base_fields.get("line_item")
        line_items = self.siblings.get(self.line_items_prefix)
        if isinstance(line_item, CitedLineItemField) and line_items is not None:
            # The new rows, numbered as the inline numbers them (#1, #2, …).
            line_item.new_rows = range(
                line_items.initial_form_count() + 1, line_items.total_form_count() + 1
            )

    def clean(self):
        super().clean()
        line_items = self.siblings.get(self.line_items_prefix)
        for form in self.forms:
            if not form.has_changed() or self._should_delete_form(form):
                continue
            choice = getattr(form, "line_item_row", None) or form.cleaned_data.get("line_item")
            if choice is None:
                continue
            problem = self.why_not_citable(choice, line_items)
            if problem:
                form.add_error("line_item", problem)

    @staticmethod
    def why_not_citable(choice, line_items):
        """Why this citation cannot support the line item it names, or None."""
        if line_items is None:
            return (
                None
                if not isinstance(choice, RowReference)
                else gettext("There are no line item rows on this page to cite.")
            )
        if isinstance(choice, RowReference):
            if choice > line_items.total_form_count():
                return gettext(
                    "There is no line item row %(number)s: the line items above have %(rows)s rows."
                ) % {"number": choice, "rows": line_items.total_form_count()}
            row = line_items.forms[choice - 1]
            if choice > line_items.initial_form_count() and not row.has_changed():
                return gettext(
                    "Line item row %(number)s is empty: fill it in, or cite another line item."
                ) % {"number": choice}
        else:
            rows = [form for form in line_items.initial_forms if form.instance.pk == choice.pk]
            if not rows:
                return None
            row, choice = rows[0], line_items.initial_forms.index(rows[0]) + 1
        if line_items.can_delete and row.is_valid() and line_items._should_delete_form(row):
            return gettext(
                "Line item row %(number)s is marked for deletion: cite another line item, "
                "or keep that one."
            ) % {"number": choice}
        return None

    def save(self, commit=True):
        line_items = self.siblings.get(self.line_items_prefix)
        for form in self.forms:
            row = getattr(form, "line_item_row", None)
            if row is not None:
                # Saved a moment ago, in the same request (AgreementAdmin.save_related).
                form.instance.line_item = line_items.forms[row - 1].instance
        return super().save(commit)


class CitationForm(EditedRowsForm):
    """A citation row: its line item is a saved one, or a row of the same form."""

    def clean_line_item(self):
        choice = self.cleaned_data.get("line_item")
        self.line_item_row = choice if isinstance(choice, RowReference) else None
        # The row's line item does not exist yet: CitationFormSet sets it on saving.
        return None if self.line_item_row else choice


class CitationCheck:
    """A citation's check, read-only on its form: where its passage was found, or why not."""

    @admin.display(description="checked")
    def check_display(self, obj):
        return obj.check_display if obj.pk else "Checked against the source's text on saving."


class CitationInline(CitationCheck, SharedChoicesInline, admin.StackedInline):
    """The passages that support the agreement or one of its line items.

    A citation names one of the agreement's saved line items, or a new one by its row
    in the line-item inline above ("Line item row 2"): a new agreement, its line items
    and the citations of each are entered in one save (CitationFormSet).
    """

    model = Citation
    form = CitationForm
    formset = CitationFormSet
    view_on_site = staticmethod(site_url)
    extra = 1
    fields = ["source", "line_item", "passage", "check_display"]
    readonly_fields = ["check_display"]
    autocomplete_fields = ["source"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_source().select_related("line_item", "agreement")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "source":
            kwargs["widget"] = PreloadedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
            kwargs["form_class"] = PreloadedChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
            # Its saved line items and the new rows of the same form (CitationFormSet).
            # data-row-label: the label of the rows a script offers as they are added.
            widget = RowSelect(attrs={"data-row-label": ROW_LABEL})
            return self.formfield_for_foreignkey(
                db_field, request, form_class=CitedLineItemField, widget=widget, **kwargs
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @staticmethod
    def line_item_choices(agreement):
        """The agreement's own line items; none while it is being added (it has none yet)."""
        if agreement is None or agreement.pk is None:
            return LineItem.objects.none()
        return LineItem.objects.filter(agreement=agreement)


class AgreementForm(forms.ModelForm):
    """The agreement's fields, and the version the page was opened at (aid/locking.py).

    The status offers what the user may choose (AgreementAdmin.statuses_for): a draft or
    ready for review, and published for a reviewer.
    """

    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    allowed_statuses = tuple(Status.values)

    class Meta:
        model = Agreement
        # The admin passes the fieldsets' fields; these are the same, for any other use.
        fields = [
            "donor",
            "title",
            "kind",
            "summary",
            "announced_on",
            "announced_precision",
            "signed_on",
            "signed_precision",
            "period_start_year",
            "period_end_year",
            "amount",
            "currency",
            "qualifier",
            "aid_type",
            "basis",
            "stage",
            "notes",
            "status",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # Read, not taken from the instance: a revert's instance is an old version.
            self.fields["base_version"].initial = locking.current_version(self.instance.pk)
        status = self.fields.get("status")
        if status is not None:
            status.choices = [
                (value, label) for value, label in Status.choices if value in self.allowed_statuses
            ]

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is None:
            return cleaned_data
        opened_at = cleaned_data.get("base_version")
        if opened_at is None:
            raise ValidationError(
                "Not saved: this page does not say which version of the agreement it edits. "
                "Open the agreement again and make your change there."
            )
        # Locked until the save ends: a concurrent save waits, then sees the new version.
        if opened_at != locking.current_version(self.instance.pk, lock=True):
            raise ValidationError(locking.conflict_message(self.instance.pk, opened_at))
        return cleaned_data


@admin.register(Agreement)
class AgreementAdmin(AgreementFromCandidate, MoneyEntry, ReviewViews, SimpleHistoryAdmin):
    """An agreement is entered on one page: its fields, line items and citations.

    Analysts save drafts and mark them ready for review; a user with the publish
    permission (the Reviewers group) publishes and unpublishes, on the page or with the
    list's actions. A published agreement's page is read-only: it proposes a change in a
    pending revision instead (aid/admin_review.py), which is edited on the same page.
    """

    form = AgreementForm
    inlines = [LineItemInline, CitationInline]
    autocomplete_fields = ["donor"]
    actions = ["publish", "unpublish", "mark_ready"]
    change_form_template = "admin/aid/agreement/change_form.html"
    list_display = [
        "title",
        "donor",
        "kind",
        "announced",
        "headline_amount",
        "line_item_count",
        "review_state",
    ]
    list_select_related = ["donor"]
    paginator = EstimatedCountPaginator
    list_filter = [
        ReviewFilter,
        "status",
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
                "fields": [("amount", "currency", "qualifier"), ("aid_type", "basis"), "stage"],
                "description": (
                    "The total the source gives for the whole agreement, if it gives one."
                ),
            },
        ),
        ("Notes", {"fields": ["notes"]}),
        (
            "Publication",
            {
                "fields": ["status", "review_note", "base_version"],
                "description": (
                    "Readers see published agreements only. Mark a draft ready for review "
                    "when it is done; a reviewer publishes it, or sends it back with a note. "
                    "An agreement is published only with at least one checked citation: a "
                    "passage found in its source's stored text."
                ),
            },
        ),
    ]

    def get_queryset(self, request):
        # A subquery count (see with_item_count): the line-item filters and search
        # join line_items again, which would multiply a joined Count.
        return super().get_queryset(request).with_item_count()

    def get_object(self, request, object_id, from_field=None):
        """ModelAdmin's, with the pending revision or the agreement revised in the same query."""
        queryset = self.get_queryset(request).select_related("revision", "revises")
        field = (
            self.model._meta.pk if from_field is None else self.model._meta.get_field(from_field)
        )
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (self.model.DoesNotExist, ValidationError, ValueError):
            return None

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "review_note"]
        if getattr(request, "reverting", False):
            # A revert restores what was entered, never whether readers see it.
            readonly.append("status")
        return readonly

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.review_note:
            return fieldsets
        # The reviewer's note is shown only when there is one.
        return [
            (name, options | {"fields": [f for f in options["fields"] if f != "review_note"]})
            for name, options in fieldsets
        ]

    def statuses_for(self, request, obj=None):
        """The statuses the user may give this agreement on its page."""
        if obj is not None and obj.is_revision:
            return (Status.DRAFT, Status.READY)
        if can_publish(request):
            return tuple(Status.values)
        return (Status.DRAFT, Status.READY)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"allowed_statuses": self.statuses_for(request, obj)})

    def has_change_permission(self, request, obj=None):
        # Published content changes only through a reviewed revision (aid/revisions.py).
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_publish_permission(self, request):
        return can_publish(request)

    def view_on_site(self, obj):
        """Readers' page of a published agreement; the staff's preview of any other."""
        if obj.is_published:
            return obj.get_absolute_url()
        return reverse("aid:agreement_preview", args=[obj.pk])

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["review"] = self.review_context(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # Saving --------------------------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id is not None:
            # A page opened before the agreement was published must not change it now.
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and obj.is_published and super().has_change_permission(request):
                self.message_user(request, read_only_message(obj), messages.ERROR)
                return HttpResponseRedirect(request.path)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except locking.EditConflict as conflict:
            # Raised inside the admin's transaction, which rolled everything back.
            self.message_user(request, str(conflict), messages.ERROR)
            return HttpResponseRedirect(request.path)

    def revert_disabled(self, request, obj=None):
        if obj is not None and stored_is_published(Agreement, obj.pk):
            return True
        return super().revert_disabled(request, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and stored_is_published(Agreement, unquote(object_id)):
            self.message_user(
                request,
                read_only_message(Agreement.objects.get(pk=unquote(object_id))),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)
        request.reverting = True
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().history_form_view(request, object_id, version_id, extra_context)
        except locking.EditConflict as conflict:
            self.message_user(request, str(conflict), messages.ERROR)
            return HttpResponseRedirect(request.path)

    def save_model(self, request, obj, form, change):
        stored = (
            Agreement.objects.filter(pk=obj.pk).values_list("status", flat=True).first()
            if change
            else None
        )
        if getattr(request, "reverting", False) or obj.status not in self.statuses_for(
            request, obj
        ):
            obj.status = stored or Status.DRAFT
        # Published only once its line items and citations are saved too (save_related),
        # and only if they allow it: the history then shows them as part of what was
        # published, not as corrections.
        obj.publish_after_related = obj.status == Status.PUBLISHED and stored != obj.status
        if obj.publish_after_related:
            obj.status = stored or Status.DRAFT
        if change:
            obj.version = locking.claim(obj.pk, form.cleaned_data["base_version"])
        super().save_model(request, obj, form, change)

    class Media:
        js = ["ledger/admin-entry.js"]

    def get_formset_kwargs(self, request, obj, inline, prefix):
        # The page's inline formsets know one another: a citation may cite a line item
        # row of the same POST (CitationFormSet).
        siblings = request.__dict__.setdefault("agreement_formsets", {})
        return super().get_formset_kwargs(request, obj, inline, prefix) | {"siblings": siblings}

    def save_related(self, request, form, formsets, change):
        # Line items first: a citation of a new line item's row needs that item saved.
        form.save_m2m()
        for formset in sorted(formsets, key=lambda formset: formset.model is not LineItem):
            self.save_formset(request, form, formset, change=change)
        obj = form.instance
        if not getattr(obj, "publish_after_related", False):
            return
        reason = review.why_not_publishable(obj)
        if reason:
            self.message_user(
                request,
                f"Saved, but not published: {reason} It is a {obj.get_status_display().lower()}.",
                messages.ERROR,
            )
            return
        obj.status = Status.PUBLISHED
        obj._change_reason = review.PUBLISHED
        obj.save(update_fields=["status", "updated_at"])

    # Publishing ------------------------------------------------------------------

    @admin.action(description="Publish the selected agreements", permissions=["publish"])
    def publish(self, request, queryset):
        chosen = list(queryset.order_by("title"))
        refused = [
            (agreement, review.why_not_publishable(agreement))
            for agreement in chosen
            if not agreement.is_revision and not agreement.is_published
        ]
        refused = [(agreement, reason) for agreement, reason in refused if reason]
        proposed = [agreement for agreement in chosen if agreement.is_revision]
        if refused or proposed:
            problems = [f"“{agreement}”: {reason}" for agreement, reason in refused]
            problems += [
                f"“{agreement}” is a revision: a reviewer approves it on its review page."
                for agreement in proposed
            ]
            self.message_user(
                request, f"Nothing was published. {' '.join(problems)}", messages.ERROR
            )
            return
        count = review.set_status(queryset, Status.PUBLISHED)
        self.message_user(request, f"Published {count} agreement(s).", messages.SUCCESS)

    @admin.action(description="Unpublish the selected agreements", permissions=["publish"])
    def unpublish(self, request, queryset):
        count = review.set_status(queryset, Status.DRAFT)
        self.message_user(
            request,
            f"Unpublished {count} agreement(s): readers no longer see them.",
            messages.SUCCESS,
        )

    @admin.action(description="Mark the selected drafts ready for review", permissions=["change"])
    def mark_ready(self, request, queryset):
        drafts = list(queryset.filter(status=Status.DRAFT).order_by("pk"))
        for agreement in drafts:
            review.mark_ready(agreement)
        self.message_user(
            request,
            f"Marked {len(drafts)} draft(s) ready for review; reviewers find them under "
            "“Waiting for review”.",
            messages.SUCCESS,
        )

    @admin.display(description="status", ordering="status")
    def review_state(self, obj):
        if obj.is_revision:
            return f"Revision of #{obj.revises_id}: {obj.get_status_display().lower()}"
        return obj.get_status_display()

    @admin.display(description="announced", ordering="announced_on")
    def announced(self, obj):
        return obj.announced_display

    @admin.display(description="headline amount")
    def headline_amount(self, obj):
        return obj.money_display

    @admin.display(description="line items", ordering="item_count")
    def line_item_count(self, obj):
        return obj.item_count


class AgreementChildForm(forms.ModelForm):
    """A line item or a citation on its own page: never one of a published agreement."""

    def clean(self):
        cleaned_data = super().clean()
        agreement = cleaned_data.get("agreement")
        if agreement is not None and agreement.is_published:
            raise ValidationError(
                {
                    "agreement": (
                        f"“{agreement}” is published: a change to it is proposed on its page "
                        "(“Propose a change”) and waits for a reviewer."
                    )
                }
            )
        return cleaned_data


class AgreementChildAdmin(SimpleHistoryAdmin):
    """A line item or a citation edited on its own page: its agreement moves to a new version.

    An agreement page opened before then would otherwise write its stale copy back. Those
    of a published agreement are read-only: they change through its revision.
    """

    form = AgreementChildForm
    view_on_site = staticmethod(site_url)

    def has_change_permission(self, request, obj=None):
        if obj is not None and of_published(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and of_published(obj):
            return False
        return super().has_delete_permission(request, obj)

    def revert_disabled(self, request, obj=None):
        if obj is not None and stored_is_published(self.model, obj.pk):
            return True
        return super().revert_disabled(request, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and stored_is_published(self.model, unquote(object_id)):
            agreement = Agreement.objects.get(
                pk=self.model.objects.filter(pk=unquote(object_id)).values("agreement")[:1]
            )
            self.message_user(request, read_only_message(agreement), messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if (
            request.method == "POST"
            and object_id is not None
            and stored_is_published(self.model, unquote(object_id))
            and super().has_change_permission(request)
        ):
            agreement = Agreement.objects.get(
                pk=self.model.objects.filter(pk=unquote(object_id)).values("agreement")[:1]
            )
            self.message_user(request, read_only_message(agreement), messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        before = type(obj).objects.filter(pk=obj.pk).values_list("agreement", flat=True)
        super().save_model(request, obj, form, change)
        locking.bump([obj.agreement_id, *before])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        locking.bump([obj.agreement_id])

    def delete_queryset(self, request, queryset):
        agreements = list(queryset.values_list("agreement", flat=True))
        super().delete_queryset(request, queryset)
        locking.bump(agreements)


@admin.register(LineItem)
class LineItemAdmin(MoneyEntry, ImportMixin, AgreementChildAdmin):
    """Line items; the change list's Import button takes a CSV of them (aid/importing.py)."""

    resource_classes = [LineItemResource]
    change_form_template = "admin/aid/lineitem/change_form.html"
    import_formats = [CSV]
    import_template_name = "admin/aid/lineitem/import.html"

    class Media:
        # Amounts in words and currency codes, as on the agreement's page (MoneyEntry).
        css = {"all": ["ledger/admin.css"]}
        js = ["ledger/admin-entry.js"]

    def get_import_data_kwargs(self, **kwargs):
        # One transaction, rolled back if any row is invalid: all rows or none.
        kwargs = super().get_import_data_kwargs(**kwargs)
        return kwargs | {"use_transactions": True, "rollback_on_validation_errors": True}

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The file or the ledger changed between the preview and the confirmation.
            self.message_user(
                request,
                "Nothing was imported: the file no longer imports cleanly. Upload it again "
                "to see what is wrong.",
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:aid_lineitem_import"))
        for agreement, _ in getattr(result, "revised", []):
            self.message_user(
                request,
                f"“{agreement}” is published: the file's changes to it are in its pending "
                "revision, which readers do not see until a reviewer approves it.",
                messages.WARNING,
            )
        return super().process_result(result, request)

    list_display = [
        "description",
        "agreement",
        "agreement_donor",
        "category",
        "stage",
        "money",
        "quantity",
    ]
    # Every column's related rows (agreement, its donor, category) in the page's query.
    list_select_related = ["agreement__donor", "category"]
    # No COUNT(*) of a million rows when the list is unfiltered: PostgreSQL's estimate.
    paginator = EstimatedCountPaginator
    list_filter = [
        "category",
        "stage",
        "aid_type",
        "basis",
        # Every donor (one query over the few donors), not only those with line items:
        # RelatedOnlyFieldListFilter runs a DISTINCT over every line item on each view.
        # By the line item's copy of its agreement's donor: no join to agreements.
        ("donor", admin.RelatedFieldListFilter),
        InRevisionFilter,
    ]
    search_fields = ["description", "agreement__title"]
    # part_of is a line item: a drop-down would list every line item in the ledger.
    autocomplete_fields = ["agreement", "part_of"]
    show_full_result_count = False

    # Not named donor: a LineItem field of that name would take the column over, unjoined.
    @admin.display(description="donor", ordering="agreement__donor__name")
    def agreement_donor(self, obj):
        return obj.agreement.donor

    @admin.display(description="amount")
    def money(self, obj):
        return obj.money_display


class SourceForm(forms.ModelForm):
    """A source's fields, and its text: pasted, or read from an uploaded file (aid/documents.py).

    Storing a text never loses a checked citation: a new text of a cited source
    must still hold every passage already found in the old one.
    """

    paste = forms.CharField(
        label="Paste the text",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "cols": 80}),
        help_text=(
            f"The whole document as you read it, or the part of it the ledger cites (up to "
            f"{documents.MAX_PASTE_CHARS:,} characters; upload a longer one as a file)."
        ),
    )
    paste_format = forms.ChoiceField(
        label="Pasted text is",
        choices=[(f, TextFormat(f).label) for f in documents.PASTE_FORMATS],
        initial=TextFormat.PLAIN,
        help_text="HTML is read down to the text a reader sees; the HTML is kept too.",
    )
    upload = forms.FileField(
        label="Or upload the file",
        required=False,
        help_text=(
            f"Plain text, Markdown, HTML or PDF ({documents.ACCEPTED}), up to "
            f"{documents.MAX_UPLOAD_BYTES // (1024 * 1024)} MB; text in UTF-8."
        ),
    )

    class Meta:
        model = Source
        fields = ["title", "publisher", "published_on", "period_end", "url", "snapshot_taken_on"]
        fields += ["notes"]

        def formfield_callback(field, **kwargs):
            # As the admin's formfield_overrides: a URL typed without a scheme is https.
            if isinstance(field, models.URLField):
                kwargs.setdefault("assume_scheme", "https")
            return field.formfield(**kwargs)

    def clean_paste(self):
        # Not max_length: a browser would cut a longer paste at maxlength without a word.
        pasted = self.cleaned_data["paste"]
        if len(pasted) > documents.MAX_PASTE_CHARS:
            raise ValidationError(
                f"The pasted text has {len(pasted):,} characters; up to "
                f"{documents.MAX_PASTE_CHARS:,} can be pasted. Upload a longer document as a file."
            )
        return pasted

    def clean(self):
        cleaned_data = super().clean()
        self.document = None
        pasted, upload = cleaned_data.get("paste", ""), cleaned_data.get("upload")
        if pasted.strip() and upload:
            raise ValidationError("Give the text one way: paste it or upload a file, not both.")
        try:
            if upload:
                self.document = documents.from_upload(upload)
            elif pasted.strip():
                self.document = documents.from_paste(pasted, cleaned_data.get("paste_format"))
        except documents.DocumentError as error:
            self.add_error("upload" if upload else "paste", str(error))
            return cleaned_data
        if self.document is None:
            if self.reverts_text():
                self.keep_checked_citations(self.instance.text)
            return cleaned_data
        if self.instance.file:
            raise ValidationError(
                f"This source's text is its seed file, seeds/{self.instance.file}, and is loaded "
                f"from there: it cannot be replaced here."
            )
        if cleaned_data.get("url") and not cleaned_data.get("snapshot_taken_on"):
            self.add_error(
                "snapshot_taken_on",
                "Give the day this text was taken from the URL: the ledger never fetches the "
                "page, so the text is what it said on that day.",
            )
        self.keep_checked_citations(self.document.text)
        return cleaned_data

    def reverts_text(self):
        """Whether this form restores another text: a revert to an earlier version (History)."""
        if self.instance.pk is None:
            return False
        stored = Source.objects.filter(pk=self.instance.pk).values_list("text_sha256", flat=True)
        return self.instance.text_sha256 != stored.first()

    def keep_checked_citations(self, text):
        if self.instance.pk is None:
            return
        lost = [
            citation
            for citation in self.instance.citations.checked().select_related("agreement")
            if passages.find_passage(text, citation.passage) is None
        ]
        if lost:
            shown = "; ".join(f"“{c.passage[:80]}” ({c.agreement})" for c in lost[:5])
            more = f" and {len(lost) - 5} more" if len(lost) > 5 else ""
            raise ValidationError(
                f"Not stored: {len(lost)} passage(s) cited from this source are not in the new "
                f"text: {shown}{more}. Store a text that holds them, or correct those "
                f"citations first."
            )

    def _post_clean(self):
        super()._post_clean()
        if self._errors:
            return
        # The model's constraints on the text and its record name fields this form does
        # not have (they are set by store()), so the ModelForm skipped them: check them on
        # the source as it would be saved, or the database would refuse it with a 500.
        candidate = copy.copy(self.instance)
        if self.document is not None:
            candidate.store(self.document)
        try:
            candidate.validate_constraints()
        except ValidationError as error:
            self._update_errors(error)

    def save(self, commit=True):
        if self.document is not None:
            self.instance.store(self.document)
        return super().save(commit)


class HasTextFilter(admin.SimpleListFilter):
    title = "stored text"
    parameter_name = "has_text"

    def lookups(self, request, model_admin):
        return [("yes", "Has its text"), ("no", "No text yet")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(text="")
        if self.value() == "no":
            return queryset.filter(text="")
        return queryset


@admin.register(Source)
class SourceAdmin(SourceCandidates, SimpleHistoryAdmin):
    """A source and its stored text, given by pasting it or uploading the file (aid/documents.py).

    Every citation is checked against the stored text; a URL is never fetched, so a
    web page's text is a snapshot the analyst takes. A seed source's text is its
    file in seeds/, shown read-only.
    """

    form = SourceForm
    list_display = ["title", "publisher", "published_on", "text_format", "text_origin"]
    list_filter = [HasTextFilter, "text_format", "text_origin"]
    search_fields = ["title", "publisher"]
    date_hierarchy = "published_on"
    readonly_fields = [
        "file",
        "text_format",
        "text_origin",
        "text_file_name",
        "text_sha256",
        "text_stored_at",
        "stored_text",
    ]
    fieldsets = [
        (None, {"fields": ["title", "publisher", ("published_on", "period_end"), "url", "notes"]}),
        (
            "Give the document's text",
            {
                "fields": ["paste", "paste_format", "upload", "snapshot_taken_on"],
                "description": (
                    "Paste the document's text, or upload its file (plain text, Markdown, HTML "
                    "or PDF). Every citation is checked against this text. The ledger never "
                    "fetches a URL: for a web page, store the text as you read it there, and "
                    "the day you took it."
                ),
            },
        ),
        (
            "Stored text",
            {
                "fields": [
                    ("text_format", "text_origin", "text_file_name"),
                    ("text_sha256", "text_stored_at"),
                    "file",
                    "stored_text",
                ]
            },
        ),
    ]
    # Sources are cited from public sites; a URL typed without a scheme is https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    class Media:
        css = {"all": ["ledger/admin.css"]}

    def get_queryset(self, request):
        # Lists and autocompletes never need the texts; a source's own page reads them once.
        return super().get_queryset(request).defer(*Source.TEXT_BODIES)

    @admin.display(description="text")
    def stored_text(self, obj):
        if not obj.text:
            return "No text stored yet: no passage of this source can be cited."
        return format_html('<pre class="stored-text">{}</pre>', obj.text)


class CheckedFilter(admin.SimpleListFilter):
    title = "checked"
    parameter_name = "checked"

    def lookups(self, request, model_admin):
        return [("yes", "Found in the source's text"), ("no", "Not verified")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.checked()
        if self.value() == "no":
            return queryset.unchecked()
        return queryset


@admin.register(Citation)
class CitationAdmin(CitationCheck, AgreementChildAdmin):
    list_display = ["excerpt", "source", "agreement", "line_item", "checked"]
    list_select_related = ["source", "agreement", "line_item"]
    list_filter = [CheckedFilter]
    fields = ["source", "agreement", "line_item", "passage", "check_display"]
    readonly_fields = ["check_display"]
    paginator = EstimatedCountPaginator
    search_fields = ["passage"]
    autocomplete_fields = ["source", "agreement", "line_item"]
    show_full_result_count = False

    def get_queryset(self, request):
        # The change list applies list_select_related only to a queryset that has none.
        return super().get_queryset(request).with_source().select_related(*self.list_select_related)

    def get_actions(self, request):
        # Deleting citations in bulk could leave an agreement without one unnoticed.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="passage")
    def excerpt(self, obj):
        return obj.passage if len(obj.passage) <= 80 else f"{obj.passage[:79]}…"

    @admin.display(description="checked", boolean=True)
    def checked(self, obj):
        return obj.is_checked

    def has_delete_permission(self, request, obj=None):
        # A published agreement keeps a checked citation (unpublish it first); and one
        # whose citations are all unchecked keeps at least those.
        if obj is not None and obj.agreement.is_published:
            others = obj.agreement.citations.exclude(pk=obj.pk)
            if not (others.checked() if obj.is_checked else others).exists():
                return False
        return super().has_delete_permission(request, obj)
