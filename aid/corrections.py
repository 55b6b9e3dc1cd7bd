"""The public corrections log (/changes/): every change to a published figure, from the history.

A correction is a historical record (aid/history.py) of a line item, or of an
agreement's headline, that

- belongs to an agreement published now: a draft, and whatever happened to
  it, stays unseen;
- was made after the agreement was first published (one whose first record
  is already published, or that has none, was published before history was
  kept): changes made while drafting are not corrections;
- changed a figure: a line item's description, quantity, amount, currency,
  qualifier or stage, or its addition or removal; an agreement's headline
  amount, currency, qualifier or stage. Notes, dates and the values derived
  from the figures (EUR, USD) are not figures here.

A correction says what the figure was, what it is, and when it changed; never
who changed it or why (analysts' names and notes stay in the admin).
"""

from dataclasses import dataclass, field
from datetime import datetime
from heapq import merge

from django.db.models import F, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from .choices import Stage, Status
from .models import Agreement, LineItem
from .money import format_money, format_number

ITEM_FIGURES = ["description", "quantity", "amount", "currency", "qualifier", "stage"]
AGREEMENT_FIGURES = ["amount", "currency", "qualifier", "stage"]
MONEY = ("amount", "currency", "qualifier")


@dataclass
class Change:
    figure: str
    was: str
    now: str
    # The values are the records' own words (a description), in their language.
    verbatim: bool = False


# What happened, as the log's heading for it says.
HEADINGS = {
    ("line item", "changed"): _("Line item changed"),
    ("line item", "added"): _("Line item added"),
    ("line item", "removed"): _("Line item removed"),
    ("agreement", "changed"): _("Agreement changed"),
}


@dataclass
class Correction:
    when: datetime
    what: str  # "line item" or "agreement"
    action: str  # "changed", "added", "removed"
    title: str
    agreement: Agreement
    url: str
    changes: list = field(default_factory=list)

    @property
    def heading(self):
        return HEADINGS[(self.what, self.action)]


def distinct(name, previous):
    """SQL's IS DISTINCT FROM, for a nullable column and the previous record's value."""
    return (
        Q(**{f"{name}__isnull": True, f"{previous}__isnull": False})
        | Q(**{f"{name}__isnull": False, f"{previous}__isnull": True})
        | (
            Q(**{f"{name}__isnull": False, f"{previous}__isnull": False})
            & ~Q(**{name: F(previous)})
        )
    )


def after_publication(agreement_ref):
    """Records made while the agreement (by id) was already public, as annotations and a filter."""
    records = Agreement.history.model.objects.filter(id=agreement_ref).order_by(
        "history_date", "history_id"
    )
    annotations = {
        "first_status": Subquery(records.values("status")[:1]),
        "published_at": Subquery(
            records.filter(status=Status.PUBLISHED).values("history_date")[:1]
        ),
    }
    condition = (
        Q(first_status__isnull=True)
        | Q(first_status=Status.PUBLISHED)
        | Q(history_date__gt=F("published_at"))
    )
    return annotations, condition


def with_previous(records, figures):
    """Annotate each record with its previous record's figures: was_<figure>."""
    model = records.model
    previous = (
        model.objects.filter(id=OuterRef("id"))
        .filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        .order_by("-history_date", "-history_id")
    )
    records = records.annotate(previous_id=Subquery(previous.values("history_id")[:1]))
    return records.annotate(
        **{
            f"was_{name}": Subquery(
                model.objects.filter(history_id=OuterRef("previous_id")).values(name)[:1]
            )
            for name in figures
        }
    )


def figure_changed(figures):
    changed = Q(pk__in=[])
    for name in figures:
        changed |= distinct(name, f"was_{name}")
    return Q(previous_id__isnull=False) & changed


def item_records():
    annotations, public = after_publication(OuterRef("agreement_id"))
    records = (
        LineItem.history.model.objects.filter(agreement__in=Agreement.objects.published())
        .annotate(**annotations)
        .filter(public)
    )
    records = with_previous(records, ITEM_FIGURES)
    return (
        records.filter(Q(history_type__in=["+", "-"]) | figure_changed(ITEM_FIGURES))
        .select_related("agreement")
        .order_by("-history_date", "-history_id")
    )


def agreement_records():
    annotations, public = after_publication(OuterRef("id"))
    records = (
        Agreement.history.model.objects.filter(id__in=Agreement.objects.published().values("pk"))
        .annotate(**annotations)
        .filter(public, history_type="~")
    )
    records = with_previous(records, AGREEMENT_FIGURES)
    return records.filter(figure_changed(AGREEMENT_FIGURES)).order_by(
        "-history_date", "-history_id"
    )


def money(record, prefix=""):
    amount = getattr(record, f"{prefix}amount")
    if amount is None:
        return _("no amount")
    return format_money(
        amount, getattr(record, f"{prefix}currency"), getattr(record, f"{prefix}qualifier")
    )


def quantity(value):
    return _("not given") if value is None else format_number(value)


def stage(value):
    return Stage(value).label if value in Stage.values else value or ""


def changes(record, figures, labels):
    """What changed between the record's previous figures (was_<figure>) and its own."""
    found = []
    if any(getattr(record, name) != getattr(record, f"was_{name}") for name in MONEY):
        found.append(Change(labels["amount"], money(record, "was_"), money(record)))
    for name, show in (("quantity", quantity), ("stage", stage), ("description", str)):
        if name in figures and getattr(record, name) != getattr(record, f"was_{name}"):
            found.append(
                Change(
                    labels[name],
                    show(getattr(record, f"was_{name}")),
                    show(getattr(record, name)),
                    verbatim=name == "description",
                )
            )
    return found


def item_correction(record):
    agreement = record.agreement
    labels = {
        "amount": _("amount"),
        "quantity": _("quantity"),
        "stage": _("stage"),
        "description": _("description"),
    }
    if record.history_type == "+":
        action = "added"
        found = [
            Change(labels["amount"], "—", money(record)),
            Change(labels["stage"], "—", stage(record.stage)),
        ]
    elif record.history_type == "-":
        action = "removed"
        found = [
            Change(labels["amount"], money(record), "—"),
            Change(labels["stage"], stage(record.stage), "—"),
        ]
    else:
        action = "changed"
        found = changes(record, ITEM_FIGURES, labels)
    url = agreement.get_absolute_url()
    if record.history_type != "-":
        url += f"#item-{record.id}"
    return Correction(
        when=record.history_date,
        what="line item",
        action=action,
        title=record.description,
        agreement=agreement,
        url=url,
        changes=found,
    )


def agreement_correction(record, agreement):
    labels = {"amount": _("headline amount"), "stage": _("headline stage")}
    return Correction(
        when=record.history_date,
        what="agreement",
        action="changed",
        title=agreement.title,
        agreement=agreement,
        url=agreement.get_absolute_url(),
        changes=changes(record, AGREEMENT_FIGURES, labels),
    )


class CorrectionsLog:
    """Corrections to line items and to headlines, newest first, as one list a Paginator pages.

    A page needs the newest `stop` records of each kind, merged: cheap for the
    first pages, where readers look.
    """

    def __init__(self):
        self.items = item_records()
        self.agreements = agreement_records()

    def count(self):
        return self.items.count() + self.agreements.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop
        items = list(self.items[:stop])
        headlines = list(self.agreements[:stop])
        current = Agreement.objects.in_bulk([record.id for record in headlines])
        newest_first = merge(
            ((record.history_date, record.history_id, item_correction, record) for record in items),
            (
                (record.history_date, record.history_id, agreement_correction, record)
                for record in headlines
            ),
            key=lambda entry: entry[0],
            reverse=True,
        )
        page = list(newest_first)[start:stop]
        return [
            make(record) if make is item_correction else make(record, current[record.id])
            for _, _, make, record in page
        ]
