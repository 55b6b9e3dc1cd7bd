"""Figures and what stands around them: qualifier, range, basis, period, stage, category,
the words for a line item's description, and the doubts that belong to each figure."""

import re

from aid.choices import Qualifier

from . import numbers as n
from . import rules as r
from .readings import Doubt, Evidence, Figure
from .scan import words_at
from .when import find_basis, find_period

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
CLAUSE_END = re.compile(
    r";|[.!?](?=[\"')\]]*(?:\s|$))"
    r"|,\s+(?:which|while|whereas|although|but|though|including|of which|and)\b"
)
CONNECTOR = re.compile(r"(?i:[\s,;:]*(?:\band\b|\bor\b|\bas well as\b|\bplus\b)?[\s,;:]*)$")


def read_figures(view, passage, reading):
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
            previous.words = words_at(view, previous.start, figure.end)
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
        words=words_at(view, match.start(), end),
        amount=amount,
        currency=currency or "",
    )
    figure.evidence.append(
        Evidence(
            "amount",
            rule,
            words_at(view, match.start(), end),
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
                words_at(view, match.start(), end),
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
        words=words_at(view, match.start(), match.end()),
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
        words=words_at(view, start, system.end),
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
            words_at(view, system.start, system.end),
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
        words = words_at(view, q_start, figure.start)
        figure.qualifier = qualifier
        figure.start = q_start
        figure.words = words_at(view, q_start, figure.end)
        figure.evidence.append(
            Evidence("qualifier", "words before the figure", words, qualifier, q_start, q_start)
        )
    qualifier, q_end = n.qualifier_after(view, figure.end)
    if qualifier is not None and q_end <= passage.end and figure.qualifier == Qualifier.EXACT:
        figure.evidence.append(
            Evidence(
                "qualifier",
                "words after the figure",
                words_at(view, figure.end, q_end),
                qualifier,
                figure.end,
                q_end,
            )
        )
        figure.qualifier = qualifier
        figure.end = q_end
        figure.words = words_at(view, figure.start, q_end)
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


def read_around_figures(view, passage, candidate, verbs):
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
                    words_at(view, b_start, b_end),
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
                    words_at(view, nearest[0], nearest[1]),
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
    chosen = telling([s for s in systems if figure.end <= s.start < tail_end])
    rule = "equipment named after the amount"
    if not chosen:
        chosen = telling(systems)
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
                words_at(view, first.start, first.end),
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


def telling(systems):
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
