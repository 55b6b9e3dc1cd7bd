"""What the engine proposes: candidates, their figures, and why each field was read so."""

from dataclasses import dataclass, field
from decimal import Decimal

from aid.choices import Qualifier
from aid.money import format_money

from .rules import PROPOSE_AT
from .when import PartialDate


@dataclass(frozen=True)
class Evidence:
    """One rule's reading: which words (at which offsets of the document) gave which value."""

    field: str  # the field it fills: "amount", "donor", "stage", …
    rule: str  # the rule's name, e.g. "currency before the number"
    words: str  # the words read, as the reading view has them
    reading: str  # what the rule made of them
    start: int | None = None
    end: int | None = None

    def __str__(self):
        words = f"“{self.words}”" if self.words else "(no words)"
        return f"{self.field}: {words} → {self.reading} [{self.rule}]"


@dataclass(frozen=True)
class Doubt:
    """A reason to doubt that a figure or passage is a pledge to Ukraine, and what it costs."""

    rule: str
    reason: str
    penalty: int
    words: str = ""
    start: int | None = None
    end: int | None = None

    def __str__(self):
        words = f" (“{self.words}”)" if self.words else ""
        return f"{self.reason}{words}: −{self.penalty} [{self.rule}]"


@dataclass(frozen=True)
class DonorRef:
    """A donor as the ledger's Donor model would hold it; it may not be in the ledger yet."""

    slug: str
    name: str
    kind: str
    iso_code: str


@dataclass(frozen=True)
class System:
    """A weapon system or kind of equipment named in a passage."""

    name: str  # "F-16", or the generic words ("patrol boats")
    category: str  # a category slug
    unit: str
    start: int
    end: int
    specific: bool  # a named system (F-16) rather than a kind of thing (boats)


@dataclass
class Figure:
    """One amount of money or quantity of equipment, with everything read around it."""

    kind: str  # "amount" or "quantity"
    start: int  # the figure's words in the document, qualifier included
    end: int
    words: str
    amount: Decimal | None = None
    amount_max: Decimal | None = None  # the upper end of a range ("€400–500 million")
    currency: str = ""  # ISO 4217; "" when the text does not say
    qualifier: str = Qualifier.EXACT
    basis: str = "once"  # "once", "per-year" or "per-month"
    quantity: int | None = None
    unit: str = ""
    system: str = ""  # the named system counted, e.g. "F-16"
    category: str | None = None  # a category slug; None when the passage mixes several
    period_text: str = ""
    period_start_year: int | None = None
    period_end_year: int | None = None
    stage: str | None = None
    description: str = ""  # a line item's description, in the passage's words
    evidence: list = field(default_factory=list)
    doubts: list = field(default_factory=list)

    @property
    def penalty(self):
        return sum(doubt.penalty for doubt in self.doubts)

    def money_display(self):
        if self.amount is None:
            return ""
        shown = format_money(self.amount, self.currency or "(currency?)", self.qualifier)
        if self.amount_max is not None:
            shown += f" (range up to {self.amount_max:,.0f})"
        return shown

    def __str__(self):
        if self.kind == "amount":
            shown = self.money_display()
        else:
            qualifier = "" if self.qualifier == Qualifier.EXACT else f"{self.qualifier} "
            shown = f"{qualifier}{self.quantity} {self.unit}".strip()
        if self.basis != "once":
            shown += f" ({self.basis})"
        return shown

    def line_item_initial(self, stage=None):
        """Initial values for a new LineItem, by field name (category and stage as slugs)."""
        return {
            "description": self.description[:300],
            "category": self.category or "",
            "quantity": self.quantity,
            "unit": self.unit,
            "amount": self.amount,
            "currency": self.currency,
            "qualifier": self.qualifier,
            "period_start_year": self.period_start_year,
            "period_end_year": self.period_end_year,
            "period_text": self.period_text or ("a year" if self.basis == "per-year" else ""),
            "stage": self.stage or stage or "",
        }


@dataclass
class Candidate:
    """A passage that may state a pledge, with what the ledger can read from it.

    `passage` is `text[start:end]` of the document, exactly: it can be saved as a Citation.
    """

    passage: str
    start: int
    end: int
    kind: str  # "sentence" or "list-item"
    read_as: str = ""  # the passage as the engine read it: noise blanked, spaces collapsed
    donor: DonorRef | None = None
    other_donors: list = field(default_factory=list)
    date: PartialDate | None = None
    stage: str | None = None
    category: str | None = None
    figures: list = field(default_factory=list)
    systems: list = field(default_factory=list)
    score: int = 0
    proposed: bool = False
    kind_of_agreement: str = ""  # an AgreementKind value, suggested by the passage's words
    evidence: list = field(default_factory=list)
    doubts: list = field(default_factory=list)

    @property
    def amounts(self):
        return [figure for figure in self.figures if figure.kind == "amount"]

    @property
    def quantities(self):
        return [figure for figure in self.figures if figure.kind == "quantity"]

    def explain(self):
        """The reasons, one line each: the verdict, each rule that matched, each doubt."""
        verdict = "Proposed" if self.proposed else "Set aside"
        lines = [f"{verdict}: score {self.score} (proposed at {PROPOSE_AT} or more)."]
        lines += [f"  {item}" for item in self.evidence]
        lines += [f"  doubt: {doubt}" for doubt in self.doubts]
        for number, figure in enumerate(self.figures, start=1):
            lines.append(f"  figure {number}: {figure} — “{figure.words}”")
            lines += [f"    {item}" for item in figure.evidence]
            lines += [f"    doubt: {doubt}" for doubt in figure.doubts]
        return lines

    def agreement_initial(self, default_year=None):
        """Initial values for a new draft Agreement, and notes on what was supplied.

        `default_year` (e.g. the source's year) completes a date the passage gives without
        one; the note says so, since the passage does not.
        """
        initial = {
            "donor": self.donor.slug if self.donor else "",
            "title": self.title()[:200],
            "kind": self.kind_of_agreement,
        }
        notes = []
        if self.date is not None:
            value, precision, note = self.date.resolve(default_year)
            if value is not None:
                initial["announced_on"] = value
                initial["announced_precision"] = precision
            if note:
                notes.append(note)
        if self.other_donors:
            names = ", ".join(donor.name for donor in self.other_donors)
            notes.append(f"The passage also names {names}.")
        initial["notes"] = " ".join(notes)
        return initial

    def title(self):
        """A working title: the donor and the first figure's words ("Belgium: at least …")."""
        what = self.figures[0].description if self.figures else _item_description(self.read_as)
        if len(what) > 80:
            what = what[:80].rsplit(" ", 1)[0] + " …"
        who = self.donor.name if self.donor else "Unknown donor"
        return f"{who}: {what}"

    def line_item_initials(self):
        """Initial values for one new LineItem per figure, or one for the equipment named."""
        if self.figures:
            return [figure.line_item_initial(self.stage) for figure in self.figures]
        systems = [system for system in self.systems if system.specific] or self.systems
        if not systems:
            return []
        categories = {system.category for system in systems}
        return [
            {
                "description": _item_description(self.read_as)[:300],
                "category": categories.pop() if len(categories) == 1 else "",
                "quantity": None,
                "unit": "",
                "amount": None,
                "currency": "",
                "qualifier": Qualifier.EXACT,
                "period_start_year": None,
                "period_end_year": None,
                "period_text": "",
                "stage": self.stage or "",
            }
        ]


def _item_description(passage):
    """A list item's words without its bullet and closing mark: "M113 armoured personnel …"."""
    words = passage.strip()
    words = words.lstrip("-*+•▪◦–—●").strip()
    return words.rstrip(";.,").strip()
