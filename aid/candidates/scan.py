"""What a passage names: donors, adversaries, pledge verbs, equipment, dates.

Each gazetteer and rule table is scanned as one alternation without groups, which Python's re
scans quickly, followed by a lookup that says which row matched: a regex with a named group
per row is 20 to 80 times slower on a long document. A passage's names are read when first
asked for (`Reading`): most passages of a document are never weighed.
"""

import re
import string
from functools import cached_property

from . import gazetteer as g
from . import numbers as n
from . import rules as r
from .readings import System
from .when import find_dates


class _Table:
    """One scanner for the rows of a table, and the row a match belongs to."""

    def __init__(self, rows, pattern_of, flags=0, after=r"(?![\w-])"):
        self.rows = rows
        patterns = [pattern_of(row) for row in rows]
        # A leading \b rather than a look-behind keeps re's fast scan; a name glued to a
        # hyphen ("M-AT-4") is dropped below.
        self.scanner = re.compile(
            r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + ")" + after, flags
        )
        self.exact = [re.compile(p, flags) for p in patterns]
        self.known = {}  # words -> row: documents repeat their names

    def finditer(self, view, start, end):
        for match in self.scanner.finditer(view, start, end):
            if match.start() and view[match.start() - 1] == "-":
                continue
            words = match.group()
            row = self.known.get(words)
            if row is None:
                row = next(
                    (
                        row
                        for row, exact in zip(self.rows, self.exact, strict=True)
                        if exact.fullmatch(words)
                    ),
                    None,
                )
                if row is not None and len(self.known) < 10_000:
                    self.known[words] = row
            if row is not None:
                yield match, row


_NAMES = {}
for _entry in g.DONORS:
    _NAMES.update(dict.fromkeys(_entry.names, ("donor", _entry)))
for _name, _names, _adjective in g.ADVERSARIES:
    _NAMES.update(dict.fromkeys(_names, ("adversary", _name)))
# Literal names scan fastest with nothing before them (a leading \b makes re try every
# position); a match that starts inside a word is dropped by _starts_a_word.
NAME_RE = re.compile("(?:" + g._names_pattern(_NAMES) + rf"){g.MADE_IN}(?![\w])")
# A name inside a longer one is not that name: "South America", "Latin America".
NOT_PART_OF = re.compile(r"(?:South|Latin|Central|North)\s$")
_ADJECTIVES = {entry.adjective: entry for entry in g.DONORS if entry.adjective}
ADJECTIVE_RE = re.compile(
    rf"(?P<adjective>{g._names_pattern(_ADJECTIVES)})(?:\s+{g.GOVERNMENT_WORDS}\b|-led\b)"
)
_ADVERSARY_ADJECTIVES = {adjective: name for name, _, adjective in g.ADVERSARIES}
ADVERSARY_ADJECTIVE_RE = re.compile(
    rf"(?P<adjective>{g._names_pattern(_ADVERSARY_ADJECTIVES)})\s+"
    rf"(?:\w+\s+)?{g.ADVERSARY_ACTOR_WORDS}\b"
)
SYSTEMS = _Table(g.WEAPON_SYSTEMS, lambda entry: entry.pattern, after=r"(?![\w]|-\w)")
# Generic nouns and verbs are matched against the text in lower case: an IGNORECASE pattern
# would be scanned character by character.
GENERICS = _Table(g.GENERIC_NOUNS, lambda row: row[1])
VERBS = _Table(r.PLEDGE_VERBS, lambda rule: rule.pattern)
ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
DIGIT = re.compile(r"\d")
MONTH_NAME = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b")


class Reading:
    """What one passage names, read when first asked: most passages are never weighed."""

    def __init__(self, view, lower, passage):
        self.view, self.lower, self.start, self.end = view, lower, passage.start, passage.end
        self.text = view[passage.start : passage.end]
        self.has_digit = bool(DIGIT.search(self.text))

    @cached_property
    def actors(self):
        return _actors(self.view, self.start, self.end)

    @property
    def donors(self):
        return self.actors[0]

    @property
    def adversaries(self):
        return self.actors[1]

    @cached_property
    def verbs(self):
        return _verbs(self.view, self.lower, self.start, self.end)

    @cached_property
    def recipients(self):
        masked = [(d_start, d_end) for d_start, d_end, *_ in self.donors]
        return [
            match
            for match in g.RECIPIENT.finditer(self.view, self.start, self.end)
            if not any(m_start <= match.start() < m_end for m_start, m_end in masked)
        ]

    @cached_property
    def systems(self):
        return _systems(self.view, self.lower, self.start, self.end)

    @cached_property
    def dates(self):
        if not (self.has_digit or MONTH_NAME.search(self.text)):
            return []
        return find_dates(self.view, self.start, self.end)

    @cached_property
    def aid_noun(self):
        return g.AID_NOUNS.search(self.lower, self.start, self.end)


def _actors(view, start, end):
    """Donor mentions (start, end, entry, how) and adversary mentions (start, end, name)."""
    donors, adversaries = [], []
    for match in NAME_RE.finditer(view, start, end):
        if not _starts_a_word(view, match.start()):
            continue
        kind, entry = _NAMES[match.group()]
        before = view[max(start, match.start() - 30) : match.start()]
        if NOT_PART_OF.search(before):
            continue
        if kind == "adversary":
            adversaries.append((match.start(), match.end(), entry))
            continue
        if match.group() in g.PLACE_NAMES and g.PLACE_WORDS.search(before):
            continue  # "the summit in Vilnius": a place
        if g.BENEFICIARY_WORDS.search(before):
            continue  # "support for Taiwan": a beneficiary, not a donor
        donors.append((match.start(), match.end(), entry, "name"))
    for match in ADJECTIVE_RE.finditer(view, start, end):
        if not _starts_a_word(view, match.start()):
            continue
        entry = _ADJECTIVES[match.group("adjective")]
        donors.append((match.start(), match.end(), entry, "adjective"))
    for match in ADVERSARY_ADJECTIVE_RE.finditer(view, start, end):
        if not _starts_a_word(view, match.start()):
            continue
        name = _ADVERSARY_ADJECTIVES[match.group("adjective")]
        adversaries.append((match.start(), match.end(), name))
    donors.sort(key=lambda donor: donor[0])
    adversaries.sort(key=lambda adversary: adversary[0])
    return donors, adversaries


def _starts_a_word(view, position):
    return position == 0 or not (view[position - 1].isalnum() or view[position - 1] in "-_")


def _verbs(view, lower, start, end):
    """Pledge verbs as (start, end, rule, negated); a verb that needs an object has it."""
    found = []
    for match, rule in VERBS.finditer(lower, start, end):
        if rule.needs:
            after = lower[match.end() : min(end, match.end() + r.NEEDS_WITHIN)]
            if not re.search(rf"\b(?:{rule.needs})\b", after):
                continue
        negated = bool(r.NEGATION.search(view[max(start, match.start() - 40) : match.start()]))
        found.append((match.start(), match.end(), rule, negated))
    return found


def _systems(view, lower, start, end):
    """Equipment named in view[start:end]: named systems first, then generic nouns."""
    found = []
    for match, entry in SYSTEMS.finditer(view, start, end):
        s_end, unit = match.end(), entry.unit
        noun = g.SYSTEM_NOUN.match(view, s_end, end)
        if noun:
            s_end = noun.end()
            unit = g.UNIT_NAMES.get(noun.group("noun").lower(), noun.group("noun").lower())
        found.append(System(entry.name, entry.category, unit, match.start(), s_end, True))
    for match, (category, _) in GENERICS.finditer(lower, start, end):
        if any(
            s.start <= match.start() < s.end or match.start() <= s.start < match.end()
            for s in found
            if s.specific
        ):
            continue
        words = re.sub(r"\s+", " ", match.group()).lower()
        unit = g.UNIT_NAMES.get(words, words)
        found.append(System(words, category, unit, match.start(), match.end(), False))
    found.sort(key=lambda system: system.start)
    return [system for system in found if not _describes_another(view, system, found)]


def _describes_another(view, system, found):
    """A generic noun that only says what a named system is: "guided missiles (TOW)",
    "missiles for HAWK air defence systems". The named system speaks for it."""
    if system.specific:
        return False
    return any(
        other.specific
        and other.start >= system.end
        and re.fullmatch(r"(?i:\s*(?:\(|for\s+)?\s*)", view[system.end : other.start])
        for other in found
    )


NUMBER_WORD = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|dozen|half|a|an)\b"
)


def may_have_figures(reading):
    """Digits, or a number word before a scale or a kind of equipment."""
    if reading.has_digit:
        return True
    return bool(NUMBER_WORD.search(reading.lower, reading.start, reading.end)) and bool(
        n.ANY_SCALE.search(reading.view, reading.start, reading.end) or reading.systems
    )


def words_at(view, start, end):
    return re.sub(r"\s+", " ", view[start:end]).strip()
