"""Review before readers see anything: the hand-off, the reviewer's decisions, the publishing rule.

An analyst drafts an agreement and hands it over as *ready for review*; a reviewer (the
publish_agreement permission: the Reviewers group) publishes it, or sends it back as a
draft with a note. A published agreement is never edited in place: a change to it waits in
a pending revision (aid/revisions.py), which goes through the same hand-off and which a
reviewer who did not write it approves into the published records.

Every way of publishing (the list's action, the status on an agreement's page, the approval
of a revision) asks one function, why_not_publishable().
"""

from django.db import transaction

from . import locking
from .choices import Status
from .models import NOT_PUBLISHABLE, Agreement, Citation, LineItem

PUBLISH_PERMISSION = "aid.publish_agreement"
# The message of the one publishing rule (aid/models.py, AgreementQuerySet.publishable).
NO_CITATION = NOT_PUBLISHABLE
# Reasons kept in the history of each step (django-simple-history's change reason).
MARKED_READY = "marked ready for review"
SENT_BACK = "sent back for changes"
PUBLISHED = "published"
UNPUBLISHED = "unpublished"


class ReviewRefused(Exception):
    """A step of the review that cannot be taken; nothing of it was written."""


def why_not_publishable(agreement):
    """Why readers may not see this agreement yet, or '' when it may be published.

    The one rule every way of publishing asks, for a draft and for a revision alike (a
    revision is checked as what the agreement will be once approved): at least one
    checked citation: a passage found verbatim in its source's stored text
    (AgreementQuerySet.publishable).
    """
    if not agreement.is_publishable:
        return NO_CITATION
    return ""


def can_review(user):
    """Whether the user publishes, sends back and approves (the Reviewers group)."""
    return user.has_perm(PUBLISH_PERMISSION)


def authors(agreement):
    """The ids of the users who wrote this draft or revision, its line items or its citations.

    Read from the history: whoever saved any of them, by the admin or an import, or opened
    the revision. A reviewer's sending back is not writing.
    """
    found = set()
    for model, key in ((Agreement, "id"), (LineItem, "agreement_id"), (Citation, "agreement_id")):
        found.update(
            model.history.model.objects.filter(**{key: agreement.pk}, history_user__isnull=False)
            .exclude(history_change_reason=SENT_BACK)
            .order_by()
            .values_list("history_user", flat=True)
            .distinct()
        )
    return found


def _move(agreement_pk, status, reason, seen_version=None, **fields):
    """Save the agreement with a new status (and fields) under its lock; its version moves on.

    With seen_version, refused if somebody saved the agreement since it was read at that
    version (aid/locking.py).
    """
    with transaction.atomic():
        agreement = Agreement.objects.select_for_update().filter(pk=agreement_pk).first()
        if agreement is None:
            raise ReviewRefused("This agreement no longer exists.")
        if seen_version is not None and agreement.version != seen_version:
            raise ReviewRefused(
                f"Nothing was done: “{agreement}” changed after you opened it. Meanwhile "
                f"{locking.meanwhile(agreement_pk, seen_version)}. Read it again first."
            )
        agreement.status = status
        for name, value in fields.items():
            setattr(agreement, name, value)
        agreement.version += 1
        agreement._change_reason = reason
        agreement.save(update_fields=["status", "version", "updated_at", *fields])
        return agreement


def mark_ready(agreement, seen_version=None):
    """An analyst hands a draft or a revision over to the reviewers."""
    if agreement.status != Status.DRAFT:
        raise ReviewRefused(f"“{agreement}” is {agreement.get_status_display().lower()}.")
    return _move(agreement.pk, Status.READY, MARKED_READY, seen_version)


def send_back(agreement, note, seen_version=None):
    """A reviewer returns a draft or a revision to its analysts, saying what it needs."""
    note = note.strip()
    if not note:
        raise ReviewRefused("Say what the agreement needs: a note goes back with it.")
    if agreement.status == Status.PUBLISHED:
        raise ReviewRefused(f"“{agreement}” is published: unpublish it instead.")
    return _move(agreement.pk, Status.DRAFT, SENT_BACK, seen_version, review_note=note)


def publish(agreement, seen_version=None):
    """A reviewer publishes a draft (or one ready for review), if it may be published."""
    if agreement.is_revision:
        raise ReviewRefused("A revision is approved into the agreement it revises, not published.")
    if agreement.status == Status.PUBLISHED:
        raise ReviewRefused(f"“{agreement}” is already published.")
    reason = why_not_publishable(agreement)
    if reason:
        raise ReviewRefused(f"Not published: {reason}")
    return _move(agreement.pk, Status.PUBLISHED, PUBLISHED, seen_version)


def set_status(queryset, status):
    """Publish or unpublish every selected agreement that has another status, one save each.

    Revisions are left out: they are never published, only approved.
    """
    reason = PUBLISHED if status == Status.PUBLISHED else UNPUBLISHED
    changed = 0
    with transaction.atomic():
        agreements = (
            Agreement.objects.filter(pk__in=queryset.values("pk"))
            .live()
            .exclude(status=status)
            .select_for_update()
            .order_by("pk")
        )
        for agreement in agreements:
            agreement.status = status
            agreement.version += 1
            agreement._change_reason = reason
            agreement.save(update_fields=["status", "version", "updated_at"])
            changed += 1
    return changed
