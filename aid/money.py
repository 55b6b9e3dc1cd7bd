"""Amounts as readers see them: the qualifier travels with the figure, into every total."""

from .choices import AidType, Basis, Qualifier


def format_money(amount, currency, qualifier=Qualifier.EXACT):
    """ "at least EUR 977,000,000": the qualifier is never dropped."""
    if amount is None:
        return ""
    figure = f"{currency} {amount:,.2f}".removesuffix(".00")
    if qualifier == Qualifier.EXACT:
        return figure
    return f"{Qualifier(qualifier).label.lower()} {figure}"


def format_value(amount, currency, qualifier=Qualifier.EXACT):
    """A converted value, to the whole unit: its cents are an artefact of the exchange rate."""
    if amount is None:
        return ""
    return format_money(amount.quantize(1), currency, qualifier)


def total_qualifier(qualifiers):
    """The qualifier a sum inherits from its parts.

    A sum of exact figures is exact; one with "at least" parts (and otherwise exact)
    is itself "at least"; likewise "up to" and "approximately". Parts that pull in
    different directions make a sum that is only approximate.
    """
    inexact = set(qualifiers) - {Qualifier.EXACT}
    if not inexact:
        return Qualifier.EXACT
    if len(inexact) == 1:
        return inexact.pop()
    return Qualifier.APPROXIMATELY


def per_basis(display, basis):
    """ "approximately EUR 3,000,000,000 a year": a rate is never shown as a lump sum."""
    if display and basis == Basis.PER_YEAR:
        return f"{display} a year"
    return display


# Why an amount stays out of the military totals (the glossary's "Counting" explains them).
LEFT_OUT_REASONS = {
    AidType.MIXED: "aid whose military share the source does not state",
    AidType.FINANCIAL: "financial aid, not military",
    AidType.HUMANITARIAN: "humanitarian aid, not military",
}
RATE_REASON = "a rate per year, not a lump sum: it has no total until a period bounds it"


def left_out_reason(aid_type, basis):
    """The reason, in a reader's words, or '' for a one-off amount of military aid."""
    reasons = []
    if aid_type != AidType.MILITARY:
        reasons.append(LEFT_OUT_REASONS[aid_type])
    if basis == Basis.PER_YEAR:
        reasons.append(RATE_REASON)
    return "; ".join(reasons)
