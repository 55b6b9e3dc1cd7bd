"""The engine: the passages of a document that may state pledges, and what they state.

For each passage (sentence or list item) it finds figures (amounts with their currency,
quantities of equipment), the donor, the pledge verb and its stage, the date, and doubts;
it adds up a score from rules.WEIGHTS and proposes the passage when the score reaches
rules.PROPOSE_AT. Every reading is recorded as Evidence, every doubt as a Doubt.
"""

import re
import string
from functools import cached_property

from aid.choices import Qualifier

from . import gazetteer as g
from . import numbers as n
from . import rules as r
from .readings import Candidate, DonorRef, Doubt, Evidence, Figure, System
from .text import passages as cut_passages
from .text import reading_view
from .when import SAME_DAY, find_basis, find_dates, find_period

# --- compiled tables -------------------------------------------------------------------------
# Each table is one alternation without groups, which Python's re scans quickly, and a
# lookup that says which row matched: a regex with a named group per row is 20-80 times
# slower on a long document.


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
NAME_RE = re.compile(r"\b(?:" + g._names_pattern(_NAMES) + rf"){g.MADE_IN}(?![\w])")
# A name inside a longer one is not that name: "South America", "Latin America".
NOT_PART_OF = re.compile(r"(?:South|Latin|Central|North)\s$")
_ADJECTIVES = {entry.adjective: entry for entry in g.DONORS if entry.adjective}
ADJECTIVE_RE = re.compile(
    rf"\b(?P<adjective>{g._names_pattern(_ADJECTIVES)})(?:\s+{g.GOVERNMENT_WORDS}\b|-led\b)"
)
_ADVERSARY_ADJECTIVES = {adjective: name for name, _, adjective in g.ADVERSARIES}
ADVERSARY_ADJECTIVE_RE = re.compile(
    rf"\b(?P<adjective>{g._names_pattern(_ADVERSARY_ADJECTIVES)})\s+"
    rf"(?:\w+\s+)?{g.ADVERSARY_ACTOR_WORDS}\b"
)
SYSTEMS = _Table(g.WEAPON_SYSTEMS, lambda entry: entry.pattern, after=r"(?![\w]|-\w)")
# Generic nouns and verbs are matched against the text in lower case: an IGNORECASE pattern
# would be scanned character by character.
GENERICS = _Table(g.GENERIC_NOUNS, lambda row: row[1])
VERBS = _Table(r.PLEDGE_VERBS, lambda rule: rule.pattern)
ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
DOUBT_RES = [(rule, re.compile(rule.pattern, re.I)) for rule in r.DOUBTS]
MODIFIERS = (
    r"(?:(?:more|additional|new|further|extra|modern|modernised|modernized|refurbished|"
    r"used|second-hand|decommissioned|operational|older|heavy|light|[A-Z][a-z]+-made|"
    r"\w+-built|units of|pieces of)\s+){0,3}"
)
COUNT_BEFORE = re.compile(rf"{n.COUNT.pattern}\s+{MODIFIERS}$")
YEAR_WORDS = re.compile(
    r"(?i:\b(?:in|by|since|until|from|of|to|during|before|after|and|early|late|mid|year)\s+$)"
)
DIGIT = re.compile(r"\d")
MONTH_NAME = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b")
CLAUSE_END = re.compile(
    r";|[.!?](?=[\"')\]]*(?:\s|$))"
    r"|,\s+(?:which|while|whereas|although|but|though|including|of which|and)\b"
)
CONNECTOR = re.compile(r"(?i:[\s,;:]*(?:\band\b|\bor\b|\bas well as\b|\bplus\b)?[\s,;:]*)$")


# --- the engine ------------------------------------------------------------------------------


def find_candidates(text):
    """Candidate pledges in a document's text, in document order.

    Returns every passage that states an amount with a currency, a quantity of equipment, or
    a donor with a pledge verb; each says whether it is proposed (`proposed`, from its
    `score`) and why (`explain()`). Rule-based and deterministic.
    """
    if not isinstance(text, str):
        raise TypeError(
            f"find_candidates() reads a document's text as str, not {type(text).__name__}; "
            "decode bytes first."
        )
    if not text.strip():
        return []
    view = reading_view(text)
    lower = view.lower()
    if len(lower) != len(view):  # a few characters lengthen in lower case ("İ")
        lower = view.translate(ASCII_LOWER)
    cut = cut_passages(text, view)
    readings = [_Reading(view, lower, passage) for passage in cut]
    candidates = []
    for passage, reading in zip(cut, readings, strict=True):
        candidate = _candidate(text, view, passage, reading, cut, readings)
        if candidate is not None:
            candidates.append(candidate)
    return candidates


class _Reading:
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
        if match.start() and view[match.start() - 1] in "-_":
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
        entry = _ADJECTIVES[match.group("adjective")]
        donors.append((match.start(), match.end(), entry, "adjective"))
    for match in ADVERSARY_ADJECTIVE_RE.finditer(view, start, end):
        name = _ADVERSARY_ADJECTIVES[match.group("adjective")]
        adversaries.append((match.start(), match.end(), name))
    donors.sort(key=lambda donor: donor[0])
    adversaries.sort(key=lambda adversary: adversary[0])
    return donors, adversaries


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


# --- figures ---------------------------------------------------------------------------------


def _figures(view, passage, reading):
    start, end = passage.start, passage.end
    taken = []  # spans already read: a number is read once
    figures = []

    def free(a, b):
        return not any(a < t_end and t_start < b for t_start, t_end in taken)

    def inside_system(a, b):
        return any(s.start <= a and b <= s.end for s in reading.systems if s.specific)

    for pattern, rule in (
        (n.MONEY_BEFORE, "currency before the number"),
        (n.MONEY_AFTER, "currency after the number"),
    ):
        for match in pattern.finditer(view, start, end):
            figure = _money(view, match, rule, passage)
            if figure is None or not free(match.start(), match.end()):
                continue
            if inside_system(match.start(), match.end()):
                continue
            taken.append((match.start(), match.end()))
            figures.append(figure)

    for system in reading.systems:
        figure = _quantity(view, system, passage, reading.systems)
        if figure is None or not free(figure.start, figure.end):
            continue
        taken.append((figure.start, system.start))
        figures.append(figure)

    bare = n.MONEY_BARE.finditer(view, start, end) if n.ANY_SCALE.search(view, start, end) else ()
    for match in bare:
        if not free(match.start(), match.end()) or inside_system(match.start(), match.end()):
            continue
        figure = _bare_money(view, match, passage, figures)
        if figure is not None:
            taken.append((match.start(), match.end()))
            figures.append(figure)

    figures.sort(key=lambda figure: figure.start)
    figures = _between(view, passage, figures)
    for figure in figures:
        _qualify(view, figure, passage)
    return figures


BETWEEN = re.compile(r"(?i:\bbetween\s+)$")


def _between(view, passage, figures):
    """ "between €1 billion and €2 billion": one figure, a range, not two."""
    merged = []
    for figure in figures:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.kind == figure.kind == "amount"
            and previous.amount_max is None
            and previous.currency == figure.currency
            and re.fullmatch(r"\s+and\s+", view[previous.end : figure.start])
            and BETWEEN.search(view[max(passage.start, previous.start - 12) : previous.start])
            and figure.amount > previous.amount
        ):
            previous.amount_max = figure.amount
            previous.end = figure.end
            previous.words = _words(view, previous.start, figure.end)
            previous.qualifier = Qualifier.AT_LEAST
            previous.evidence.append(
                Evidence(
                    "qualifier",
                    "range",
                    previous.words,
                    f"between two amounts: at least the lower, {previous.amount:,.0f}; "
                    f"the upper {figure.amount:,.0f} is kept in amount_max",
                    previous.start,
                    figure.end,
                )
            )
            continue
        merged.append(figure)
    return merged


def _money(view, match, rule, passage):
    groups = match.groupdict()
    number = n.parse_number(groups["num"])
    if number is None:
        return None
    scale_words = groups.get("scale") or ""
    is_word_number = not any(ch.isdigit() for ch in groups["num"])
    if is_word_number and not scale_words:
        return None  # "a euro" is not a figure
    second, second_scale = None, ""
    end = match.end()
    if groups.get("num2"):
        second = n.parse_number(groups["num2"])
        second_scale = groups.get("scale2") or ""
    scale = n.scale_of(scale_words or second_scale)
    if second is not None:
        upper = second * n.scale_of(second_scale or scale_words)
        lower = number * scale
        if upper <= lower or (
            not second_scale and re.fullmatch(r"(?:19|20)\d\d", groups["num2"] or "")
        ):
            # "€50 million to 2027": a year, not the top of a range.
            second = None
            end = match.end("scale") if scale_words else match.end("num")
            if rule == "currency after the number":
                return None
    if not scale_words and not second_scale and re.fullmatch(r"(?:19|20)\d\d", groups["num"]):
        return None  # "EUR 2024 budget": a year beside a currency, not an amount
    currency = n.currency_of(groups["cur"])
    amount = number * scale
    figure = Figure(
        kind="amount",
        start=match.start(),
        end=end,
        words=_words(view, match.start(), end),
        amount=amount,
        currency=currency or "",
    )
    figure.evidence.append(
        Evidence(
            "amount",
            rule,
            _words(view, match.start(), end),
            f"{amount:,.0f}" + (f" (the number {groups['num']} × {scale:,})" if scale != 1 else ""),
            match.start(),
            end,
        )
    )
    if second is not None:
        figure.amount_max = second * n.scale_of(second_scale or scale_words)
        figure.qualifier = Qualifier.AT_LEAST
        figure.evidence.append(
            Evidence(
                "qualifier",
                "range",
                _words(view, match.start(), end),
                f"a range: at least its lower end, {amount:,.0f}; the upper end "
                f"{figure.amount_max:,.0f} is kept in amount_max",
                match.start(),
                end,
            )
        )
    figure.evidence.append(
        Evidence(
            "currency",
            "currency symbol, code or word",
            groups["cur"],
            currency or "ambiguous: depends on the donor",
            match.start("cur"),
            match.end("cur"),
        )
    )
    return figure


def _bare_money(view, match, passage, figures):
    """ "and 5 billion over three years": an amount whose currency is given elsewhere."""
    number = n.parse_number(match.group("num"))
    if number is None:
        return None
    currencies = {f.currency for f in figures if f.kind == "amount" and f.currency}
    after = view[match.end() : min(passage.end, match.end() + 40)]
    aid_after = re.match(
        r"(?i:\s+(?:\w+\s+){0,2}(?:in\s+)?(?:military\s+|financial\s+|defen[cs]e\s+)?"
        r"(?:aid|assistance|support|package|funding|financing|loans?|grants?))\b",
        after,
    )
    if len(currencies) != 1 and not aid_after:
        return None
    amount = number * n.scale_of(match.group("scale"))
    currency = currencies.pop() if len(currencies) == 1 else ""
    figure = Figure(
        kind="amount",
        start=match.start(),
        end=match.end(),
        words=_words(view, match.start(), match.end()),
        amount=amount,
        currency=currency,
    )
    figure.evidence.append(
        Evidence(
            "amount",
            "number and scale without a currency",
            figure.words,
            f"{amount:,.0f}",
            match.start(),
            match.end(),
        )
    )
    if currency:
        figure.evidence.append(
            Evidence(
                "currency",
                "currency of the passage's other figures",
                "",
                f"{currency}: the passage's other amounts are in {currency}",
            )
        )
    else:
        figure.doubts.append(
            Doubt("no currency", "the passage states no currency for this amount", 2, figure.words)
        )
    return figure


def _quantity(view, system, passage, systems):
    before = view[max(passage.start, system.start - 80) : system.start]
    match = COUNT_BEFORE.search(before)
    if not match:
        return None
    offset = system.start - len(before)
    if any(s.start <= offset + match.start() < s.end for s in systems if s is not system):
        return None  # the "2" of "Challenger 2 main battle tanks" belongs to a name
    number_words = match.group("num")
    if re.fullmatch(r"(?:19[5-9]\d|20\d\d)", number_words) and YEAR_WORDS.search(
        view[max(passage.start, offset + match.start() - 12) : offset + match.start()]
    ):
        return None  # "in 2024 tanks were delivered": a year
    number = n.parse_number(number_words)
    if number is None or number <= 0:
        return None
    number *= n.scale_of(match.group("scale"))  # "1.2 million rounds"
    if number != int(number):
        return None
    quantity = int(number)
    start = offset + match.start()
    figure = Figure(
        kind="quantity",
        start=start,
        end=system.end,
        words=_words(view, start, system.end),
        quantity=quantity,
        unit=system.unit,
        system=system.name if system.specific else "",
        category=system.category,
    )
    figure.evidence.append(
        Evidence(
            "quantity",
            "number before equipment",
            figure.words,
            f"{quantity:,} {system.unit}",
            start,
            system.end,
        )
    )
    figure.evidence.append(
        Evidence(
            "category",
            "named system" if system.specific else "kind of equipment",
            _words(view, system.start, system.end),
            f"{system.category} ({system.name})",
            system.start,
            system.end,
        )
    )
    return figure


def _qualify(view, figure, passage):
    """Qualifier, basis: the words just around a figure."""
    qualifier, q_start = n.qualifier_before(view, figure.start)
    if qualifier is not None and q_start >= passage.start and figure.qualifier == Qualifier.EXACT:
        words = _words(view, q_start, figure.start)
        figure.qualifier = qualifier
        figure.start = q_start
        figure.words = _words(view, q_start, figure.end)
        figure.evidence.append(
            Evidence("qualifier", "words before the figure", words, qualifier, q_start, q_start)
        )
    qualifier, q_end = n.qualifier_after(view, figure.end)
    if qualifier is not None and q_end <= passage.end and figure.qualifier == Qualifier.EXACT:
        figure.evidence.append(
            Evidence(
                "qualifier",
                "words after the figure",
                _words(view, figure.end, q_end),
                qualifier,
                figure.end,
                q_end,
            )
        )
        figure.qualifier = qualifier
        figure.end = q_end
        figure.words = _words(view, figure.start, q_end)
    if figure.qualifier == Qualifier.EXACT and not any(
        e.field == "qualifier" for e in figure.evidence
    ):
        figure.evidence.append(Evidence("qualifier", "no qualifying words", "", Qualifier.EXACT))


def _tails(view, passage, figures):
    """Each figure's tail: its words up to the next figure or the end of its clause."""
    tails = []
    for position, figure in enumerate(figures):
        limit = figures[position + 1].start if position + 1 < len(figures) else passage.end
        clause = CLAUSE_END.search(view, figure.end, limit)
        tails.append(clause.start() if clause else limit)
    return tails


def _describe(view, figure, tail_end):
    words = view[figure.start : tail_end]
    words = CONNECTOR.sub("", words)
    words = re.sub(r"\s+", " ", words).strip(" ,;:\"'")
    parts = words.split(" ")
    if len(parts) > 15:
        cut = words.find(",", len(figure.words))
        words = words[:cut] if cut > 0 else " ".join(parts[:15])
    return words


# --- weighing a passage ----------------------------------------------------------------------


def _candidate(text, view, passage, reading, cut, readings):
    if passage.kind in ("heading", "footnote"):
        return None
    intro = readings[passage.intro] if passage.intro is not None else None
    # Cheapest tests first: most passages have no figure, no donor and no list to belong to.
    may_count = _may_have_figures(reading)
    if not (may_count or intro is not None or reading.donors):
        return None
    figures = _figures(view, passage, reading) if may_count else []
    intro_pledges = bool(intro and intro.donors and any(not negated for *_, negated in intro.verbs))
    own_verbs = reading.verbs if (figures or reading.donors) else []
    qualifies = bool(figures) or (
        (intro_pledges or (reading.donors and own_verbs)) and (reading.aid_noun or reading.systems)
    )
    if not qualifies:
        return None

    candidate = Candidate(
        passage=text[passage.start : passage.end],
        start=passage.start,
        end=passage.end,
        kind="list-item" if passage.kind == "list-item" else "sentence",
        figures=figures,
        systems=reading.systems,
    )
    score = []  # (points, rule, words)

    # Donor: the passage's own, else its list's introduction, else the sentences before.
    donor_source = None
    if reading.donors:
        donor_source = ("donor", reading, passage)
    elif intro_pledges:
        donor_source = ("donor from the list's introduction", intro, cut[passage.intro])
    else:
        # Only the sentence just before: further back, the subject has usually changed.
        for earlier in _earlier(passage, cut, readings, limit=1):
            if earlier[1].donors:
                donor_source = ("donor from context", earlier[1], earlier[0])
                break
            if earlier[1].adversaries:
                name = earlier[1].adversaries[0][2]
                candidate.doubts.append(
                    Doubt(
                        "adversary actor",
                        f"the sentence before names {name} as the actor, not a donor to Ukraine",
                        r.ADVERSARY_PENALTY,
                        _words(view, earlier[1].adversaries[0][0], earlier[1].adversaries[0][1]),
                    )
                )
                break
    if donor_source:
        rule, source_reading, source_passage = donor_source
        _choose_donor(view, candidate, rule, source_reading, source_passage, passage)
        donor_words = next(e.words for e in candidate.evidence if e.field == "donor")
        score.append((r.WEIGHTS[rule], rule, donor_words))
    first = reading.adversaries[0] if reading.adversaries else None
    if (
        first is not None
        and not reading.donors
        and not any(doubt.rule == "adversary actor" for doubt in candidate.doubts)
        and (not reading.verbs or first[0] < reading.verbs[0][0])
    ):
        # The passage's own subject is an adversary ("North Korea has supplied Russia …").
        candidate.doubts.append(
            Doubt(
                "adversary actor",
                f"the actor is {first[2]}, not a donor to Ukraine",
                r.ADVERSARY_PENALTY,
                _words(view, first[0], first[1]),
                first[0],
                first[1],
            )
        )

    # Pledge verbs: the passage's own, else its introduction's.
    verbs = [verb for verb in own_verbs if not verb[3]]
    if verbs:
        v_start, v_end, rule, _ = verbs[0]
        score.append((r.WEIGHTS["pledge verb"], "pledge verb", _words(view, v_start, v_end)))
    elif own_verbs:
        v_start, v_end, rule, _ = own_verbs[0]
        candidate.doubts.append(
            Doubt(
                "negated",
                "the pledge verb is negated",
                r.NEGATION_PENALTY,
                _words(view, v_start, v_end),
                v_start,
                v_end,
            )
        )
    elif intro_pledges:
        v_start, v_end, rule, _ = next(v for v in intro.verbs if not v[3])
        score.append(
            (
                r.WEIGHTS["pledge verb from the list's introduction"],
                "pledge verb from the list's introduction",
                _words(view, v_start, v_end),
            )
        )
        verbs = [(v_start, v_end, rule, False)]

    if reading.recipients:
        first = reading.recipients[0]
        score.append((r.WEIGHTS["recipient"], "recipient", first.group()))
        candidate.evidence.append(
            Evidence(
                "recipient", "Ukraine named", first.group(), "Ukraine", first.start(), first.end()
            )
        )
    if reading.systems:
        names = ", ".join(dict.fromkeys(system.name for system in reading.systems))
        score.append((r.WEIGHTS["equipment named"], "equipment named", names))
    if not candidate.donor and not reading.recipients and not candidate.doubts:
        candidate.doubts.append(
            Doubt("no parties", "names neither a donor nor Ukraine", r.NO_PARTIES_PENALTY)
        )
    if reading.text.rstrip().rstrip("\"')*_").endswith("?"):
        candidate.doubts.append(
            Doubt("question", "a question, not a statement", r.QUESTION_PENALTY)
        )

    _read_figures(view, passage, candidate, verbs)
    if not figures:
        _passage_doubts(view, passage, candidate)
    _date(view, passage, reading, candidate, cut, readings)
    _stage_and_category(view, candidate, verbs)

    best = max(figures, key=_figure_points, default=None)
    if best is not None:
        points, figure = _figure_points(best), best
        score.append((points, f"{figure.kind} (after its doubts)", figure.words))
    for points, rule, words in score:
        candidate.evidence.append(Evidence("score", rule, words, f"{points:+d}"))
    candidate.score = sum(points for points, *_ in score) - sum(
        doubt.penalty for doubt in candidate.doubts
    )
    candidate.proposed = candidate.score >= r.PROPOSE_AT
    return candidate


NUMBER_WORD = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|dozen|half|a|an)\b"
)


def _may_have_figures(reading):
    """Digits, or a number word before a scale or a kind of equipment."""
    if reading.has_digit:
        return True
    return bool(NUMBER_WORD.search(reading.lower, reading.start, reading.end)) and bool(
        n.ANY_SCALE.search(reading.view, reading.start, reading.end) or reading.systems
    )


def _figure_points(figure):
    return r.WEIGHTS[figure.kind] - figure.penalty


def _earlier(passage, cut, readings, limit=2):
    """Up to `limit` passages before this one in its section, footnotes skipped."""
    found, index = [], passage.index - 1
    while index >= 0 and len(found) < limit:
        earlier = cut[index]
        if earlier.section != passage.section:
            break
        if earlier.kind != "footnote":
            found.append((earlier, readings[index]))
        index -= 1
    return found


def _choose_donor(view, candidate, rule, reading, source, passage):
    """The first donor named by name (else by adjective); the others are listed."""
    named = [d for d in reading.donors if d[3] == "name"] or reading.donors
    d_start, d_end, entry, how = named[0]
    candidate.donor = _donor_ref(entry)
    where = {
        "donor": "named in the passage",
        "donor from the list's introduction": "named in the sentence that introduces the list",
        "donor from context": "named in an earlier sentence",
    }[rule]
    detail = "the first donor named" if how == "name" else "an adjective before a government word"
    candidate.evidence.append(
        Evidence(
            "donor",
            rule,
            _words(view, d_start, d_end),
            f"{entry.slug} ({where}; {detail})",
            d_start,
            d_end,
        )
    )
    others = []
    for *_, other, _how in reading.donors:
        if other.slug != entry.slug and other.slug not in others:
            others.append(other.slug)
            candidate.other_donors.append(_donor_ref(other))


def _donor_ref(entry):
    return DonorRef(entry.slug, entry.name, entry.kind, entry.iso_code)


def _read_figures(view, passage, candidate, verbs):
    figures = candidate.figures
    tails = _tails(view, passage, figures)
    attached = {id(f): f for f in figures if f.kind == "quantity"}
    counted_systems = [
        s
        for s in candidate.systems
        if not any(q.start <= s.start < q.end for q in attached.values())
    ]
    _attach_doubts(figures, _doubt_words(view, passage) if figures else [])
    for figure, tail_end in zip(figures, tails, strict=True):
        basis = find_basis(view, figure.start, figure.end, tail_end)
        if basis:
            figure.basis, b_start, b_end = basis
            figure.evidence.append(
                Evidence(
                    "basis",
                    "rate words",
                    _words(view, b_start, b_end),
                    figure.basis,
                    b_start,
                    b_end,
                )
            )
        period = find_period(view, figure.end, tail_end)
        if period:
            p_start, p_end, words, first, last = period
            figure.period_text, figure.period_start_year, figure.period_end_year = (
                words,
                first,
                last,
            )
            years = f"{first or '?'}–{last or '?'}" if first or last else "years not stated"
            figure.evidence.append(
                Evidence("period", "period words after the figure", words, years, p_start, p_end)
            )
        figure.description = _describe(view, figure, tail_end)
        if verbs:
            nearest = min(verbs, key=lambda verb: _distance(verb, figure))
            figure.stage = nearest[2].stage
            figure.evidence.append(
                Evidence(
                    "stage",
                    f"verb “{nearest[2].name}”",
                    _words(view, nearest[0], nearest[1]),
                    figure.stage,
                    nearest[0],
                    nearest[1],
                )
            )
        if figure.kind == "amount":
            _amount_category(view, figure, tail_end, counted_systems)
            _donor_currency(figure, candidate)


def _distance(verb, figure):
    v_start, v_end = verb[0], verb[1]
    if v_end <= figure.start:
        return figure.start - v_end
    if v_start >= figure.end:
        return v_start - figure.end
    return 0


def _amount_category(view, figure, tail_end, systems):
    chosen = _telling([s for s in systems if figure.end <= s.start < tail_end])
    rule = "equipment named after the amount"
    if not chosen:
        chosen = _telling(systems)
        rule = "the only kind of equipment in the passage"
    categories = list(dict.fromkeys(s.category for s in chosen))
    names = ", ".join(dict.fromkeys(s.name for s in chosen))
    if not categories:
        figure.category = "funding"
        figure.evidence.append(Evidence("category", "money with no equipment named", "", "funding"))
    elif len(categories) == 1:
        figure.category = categories[0]
        first = chosen[0]
        figure.evidence.append(
            Evidence(
                "category",
                rule,
                _words(view, first.start, first.end),
                f"{categories[0]} ({names})",
                first.start,
                first.end,
            )
        )
    else:
        figure.category = None
        figure.evidence.append(
            Evidence(
                "category",
                "several kinds of equipment",
                names,
                "none: a package of " + ", ".join(categories) + "; split it into line items",
            )
        )


def _telling(systems):
    """The systems that say what a thing is: the bare word "equipment" says nothing when
    something else is named ("trailers for transporting heavy equipment")."""
    named = [s for s in systems if s.name != "equipment"]
    return named or systems


def _donor_currency(figure, candidate):
    """ "kroner" means DKK or NOK by donor; a Canadian "$" may not be USD."""
    donor = candidate.donor.slug if candidate.donor else ""
    own = n.DONOR_CURRENCIES.get(donor)
    symbol = next((e.words for e in figure.evidence if e.field == "currency"), "")
    if not figure.currency and own and symbol.lower().startswith("kron"):
        figure.currency = own
        figure.evidence.append(
            Evidence("currency", "ambiguous word read by the donor", symbol, own)
        )
    elif not figure.currency and symbol:
        figure.doubts.append(
            Doubt("ambiguous currency", f"“{symbol}” names no single currency", 1, symbol)
        )
    elif symbol == "$" and own and own != "USD":
        figure.doubts.append(
            Doubt(
                "dollar of the donor",
                f"“$” is read as USD, but the donor is {candidate.donor.name}: {own} may be meant",
                1,
                symbol,
            )
        )


def _doubt_words(view, passage):
    """Every doubt rule's words in the passage, found once: (rule, start, end, words)."""
    return [
        (rule, match.start(), match.end(), match.group())
        for rule, pattern in DOUBT_RES
        for match in pattern.finditer(view, passage.start, passage.end)
    ]


def _attach_doubts(figures, doubt_words):
    """Each doubt's words belong to the figure they introduce ("estimated … at $411 billion",
    "bringing its total to €10 billion"), else to the figure they follow ("… in total")."""
    for rule, start, end, words in doubt_words:
        following = [f for f in figures if 0 <= f.start - end <= r.DOUBT_BEFORE]
        preceding = [f for f in figures if 0 <= start - f.end <= r.DOUBT_AFTER]
        if following:
            figure = min(following, key=lambda f: f.start)
        elif preceding:
            figure = max(preceding, key=lambda f: f.end)
        else:
            continue
        if all(doubt.rule != rule.name for doubt in figure.doubts):
            figure.doubts.append(Doubt(rule.name, rule.reason, rule.penalty, words, start, end))


def _passage_doubts(view, passage, candidate):
    for rule, pattern in DOUBT_RES:
        if rule.name == "possibility":
            continue  # without a figure, "may" and "could" qualify nothing in particular
        match = pattern.search(view, passage.start, passage.end)
        if match:
            candidate.doubts.append(
                Doubt(
                    rule.name, rule.reason, rule.penalty, match.group(), match.start(), match.end()
                )
            )


def _date(view, passage, reading, candidate, cut, readings):
    own = [d for d in reading.dates if not d[3]]
    if own:
        d_start, d_end, value, _ = own[0]
        candidate.date = value
        candidate.evidence.append(
            Evidence(
                "date",
                "date in the passage",
                _words(view, d_start, d_end),
                f"{value} ({value.precision})",
                d_start,
                d_end,
            )
        )
        return
    same_day = SAME_DAY.search(view, passage.start, passage.end)
    for earlier, earlier_reading in _earlier(passage, cut, readings, limit=3):
        dates = [d for d in earlier_reading.dates if not d[3]]
        if not dates:
            continue
        if same_day or earlier.block == passage.block:
            d_start, d_end, value, _ = dates[-1]
            rule = (
                "“the same day” as an earlier date"
                if same_day
                else "date of an earlier sentence in the paragraph"
            )
            candidate.date = value
            candidate.evidence.append(
                Evidence(
                    "date",
                    rule,
                    _words(view, d_start, d_end),
                    f"{value} ({value.precision})",
                    d_start,
                    d_end,
                )
            )
        return


def _stage_and_category(view, candidate, verbs):
    stages = [figure.stage for figure in candidate.figures if figure.stage]
    if stages:
        candidate.stage = stages[0]
    elif verbs:
        v_start, v_end, rule, _ = verbs[0]
        candidate.stage = rule.stage
        candidate.evidence.append(
            Evidence(
                "stage",
                f"verb “{rule.name}”",
                _words(view, v_start, v_end),
                rule.stage,
                v_start,
                v_end,
            )
        )
    categories = {figure.category for figure in candidate.figures}
    if candidate.figures:
        candidate.category = categories.pop() if len(categories) == 1 else None
    else:
        systems = _telling(candidate.systems)
        found = list(dict.fromkeys(s.category for s in systems))
        if len(found) == 1:
            candidate.category = found[0]
            candidate.evidence.append(
                Evidence(
                    "category", "equipment named", ", ".join(s.name for s in systems), found[0]
                )
            )
        elif found:
            candidate.evidence.append(
                Evidence(
                    "category",
                    "several kinds of equipment",
                    ", ".join(dict.fromkeys(s.name for s in systems)),
                    "none: " + ", ".join(found),
                )
            )


def _words(view, start, end):
    return re.sub(r"\s+", " ", view[start:end]).strip()
