"""No lost edits: optimistic locking of agreements.

An agreement's page edits the agreement, its line items and its citations
together. The page carries the agreement's `version` as it was when opened;
saving claims the next version only if nobody saved in between
(UPDATE … WHERE version = the one opened), so of two analysts who opened the
same agreement, the second to save is refused and told what changed meanwhile.
Anything else that changes an agreement's line items or citations (their own
admin pages, an import, publishing) moves the version on too, so that a page
opened before cannot write its stale rows back.
"""

from django.db.models import F
from django.utils import timezone

from .models import Agreement, Citation, LineItem

# Shown in "what changed meanwhile" under the agreement's own field names.
IGNORED_FIELDS = {"version"}


class EditConflict(Exception):
    """Somebody saved the agreement after this edit began; nothing of this edit was written."""


def current_version(agreement_pk, lock=False):
    """The version stored now; with lock, the row stays locked until the transaction ends."""
    rows = Agreement.objects.filter(pk=agreement_pk)
    if lock:
        rows = rows.select_for_update()
    return rows.values_list("version", flat=True).first()


def claim(agreement_pk, version):
    """Move the agreement from `version` to the next one, or raise EditConflict."""
    if not Agreement.objects.filter(pk=agreement_pk, version=version).update(
        version=F("version") + 1
    ):
        raise EditConflict(conflict_message(agreement_pk, version))
    return version + 1


def bump(agreement_pks):
    """Move these agreements to their next version: their line items or citations changed."""
    pks = {pk for pk in agreement_pks if pk is not None}
    if pks:
        Agreement.objects.filter(pk__in=pks).update(version=F("version") + 1)


def who(record):
    user = record.history_user
    return user.get_username() if user is not None else "someone"


def when(record):
    return timezone.localtime(record.history_date).strftime("%-d %B %Y, %H:%M:%S %Z")


def changes_since(agreement_pk, version):
    """Sentences saying who changed what in the agreement since `version`, oldest first.

    The agreement's own history gives the fields; its line items' and
    citations' histories since the version was saved give the rest.
    """
    history = Agreement.history.model.objects.filter(id=agreement_pk)
    since = (
        history.filter(version__lte=version)
        .order_by("-history_date", "-history_id")
        .values_list("history_date", flat=True)
        .first()
    )
    sentences = []
    for record in history.filter(version__gt=version).order_by("history_date", "history_id"):
        previous = record.prev_record
        if previous is None:
            continue
        delta = record.diff_against(previous)
        fields = [
            str(Agreement._meta.get_field(change.field).verbose_name)
            for change in delta.changes
            if change.field not in IGNORED_FIELDS
        ]
        did = f"changed {', '.join(fields)}" if fields else "saved it"
        sentences.append(f"{who(record)} {did} ({when(record)})")
    if since is not None:
        for model, noun, label in (
            (LineItem, "line item", lambda record: record.description),
            (Citation, "citation", lambda record: record.passage[:60]),
        ):
            records = (
                model.history.model.objects.filter(
                    agreement_id=agreement_pk, history_date__gt=since
                )
                .select_related("history_user")
                .order_by("history_date", "history_id")
            )
            for record in records:
                verb = {"+": "added", "~": "changed", "-": "deleted"}[record.history_type]
                sentences.append(f"{who(record)} {verb} {noun} “{label(record)}” ({when(record)})")
    return sentences


def meanwhile(agreement_pk, version):
    """What happened to the agreement since `version`, as one clause."""
    changes = changes_since(agreement_pk, version)
    return "; ".join(changes) if changes else "it was saved again"


def conflict_message(agreement_pk, version):
    return (
        "Not saved: this agreement changed after you opened it. Meanwhile "
        f"{meanwhile(agreement_pk, version)}. Your edit was not applied, so that the other "
        "one is kept: open the agreement again to see it, then make your change again."
    )
