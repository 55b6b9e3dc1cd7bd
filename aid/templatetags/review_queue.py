"""The reviewers' queue on the admin's home page: what waits for review, in one query."""

from django import template
from django.db.models import Count, Q
from django.urls import reverse

from aid.choices import Status
from aid.models import Agreement

register = template.Library()


@register.inclusion_tag("admin/aid/review_queue.html", takes_context=True)
def review_queue(context):
    """Counts of drafts and revisions ready for review, and of revisions open."""
    user = context["request"].user
    if not user.has_perm("aid.view_agreement"):
        return {"show": False}
    ready = Q(status=Status.READY)
    revision = Q(revises__isnull=False)
    counts = Agreement.objects.filter(ready | revision).aggregate(
        new_agreements=Count("pk", filter=ready & ~revision),
        waiting_revisions=Count("pk", filter=ready & revision),
        open_revisions=Count("pk", filter=revision),
    )
    changelist = reverse("admin:aid_agreement_changelist")
    return {
        "show": True,
        "waiting": counts["new_agreements"] + counts["waiting_revisions"],
        "waiting_url": f"{changelist}?review=waiting",
        "revisions_url": f"{changelist}?review=revisions",
        **counts,
    }
