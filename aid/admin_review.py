"""The review in the admin: proposing a change, the reviewer's page, the queue (aid/review.py).

AgreementAdmin takes ReviewViews for two pages of its own:

- `<id>/propose/` (POST): opens the pending revision of a published agreement (or finds
  the one open) and goes to its page, where it is edited like a draft.
- `<id>/review/`: what a reviewer decides on. For a revision, the change field by field
  (aid/revisions.py, diff()), and Approve, Send back (with a note) and Discard; for a
  draft, Publish and Send back. Every decision names the version it was read at, so a
  change made meanwhile is never approved unread.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from . import review, revisions
from .choices import Status


def change_url(agreement_pk):
    return reverse("admin:aid_agreement_change", args=[agreement_pk])


def review_url(agreement_pk):
    return reverse("admin:aid_agreement_review", args=[agreement_pk])


class ReviewFilter(admin.SimpleListFilter):
    """The reviewers' queue, and agreements apart from the revisions of published ones."""

    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("waiting", "Waiting for review"),
            ("revisions", "Pending revisions"),
            ("agreements", "Agreements, without revisions"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.waiting_for_review()
        if self.value() == "revisions":
            return queryset.revisions()
        if self.value() == "agreements":
            return queryset.live()
        return queryset


class InRevisionFilter(admin.SimpleListFilter):
    """Line items of agreements, or the copies in pending revisions."""

    title = "record"
    parameter_name = "record"

    def lookups(self, request, model_admin):
        return [
            ("agreements", "Of agreements"),
            ("revisions", "In pending revisions"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "agreements":
            return queryset.filter(agreement__revises__isnull=True)
        if self.value() == "revisions":
            return queryset.filter(agreement__revises__isnull=False)
        return queryset


class ReviewViews:
    """AgreementAdmin's propose and review pages."""

    review_template = "admin/aid/agreement/review.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/propose/",
                wrap(self.propose_view),
                name="aid_agreement_propose",
            ),
            path(
                "<path:object_id>/review/",
                wrap(self.review_view),
                name="aid_agreement_review",
            ),
            *super().get_urls(),
        ]

    def agreement_or_404(self, request, object_id):
        agreement = self.get_object(request, unquote(object_id))
        if agreement is None or not self.has_view_permission(request, agreement):
            raise Http404("No such agreement.")
        return agreement

    def propose_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        agreement = self.agreement_or_404(request, object_id)
        if not self.has_change_permission(request):
            raise PermissionDenied
        try:
            revision = revisions.open_revision(agreement)
        except review.ReviewRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return HttpResponseRedirect(change_url(agreement.pk))
        self.message_user(
            request,
            f"You are editing the pending revision of “{agreement}”. Readers see the "
            "agreement as published until a reviewer approves the revision: mark it ready "
            "for review when it is done.",
            messages.INFO,
        )
        return HttpResponseRedirect(change_url(revision.pk))

    def review_view(self, request, object_id):
        agreement = self.agreement_or_404(request, object_id)
        if request.method == "POST":
            return self.decide(request, agreement)
        is_author = agreement.is_revision and request.user.pk in review.authors(agreement)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review “{agreement}”",
            "opts": self.model._meta,
            "original": agreement,
            "agreement": agreement,
            "diff": revisions.diff(agreement) if agreement.is_revision else None,
            "can_review": review.can_review(request.user),
            "can_change": self.has_change_permission(request),
            "is_author": is_author,
            "publish_blocker": review.why_not_publishable(agreement),
            "preview_url": reverse("aid:agreement_preview", args=[agreement.pk]),
            "change_url": change_url(agreement.pk),
            "page_object": agreement,
            "page_object_url": change_url(agreement.pk),
            "crumb": "Review",
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.review_template, context)

    def decide(self, request, agreement):
        decision = request.POST.get("decision")
        seen = request.POST.get("version", "")
        seen_version = int(seen) if seen.isdigit() else None
        steps = {
            "approve": self.approve,
            "publish": self.publish_one,
            "send_back": self.send_back,
            "discard": self.discard,
        }
        if decision not in steps:
            self.message_user(request, "Choose a decision.", messages.ERROR)
            return HttpResponseRedirect(review_url(agreement.pk))
        if seen_version is None:
            self.message_user(
                request,
                "Nothing was done: the page did not say which version you read. Open the "
                "review again.",
                messages.ERROR,
            )
            return HttpResponseRedirect(review_url(agreement.pk))
        try:
            return steps[decision](request, agreement, seen_version)
        except review.ReviewRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return HttpResponseRedirect(review_url(agreement.pk))

    def approve(self, request, revision, seen_version):
        if not review.can_review(request.user):
            raise PermissionDenied
        if not revision.is_revision:
            raise review.ReviewRefused("Only a revision is approved; a draft is published.")
        live = revisions.approve(revision, request.user, seen_version)
        self.message_user(
            request,
            f"Approved: readers now see the change to “{live}”, and the corrections log "
            "lists its figures.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(change_url(live.pk))

    def publish_one(self, request, agreement, seen_version):
        if not review.can_review(request.user):
            raise PermissionDenied
        review.publish(agreement, seen_version)
        self.message_user(request, f"Published “{agreement}”.", messages.SUCCESS)
        return HttpResponseRedirect(change_url(agreement.pk))

    def send_back(self, request, agreement, seen_version):
        if not review.can_review(request.user):
            raise PermissionDenied
        review.send_back(agreement, request.POST.get("note", ""), seen_version)
        self.message_user(
            request,
            f"Sent “{agreement}” back to its analysts with your note: it is a draft again.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(change_url(agreement.pk))

    def discard(self, request, revision, seen_version):
        if not self.has_change_permission(request):
            raise PermissionDenied
        if not revision.is_revision:
            raise review.ReviewRefused("Only a revision is discarded.")
        revisions.discard(revision, seen_version)
        self.message_user(
            request,
            f"Discarded the revision: readers see “{revision.revises}” as before.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(change_url(revision.revises_id))

    def review_context(self, request, agreement):
        """What the agreement's page says and links to about its review."""
        if agreement is None or agreement.pk is None:
            return {}
        context = {
            "review_url": review_url(agreement.pk)
            if agreement.is_revision or agreement.status == Status.READY
            else "",
            "preview_url": ""
            if agreement.is_published
            else reverse("aid:agreement_preview", args=[agreement.pk]),
        }
        if agreement.is_revision:
            context["revises"] = agreement.revises
        else:
            context["revision"] = getattr(agreement, "revision", None)
            if agreement.is_published and context["revision"] is None:
                context["propose_url"] = reverse("admin:aid_agreement_propose", args=[agreement.pk])
        return context
