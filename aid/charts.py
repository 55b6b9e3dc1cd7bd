"""Charts of committed value, drawn as SVG on the server: no script, no CDN.

Each chart is a list of rows (label, total, link) that the template draws as
bars and also prints as a table, so screen readers and copy-paste get the same
numbers. The numbers are figure totals (aid/totals.py), as the tables' are.
"""

from dataclasses import dataclass, field

from django.db.models import F
from django.db.models.functions import TruncMonth
from django.urls import reverse

from .choices import Precision, Stage
from .models import HEADLINE_COUNTED, Category, LineItem
from .totals import grouped_totals

# SVG user units: a label column, then the bars, then room for the value.
LABEL_WIDTH = 170
BAR_WIDTH = 300
WIDTH = 700
ROW_HEIGHT = 28


@dataclass
class Row:
    label: str
    total: object  # totals.Total
    url: str = ""


@dataclass
class Chart:
    slug: str
    title: str
    rows: list = field(default_factory=list)
    note: str = ""

    width = WIDTH
    label_width = LABEL_WIDTH

    @property
    def bars(self):
        """Each row with its bar's geometry, scaled to the largest value."""
        largest = max((row.total.amount for row in self.rows), default=0) or 1
        bars = []
        for index, row in enumerate(self.rows):
            length = round(BAR_WIDTH * float(row.total.amount / largest), 1)
            top = index * ROW_HEIGHT
            bars.append(
                {
                    "row": row,
                    "length": length,
                    "bar_y": top + 5,
                    "text_y": top + 19,
                    "value_x": LABEL_WIDTH + length + 6,
                }
            )
        return bars

    @property
    def height(self):
        return max(len(self.rows), 1) * ROW_HEIGHT


def plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"


def for_agreements(agreements, currency="EUR", stage=Stage.COMMITTED, by_donor=True, items=None):
    """Charts of one stage's figures: by donor (optional), by category, by month.

    `items`, when given, are the line items a filter narrowed below their agreements (a
    category): only those are drawn, and headline amounts, which price a package as a
    whole and cannot be split by category, are left out, each chart saying how many.
    """
    split = items is not None
    packages = agreements.filter(HEADLINE_COUNTED, stage=stage)
    headlines = packages.none() if split else packages
    if split:
        items = items.counted().filter(stage=stage)
    else:
        items = LineItem.objects.counted().filter(
            agreement__in=agreements.values("pk"), stage=stage
        )
    label = f"{Stage(stage).label} military aid in {currency}"
    unsplit = packages.count()
    unsplit_note = (
        f"{plural(unsplit, 'package')} priced only as a whole cannot be split by category: "
        f"{'it is' if unsplit == 1 else 'they are'} left out of this chart."
        if unsplit
        else ""
    )
    charts = []

    def ranked(totals, label_of, url_of=lambda key: ""):
        rows = [Row(label_of(key), total, url_of(key)) for key, total in totals.items()]
        return sorted(rows, key=lambda row: (-row.total.amount, row.label))

    if by_donor:
        totals = grouped_totals(
            [(headlines, F("donor__slug")), (items, F("agreement__donor__slug"))], currency
        )
        names = dict(agreements.values_list("donor__slug", "donor__name").distinct())
        charts.append(
            Chart(
                "by-donor",
                f"{label}, by donor",
                ranked(totals, names.get, lambda slug: reverse("aid:donor_detail", args=[slug])),
                note=unsplit_note if split else "",
            )
        )

    totals = grouped_totals([(items, F("category__slug"))], currency)
    names = dict(Category.objects.values_list("slug", "name"))
    charts.append(
        Chart(
            "by-category",
            f"{label}, by category",
            ranked(
                totals, names.get, lambda slug: reverse("aid:lineitem_list") + f"?category={slug}"
            ),
            note=unsplit_note,
        )
    )

    to_the_month = [Precision.DAY, Precision.MONTH]
    totals = grouped_totals(
        [
            (headlines.filter(announced_precision__in=to_the_month), TruncMonth("announced_on")),
            (
                items.filter(agreement__announced_precision__in=to_the_month),
                TruncMonth("agreement__announced_on"),
            ),
        ],
        currency,
    )
    undated = agreements.exclude(announced_precision__in=to_the_month).count()
    notes = [unsplit_note] if split and unsplit else []
    if undated:
        notes.append(
            f"{plural(undated, 'agreement')} known only to the year, or not dated, "
            f"{'is' if undated == 1 else 'are'} left out of this chart."
        )
    charts.append(
        Chart(
            "by-month",
            f"{label}, by month of announcement",
            [Row(month.strftime("%B %Y"), totals[month]) for month in sorted(totals)],
            note=" ".join(notes),
        )
    )
    return charts
