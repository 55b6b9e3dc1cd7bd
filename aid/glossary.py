"""What each of the ledger's vocabularies means to a reader: the text of /glossary/.

Keyed by the values in aid/choices.py; entries() refuses a value without its explanation,
so a stage or aid type added to the code cannot reach readers unexplained.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

STAGES = {
    "announced": _(
        "A donor or its officials said the aid will come, and nothing binding is recorded "
        "yet: a fund “announced” that “will provide”, a budget that a draft agreement says "
        "a fund “will have”."
    ),
    "committed": _(
        "A formal promise: a signed agreement that “provides” the aid, a package whose "
        "contents the donor's government has set out, a plan the donors have agreed."
    ),
    "allocated": _(
        "Money set aside for a named purpose or project (“the government allocating about "
        "€400 million for the project”)."
    ),
    "delivered": _("The aid has reached Ukraine (“has provided”)."),
}

AID_TYPES = {
    "military": _(
        "Weapons, ammunition, equipment, training, and money given to buy them. The "
        "ledger's totals count military aid only."
    ),
    "financial": _(
        "Budget support, loans and grants for the state's finances: listed, never added "
        "to the military totals."
    ),
    "humanitarian": _("Relief for people: listed, never added to the military totals."),
    "mixed": _(
        "Aid whose military share the source does not state (“$61 billion in aid”). Listed "
        "and shown with its amount, but not added to the military totals: adding it would "
        "count non-military money as military, and leaving it out silently would hide it. "
        "Each total says what it leaves out."
    ),
}

BASES = {
    "once": _("An amount paid once, or over a period as one sum: what the totals add up."),
    "per-year": _(
        "A rate (“approximately €3 billion a year”). A rate has no total until a period "
        "bounds it, so it is never added to one-off amounts. Where the source gives both "
        "the first and the last year, the ledger shows the implied total as a labelled "
        "estimate beside the rate, and still does not count it."
    ),
}

QUALIFIERS = {
    "exact": _("The source states the amount plainly."),
    "at-least": _(
        "A floor (“at least €977 million”). A total that includes one is itself “at least”."
    ),
    "up-to": _("A ceiling (“up to”). A total that includes one is itself “up to”."),
    "approximately": _(
        "An estimate (“about”, “approximately”). A total that includes one, or that mixes "
        "floors and ceilings, is itself approximate."
    ),
}

PRECISIONS = {
    "day": _("The source gives the day."),
    "month": _(
        "The source gives only the month, or the ledger reads the month from the "
        "document's own period (the record's notes say which); stored as the 1st and shown "
        "as “May 2024”."
    ),
    "year": _("Only the year is known; stored as 1 January and shown as “2024”."),
    "unknown": _("The source gives no date."),
}


@dataclass(frozen=True)
class Entry:
    value: str
    label: str
    meaning: str


def entries(choices, meanings):
    """Each value of a TextChoices with its label and meaning, in the choices' order."""
    missing = set(choices.values) - set(meanings)
    if missing:
        raise ValueError(f"No glossary entry for {', '.join(sorted(missing))}.")
    return [Entry(value, label, meanings[value]) for value, label in choices.choices]
