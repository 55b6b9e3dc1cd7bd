"""One FilterSet per public table. Every filter is a GET parameter that combines with the rest.

Parameter names are a public contract (README, "URLs"): donor, category, kind, stage,
date_after, date_before, q, min_eur, max_eur, and on /items/ agreement.

A number in the URL is checked against what the database can hold before any query sees
it (README, "A bad value"): one out of range is shown beside its filter like any other bad
value, rather than reaching SQLite, which cannot bind an integer beyond 64 bits.
"""

from decimal import Decimal

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import BigIntegerField, Q, QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES
from django_filters.fields import RangeField

from .choices import AgreementKind, AidType, DonorKind, Stage
from .models import Agreement, Category, Donor, LineItem

SEARCH_MAX_LENGTH = 200


class SearchFilter(filters.CharFilter):
    """Free text over the fields named; a blank query filters nothing."""

    def __init__(self, *args, search_fields, **kwargs):
        self.search_fields = search_fields
        kwargs.setdefault("label", _("Search"))
        kwargs.setdefault("max_length", SEARCH_MAX_LENGTH)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value})
        return qs.filter(query)


def public_donors(request):
    return Donor.objects.public()


class SlugFilter(filters.ModelMultipleChoiceFilter):
    """Chosen by slug in the URL; filters by the records' ids, which validation looked up.

    By id, the query needs no join to the donor or category table, and the planner reads
    the id's frequency from the column's statistics instead of guessing it through a join.
    """

    def get_filter_predicate(self, v):
        if not self.method:
            return {self.field_name.removesuffix("__slug"): v}
        return super().get_filter_predicate(v)


def slug_filter(queryset, field_name, label, unknown, method=None):
    """A repeatable filter by slug; field_name ends in __slug, the value the URL carries.

    `unknown` is the message for a slug that names nothing ("There is no donor …").
    """
    return SlugFilter(
        field_name=field_name,
        to_field_name="slug",
        queryset=queryset,
        label=label,
        method=method,
        error_messages={"invalid_choice": unknown},
    )


def choice_filter(choices, label, unknown, **kwargs):
    """A repeatable filter by one of the ledger's vocabularies (aid/choices.py)."""
    return filters.MultipleChoiceFilter(
        choices=choices, label=label, error_messages={"invalid_choice": unknown}, **kwargs
    )


# Labels and messages shared by the tables' filters.
DONOR = _("Donor")
NO_DONOR = _("There is no donor “%(value)s”.")
CATEGORY = _("Category")
NO_CATEGORY = _("There is no category “%(value)s”.")
KIND = _("Kind")
NO_KIND = _("There is no kind “%(value)s”.")
STAGE = _("Stage")
NO_STAGE = _("There is no stage “%(value)s”.")
AID_TYPE = _("Aid type")
NO_AID_TYPE = _("There is no aid type “%(value)s”.")


def announced_filter(field_name):
    return filters.DateFromToRangeFilter(
        field_name=field_name,
        label=_("Announced"),
        widget=filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )


# Ids are bigints counted from 1 (DEFAULT_AUTO_FIELD), on SQLite and PostgreSQL alike.
MAX_ID = BigIntegerField.MAX_BIGINT


class IdFilter(filters.Filter):
    """One record by id: a whole number from 1 to MAX_ID, or an error beside the filter."""

    field_class = forms.IntegerField

    def __init__(self, *args, message, **kwargs):
        kwargs.update(
            min_value=1,
            max_value=MAX_ID,
            error_messages={"invalid": message, "min_value": message, "max_value": message},
        )
        super().__init__(*args, **kwargs)


def value_range(field):
    """(lowest, highest) amount a DecimalField stores: never negative, max_digits wide."""
    whole_digits = field.max_digits - field.decimal_places
    highest = Decimal(10) ** whole_digits - Decimal(10) ** -field.decimal_places
    return Decimal(0), highest


def value_filters(model, field_name):
    """min_eur and max_eur: inclusive bounds on a normalised EUR value, within its column."""
    low, high = value_range(model._meta.get_field(field_name))
    message = format_lazy(
        _("A value in EUR is a number from {low} to {high}."), low=low, high=f"{high:,}"
    )
    options = {
        "field_name": field_name,
        "min_value": low,
        "max_value": high,
        "error_messages": {"invalid": message, "min_value": message, "max_value": message},
    }
    return (
        filters.NumberFilter(lookup_expr="gte", label=_("At least (EUR)"), **options),
        filters.NumberFilter(lookup_expr="lte", label=_("At most (EUR)"), **options),
    )


class LedgerFilterForm(forms.Form):
    """A filter form that keeps the valid values of a filter beside its invalid ones.

    Django rejects a field whole when one of its values is bad: `donor=belgum&donor=spain`
    would lose Spain too, and the page would list every donor's rows while Spain stayed
    ticked. Here each bad value is reported on its own and the good ones still apply (on
    the page, its facets, totals and sentence). Exports still refuse any invalid filter.
    """

    def clean(self):
        cleaned = super().clean()
        for name in list(self.errors):
            field = self.fields.get(name)
            if field is None:
                continue
            salvaged = salvage(field, self[name].data)
            if salvaged is None:
                continue  # one value, and a bad one: reported, not applied
            kept, problems = salvaged
            if problems:
                self._errors[name] = self.error_class(problems)
            else:
                del self._errors[name]  # only empty values (`donor=`): no filter, no error
            if kept not in EMPTY_VALUES:
                cleaned[name] = kept
        return cleaned


def salvage(field, data):
    """(the valid part of a filter's value, one message per invalid part); None for a
    filter of one value, which is all good or all bad."""
    if isinstance(field, forms.ModelMultipleChoiceField):
        values = [value for value in dict.fromkeys(data or []) if value not in EMPTY_VALUES]
        key = field.to_field_name or "pk"
        # A NUL can be in no slug, and PostgreSQL refuses it in a query: invalid, unasked.
        askable = [value for value in values if "\x00" not in value]
        try:
            found = {
                str(getattr(record, key)): record
                for record in field.queryset.filter(**{f"{key}__in": askable})
            }
        except (ValueError, TypeError, ValidationError):
            found = {}
        kept = [found[value] for value in values if value in found]
        return kept, [invalid_choice(field, value) for value in values if value not in found]
    if isinstance(field, forms.MultipleChoiceField):
        values = [value for value in dict.fromkeys(data or []) if value not in EMPTY_VALUES]
        kept = [value for value in values if field.valid_value(value)]
        return kept, [invalid_choice(field, value) for value in values if value not in kept]
    if isinstance(field, RangeField) and isinstance(data, list | tuple):
        # The ends of a range are checked one by one: a bad "from" keeps a good "to".
        ends, problems = [], []
        for part, value, side in zip(field.fields, data, RANGE_SIDES, strict=False):
            try:
                ends.append(part.clean(value))
            except ValidationError as error:
                ends.append(None)
                problems.extend(f"{side}: {message}" for message in error.messages)
        kept = field.compress(ends) if any(end is not None for end in ends) else None
        return kept, problems
    return None


RANGE_SIDES = (_("From"), _("To"))


def applies(value):
    """Whether a filter's cleaned value filters anything (empty choices and text do not)."""
    if isinstance(value, QuerySet | list | tuple | set):
        return bool(value)  # a chosen records' queryset is already evaluated by cleaning
    return value not in EMPTY_VALUES


def invalid_choice(field, value):
    return field.error_messages["invalid_choice"] % {"value": value}


class LedgerFilterSet(filters.FilterSet):
    """The filters every table shares; subclasses say which fields they reach."""

    # Facets are counted for these filters, in this order.
    facet_names = ("donor", "category", "aid_type", "stage", "kind")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No filter joins a multi-valued relation (agreement filters over line
        # items use subqueries), so no DISTINCT is ever needed.
        for filter_ in self.filters.values():
            filter_.distinct = False

    def get_form_class(self):
        fields = {name: filter_.field for name, filter_ in self.filters.items()}
        return type(f"{type(self).__name__}Form", (LedgerFilterForm,), fields)

    def filter_queryset(self, queryset):
        return self.apply(queryset, self.form.cleaned_data)

    def narrows(self):
        """Whether any filter applies: a valid value, or the valid part of a partly bad one.

        A filter that is all bad applies nothing (it is reported), so the rows are the
        whole table's; one with a good value among bad ones applies that value. Falsy
        values that still filter (min_eur=0 leaves out unconverted amounts) count.
        """
        if not self.is_bound:
            return False
        self.errors  # noqa: B018 (validates the form, as FilterSet.qs does)
        return any(applies(value) for value in self.form.cleaned_data.values())

    def apply(self, queryset, values):
        """The queryset narrowed by these filters' cleaned values."""
        for name, value in values.items():
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def facet_base(self, name, queryset):
        """What the facet `name` groups and counts: every other filter applied."""
        return self.qs_without(name, queryset)

    def qs_without(self, name, queryset=None):
        """The queryset (or this one) with every valid filter but `name`: what its facet counts.

        Reuses the validated form, so the slugs are not looked up again.
        """
        queryset = (self.queryset if queryset is None else queryset).all()
        if not self.is_bound:
            return queryset
        self.is_valid()  # validates the form, as FilterSet.qs does
        values = {field: v for field, v in self.form.cleaned_data.items() if field != name}
        return self.apply(queryset, values)


class LineItemFilterSet(LedgerFilterSet):
    # donor, kind and announced_on are the line item's copies of its agreement's.
    donor = slug_filter(public_donors, "donor__slug", DONOR, NO_DONOR)
    category = slug_filter(Category.objects.all(), "category__slug", CATEGORY, NO_CATEGORY)
    kind = choice_filter(AgreementKind.choices, KIND, NO_KIND, field_name="kind")
    stage = choice_filter(Stage.choices, STAGE, NO_STAGE)
    aid_type = choice_filter(AidType.choices, AID_TYPE, NO_AID_TYPE)
    agreement = IdFilter(
        field_name="agreement_id",
        label=_("Agreement"),
        message=format_lazy(_("An agreement id is a whole number from 1 to {max}."), max=MAX_ID),
        widget=forms.HiddenInput,
    )
    date = announced_filter("announced_on")
    min_eur, max_eur = value_filters(LineItem, "value_eur")
    q = SearchFilter(
        search_fields=["description", "agreement__title", "agreement__summary", "notes"]
    )

    class Meta:
        model = LineItem
        fields = [
            "donor",
            "category",
            "kind",
            "stage",
            "aid_type",
            "agreement",
            "date",
            "min_eur",
            "max_eur",
            "q",
        ]


class AgreementFilterSet(LedgerFilterSet):
    donor = slug_filter(public_donors, "donor__slug", DONOR, NO_DONOR)
    # An agreement matches when one of its items meets every item filter: category, stage
    # and aid type together mean one item in that category at that stage of that type (a
    # subquery, so no row repeats). See apply().
    category = slug_filter(
        Category.objects.all(),
        "line_items__category__slug",
        CATEGORY,
        NO_CATEGORY,
        method="filter_items",
    )
    kind = choice_filter(AgreementKind.choices, KIND, NO_KIND)
    stage = choice_filter(
        Stage.choices, STAGE, NO_STAGE, field_name="line_items__stage", method="filter_items"
    )
    aid_type = choice_filter(
        AidType.choices,
        AID_TYPE,
        NO_AID_TYPE,
        field_name="line_items__aid_type",
        method="filter_items",
    )
    ITEM_FILTERS = {"category": "category__in", "stage": "stage__in", "aid_type": "aid_type__in"}
    date = announced_filter("announced_on")
    min_eur, max_eur = value_filters(Agreement, "counted_eur")
    q = SearchFilter(search_fields=["title", "summary", "notes", "donor__name"])

    class Meta:
        model = Agreement
        fields = [
            "donor",
            "category",
            "kind",
            "stage",
            "aid_type",
            "date",
            "min_eur",
            "max_eur",
            "q",
        ]

    def filter_items(self, queryset, field_name, value):
        """One item filter alone (apply() combines them when there are several)."""
        name = next(name for name, f in self.filters.items() if f.field_name == field_name)
        return self.apply(queryset, {name: value})

    def apply(self, queryset, values):
        items = {
            self.ITEM_FILTERS[name]: value
            for name, value in values.items()
            if name in self.ITEM_FILTERS and value
        }
        others = {name: v for name, v in values.items() if name not in self.ITEM_FILTERS}
        queryset = super().apply(queryset, others)
        return queryset.with_items_matching(**items) if items else queryset

    def facet_base(self, name, queryset):
        """What the facet `name` groups: for an item facet, the agreements joined to the items
        that meet the other item filters, so that each count is what ticking the value gives."""
        if name not in self.ITEM_FILTERS:
            return self.qs_without(name, queryset)
        cleaned = getattr(self.form, "cleaned_data", {})
        others = {f: v for f, v in cleaned.items() if f != name and f not in self.ITEM_FILTERS}
        items = {
            f"line_items__{lookup}": cleaned[f]
            for f, lookup in self.ITEM_FILTERS.items()
            if f != name and cleaned.get(f)
        }
        # A join, not a subquery: the facet's GROUP BY over line_items__… reuses the join
        # this filter() made, so only items meeting the other item filters are counted.
        return self.apply(queryset.all(), others).filter(**items)


class DonorFilterSet(LedgerFilterSet):
    facet_names = ("kind",)

    kind = choice_filter(DonorKind.choices, KIND, NO_KIND)
    q = SearchFilter(search_fields=["name", "slug"])

    class Meta:
        model = Donor
        fields = ["kind", "q"]
