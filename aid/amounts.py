"""Amounts as analysts type them: "13,300,000,000", "13 300 000 000", "13.3 billion", "500m".

Parsed to an exact Decimal (never through a float: 13.3 billion is 13300000000 exactly).
The rule, which static/ledger/amounts.js mirrors to show the reading beside the field
(the server is the authority):

- digits, grouped in threes by commas or by spaces (one kind per number), or ungrouped;
- a point for decimals; a comma is never a decimal mark ("1,5" is refused, not guessed);
- then, optionally, a word: thousand (k), million (m, mn), billion (bn);
- the result is in whole cents and fits the column (16 digits before the point).

Anything else is refused with a message that says what is wrong, never guessed.
"""

import re
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

MULTIPLIERS = {
    "thousand": 3,
    "k": 3,
    "million": 6,
    "m": 6,
    "mn": 6,
    "billion": 9,
    "bn": 9,
}
# Money.amount: max_digits=18, decimal_places=2.
PLACES = 2
INTEGER_DIGITS = 16

# The spaces a pasted figure may carry: space, no-break, narrow no-break, thin.
SPACES = " \u00a0\u202f\u2009"
NUMBER = re.compile(
    r"(?P<number>[0-9][0-9,." + SPACES + r"]*?)[" + SPACES + r"]*(?P<word>[a-z]*)",
)
GROUPED = {
    ",": re.compile(r"[0-9]{1,3}(,[0-9]{3})+"),
    " ": re.compile(r"[0-9]{1,3}( [0-9]{3})+"),
}

NOT_AN_AMOUNT = _(
    "“%(value)s” is not an amount: give a number such as 13,300,000,000, 13 300 000 000, "
    "13.3 billion or 500m."
)
NEGATIVE = _("An amount cannot be negative.")
AMBIGUOUS = _(
    "“%(value)s” is ambiguous: group digits in threes with commas or spaces "
    "(13,300,000,000) and write decimals with a point (13.3 billion)."
)
UNKNOWN_WORD = _(
    "“%(word)s” is not a word the ledger reads in an amount: use thousand, million (m), "
    "or billion (bn)."
)
TOO_PRECISE = _("“%(value)s” is finer than a cent: an amount has at most two decimal places.")
TOO_LARGE = _("“%(value)s” is too large: an amount has at most 16 digits before the point.")


class AmountError(ValueError):
    """Why a typed amount was refused; message is the reader's explanation."""

    def __init__(self, message, **params):
        self.message, self.params = message, params
        super().__init__(message, params)

    def __str__(self):
        return str(self.message) % self.params


def parse_amount(text):
    """The Decimal an analyst typed, or None for a blank; AmountError if it is not clear."""
    value = (text or "").strip()
    if not value:
        return None
    if value[0] in "-−–(":
        raise AmountError(NEGATIVE)
    match = NUMBER.fullmatch(value.lower())
    if match is None:
        raise AmountError(NOT_AN_AMOUNT, value=value)
    number, word = match["number"], match["word"]
    if word and word not in MULTIPLIERS:
        raise AmountError(UNKNOWN_WORD, word=word)
    digits = clean_number(number.translate({ord(space): " " for space in SPACES}), value)
    amount = Decimal(digits).scaleb(MULTIPLIERS.get(word, 0))
    # Checked first: quantizing a number past Decimal's 28 digits would raise.
    if amount.adjusted() >= INTEGER_DIGITS:
        raise AmountError(TOO_LARGE, value=value)
    cents = amount.quantize(Decimal("0.01"))
    if amount != cents:
        raise AmountError(TOO_PRECISE, value=value)
    # Whole amounts without a fraction (13300000000, not 1.33E+10); others to the cent.
    return cents.quantize(Decimal(1)) if cents == cents.to_integral_value() else cents


def clean_number(number, value):
    """The number's digits and point, its grouping checked: "13,300.5" -> "13300.5"."""
    whole, point, fraction = number.partition(".")
    if "." in fraction or not re.fullmatch(r"[0-9]*", fraction) or (point and not fraction):
        raise AmountError(AMBIGUOUS, value=value)
    separators = set(whole) - set("0123456789")
    if not separators:
        return number
    if len(separators) > 1 or not GROUPED[separators.pop()].fullmatch(whole):
        raise AmountError(AMBIGUOUS, value=value)
    return re.sub(r"[, ]", "", whole) + point + fraction


def format_amount(amount):
    """An amount as the form shows it back: 13,300,000,000; 1,234.50 with cents."""
    if amount is None:
        return ""
    places = 0 if amount == amount.to_integral_value() else PLACES
    return f"{amount:,.{places}f}"


def amount_in_words(amount):
    """The reading in words of a round figure: "13.3 billion", "500 million"; else ''."""
    if amount is None:
        return ""
    for word, exponent in (("billion", 9), ("million", 6), ("thousand", 3)):
        scaled = amount.scaleb(-exponent)
        if scaled >= 1:
            shown = scaled.normalize()
            # Only an exact reading, and one shorter than the figure itself.
            if shown.as_tuple().exponent >= -3:
                return f"{shown:,f} {word}"
            return ""
    return ""
