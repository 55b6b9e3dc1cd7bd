"""One FilterSet per public table. Every filter is a GET parameter that combines with the rest.

Parameter names are a public contract (README, "URLs"): donor, category, kind, stage,
date_after, date_before, q, and on /items/ agreement.
"""

import django_filters as filters
from django import forms
from django.db.models import Q

from .choices import AgreementKind, DonorKind, Stage
from .models import Agreement, Category, Donor, LineItem

SEARCH_MAX_LENGTH = 200


class SearchFilter(filters.CharFilter):
    """Free text over the fields named; a blank query filters nothing."""

    def __init__(self, *args, search_fields, **kwargs):
        self.search_fields = search_fields
        kwargs.setdefault("label", "Search")
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


def slug_filter(queryset, field_name, label, method=None):
    """A repeatable filter by slug; field_name ends in __slug, the value the URL carries."""
    return SlugFilter(
        field_name=field_name,
        to_field_name="slug",
        queryset=queryset,
        label=label,
        method=method,
        error_messages={"invalid_choice": f"There is no {label.lower()} “%(value)s”."},
    )


def announced_filter(field_name):
    return filters.DateFromToRangeFilter(
        field_name=field_name,
        label="Announced",
        widget=filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )


def value_filters(field_name):
    """min_eur and max_eur: bounds on a normalised EUR value, inclusive."""
    return (
        filters.NumberFilter(field_name=field_name, lookup_expr="gte", label="At least (EUR)"),
        filters.NumberFilter(field_name=field_name, lookup_expr="lte", label="At most (EUR)"),
    )


class LedgerFilterSet(filters.FilterSet):
    """The filters every table shares; subclasses say which fields they reach."""

    # Facets are counted for these filters, in this order.
    facet_names = ("donor", "category", "stage", "kind")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No filter joins a multi-valued relation (agreement filters over line
        # items use subqueries), so no DISTINCT is ever needed.
        for filter_ in self.filters.values():
            filter_.distinct = False

    def qs_without(self, name, queryset=None):
        """The queryset (or this one) with every valid filter but `name`: what its facet counts.

        Reuses the validated form, so the slugs are not looked up again.
        """
        queryset = (self.queryset if queryset is None else queryset).all()
        if self.is_bound:
            self.is_valid()  # validates the form, as FilterSet.qs does
            for field, value in self.form.cleaned_data.items():
                if field != name:
                    queryset = self.filters[field].filter(queryset, value)
        return queryset


class LineItemFilterSet(LedgerFilterSet):
    # donor, kind and announced_on are the line item's copies of its agreement's.
    donor = slug_filter(public_donors, "donor__slug", "Donor")
    category = slug_filter(Category.objects.all(), "category__slug", "Category")
    kind = filters.MultipleChoiceFilter(
        field_name="kind", choices=AgreementKind.choices, label="Kind"
    )
    stage = filters.MultipleChoiceFilter(choices=Stage.choices, label="Stage")
    agreement = filters.NumberFilter(
        field_name="agreement_id", label="Agreement", widget=forms.HiddenInput
    )
    date = announced_filter("announced_on")
    min_eur, max_eur = value_filters("value_eur")
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
            "agreement",
            "date",
            "min_eur",
            "max_eur",
            "q",
        ]


class AgreementFilterSet(LedgerFilterSet):
    donor = slug_filter(public_donors, "donor__slug", "Donor")
    # An agreement matches when any of its items does (a subquery, so no row repeats).
    category = slug_filter(
        Category.objects.all(), "line_items__category__slug", "Category", method="filter_items"
    )
    kind = filters.MultipleChoiceFilter(choices=AgreementKind.choices, label="Kind")
    stage = filters.MultipleChoiceFilter(
        field_name="line_items__stage", choices=Stage.choices, label="Stage", method="filter_items"
    )
    date = announced_filter("announced_on")
    min_eur, max_eur = value_filters("counted_eur")
    q = SearchFilter(search_fields=["title", "summary", "notes", "donor__name"])

    class Meta:
        model = Agreement
        fields = ["donor", "category", "kind", "stage", "date", "min_eur", "max_eur", "q"]

    def filter_items(self, queryset, field_name, value):
        if not value:
            return queryset
        field = field_name.removeprefix("line_items__")
        values = [getattr(v, "slug", v) for v in value]
        return queryset.with_items_matching(**{f"{field}__in": values})


class DonorFilterSet(LedgerFilterSet):
    facet_names = ("kind",)

    kind = filters.MultipleChoiceFilter(choices=DonorKind.choices, label="Kind")
    q = SearchFilter(search_fields=["name", "slug"])

    class Meta:
        model = Donor
        fields = ["kind", "q"]
