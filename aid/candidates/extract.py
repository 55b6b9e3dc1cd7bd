"""The engine: the passages of a document that may state pledges, and what they state.

For each passage (sentence or list item) it finds figures (amounts with their currency,
quantities of equipment), the donor, the pledge verb and its stage, the date, and doubts;
it adds up a score from rules.WEIGHTS and proposes the passage when the score reaches
rules.PROPOSE_AT. Every reading is recorded as Evidence, every doubt as a Doubt.
"""

import re

from . import rules as r
from .figures import DOUBT_RES, read_around_figures, read_figures, telling
from .readings import Candidate, DonorRef, Doubt, Evidence
from .scan import ASCII_LOWER, Reading, may_have_figures, words_at
from .text import passages as cut_passages
from .text import reading_view
from .when import SAME_DAY


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
    readings = [Reading(view, lower, passage) for passage in cut]
    candidates = []
    for passage, reading in zip(cut, readings, strict=True):
        candidate = _candidate(text, view, passage, reading, cut, readings)
        if candidate is not None:
            candidates.append(candidate)
    return candidates


def _candidate(text, view, passage, reading, cut, readings):
    if passage.kind in ("heading", "footnote"):
        return None
    intro = readings[passage.intro] if passage.intro is not None else None
    # Cheapest tests first: most passages have no figure, no donor and no list to belong to.
    may_count = may_have_figures(reading)
    if not (may_count or intro is not None or reading.donors):
        return None
    figures = read_figures(view, passage, reading) if may_count else []
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
        read_as=words_at(view, passage.start, passage.end),
        figures=figures,
        systems=reading.systems,
    )
    score = []  # (points, rule, words), each explained as Evidence
    introduction = (cut[passage.intro], intro) if intro_pledges else None
    _weigh_donor(view, candidate, score, passage, reading, introduction, cut, readings)
    verbs = _weigh_verbs(view, candidate, score, own_verbs, introduction)
    _weigh_the_rest(candidate, score, reading)

    read_around_figures(view, passage, candidate, verbs)
    if not figures:
        _passage_doubts(view, passage, candidate)
    _date(view, passage, reading, candidate, cut, readings)
    _stage_and_category(view, candidate, verbs)
    _kind_of_agreement(reading, candidate)

    best = max(figures, key=_figure_points, default=None)
    if best is not None:
        score.append((_figure_points(best), f"{best.kind} (after its doubts)", best.words))
    for points, rule, words in score:
        candidate.evidence.append(Evidence("score", rule, words, f"{points:+d}"))
    candidate.score = sum(points for points, *_ in score) - sum(
        doubt.penalty for doubt in candidate.doubts
    )
    candidate.proposed = candidate.score >= r.PROPOSE_AT
    return candidate


def _weigh_donor(view, candidate, score, passage, reading, introduction, cut, readings):
    """The passage's own donor, else its list's introduction's, else the sentence before's.

    An adversary as the actor (of this sentence, or of the one before when this one names no
    donor) is a doubt: "North Korea has supplied Russia …".
    """
    source = None
    if reading.donors:
        source = ("donor", reading)
    elif introduction:
        source = ("donor from the list's introduction", introduction[1])
    else:
        # Only the sentence just before: further back, the subject has usually changed.
        for _, earlier in _earlier(passage, cut, readings, limit=1):
            if earlier.donors:
                source = ("donor from context", earlier)
            elif earlier.adversaries:
                a_start, a_end, name = earlier.adversaries[0]
                candidate.doubts.append(
                    Doubt(
                        "adversary actor",
                        f"the sentence before names {name} as the actor, not a donor to Ukraine",
                        r.ADVERSARY_PENALTY,
                        words_at(view, a_start, a_end),
                    )
                )
    if source:
        rule, source_reading = source
        _choose_donor(view, candidate, rule, source_reading)
        donor_words = next(e.words for e in candidate.evidence if e.field == "donor")
        score.append((r.WEIGHTS[rule], rule, donor_words))
    first = reading.adversaries[0] if reading.adversaries else None
    if (
        first is not None
        and not reading.donors
        and not any(doubt.rule == "adversary actor" for doubt in candidate.doubts)
        and (not reading.verbs or first[0] < reading.verbs[0][0])
    ):
        candidate.doubts.append(
            Doubt(
                "adversary actor",
                f"the actor is {first[2]}, not a donor to Ukraine",
                r.ADVERSARY_PENALTY,
                words_at(view, first[0], first[1]),
                first[0],
                first[1],
            )
        )


def _weigh_verbs(view, candidate, score, own_verbs, introduction):
    """The pledge verbs that count: the passage's own, else its list introduction's."""
    verbs = [verb for verb in own_verbs if not verb[3]]
    if verbs:
        v_start, v_end, _, _ = verbs[0]
        score.append((r.WEIGHTS["pledge verb"], "pledge verb", words_at(view, v_start, v_end)))
    elif own_verbs:
        v_start, v_end, _, _ = own_verbs[0]
        candidate.doubts.append(
            Doubt(
                "negated",
                "the pledge verb is negated",
                r.NEGATION_PENALTY,
                words_at(view, v_start, v_end),
                v_start,
                v_end,
            )
        )
    elif introduction:
        verb = next(v for v in introduction[1].verbs if not v[3])
        rule = "pledge verb from the list's introduction"
        score.append((r.WEIGHTS[rule], rule, words_at(view, verb[0], verb[1])))
        verbs = [verb]
    return verbs


def _weigh_the_rest(candidate, score, reading):
    """Ukraine named, equipment named; a passage naming no party, or asking a question."""
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


KINDS = [(re.compile(pattern, re.I), kind) for pattern, kind in r.AGREEMENT_KINDS]


def _kind_of_agreement(reading, candidate):
    for pattern, kind in KINDS:
        match = pattern.search(reading.text)
        if match:
            candidate.kind_of_agreement = kind
            candidate.evidence.append(
                Evidence(
                    "kind",
                    "words for an instrument",
                    match.group(),
                    kind,
                    reading.start + match.start(),
                    reading.start + match.end(),
                )
            )
            return
    candidate.kind_of_agreement = r.DEFAULT_AGREEMENT_KIND
    candidate.evidence.append(
        Evidence("kind", "no words for an instrument", "", r.DEFAULT_AGREEMENT_KIND)
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


def _choose_donor(view, candidate, rule, reading):
    """The first donor named by name (else by adjective); the others are listed."""
    named = [d for d in reading.donors if d[3] == "name"] or reading.donors
    d_start, d_end, entry, how = named[0]
    candidate.donor = _donor_ref(entry)
    where = {
        "donor": "named in the passage",
        "donor from the list's introduction": "named in the sentence that introduces the list",
        "donor from context": "named in the sentence before",
    }[rule]
    detail = "the first donor named" if how == "name" else "its adjective, as in Dutch government"
    candidate.evidence.append(
        Evidence(
            "donor",
            rule,
            words_at(view, d_start, d_end),
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
                words_at(view, d_start, d_end),
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
                    words_at(view, d_start, d_end),
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
                words_at(view, v_start, v_end),
                rule.stage,
                v_start,
                v_end,
            )
        )
    categories = {figure.category for figure in candidate.figures}
    if candidate.figures:
        candidate.category = categories.pop() if len(categories) == 1 else None
    else:
        systems = telling(candidate.systems)
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
