"""Numbers, currencies, scales and qualifiers: how "at least €977 million" becomes figures.

Conventions (the documents are in English):
- "," between groups of three digits separates thousands (1,000,000); "," before one or two
  digits is a decimal comma (1,5 billion); "." is a decimal point unless it separates two or
  more groups of three (1.000.000). A space or no-break space may separate thousands.
- A number becomes an *amount* only beside a currency (€, $, EUR, euros, "SEK", "kronor"…),
  or beside a scale word ("5 billion") in a passage that gives the currency elsewhere.
- A number becomes a *quantity* only just before a weapon system or a kind of equipment
  ("30 F-16 fighter jets"). A year (2024), a calibre (155-mm) or a number inside a system's
  name (F-16, Leopard 2) is neither.
"""

import re
from decimal import Decimal, InvalidOperation

from aid.choices import Qualifier
from aid.iso import CURRENCIES

# fmt: off
# Symbols written before the number, longest first. "$" alone is the US dollar (a Canadian
# or Australian donor's "$" is flagged for review, see extract.py).
CURRENCY_SYMBOLS = {
    "US$": "USD", "U.S.$": "USD", "C$": "CAD", "CA$": "CAD", "CAN$": "CAD", "A$": "AUD",
    "AU$": "AUD", "NZ$": "NZD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₴": "UAH",
    "₩": "KRW", "₺": "TRY", "zł": "PLN", "Fr.": "CHF",
}
# Words written after the number (in any case). None: ambiguous, resolved by the donor.
CURRENCY_WORDS = {
    "euros": "EUR", "euro": "EUR", "US dollars": "USD", "U.S. dollars": "USD",
    "American dollars": "USD", "Canadian dollars": "CAD", "Australian dollars": "AUD",
    "New Zealand dollars": "NZD", "dollars": "USD", "dollar": "USD",
    "pounds sterling": "GBP", "pounds": "GBP", "sterling": "GBP",
    "Swedish kronor": "SEK", "Swedish crowns": "SEK", "kronor": "SEK", "krona": "SEK",
    "Danish kroner": "DKK", "Danish crowns": "DKK", "Norwegian kroner": "NOK",
    "Norwegian crowns": "NOK", "kroner": None, "krone": None,
    "Czech korunas": "CZK", "Czech crowns": "CZK", "korunas": "CZK", "koruna": "CZK",
    "zlotys": "PLN", "zloty": "PLN", "złoty": "PLN", "złotys": "PLN",
    "hryvnias": "UAH", "hryvnia": "UAH", "hryvnas": "UAH", "yen": "JPY",
    "Swiss francs": "CHF", "francs": "CHF", "forints": "HUF", "forint": "HUF",
    "lei": "RON", "South Korean won": "KRW", "Korean won": "KRW",
    "Turkish lira": "TRY", "roubles": "RUB", "rubles": "RUB", "yuan": "CNY",
    "Australian dollar": "AUD", "Canadian dollar": "CAD",
}
# National currencies a bare "kroner" (or a "$") may mean, by donor.
DONOR_CURRENCIES = {
    "denmark": "DKK", "norway": "NOK", "canada": "CAD", "australia": "AUD",
    "new-zealand": "NZD",
}
# ISO codes that are also English words: read as a currency only in capitals, and only
# when the document's other figures do not make them a word ("ALL 5 systems").
WORD_LIKE_CODES = frozenset({"ALL", "CUP", "TOP", "MOP", "BOB", "GEL", "PEN", "SOS", "TRY",
                             "BAM", "DOP", "CVE", "LAK", "AED"})

SCALES = {
    "thousand": 10**3, "k": 10**3,
    "million": 10**6, "millions": 10**6, "mn": 10**6, "mln": 10**6, "m": 10**6,
    "billion": 10**9, "billions": 10**9, "bn": 10**9, "bln": 10**9, "b": 10**9,
    "trillion": 10**12, "tn": 10**12, "trn": 10**12,
}
# Scale words that may stand without a currency ("a further 5 billion in aid").
SCALE_WORDS = ("trillion", "billion", "million", "bn", "mln", "mn")

# Words before a figure, and what they make of it. Longer phrases first.
QUALIFIERS_BEFORE = [
    ("no less than", Qualifier.AT_LEAST), ("not less than", Qualifier.AT_LEAST),
    ("a minimum of", Qualifier.AT_LEAST), ("at least", Qualifier.AT_LEAST),
    ("in excess of", Qualifier.AT_LEAST), ("upwards of", Qualifier.AT_LEAST),
    ("more than", Qualifier.AT_LEAST), ("over", Qualifier.AT_LEAST),
    ("above", Qualifier.AT_LEAST),
    ("up to", Qualifier.UP_TO), ("as much as", Qualifier.UP_TO), ("as many as", Qualifier.UP_TO),
    ("a maximum of", Qualifier.UP_TO), ("no more than", Qualifier.UP_TO),
    ("not more than", Qualifier.UP_TO), ("less than", Qualifier.UP_TO),
    ("fewer than", Qualifier.UP_TO), ("under", Qualifier.UP_TO),
    ("approximately", Qualifier.APPROXIMATELY), ("approx.", Qualifier.APPROXIMATELY),
    ("an estimated", Qualifier.APPROXIMATELY), ("about", Qualifier.APPROXIMATELY),
    ("around", Qualifier.APPROXIMATELY), ("roughly", Qualifier.APPROXIMATELY),
    ("some", Qualifier.APPROXIMATELY), ("almost", Qualifier.APPROXIMATELY),
    ("nearly", Qualifier.APPROXIMATELY), ("close to", Qualifier.APPROXIMATELY),
    ("circa", Qualifier.APPROXIMATELY), ("c.", Qualifier.APPROXIMATELY),
    ("~", Qualifier.APPROXIMATELY),
]
QUALIFIERS_AFTER = [
    ("or more", Qualifier.AT_LEAST), ("and more", Qualifier.AT_LEAST),
    ("at most", Qualifier.UP_TO), ("or less", Qualifier.UP_TO), ("or so", Qualifier.APPROXIMATELY),
]
# Words that may stand between a qualifier and its figure ("at least an additional €5 bn").
FILLERS = r"(?:(?:an? )?(?:additional|further|extra|new|total of|sum of)\s+|another\s+)?"

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "hundred": 100, "a hundred": 100, "a dozen": 12,
    "two dozen": 24, "a": 1, "an": 1, "half a": Decimal("0.5"), "half an": Decimal("0.5"),
}
# fmt: on

# A number in digits; see the module's conventions. Never starts inside another number or a
# name ("F-16"), never runs on into letters other than a scale ("1.5bn").
_DIGITS = (
    r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?"
    r"|\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?"
    r"|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d.,]\d)"
    r"|\d+(?:[.,]\d+)?)"
    r"(?![\d])"
)
DIGITS = r"(?<![\w.,/-])(?<![\w][.,])" + _DIGITS
# The second number of a range ("$1-2 billion") follows its dash.
DIGITS_IN_RANGE = r"(?<![\d.,])" + _DIGITS
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
WORDS = (
    rf"(?i:\b(?:half an?|a dozen|two dozen|a hundred|an?|(?:{_TENS})(?:-(?:{_UNITS}))?|"
    rf"{_UNITS}|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|"
    r"nineteen|hundred)(?: hundred)?\b)"
)

_SCALE = r"(?i:trillion|billions?|millions?|thousand|bn|bln|mln|mn|tn|trn|k|m|b)"
# Up to three spaces: a blanked-out mark or a control character may stand between.
SCALE = rf"(?:\s{{0,3}}{_SCALE}(?![\w]))"
_SYMBOL = "|".join(re.escape(s) for s in sorted(CURRENCY_SYMBOLS, key=len, reverse=True))
_CODE = r"\b(?:" + "|".join(sorted(CURRENCIES - WORD_LIKE_CODES)) + r")(?![A-Za-z])"
_WORD = (
    r"(?i:"
    + "|".join(re.escape(w) for w in sorted(CURRENCY_WORDS, key=len, reverse=True))
    + r")(?![\w])"
)
_RANGE = r"\s?(?:-|–|—|to)\s?"

# "€977 million", "$2bn", "EUR 126 million", "€ 400 million", "€400–500 million"
MONEY_BEFORE = re.compile(
    rf"(?P<cur>{_SYMBOL}|{_CODE})\s{{0,8}}(?P<num>{DIGITS})(?P<scale>{SCALE})?"
    rf"(?:(?P<range>{_RANGE})(?:{_SYMBOL}|{_CODE})?\s?(?P<num2>{DIGITS_IN_RANGE})(?P<scale2>{SCALE})?)?"
)
# "126 million EUR", "13.3 billion kronor", "a billion euros", "300-400 million euros"
MONEY_AFTER = re.compile(
    rf"(?P<num>{DIGITS}|{WORDS})(?P<scale>{SCALE})?"
    rf"(?:(?P<range>{_RANGE})(?P<num2>{DIGITS_IN_RANGE})(?P<scale2>{SCALE})?)?"
    rf"\s{{1,3}}(?:of\s)?(?P<cur>{_WORD}|{_CODE})"
)
# "5 billion" with no currency of its own.
MONEY_BARE = re.compile(
    rf"(?P<num>{DIGITS}|{WORDS})\s{{0,3}}(?P<scale>(?i:{'|'.join(SCALE_WORDS)}))(?![\w])"
)
# Cheap tests that spare a passage the figure patterns.
ANY_CURRENCY = re.compile(r"[$€£¥₴₩₺]|zł|Fr\.|\b[A-Z]{3}\b")
ANY_CURRENCY_WORD = re.compile(  # against the text in lower case
    r"\b(?:" + "|".join(re.escape(w.lower()) for w in CURRENCY_WORDS) + r")\b"
)
ANY_SCALE = re.compile(rf"\b(?i:{'|'.join(SCALE_WORDS)})\b|\d(?i:bn|mn|mln)\b")


def has_currency(view, lower, start, end):
    """Whether view[start:end] may hold an amount: a symbol, an ISO code or a currency word."""
    for match in ANY_CURRENCY.finditer(view, start, end):
        words = match.group()
        if len(words) != 3 or not words.isupper() or words in CURRENCIES:
            return True
    return bool(ANY_CURRENCY_WORD.search(lower, start, end))


# A number that may count things: digits, or words one to ninety-nine, hundred, dozen.
COUNT = re.compile(
    rf"(?P<num>{DIGITS}|(?i:\b(?:a dozen|two dozen|(?:{_TENS})(?:-(?:{_UNITS}))?|{_UNITS}|ten|"
    r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|"
    r"hundred|a hundred)\b))"
    r"(?:\s(?P<scale>(?i:thousand|million)))?"
)


def parse_number(words):
    """Digits or number words as a Decimal; None when they are not a number."""
    words = words.strip()
    lowered = words.lower()
    if lowered in NUMBER_WORDS:
        return Decimal(NUMBER_WORDS[lowered])
    match = re.fullmatch(rf"(?i)({_TENS})-({_UNITS})", lowered)
    if match:
        return Decimal(NUMBER_WORDS[match.group(1)] + NUMBER_WORDS[match.group(2)])
    match = re.fullmatch(r"(?i)(.+) hundred", lowered)
    if match and match.group(1) in NUMBER_WORDS:
        return Decimal(NUMBER_WORDS[match.group(1)]) * 100
    digits = re.sub(r"[ \u00a0\u202f]", "", words)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", digits):
        digits = digits.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?", digits):
        digits = digits.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d+,\d{1,2}", digits):
        digits = digits.replace(",", ".")
    try:
        return Decimal(digits)
    except InvalidOperation:
        return None


def scale_of(word):
    """The multiplier a scale word stands for: "bn" -> 10**9; no word -> 1."""
    return SCALES.get((word or "").strip().lower(), 1)


def currency_of(words):
    """ISO 4217 code of a symbol, code or word; None when the word is ambiguous ("kroner")."""
    words = re.sub(r"\s+", " ", words.strip())
    if words in CURRENCY_SYMBOLS:
        return CURRENCY_SYMBOLS[words]
    if words in CURRENCIES:
        return words
    for word, code in CURRENCY_WORDS.items():
        if word.lower() == words.lower():
            return code
    return None


_BEFORE = dict(QUALIFIERS_BEFORE)
_AFTER = dict(QUALIFIERS_AFTER)
QUALIFIER_BEFORE = re.compile(
    r"(?<![\w])(?P<words>"
    + "|".join(re.escape(words) for words, _ in QUALIFIERS_BEFORE)
    + rf")\s*{FILLERS}$",
    re.I,
)
QUALIFIER_AFTER = re.compile(
    r"\s+(?P<words>" + "|".join(re.escape(words) for words, _ in QUALIFIERS_AFTER) + r")\b",
    re.I,
)


def qualifier_before(view, start):
    """The qualifier that ends just before `start`, as (qualifier, start of its words)."""
    before = view[max(0, start - 60) : start]
    match = QUALIFIER_BEFORE.search(before)
    if match:
        return _BEFORE[match.group("words").lower()], start - (len(before) - match.start())
    return None, start


def qualifier_after(view, end):
    """The qualifier that follows a figure ("€400 million or more"), as (qualifier, its end)."""
    match = QUALIFIER_AFTER.match(view, end)
    if match:
        return _AFTER[match.group("words").lower()], match.end()
    return None, end
