"""Charts of committed value, drawn by the server as HTML: no script, no CDN.

Each chart is a table of rows (label, total, link): a screen reader, a copy-paste and
a phone get the same text as the eye, at the page's own font size (labels never shrink
with the drawing, numbers are never cut off). Each row's bar is a small SVG rectangle
scaled to the largest row, hidden from assistive technology: the number beside it says
the same. The numbers are figure totals (aid/totals.py), as the tables' are.
"""

from dataclasses import dataclass, field

from django.db.models import F
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .choices import Precision, Stage
from .dates import format_date
from .models import HEADLINE_COUNTED, Category, LineItem
from .totals import grouped_totals


@dataclass
class Row:
    label: str
    total: object  # totals.Total
    url: str = ""
    share: float = 0.0  # of the largest row, 0 to 100: the bar's length
    data: bool = False  # the label is a record's own name (a donor's), in its language


@dataclass
class Chart:
    slug: str
    title: str
    heading: str  # what the rows are: "Donor", "Category", "Month"
    rows: list = field(default_factory=list)
    note: str = ""

    def __post_init__(self):
        largest = max((row.total.amount for row in self.rows), default=0) or 1
        for row in self.rows:
            row.share = round(100 * float(row.total.amount / largest), 1)


# What each chart counts, by stage, and its titles: whole phrases, to read well translated.
STAGE_AID = {
    Stage.ANNOUNCED: gettext_lazy("Announced military aid"),
    Stage.COMMITTED: gettext_lazy("Committed military aid"),
    Stage.ALLOCATED: gettext_lazy("Allocated military aid"),
    Stage.DELIVERED: gettext_lazy("Delivered military aid"),
}
TITLES = {
    "by-donor": gettext_lazy("%(aid)s in %(currency)s, by donor"),
    "by-category": gettext_lazy("%(aid)s in %(currency)s, by category"),
    "by-month": gettext_lazy("%(aid)s in %(currency)s, by month of announcement"),
}


def title(slug, stage, currency):
    return TITLES[slug] % {"aid": STAGE_AID[stage], "currency": currency}


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
    unsplit = packages.count()
    unsplit_note = (
        ngettext(
            "%(count)s package priced only as a whole cannot be split by category: it is left "
            "out of this chart.",
            "%(count)s packages priced only as a whole cannot be split by category: they are "
            "left out of this chart.",
            unsplit,
        )
        % {"count": unsplit}
        if unsplit
        else ""
    )
    charts = []

    def ranked(totals, label_of, url_of=lambda key: "", data=False):
        rows = [Row(label_of(key), total, url_of(key), data=data) for key, total in totals.items()]
        return sorted(rows, key=lambda row: (-row.total.amount, row.label))

    if by_donor:
        totals = grouped_totals(
            [(headlines, F("donor__slug")), (items, F("agreement__donor__slug"))], currency
        )
        names = dict(agreements.values_list("donor__slug", "donor__name").distinct())
        charts.append(
            Chart(
                "by-donor",
                title("by-donor", stage, currency),
                _("Donor"),
                ranked(
                    totals,
                    names.get,
                    lambda slug: reverse("aid:donor_detail", args=[slug]),
                    data=True,
                ),
                note=unsplit_note if split else "",
            )
        )

    totals = grouped_totals([(items, F("category__slug"))], currency)
    names = {category.slug: str(category) for category in Category.objects.all()}
    charts.append(
        Chart(
            "by-category",
            title("by-category", stage, currency),
            _("Category"),
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
            ngettext(
                "%(count)s agreement known only to the year, or not dated, is left out of "
                "this chart.",
                "%(count)s agreements known only to the year, or not dated, are left out of "
                "this chart.",
                undated,
            )
            % {"count": undated}
        )
    charts.append(
        Chart(
            "by-month",
            title("by-month", stage, currency),
            _("Month"),
            [Row(format_date(month, Precision.MONTH), totals[month]) for month in sorted(totals)],
            note=" ".join(notes),
        )
    )
    return charts
