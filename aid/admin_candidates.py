"""From a new document to a draft: its candidate pledges in the admin (issue 11).

SourceAdmin takes SourceCandidates for a page of its own, `<id>/candidates/`: the passages
the engine (aid/candidates) reads as possible pledges, what it read from each and why, and
whether a citation of the source already covers the passage, so that an analyst sees
what remains to enter.

AgreementAdmin takes AgreementFromCandidate: its add page, opened as
`add/?candidate=<source id>:<start>:<end>`, is pre-filled from that candidate: the
agreement's fields, one line-item row per figure, and a citation row with the source and
the passage. The parameter names a passage, it never carries one: the passage is always
`source.text[start:end]`, and only where the engine found a candidate with exactly those
offsets, so a link cannot put words in a source's mouth. Nothing is saved until the
analyst saves the form, as a draft, through the form's usual checks (the citation is
checked against the stored text again then).
"""

import hashlib
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .admin_fields import RowReference
from .candidates import find_candidates
from .choices import Basis, Status
from .models import Agreement, Category, Citation, Donor, LineItem, Source

PER_PAGE = 25
# Rows pre-filled at most: a passage listing more figures is a list to enter by hand.
MAX_ROWS = 20
# Candidates are kept in the cache by the text and the engine's own code, so that a new
# version of the engine never serves the readings of an older one.
ENGINE_DIGEST = hashlib.sha256(
    b"".join(p.read_bytes() for p in sorted((Path(__file__).parent / "candidates").glob("*.py")))
).hexdigest()[:16]
CACHE_SECONDS = 24 * 3600
# Which candidates the page lists: proposed (the default: worth an analyst's look),
# remaining (proposed, and no citation of the source covers them yet), or all.
SHOWN = ("proposed", "remaining", "all")


def source_candidates(source):
    """The candidates of a source's stored text, read once per text and engine version.

    A long document takes the engine about a second per megabyte; its pages, and the
    add page of each of its candidates, read the same list from the cache.
    """
    if not source.text:
        return []
    key = "aid:candidates:{}:{}".format(
        ENGINE_DIGEST, hashlib.sha256(source.text.encode("utf-8")).hexdigest()
    )
    candidates = cache.get(key)
    if candidates is None:
        candidates = find_candidates(source.text)
        cache.set(key, candidates, CACHE_SECONDS)
    return candidates


def candidate_param(source, candidate):
    return f"{source.pk}:{candidate.start}:{candidate.end}"


def add_url(source, candidate):
    return f"{reverse('admin:aid_agreement_add')}?candidate={candidate_param(source, candidate)}"


@dataclass(frozen=True)
class Cite:
    """A checked citation of the source: where its passage is, and what cites it."""

    start: int
    end: int
    agreement_id: int
    agreement: str
    status: str


class Cites:
    """A source's checked citations, sorted by where they start in its text."""

    def __init__(self, cites):
        self.cites = sorted(cites, key=lambda cite: (cite.start, cite.end))
        self.starts = [cite.start for cite in self.cites]


def source_citations(source):
    """The source's checked citations, by where they are in its text (one query).

    Not those of pending revisions: each copies a citation of the agreement it revises.
    """
    rows = Citation.objects.filter(
        source=source, start__isnull=False, agreement__revises__isnull=True
    ).values_list("start", "end", "agreement_id", "agreement__title", "agreement__status")
    return Cites(Cite(*row) for row in rows)


def cited_by(candidate, cites):
    """The agreements whose citations overlap the candidate's passage, once each."""
    found = {}
    # Only the citations starting before the passage ends can overlap it.
    for cite in cites.cites[: bisect_left(cites.starts, candidate.end)]:
        if cite.end > candidate.start:
            found.setdefault(cite.agreement_id, cite)
    return list(found.values())


def highlighted(candidate):
    """The passage as HTML, escaped, its figures' words in <mark>."""
    text, offset = candidate.passage, candidate.start
    parts, at = [], 0
    for figure in sorted(candidate.figures, key=lambda f: f.start):
        start, end = max(figure.start - offset, at), min(figure.end - offset, len(text))
        if start < end:
            parts += [escape(text[at:start]), format_html("<mark>{}</mark>", text[start:end])]
            at = end
    parts.append(escape(text[at:]))
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above


@dataclass
class Row:
    """One candidate as the candidates page shows it."""

    candidate: object
    passage_html: str
    cited_by: list
    add_url: str = ""


class SourceCandidates:
    """SourceAdmin's page of candidate pledges, `<id>/candidates/`."""

    candidates_template = "admin/aid/source/candidates.html"

    def get_urls(self):
        return [
            path(
                "<path:object_id>/candidates/",
                self.admin_site.admin_view(self.candidates_view),
                name="aid_source_candidates",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "candidates_url": reverse("admin:aid_source_candidates", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def candidates_view(self, request, object_id):
        source = Source.objects.filter(pk=_pk(unquote(object_id))).first()
        if source is None:
            raise Http404(_("No such source."))
        if not self.has_view_permission(request, source):
            raise PermissionDenied
        shown = request.GET.get("show", "proposed")
        if shown not in SHOWN:
            shown = "proposed"
        candidates = source_candidates(source)
        cites = source_citations(source)
        proposed = [c for c in candidates if c.proposed]
        remaining = [c for c in proposed if not cited_by(c, cites)]
        listed = {"proposed": proposed, "remaining": remaining, "all": candidates}[shown]
        page = Paginator(listed, PER_PAGE).get_page(request.GET.get("page"))
        agreements = self.admin_site._registry.get(Agreement)
        may_add = agreements is not None and agreements.has_add_permission(request)
        rows = [
            Row(
                candidate,
                highlighted(candidate),
                cited_by(candidate, cites),
                add_url(source, candidate) if may_add else "",
            )
            for candidate in page.object_list
        ]
        donors = set(
            Donor.objects.filter(
                slug__in={row.candidate.donor.slug for row in rows if row.candidate.donor}
            ).values_list("slug", flat=True)
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "source": source,
            "page_object": source,
            "page_object_url": reverse("admin:aid_source_change", args=[source.pk]),
            "crumb": _("Candidate pledges"),
            "title": _("Candidate pledges in “%(source)s”") % {"source": source},
            "rows": rows,
            "page": page,
            "shown": shown,
            "counts": {
                "all": len(candidates),
                "proposed": len(proposed),
                "set_aside": len(candidates) - len(proposed),
                "remaining": len(remaining),
                "cited": len(proposed) - len(remaining),
            },
            "known_donors": donors,
            "may_add": may_add,
        }
        return TemplateResponse(request, self.candidates_template, context)


def _pk(value):
    # Digits that fit a primary key; anything else names no source (a 404, not a 500).
    return int(value) if value.isdigit() and len(value) <= 18 else None


# The pre-filled add page ------------------------------------------------------------------

CANDIDATE_PARAM = re.compile(r"^(\d{1,18}):(\d{1,12}):(\d{1,12})$")


class CandidateRefused(Exception):
    """Why a ?candidate= parameter gives nothing to pre-fill, in the analyst's words."""


@dataclass
class Prefill:
    """What the add page shows for a candidate: the agreement's initial values, and its rows."""

    source: Source
    candidate: object
    agreement: dict
    line_items: list
    citations: list
    notes: list = field(default_factory=list)  # (level, message) for the analyst


def prefill_for(request, value, source_admin):
    """The Prefill for a ?candidate=<source>:<start>:<end> value, or CandidateRefused."""
    match = CANDIDATE_PARAM.match(value or "")
    if not match:
        raise CandidateRefused(
            _(
                "The link to a candidate pledge is not one the ledger made "
                "(candidate=%(value)s): open the source's candidate pledges and choose "
                "“New draft agreement from this passage” there."
            )
            % {"value": value[:40]}
        )
    source_id, start, end = (int(part) for part in match.groups())
    source = Source.objects.filter(pk=source_id).first()
    if source is None or not source_admin.has_view_permission(request, source):
        raise CandidateRefused(_("No source #%(id)s to read a candidate from.") % {"id": source_id})
    candidate = next(
        (c for c in source_candidates(source) if (c.start, c.end) == (start, end)), None
    )
    if candidate is None:
        raise CandidateRefused(
            _(
                "“%(source)s” has no candidate pledge at characters %(start)s–%(end)s: its "
                "text may have changed since the link was made. Open its candidate pledges "
                "again."
            )
            % {"source": source, "start": start, "end": end}
        )
    return build_prefill(source, candidate)


def build_prefill(source, candidate):
    """Initial values for a draft from one candidate: the form's values, not yet saved."""
    year = source.published_on.year if source.published_on else None
    agreement = candidate.agreement_initial(default_year=year)
    notes = []
    if candidate.donor is not None:
        donor = Donor.objects.filter(slug=candidate.donor.slug).values_list("pk", flat=True)
        agreement["donor"] = donor.first() or ""
        if not agreement["donor"]:
            notes.append(
                (
                    messages.WARNING,
                    _(
                        "The passage names %(donor)s, who is not among the ledger's donors "
                        "yet: add the donor, then choose it here."
                    )
                    % {"donor": candidate.donor.name},
                )
            )
    else:
        agreement["donor"] = ""
    agreement["status"] = Status.DRAFT
    if candidate.stage:
        agreement["stage"] = candidate.stage
    # One row per figure; or, without figures, one for the equipment named.
    items = candidate.line_item_initials()
    pairs = (
        list(zip(items, candidate.figures, strict=True))
        if candidate.figures
        else [(item, None) for item in items]
    )
    amounts = candidate.amounts
    if _names_a_package(candidate) and len(amounts) == 1:
        # A package's one amount is its total, as the fixture enters the U.S. package; its
        # contents are line items without a share of it. Any other amount is a line item's.
        total = amounts[0]
        agreement |= {"amount": total.amount, "currency": total.currency}
        agreement["qualifier"] = total.qualifier
        if total.basis in Basis.values:
            agreement["basis"] = total.basis
        pairs = [(item, figure) for item, figure in pairs if figure is not total]
    categories = dict(
        Category.objects.filter(slug__in={item["category"] for item, _figure in pairs}).values_list(
            "slug", "pk"
        )
    )
    line_items = []
    for item, figure in pairs:
        row = {name: value for name, value in item.items() if value not in (None, "")}
        row["category"] = categories.get(item["category"], "")
        if figure is not None and figure.basis in Basis.values:
            row["basis"] = figure.basis
        line_items.append(row)
    if len(line_items) > MAX_ROWS:
        notes.append(
            (
                messages.WARNING,
                _("The passage has %(count)s figures: the first %(max)s are pre-filled.")
                % {"count": len(line_items), "max": MAX_ROWS},
            )
        )
        line_items = line_items[:MAX_ROWS]
    already = cited_by(candidate, source_citations(source))
    if already:
        notes.append(
            (
                messages.WARNING,
                _(
                    "This passage is already cited by %(agreements)s: check that it is not "
                    "entered twice."
                )
                % {"agreements": ", ".join(f"“{cite.agreement}”" for cite in already)},
            )
        )
    # The passage supports each figure it gives a row (cited by the row's number: the rows
    # are saved first, aid/admin_fields.py RowReference), and the agreement as a whole when
    # it holds the headline amount or no row holds a figure.
    cite = {"source": source.pk, "passage": candidate.passage}
    rows = [number for number, row in enumerate(line_items, start=1) if row]
    citations = [cite | {"line_item": RowReference(number).value} for number in rows]
    if not citations or "amount" in agreement:
        citations.insert(0, cite)
    return Prefill(source, candidate, agreement, line_items, citations, notes)


def _names_a_package(candidate):
    """Whether the passage calls what it states a package (not the engine's default kind)."""
    return any(
        evidence.field == "kind" and evidence.reading == "aid-package" and evidence.words
        for evidence in candidate.evidence
    )


class AgreementFromCandidate:
    """AgreementAdmin's add page, pre-filled from a candidate pledge (?candidate=…).

    Only the page as first opened (GET) is pre-filled: the posted form is the analyst's,
    and a row whose values equal its initial ones would be taken as untouched and dropped.
    """

    def add_view(self, request, form_url="", extra_context=None):
        request.candidate_prefill = None
        # Read only for those who may add an agreement; the others are refused by the admin.
        if (
            request.method == "GET"
            and "candidate" in request.GET
            and self.has_add_permission(request)
        ):
            try:
                prefill = prefill_for(
                    request, request.GET["candidate"], self.admin_site._registry[Source]
                )
            except CandidateRefused as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
            else:
                request.candidate_prefill = prefill
                for level, note in prefill.notes:
                    self.message_user(request, note, level)
                extra_context = {**(extra_context or {}), "candidate_prefill": prefill}
        return super().add_view(request, form_url, extra_context)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        prefill = getattr(request, "candidate_prefill", None)
        if prefill is None:
            return initial
        # A field given in the URL too wins, as on any add page.
        return prefill.agreement | initial

    def _prefill_rows(self, request, inline):
        prefill = getattr(request, "candidate_prefill", None)
        if prefill is None:
            return None
        if inline.model is LineItem:
            return prefill.line_items
        if inline.model is Citation:
            return prefill.citations
        return None

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            rows = self._prefill_rows(request, inline)
            if rows:
                formset = inline.get_formset(request, obj, extra=len(rows))
            yield formset, inline

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        rows = self._prefill_rows(request, inline)
        if rows:
            kwargs["initial"] = rows
        return kwargs
