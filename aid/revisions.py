"""Pending revisions: a change to a published agreement waits for a reviewer, out of readers' sight.

A published agreement is never edited in place. Proposing a change opens its *revision*: a
working copy (an Agreement row whose `revises` is the published one) with copies of its
line items and citations, each remembering its `origin`. The copy is edited on the
agreement's ordinary admin page, or by an import, under the same optimistic lock
(aid/locking.py). It is never published, so nothing public reads it: pages, exports,
facets, totals and the line items' copied fields (aid/triggers.py) all start from
published rows. A reviewer reads the change field by field (diff()), then approves it
(approve()): in one transaction the published agreement, its line items and its citations
take the revision's values, matched by origin (new ones created, removed ones deleted,
part_of links remapped), each write kept in the history, so that the corrections log
(/changes/) shows what was approved and when; the copy is then deleted. Discarding it
(discard()) leaves the published agreement as it was.

A reviewer never approves a revision they wrote (aid/review.py, authors()), nor one made
from a version of the agreement that has since changed.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction

from . import locking, review
from .choices import Status
from .models import Agreement, Citation, LineItem

# What a revision changes: the fields an analyst enters (AgreementForm's, but the status).
AGREEMENT_FIELDS = [
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
]
# A line item's part_of is compared and copied apart: it may point inside the revision.
LINE_ITEM_FIELDS = [
    "description",
    "category",
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
    "notes",
]
# A citation's line_item, likewise.
CITATION_FIELDS = ["source", "passage"]

OPENED = "revision opened"
APPROVED = "revision approved"


def attname(model, name):
    return model._meta.get_field(name).attname


def copy_of(record, **changes):
    """An unsaved copy of the record: every column but its id, then the changes (by attname)."""
    values = {
        column.attname: getattr(record, column.attname)
        for column in record._meta.concrete_fields
        if not column.primary_key
    }
    return type(record)(**(values | changes))


# Opening ---------------------------------------------------------------------------------


def pending_revision(agreement):
    """The agreement's pending revision, or None."""
    return Agreement.objects.filter(revises=agreement.pk).first()


def open_revision(agreement):
    """The pending revision of a published agreement, opened now (copied) if it has none.

    The copies are written in bulk: they keep no history of their own until edited, and
    their derived values (EUR, USD, counts) are the published rows' own.
    """
    with transaction.atomic():
        live = Agreement.objects.select_for_update().get(pk=agreement.pk)
        existing = pending_revision(live)
        if existing is not None:
            return existing
        if live.is_revision or not live.is_published:
            raise review.ReviewRefused(
                f"“{live}” is not published: it is edited directly, without a revision."
            )
        revision = copy_of(
            live,
            revises_id=live.pk,
            revises_version=live.version,
            status=Status.DRAFT,
            review_note="",
            version=1,
        )
        revision._change_reason = OPENED
        revision.save()

        items = list(live.line_items.order_by("pk"))
        copies = LineItem.objects.bulk_create(
            [
                copy_of(item, agreement_id=revision.pk, origin_id=item.pk, part_of_id=None)
                for item in items
            ]
        )
        copy_for = {item.pk: copy.pk for item, copy in zip(items, copies, strict=True)}
        parts = []
        for item, copy in zip(items, copies, strict=True):
            if item.part_of_id is not None:
                # A whole in this agreement becomes its copy; one in another stays.
                copy.part_of_id = copy_for.get(item.part_of_id, item.part_of_id)
                parts.append(copy)
        LineItem.objects.bulk_update(parts, ["part_of"])
        Citation.objects.bulk_create(
            [
                copy_of(
                    citation,
                    agreement_id=revision.pk,
                    origin_id=citation.pk,
                    line_item_id=copy_for.get(citation.line_item_id),
                )
                for citation in live.citations.order_by("pk")
            ]
        )
        # Dated by its sources when it has no date of its own, now that it cites them.
        revision.refresh_values()
        return revision


# Reading the change ----------------------------------------------------------------------


@dataclass
class FieldChange:
    field: str
    was: str
    now: str


@dataclass
class RowChange:
    """A line item or citation the revision adds, removes or changes, field by field."""

    action: str  # "added", "removed", "changed"
    label: str
    changes: list = field(default_factory=list)


@dataclass
class Diff:
    """What approving a revision would change in the published agreement."""

    live: Agreement
    revision: Agreement
    agreement: list
    line_items: list
    citations: list

    def __bool__(self):
        return bool(self.agreement or self.line_items or self.citations)


def shown(record, name):
    """A field's value as a reviewer reads it."""
    if record is None:
        return "—"
    model_field = record._meta.get_field(name)
    value = getattr(record, model_field.attname)
    if value is None or value == "":
        return "—"
    if model_field.is_relation:
        return str(getattr(record, name))
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def key_of(record, column, key=None):
    if record is None:
        return None
    return key(record) if key else getattr(record, column)


def compare(was, now, names, keys=None):
    """FieldChanges between two records (either may be None), by the fields' keys.

    keys maps a field to a pair of functions giving the value to compare on each side,
    for links that point inside the revision on one side and inside the agreement on the
    other.
    """
    keys = keys or {}
    changes = []
    for name in names:
        was_key, now_key = keys.get(name, (None, None))
        model = type(now if now is not None else was)
        column = attname(model, name)
        old = key_of(was, column, was_key)
        new = key_of(now, column, now_key)
        if was is not None and now is not None and old == new:
            continue
        if was is None and new in (None, ""):
            continue
        if now is None and old in (None, ""):
            continue
        verbose = str(model._meta.get_field(name).verbose_name)
        changes.append(FieldChange(verbose, shown(was, name), shown(now, name)))
    return changes


def rows(live_rows, revised_rows, names, keys, label):
    """RowChanges of line items or citations: revised rows in order, then removed ones."""
    live_by_pk = {row.pk: row for row in live_rows}
    kept = set()
    found = []
    for now in revised_rows:
        was = live_by_pk.get(now.origin_id)
        if was is not None:
            kept.add(was.pk)
        changes = compare(was, now, names, keys)
        if was is None:
            found.append(RowChange("added", label(now), changes))
        elif changes:
            found.append(RowChange("changed", label(now), changes))
    for was in live_rows:
        if was.pk not in kept:
            found.append(RowChange("removed", label(was), compare(was, None, names, keys)))
    return found


def citation_label(citation):
    passage = citation.passage if len(citation.passage) <= 80 else f"{citation.passage[:79]}…"
    return f"{citation.source}: “{passage}”"


def diff(revision):
    """The revision against the published agreement: its fields, line items and citations.

    Six queries, whatever the number of rows.
    """
    revision = Agreement.objects.select_related("donor", "revises__donor").get(pk=revision.pk)
    live = revision.revises
    live_items = list(live.line_items.select_related("category", "part_of").order_by("pk"))
    revised_items = list(revision.line_items.select_related("category", "part_of").order_by("pk"))
    origin_of = {item.pk: item.origin_id for item in revised_items}

    def inside(value):
        # A link to a copy in the revision compares as a link to the copy's origin.
        if value is None:
            return None
        if value not in origin_of:
            return value
        return origin_of[value] or ("new", value)

    item_keys = {"part_of": (None, lambda item: inside(item.part_of_id))}
    citation_keys = {"line_item": (None, lambda citation: inside(citation.line_item_id))}

    def citations(agreement):
        return list(agreement.citations.select_related("source", "line_item").order_by("pk"))

    return Diff(
        live=live,
        revision=revision,
        agreement=compare(live, revision, AGREEMENT_FIELDS),
        line_items=rows(
            live_items,
            revised_items,
            [*LINE_ITEM_FIELDS, "part_of"],
            item_keys,
            lambda item: item.description,
        ),
        citations=rows(
            citations(live),
            citations(revision),
            [*CITATION_FIELDS, "line_item"],
            citation_keys,
            citation_label,
        ),
    )


# Deciding --------------------------------------------------------------------------------


def approve(revision, user, seen_version):
    """Apply the revision to the published agreement, in one transaction; returns the agreement.

    Refused (ReviewRefused, nothing written) when the revision changed since the reviewer
    read it (seen_version), when it is not ready for review, when the published agreement
    changed since the revision was opened, when the reviewer wrote any of it, or when the
    result may not be published.
    """
    with transaction.atomic():
        revision = Agreement.objects.select_for_update().filter(pk=revision.pk).first()
        if revision is None or not revision.is_revision:
            raise review.ReviewRefused(
                "Not approved: this revision no longer exists; it was approved or discarded "
                "meanwhile."
            )
        if revision.version != seen_version:
            raise review.ReviewRefused(
                "Not approved: the revision changed after you opened it. Meanwhile "
                f"{locking.meanwhile(revision.pk, seen_version)}. Read the changes again, "
                "then decide."
            )
        if revision.status != Status.READY:
            raise review.ReviewRefused(
                "Not approved: the revision is not ready for review; its analysts mark it "
                "ready when it is done."
            )
        live = Agreement.objects.select_for_update().get(pk=revision.revises_id)
        if live.version != revision.revises_version or not live.is_published:
            raise review.ReviewRefused(
                f"Not approved: the published agreement “{live}” changed after this revision "
                f"was opened. Meanwhile {locking.meanwhile(live.pk, revision.revises_version)}. "
                "Approving the revision would undo that change: discard it, and propose the "
                "change again from the agreement as it is now."
            )
        if user.pk in review.authors(revision):
            raise review.ReviewRefused(
                "Not approved: you worked on this revision, and a change is approved by a "
                "reviewer who did not write it. Ask another reviewer."
            )
        reason = review.why_not_publishable(revision)
        if reason:
            raise review.ReviewRefused(f"Not approved: {reason}")
        merge(revision, live)
        discard(revision)
        return live


def merge(revision, live):
    """Write the revision's values into the published agreement's rows, each save in history."""
    revised_items = sorted(
        revision.line_items.all(), key=lambda item: (item.part_of_id is not None, item.pk)
    )
    live_items = {item.pk: item for item in live.line_items.all()}
    kept = {item.origin_id for item in revised_items}
    removed = [item for pk, item in live_items.items() if pk not in kept]
    elsewhere = (
        LineItem.objects.filter(part_of__in=removed)
        .exclude(agreement=live)
        .select_related("agreement")
        .first()
    )
    if elsewhere is not None:
        raise review.ReviewRefused(
            f"Not approved: the revision removes “{elsewhere.part_of}”, which “{elsewhere}” "
            f"of “{elsewhere.agreement}” is a part of. Link that part elsewhere first."
        )

    for name in AGREEMENT_FIELDS:
        column = attname(Agreement, name)
        setattr(live, column, getattr(revision, column))
    live.version = locking.claim(live.pk, live.version)
    live._change_reason = APPROVED
    live.save()

    merged = {}  # revision's line item id -> the published line item
    revision_ids = {item.pk for item in revised_items}
    for copy in revised_items:
        item = live_items.get(copy.origin_id) or LineItem(agreement=live)
        changed = item.pk is None
        for name in LINE_ITEM_FIELDS:
            column = attname(LineItem, name)
            if getattr(item, column) != getattr(copy, column):
                setattr(item, column, getattr(copy, column))
                changed = True
        whole = copy.part_of_id
        if whole in revision_ids:
            # Wholes come first, so the whole is merged already.
            whole = merged[whole].pk
        if item.part_of_id != whole:
            item.part_of_id = whole
            changed = True
        if changed:
            item.agreement = live
            item._change_reason = APPROVED
            item.save()
        merged[copy.pk] = item

    live_citations = {citation.pk: citation for citation in live.citations.all()}
    for copy in revision.citations.all():
        citation = live_citations.pop(copy.origin_id, None) or Citation(agreement=live)
        line_item = merged[copy.line_item_id].pk if copy.line_item_id in merged else None
        values = {"source_id": copy.source_id, "passage": copy.passage, "line_item_id": line_item}
        if citation.pk is None or any(getattr(citation, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(citation, key, value)
            citation.agreement = live
            citation._change_reason = APPROVED
            citation.save()
    for citation in live_citations.values():
        citation._change_reason = APPROVED
        citation.delete()
    # Parts before their wholes (part_of protects a whole).
    for item in sorted(removed, key=lambda item: item.part_of_id is None):
        item._change_reason = APPROVED
        item.delete()


def discard(revision, seen_version=None):
    """Delete the revision and its copies; the published agreement stays as it was.

    With seen_version, refused if the revision changed since it was read at that version.
    """
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().filter(pk=revision.pk).first()
        if locked is None:
            return
        if seen_version is not None and locked.version != seen_version:
            raise review.ReviewRefused(
                "Nothing was done: the revision changed after you opened it. Meanwhile "
                f"{locking.meanwhile(revision.pk, seen_version)}. Read it again."
            )
        Citation.objects.filter(agreement=revision.pk).delete()
        # part_of protects a whole: unlink the copies (and anything linked to them) first.
        copies = LineItem.objects.filter(agreement=revision.pk)
        LineItem.objects.filter(part_of__in=copies.values("pk")).update(part_of=None)
        copies.delete()
        Agreement.objects.filter(pk=revision.pk).delete()
