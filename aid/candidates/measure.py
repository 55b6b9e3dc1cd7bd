"""Recall and precision of the engine on the seed documents, read against the fixture.

- **Recall**: every line item and headline amount of fixtures/ledger.json that has an amount
  or a quantity must be found in a *proposed* candidate whose passage overlaps one of the
  record's citations, with the same amount, currency and qualifier (or the same quantity and
  category).
- **Precision**: of the proposed candidates, the share whose passage overlaps a passage the
  fixture cites, or a statement fixtures/candidates_judged.json records as deliberately left
  out. The rest is noise. Statements judged "not a pledge" there (an estimate, another
  country's trade) must not be proposed; they are counted apart.

The fixture is read as it is on disk, so records added to it are measured without a change
here.
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .extract import find_candidates

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "ledger.json"
JUDGED = ROOT / "fixtures" / "candidates_judged.json"
SEEDS = ROOT / "seeds"


@dataclass
class Expected:
    """A figure the fixture holds, and where the engine found it (if it did)."""

    source: str
    record: str  # "line item 3" or "agreement 4 (headline)"
    description: str
    donor: str
    amount: Decimal | None
    currency: str
    qualifier: str
    quantity: int | None
    category: str
    passages: list
    kind: str = ""  # the agreement's kind
    found: object = None  # the Candidate
    donor_right: bool = False
    kind_right: bool = False

    def __str__(self):
        if self.amount is not None:
            figure = f"{self.qualifier} {self.currency} {self.amount:,.0f}"
        else:
            figure = f"{self.quantity} ({self.category})"
        return f"{self.record}: {figure} — {self.description}"


@dataclass
class SourceReport:
    file: str
    title: str
    candidates: list
    expected: list = field(default_factory=list)
    relevant: list = field(default_factory=list)  # (candidate, why)
    noise: list = field(default_factory=list)
    judged: list = field(default_factory=list)  # (statement, candidate or None)

    @property
    def proposed(self):
        return [candidate for candidate in self.candidates if candidate.proposed]


@dataclass
class Report:
    sources: list

    def _count(self, attribute):
        return sum(len(getattr(source, attribute)) for source in self.sources)

    @property
    def expected(self):
        return [item for source in self.sources for item in source.expected]

    @property
    def missed(self):
        return [item for item in self.expected if item.found is None]

    @property
    def recall(self):
        expected = self.expected
        return (len(expected) - len(self.missed)) / len(expected) if expected else 1.0

    @property
    def precision(self):
        proposed = self._count("proposed")
        return self._count("relevant") / proposed if proposed else 1.0

    @property
    def not_pledges_proposed(self):
        return [
            (statement, candidate)
            for source in self.sources
            for statement, candidate in source.judged
            if statement["reading"] == "not-a-pledge" and candidate is not None
        ]

    @property
    def not_pledges(self):
        return [
            statement
            for source in self.sources
            for statement, _ in source.judged
            if statement["reading"] == "not-a-pledge"
        ]

    def lines(self, verbose=False):
        """The report as text: totals first, then each source, then what went wrong."""
        found = len(self.expected) - len(self.missed)
        donors_right = sum(1 for item in self.expected if item.donor_right)
        kinds_right = sum(1 for item in self.expected if item.kind_right)
        lines = [
            f"Recall: {found} of {len(self.expected)} fixture figures found "
            f"({self.recall:.0%}); donor right for {donors_right} of them, kind of agreement "
            f"for {kinds_right}.",
            f"Precision: {self._count('relevant')} of {self._count('proposed')} proposed "
            f"candidates correspond to a fixture record or a statement left out on purpose "
            f"({self.precision:.0%}); noise: {self._count('noise')}.",
            f"Not pledges (judged): {len(self.not_pledges) - len(self.not_pledges_proposed)} "
            f"of {len(self.not_pledges)} set aside.",
            "",
        ]
        for source in self.sources:
            set_aside = len(source.candidates) - len(source.proposed)
            lines.append(
                f"{source.file} ({source.title}): {len(source.proposed)} proposed, "
                f"{set_aside} set aside; {len(source.expected)} fixture figures."
            )
            if verbose:
                for candidate in source.candidates:
                    mark = "+" if candidate.proposed else "-"
                    lines.append(f"  {mark} [{candidate.score}] {candidate.passage[:100]}")
                    if verbose > 1:
                        lines += [f"      {line}" for line in candidate.explain()]
        for item in self.missed:
            lines.append(f"MISSED {item}")
        for source in self.sources:
            for candidate in source.noise:
                lines.append(f"NOISE {source.file}: {candidate.passage[:120]}")
        for statement, _ in self.not_pledges_proposed:
            lines.append(f"PROPOSED BUT NOT A PLEDGE: {statement['passage'][:120]}")
        return lines


def _occurrences(text, passage):
    spans, start = [], text.find(passage)
    while start >= 0 and passage:
        spans.append((start, start + len(passage)))
        start = text.find(passage, start + 1)
    return spans


def _overlaps(candidate, spans):
    return any(candidate.start < end and start < candidate.end for start, end in spans)


def _matches(expected, candidate):
    for figure in candidate.figures:
        if expected.amount is not None:
            if (
                figure.kind == "amount"
                and figure.amount == expected.amount
                and figure.currency == expected.currency
                and figure.qualifier == expected.qualifier
            ):
                return True
        elif (
            figure.kind == "quantity"
            and figure.quantity == expected.quantity
            and (not expected.category or figure.category == expected.category)
        ):
            return True
    return False


def _source_text(fields, seeds):
    if fields.get("text"):
        return fields["text"]
    if fields.get("file"):
        return (seeds / fields["file"]).read_text(encoding="utf-8")
    return ""


def _expected(records, sources):
    """The figures of the fixture: line items and headline amounts with an amount or quantity."""
    by_model = {}
    for record in records:
        by_model.setdefault(record["model"], []).append(record)
    agreements = {record["pk"]: record["fields"] for record in by_model.get("aid.agreement", [])}
    citations = [record["fields"] for record in by_model.get("aid.citation", [])]
    expected = []

    def passages(agreement, line_item):
        return [
            (citation["source"], citation["passage"])
            for citation in citations
            if citation["agreement"] == agreement and citation.get("line_item") == line_item
        ]

    def donor(agreement):
        slug = agreements[agreement]["donor"]
        return slug[0] if isinstance(slug, list) else str(slug)

    for record in by_model.get("aid.lineitem", []):
        item = record["fields"]
        if item.get("amount") is None and item.get("quantity") is None:
            continue
        cited = passages(item["agreement"], record["pk"]) or passages(item["agreement"], None)
        category = item.get("category") or ""
        for source, group in _by_source(cited).items():
            expected.append(
                Expected(
                    source=source,
                    record=f"line item {record['pk']}",
                    description=item["description"],
                    donor=donor(item["agreement"]),
                    amount=Decimal(item["amount"]) if item.get("amount") is not None else None,
                    currency=item.get("currency") or "",
                    qualifier=item.get("qualifier") or "exact",
                    quantity=item.get("quantity"),
                    category=category[0] if isinstance(category, list) else category,
                    passages=group,
                    kind=agreements[item["agreement"]].get("kind", ""),
                )
            )
    for pk, agreement in agreements.items():
        if agreement.get("amount") is None:
            continue
        for source, group in _by_source(passages(pk, None)).items():
            expected.append(
                Expected(
                    source=source,
                    record=f"agreement {pk} (headline)",
                    description=agreement["title"],
                    donor=donor(pk),
                    amount=Decimal(agreement["amount"]),
                    currency=agreement.get("currency") or "",
                    qualifier=agreement.get("qualifier") or "exact",
                    quantity=None,
                    category="",
                    passages=group,
                    kind=agreement.get("kind", ""),
                )
            )
    return expected, citations


def _by_source(cited):
    grouped = {}
    for source, passage in cited:
        grouped.setdefault(source, []).append(passage)
    return grouped


def measure(fixture=FIXTURE, judged=JUDGED, seeds=SEEDS):
    """Run the engine on every source of the fixture and measure it (a Report)."""
    records = json.loads(Path(fixture).read_text(encoding="utf-8"))
    statements = json.loads(Path(judged).read_text(encoding="utf-8"))["statements"]
    sources = {r["pk"]: r["fields"] for r in records if r["model"] == "aid.source"}
    expected, citations = _expected(records, sources)
    reports = []
    for pk, fields in sources.items():
        text = _source_text(fields, Path(seeds))
        report = SourceReport(fields.get("file") or str(pk), fields["title"], find_candidates(text))
        cited = [
            span
            for citation in citations
            if citation["source"] == pk
            for span in _occurrences(text, citation["passage"])
        ]
        mine = [s for s in statements if s["file"] == fields.get("file")]
        left_out = [
            span
            for statement in mine
            if statement["reading"] == "left-out"
            for span in _occurrences(text, statement["passage"])
        ]
        for candidate in report.proposed:
            if _overlaps(candidate, cited):
                report.relevant.append((candidate, "cited by the fixture"))
            elif _overlaps(candidate, left_out):
                report.relevant.append((candidate, "left out on purpose"))
            else:
                report.noise.append(candidate)
        for statement in mine:
            spans = _occurrences(text, statement["passage"])
            hit = next((c for c in report.proposed if _overlaps(c, spans)), None)
            report.judged.append((statement, hit))
        for item in expected:
            if item.source != pk:
                continue
            spans = [span for passage in item.passages for span in _occurrences(text, passage)]
            for candidate in report.proposed:
                if _overlaps(candidate, spans) and _matches(item, candidate):
                    item.found = candidate
                    item.donor_right = bool(candidate.donor) and candidate.donor.slug == item.donor
                    item.kind_right = candidate.kind_of_agreement == item.kind
                    break
            report.expected.append(item)
        reports.append(report)
    return Report(reports)
