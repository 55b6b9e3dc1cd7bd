"""Foreign-key fields of inline rows that do not query the database once per row.

Each form of a formset deep-copies its fields, and a copied ModelChoiceField runs its
queryset again: an agreement's page queried the categories once per line-item row (51
queries for 49 items, bench/README.md §5), and checked each posted row's category with
one more query. The admin builds an inline's form fields afresh for every request, so a
field that fetches its rows once and shares them with its copies holds them for one
request, no longer:

- SharedChoicesField: a ModelChoiceField whose choices are fetched at most once per
  request for all the formset's forms, and whose posted values are checked against
  those rows (a value not among them is refused, as a ModelChoiceField refuses it).
- PreloadedAutocompleteSelect: an autocomplete whose selected object is taken from
  objects the formset has already loaded (its rows' `select_related`), instead of one
  query per row; anything else is looked up as the admin's AutocompleteSelect does.
  PreloadedChoiceField checks a posted value against those objects in the same way.
- currency_datalist(): the ISO 4217 codes as one <datalist> for the whole page, the
  ledger's most used first, which every currency input of the page offers.
"""

from collections import Counter

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import ModelChoiceIterator
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from .iso import CURRENCIES

# Counting currencies reads every line item (a million, bench/README.md): the order of
# suggestions may lag the data by this long.
CURRENCY_USE_SECONDS = 3600


class SharedRows:
    """A queryset's rows, fetched on first use, and found by a field's value."""

    def __init__(self, queryset):
        self.queryset = queryset

    @cached_property
    def objects(self):
        return list(self.queryset)

    def find(self, value, to_field_name=None):
        """The row whose to_field_name (the primary key by default) is value, or None."""
        model = self.queryset.model
        field = model._meta.get_field(to_field_name) if to_field_name else model._meta.pk
        if isinstance(value, model):
            value = getattr(value, field.attname)
        try:
            value = field.to_python(value)
        except (ValidationError, TypeError, ValueError):
            return None
        return self._index(field.attname).get(value)

    def _index(self, attname):
        indexes = self.__dict__.setdefault("_indexes", {})
        if attname not in indexes:
            indexes[attname] = {getattr(obj, attname): obj for obj in self.objects}
        return indexes[attname]


class SharedChoicesIterator(ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.rows.objects:
            yield self.choice(obj)

    def __len__(self):
        return len(self.field.rows.objects) + (self.field.empty_label is not None)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.field.rows.objects)


class SharedChoicesField(forms.ModelChoiceField):
    """A ModelChoiceField whose copies (one per form of a formset) share one fetch."""

    iterator = SharedChoicesIterator

    def _set_queryset(self, queryset):
        # A new queryset (limit_choices_to, or code that narrows it) gets its own rows.
        self.rows = SharedRows(None if queryset is None else queryset.all())
        super()._set_queryset(queryset)

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        if result.queryset is not None and self.queryset is not None:
            # The copy's queryset is self's again (.all()): share the rows, not a new fetch.
            result.rows = self.rows
        return result

    def to_python(self, value):
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        found = self.rows.find(value, self.to_field_name)
        if found is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return found


class PreloadedChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose value, if its widget already holds the object, is not queried."""

    def to_python(self, value):
        widget = getattr(self.widget, "widget", self.widget)
        known = getattr(widget, "known", {})
        if value not in self.empty_values and str(value) in known:
            return known[str(value)]
        return super().to_python(value)


class PreloadedAutocompleteSelect(AutocompleteSelect):
    """An AutocompleteSelect that renders an already loaded selected object without a query.

    `known` maps the foreign key's value, as a string (str(citation.source_id)), to the
    object; the copies of the widget (one per form) share the dict, so the formset fills
    it once (see CitationFormSet in aid/admin.py).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.known = {}

    def optgroups(self, name, value, attr=None):
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        if self.allow_multiple_selected or not selected or not selected.issubset(self.known):
            return super().optgroups(name, value, attr)
        remote = self.field.remote_field
        to_field = remote.model._meta.get_field(remote.field_name).attname
        options = []
        if not self.is_required:
            options.append(self.create_option(name, "", "", False, 0))
        for key in sorted(selected):
            obj = self.known[key]
            label = self.choices.field.label_from_instance(obj)
            options.append(
                self.create_option(name, getattr(obj, to_field), label, True, len(options))
            )
        return [(None, options, 0)]


def currencies_by_use():
    """Every ISO 4217 code: those of line items and agreements by how often, then the rest."""

    def count():
        from .models import Agreement, LineItem

        used = Counter()
        for model in (LineItem, Agreement):
            rows = model.objects.exclude(currency="").values_list("currency")
            used.update(dict(rows.annotate(n=Count("pk")).order_by()))
        return [code for code, _ in sorted(used.items(), key=lambda row: (-row[1], row[0]))]

    used = cache.get_or_set("aid:currencies-by-use", count, CURRENCY_USE_SECONDS)
    return [*used, *sorted(CURRENCIES - set(used))]


def currency_datalist(list_id):
    """One <datalist> of currency codes for every currency input of a page."""
    codes = ((code,) for code in currencies_by_use())
    options = format_html_join("", '<option value="{}"></option>', codes)
    return format_html('<datalist id="{}">{}</datalist>', list_id, options)
