"""Totals that hold: each figure counted once, stages never added together, qualifiers kept.

A *figure* is what enters a total: an agreement's headline amount (at the
agreement's headline stage), or a counted line item (LineItemQuerySet.counted:
priced, not a part of another figure, not inside an agreement whose headline
already counts the whole). Values are the normalised EUR or USD values (aid/fx.py).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from .choices import Stage
from .models import COUNTED, LineItem
from .money import format_value, total_qualifier

CURRENCIES = {"EUR": "value_eur", "USD": "value_usd"}
STAGE_ORDER = {stage: position for position, stage in enumerate(Stage.values)}


@dataclass
class Total:
    """The sum of the figures at one stage, in one currency."""

    stage: str
    currency: str
    amount: Decimal = Decimal(0)
    qualifiers: set = field(default_factory=set)
    count: int = 0
    unconverted: int = 0

    @property
    def qualifier(self):
        return total_qualifier(self.qualifiers)

    @property
    def display(self):
        return format_value(self.amount, self.currency, self.qualifier)

    @property
    def stage_label(self):
        return Stage(self.stage).label


class Totals:
    """Totals per stage for one currency; at most one entry per stage."""

    def __init__(self, currency="EUR"):
        self.currency = currency
        self.by_stage = {}

    def add(self, stage, amount, qualifier, count=1):
        total = self.by_stage.setdefault(stage, Total(stage, self.currency))
        if amount is None:
            total.unconverted += count
            return
        total.amount += amount
        total.count += count
        total.qualifiers.add(qualifier)

    def add_rows(self, rows):
        """Rows of (stage, qualifier, value sum, figure count, unconverted count)."""
        for stage, qualifier, value, count, unconverted in rows:
            if count:
                self.add(stage, value, qualifier, count)
            if unconverted:
                self.add(stage, None, qualifier, unconverted)

    def __iter__(self):
        return iter(sorted(self.by_stage.values(), key=lambda t: STAGE_ORDER[t.stage]))

    def __bool__(self):
        return bool(self.by_stage)

    def get(self, stage):
        return self.by_stage.get(stage)


def grouped(queryset, stage_field, value_field):
    return (
        queryset.order_by()
        .values_list(stage_field, "qualifier")
        .annotate(
            value=Sum(value_field),
            n=Count("pk", filter=Q(**{f"{value_field}__isnull": False})),
            unconverted=Count("pk", filter=Q(**{f"{value_field}__isnull": True})),
        )
    )


def item_totals(line_items, currency="EUR"):
    """Totals of the counted line items among these, per stage."""
    totals = Totals(currency)
    totals.add_rows(grouped(line_items.counted(), "stage", CURRENCIES[currency]))
    return totals


def figure_totals(agreements, currency="EUR"):
    """Totals of these agreements' figures: headlines and counted line items, per stage."""
    value = CURRENCIES[currency]
    totals = Totals(currency)
    headlines = agreements.filter(amount__isnull=False)
    totals.add_rows(grouped(headlines, "stage", value))
    items = LineItem.objects.counted().filter(agreement__in=agreements.values("pk"))
    totals.add_rows(grouped(items, "stage", value))
    return totals


def grouped_totals(groups, currency="EUR"):
    """Totals keyed by a group expression, over (figure queryset, group expression) pairs.

    The querysets are already narrowed to one stage; the result is {key: Total}.
    """
    value = CURRENCIES[currency]
    totals = {}
    for queryset, group in groups:
        rows = (
            queryset.order_by()
            .annotate(group=group)
            .values_list("group", "stage", "qualifier")
            .annotate(total=Sum(value), n=Count("pk", filter=Q(**{f"{value}__isnull": False})))
        )
        for key, stage, qualifier, amount, count in rows:
            if count:
                totals.setdefault(key, Totals(currency)).add(stage, amount, qualifier, count)
    return {key: next(iter(t)) for key, t in totals.items()}


# Why a line item adds nothing to totals (LineItemQuerySet.counted), as filters.
UNCOUNTED = {
    "in_packages": Q(covered_by_headline=True),
    "parts": Q(part_of__isnull=False, covered_by_headline=False),
    "unpriced": Q(amount__isnull=True, covered_by_headline=False),
}


@dataclass
class ItemSummary:
    count: int
    totals: Totals
    by_stage: dict
    uncounted: dict


def item_summary(line_items, currency="EUR"):
    """How many line items, how many at each stage, their totals and why some are not counted.

    One query, grouped by stage and qualifier: each of these would otherwise scan the
    filtered set again (bench/README.md).
    """
    value = CURRENCIES[currency]
    converted = Q(**{f"{value}__isnull": False})
    rows = (
        line_items.order_by()
        .values_list("stage", "qualifier")
        .annotate(
            value=Sum(value, filter=COUNTED),
            counted=Count("pk", filter=COUNTED & converted),
            unconverted=Count("pk", filter=COUNTED & ~converted),
            n=Count("pk"),
            **{reason: Count("pk", filter=q) for reason, q in UNCOUNTED.items()},
        )
    )
    totals = Totals(currency)
    by_stage = {}
    uncounted = dict.fromkeys(UNCOUNTED, 0)
    for stage, qualifier, amount, counted, unconverted, n, *reasons in rows:
        totals.add_rows([(stage, qualifier, amount, counted, unconverted)])
        by_stage[stage] = by_stage.get(stage, 0) + n
        for reason, count in zip(UNCOUNTED, reasons, strict=True):
            uncounted[reason] += count
    return ItemSummary(sum(by_stage.values()), totals, by_stage, uncounted)
