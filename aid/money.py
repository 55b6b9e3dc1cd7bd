"""Amounts as readers see them: the qualifier travels with the figure, into every total.

Shown in the reader's language and its number format ("at least EUR 977,000,000";
"щонайменше 977 000 000 EUR"). Exports never come through here: they carry plain
decimals (aid/exports.py).
"""

from django.utils.formats import number_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from .choices import AidType, Basis, Qualifier

# How each qualifier reads in front of an amount ("at least EUR 977,000,000").
QUALIFIER_WORDS = {
    Qualifier.AT_LEAST: pgettext_lazy("in front of an amount", "at least"),
    Qualifier.UP_TO: pgettext_lazy("in front of an amount", "up to"),
    Qualifier.APPROXIMATELY: pgettext_lazy("in front of an amount", "approximately"),
}


def format_number(value, places=None):
    """A number grouped in the reader's format: 977,000,000 (English), 977 000 000 (Ukrainian).

    Decimals show two places, or none when the cents are zero.
    """
    if places is None:
        places = 0 if isinstance(value, int) or value == value.to_integral_value() else 2
    return number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def format_money(amount, currency, qualifier=Qualifier.EXACT, html=False):
    """ "at least EUR 977,000,000": the qualifier is never dropped.

    With html=True, the currency and the number are kept on one line (a table cell may
    wrap between "at least" and the figure, never inside the figure).
    """
    if amount is None:
        return ""
    figure = pgettext("an amount: currency code and number", "%(currency)s %(amount)s") % {
        "currency": currency,
        "amount": format_number(amount),
    }
    words = QUALIFIER_WORDS.get(qualifier, "")
    if html:
        figure = format_html('<span class="figure">{}</span>', figure)
        return format_html("{} {}", words, figure) if words else figure
    return f"{words} {figure}" if words else figure


def format_value(amount, currency, qualifier=Qualifier.EXACT, html=False):
    """A converted value, to the whole unit: its cents are an artefact of the exchange rate."""
    if amount is None:
        return ""
    return format_money(amount.quantize(1), currency, qualifier, html=html)


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
        # An HTML display stays HTML (its parts escaped); the pattern is the ledger's own.
        amount = conditional_escape(display) if isinstance(display, SafeData) else display
        rate = _("%(amount)s a year") % {"amount": amount}
        return mark_safe(rate) if isinstance(display, SafeData) else rate  # noqa: S308
    return display


# Why an amount stays out of the military totals (the glossary's "Counting" explains them).
LEFT_OUT_REASONS = {
    AidType.MIXED: gettext_lazy("aid whose military share the source does not state"),
    AidType.FINANCIAL: gettext_lazy("financial aid, not military"),
    AidType.HUMANITARIAN: gettext_lazy("humanitarian aid, not military"),
}
RATE_REASON = gettext_lazy(
    "a rate per year, not a lump sum: it has no total until a period bounds it"
)


def left_out_reason(aid_type, basis):
    """The reason, in a reader's words, or '' for a one-off amount of military aid."""
    reasons = []
    if aid_type != AidType.MILITARY:
        reasons.append(str(LEFT_OUT_REASONS[aid_type]))
    if basis == Basis.PER_YEAR:
        reasons.append(str(RATE_REASON))
    return "; ".join(reasons)
