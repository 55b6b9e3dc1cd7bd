"""Totals that hold: each figure counted once, stages never added together, qualifiers kept.

A *figure* is an amount of its own: an agreement's headline amount (at the agreement's
headline stage), or a line item's (LineItemQuerySet.figures: priced, not a part of another
figure, not inside an agreement whose headline already counts the whole). The totals add up
the figures of military aid paid once (models.MILITARY_LUMP_SUM); the others, rates per year
and aid of another type or whose military share is not stated, are totalled apart, each in
its own aid type, basis and stage, and shown as what the totals leave out. Values are the
normalised EUR or USD values (aid/fx.py).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from .choices import AidType, Basis, Stage
from .models import FIGURE, LineItem
from .money import format_value, left_out_reason, per_basis, total_qualifier

CURRENCIES = {"EUR": "value_eur", "USD": "value_usd"}
STAGE_ORDER = {stage: position for position, stage in enumerate(Stage.values)}
AID_TYPE_ORDER = {aid_type: position for position, aid_type in enumerate(AidType.values)}


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


@dataclass
class LeftOutTotal(Total):
    """The sum of the figures of one aid type and basis at one stage, kept out of the totals."""

    aid_type: str = AidType.MILITARY
    basis: str = Basis.ONCE

    @property
    def display(self):
        return per_basis(super().display, self.basis)

    @property
    def reason(self):
        return left_out_reason(self.aid_type, self.basis)

    @property
    def glossary_anchor(self):
        """Where the glossary explains the reason."""
        if self.aid_type != AidType.MILITARY:
            return f"aid-type-{self.aid_type}"
        return "basis"

    @property
    def aid_type_label(self):
        return AidType(self.aid_type).label

    @property
    def sort_key(self):
        return (AID_TYPE_ORDER[self.aid_type], self.basis, STAGE_ORDER[self.stage])


def add_to(total, amount, qualifier, count):
    if amount is None:
        total.unconverted += count
        return
    total.amount += amount
    total.count += count
    total.qualifiers.add(qualifier)


class Totals:
    """Totals per stage for one currency; at most one entry per stage.

    `left_out` holds, per aid type, basis and stage, the figures the totals leave out.
    """

    def __init__(self, currency="EUR"):
        self.currency = currency
        self.by_stage = {}
        self.left_out = {}

    def add(self, stage, amount, qualifier, count=1):
        add_to(
            self.by_stage.setdefault(stage, Total(stage, self.currency)), amount, qualifier, count
        )

    def add_rows(self, rows):
        """Rows of (stage, qualifier, value sum, figure count, unconverted count)."""
        for stage, qualifier, value, count, unconverted in rows:
            if count:
                self.add(stage, value, qualifier, count)
            if unconverted:
                self.add(stage, None, qualifier, unconverted)

    def add_figure_rows(self, rows):
        """Rows of (stage, qualifier, aid type, basis, value sum, figure count, unconverted
        count): military lump sums go into the totals, every other kind of figure beside them.
        """
        for stage, qualifier, aid_type, basis, value, count, unconverted in rows:
            if not (count or unconverted):
                continue  # a group without figures (unpriced items) adds nothing
            if aid_type == AidType.MILITARY and basis == Basis.ONCE:
                self.add_rows([(stage, qualifier, value, count, unconverted)])
                continue
            key = (aid_type, basis, stage)
            total = self.left_out.setdefault(
                key, LeftOutTotal(stage, self.currency, aid_type=aid_type, basis=basis)
            )
            if count:
                add_to(total, value, qualifier, count)
            if unconverted:
                add_to(total, None, qualifier, unconverted)

    @property
    def left_out_rows(self):
        """What the totals leave out, in the order of aid types, bases and stages."""
        return sorted(self.left_out.values(), key=lambda total: total.sort_key)

    def __iter__(self):
        return iter(sorted(self.by_stage.values(), key=lambda t: STAGE_ORDER[t.stage]))

    def __bool__(self):
        return bool(self.by_stage)

    def get(self, stage):
        return self.by_stage.get(stage)


def grouped(queryset, value_field):
    """The figures' value sums and counts by stage, qualifier, aid type and basis."""
    return (
        queryset.order_by()
        .values_list("stage", "qualifier", "aid_type", "basis")
        .annotate(
            value=Sum(value_field),
            n=Count("pk", filter=Q(**{f"{value_field}__isnull": False})),
            unconverted=Count("pk", filter=Q(**{f"{value_field}__isnull": True})),
        )
    )


def item_totals(line_items, currency="EUR"):
    """Totals of the line items among these that are figures of their own, per stage."""
    totals = Totals(currency)
    totals.add_figure_rows(grouped(line_items.figures(), CURRENCIES[currency]))
    return totals


def figure_totals(agreements, currency="EUR"):
    """Totals of these agreements' figures: headlines and line items' own, per stage.

    Two queries, whatever the figures' kinds: the totals and what they leave out come
    from the same grouped rows.
    """
    value = CURRENCIES[currency]
    totals = Totals(currency)
    headlines = agreements.filter(amount__isnull=False)
    totals.add_figure_rows(grouped(headlines, value))
    items = LineItem.objects.figures().filter(agreement__in=agreements.values("pk"))
    totals.add_figure_rows(grouped(items, value))
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
    by_aid_type: dict = field(default_factory=dict)


def item_summary(line_items, currency="EUR"):
    """How many line items, how many at each stage and of each aid type, their totals, what
    the totals leave out, and why some are not counted.

    One query, grouped by stage, qualifier, aid type and basis: each of these would
    otherwise scan the filtered set again (bench/README.md).
    """
    value = CURRENCIES[currency]
    converted = Q(**{f"{value}__isnull": False})
    rows = (
        line_items.order_by()
        .values_list("stage", "qualifier", "aid_type", "basis")
        .annotate(
            value=Sum(value, filter=FIGURE),
            counted=Count("pk", filter=FIGURE & converted),
            unconverted=Count("pk", filter=FIGURE & ~converted),
            n=Count("pk"),
            **{reason: Count("pk", filter=q) for reason, q in UNCOUNTED.items()},
        )
    )
    totals = Totals(currency)
    by_stage, by_aid_type = {}, {}
    uncounted = dict.fromkeys(UNCOUNTED, 0)
    for stage, qualifier, aid_type, basis, amount, counted, unconverted, n, *reasons in rows:
        totals.add_figure_rows([(stage, qualifier, aid_type, basis, amount, counted, unconverted)])
        by_stage[stage] = by_stage.get(stage, 0) + n
        by_aid_type[aid_type] = by_aid_type.get(aid_type, 0) + n
        for reason, count in zip(UNCOUNTED, reasons, strict=True):
            uncounted[reason] += count
    return ItemSummary(sum(by_stage.values()), totals, by_stage, uncounted, by_aid_type)
