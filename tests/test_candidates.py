"""Candidate pledges from a new document (issue 11): the rule-based engine in aid/candidates.

The seed documents are measured against fixtures/ledger.json as it is on disk, so a record
added to the fixture is checked without a change here. The short documents in
tests/documents/ and the sentences below were written for these tests.
"""

import importlib
import io
import json
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils.text import slugify

from aid.candidates import PartialDate, find_candidates, gazetteer, rules
from aid.candidates.measure import FIXTURE, JUDGED, SEEDS, measure
from aid.candidates.text import MAX_PASSAGE, passages, reading_view
from aid.choices import DonorKind, Precision, Qualifier, Stage
from aid.iso import COUNTRIES
from aid.models import Agreement, LineItem

DOCUMENTS = Path(__file__).parent / "documents"
WEEKLY = (SEEDS / "002_c8fdc93dd4fbe3f3.txt").read_text(encoding="utf-8")
ARTICLE = (SEEDS / "000_7e86e347368b4871.txt").read_text(encoding="utf-8")
CATEGORIES = {
    slug for slug, _, _ in importlib.import_module("aid.migrations.0002_categories").CATEGORIES
}


def only(text):
    """The one candidate of a text (fails if there are none or several)."""
    candidates = find_candidates(text)
    assert len(candidates) == 1, [c.passage for c in candidates]
    return candidates[0]


def containing(candidates, words):
    """The candidate whose passage contains these words."""
    found = [c for c in candidates if words in c.passage]
    assert len(found) == 1, f"{len(found)} candidates contain {words!r}"
    return found[0]


def money(candidate):
    return [(f.amount, f.currency, f.qualifier) for f in candidate.amounts]


class TestPassages:
    def test_every_passage_is_the_text_between_its_offsets(self):
        for text in (WEEKLY, ARTICLE, (DOCUMENTS / "ministry_release.md").read_text()):
            candidates = find_candidates(text)
            assert candidates
            for candidate in candidates:
                assert candidate.passage == text[candidate.start : candidate.end]
                assert candidate.passage == candidate.passage.strip()

    def test_markdown_noise_stays_in_the_passage_and_out_of_the_values(self):
        candidates = find_candidates(WEEKLY)
        france = containing(candidates, "has provided Ukraine with new batches")
        assert france.passage.startswith("**France** has provided")
        assert france.donor.slug == "france"
        package = containing(candidates, "has revealed the contents")
        assert "\\$225 million" in package.passage
        assert money(package) == [(Decimal("225000000"), "USD", Qualifier.EXACT)]

    def test_a_full_stop_after_an_abbreviation_does_not_end_the_sentence(self):
        text = "The U.S. Department of Defense will provide $300 million. Mr. Smith said so."
        candidate = only(text)
        assert candidate.passage == "The U.S. Department of Defense will provide $300 million."

    def test_a_hard_wrapped_line_is_one_sentence(self):
        text = "Germany will provide €500\nmillion in military aid to Ukraine.\nNext line."
        candidate = only(text)
        assert candidate.passage == "Germany will provide €500\nmillion in military aid to Ukraine."
        assert money(candidate) == [(Decimal("500000000"), "EUR", Qualifier.EXACT)]

    def test_windows_line_ends_stay_out_of_the_passage(self):
        text = "Belgium will provide €5 million.\r\nNorway will give €2 million.\r\n"
        first, second = find_candidates(text)
        assert (first.passage, second.passage) == (
            "Belgium will provide €5 million.",
            "Norway will give €2 million.",
        )

    def test_a_footnote_mark_is_not_a_number(self):
        candidate = only("Norway has sent<sup>3</sup> howitzers to Ukraine.")
        assert candidate.figures == []
        assert candidate.category == "artillery"

    def test_numbers_inside_a_url_are_not_read(self):
        candidate = only(
            "Denmark will provide €10 million to Ukraine (https://example.org/2024/500-tanks)."
        )
        assert [(f.kind, f.amount) for f in candidate.figures] == [("amount", Decimal("10000000"))]

    def test_html_entities_are_read_as_their_characters(self):
        candidate = only("Italy will provide &euro;25 million to Ukraine.")
        assert money(candidate) == [(Decimal("25000000"), "EUR", Qualifier.EXACT)]
        assert "&euro;25 million" in candidate.passage

    def test_the_reading_view_keeps_every_offset(self):
        for text in (WEEKLY, ARTICLE, "<b>x</b> \\$5 &amp; **y** <sup>1</sup>\u00a0z"):
            assert len(reading_view(text)) == len(text)

    def test_a_sentence_without_full_stops_is_cut_into_passages_of_bounded_length(self):
        text = "Belgium will provide €5 million and " * 2000
        cut = passages(text)
        assert len(cut) > 1
        assert all(p.end - p.start <= MAX_PASSAGE for p in cut)


@pytest.mark.parametrize(
    ("sentence", "amount", "currency", "qualifier"),
    [
        (
            "Belgium will provide at least €977 million in military aid.",
            "977000000",
            "EUR",
            Qualifier.AT_LEAST,
        ),
        ("The US will provide a new \\$225 million package.", "225000000", "USD", Qualifier.EXACT),
        (
            "The United States will provide $2 billion in financing.",
            "2000000000",
            "USD",
            Qualifier.EXACT,
        ),
        ("Portugal will provide EUR 126 million.", "126000000", "EUR", Qualifier.EXACT),
        (
            "Sweden will allocate SEK 13.3 billion to Ukraine.",
            "13300000000",
            "SEK",
            Qualifier.EXACT,
        ),
        (
            "Sweden will allocate 13.3 billion kronor to Ukraine.",
            "13300000000",
            "SEK",
            Qualifier.EXACT,
        ),
        ("Germany will provide 1.5bn euros to Ukraine.", "1500000000", "EUR", Qualifier.EXACT),
        ("Germany will provide €1,5 billion to Ukraine.", "1500000000", "EUR", Qualifier.EXACT),
        ("Germany will provide € 400 million to Ukraine.", "400000000", "EUR", Qualifier.EXACT),
        ("Germany will provide EUR 1,000,000 to Ukraine.", "1000000", "EUR", Qualifier.EXACT),
        ("Germany will provide EUR 1.000.000 to Ukraine.", "1000000", "EUR", Qualifier.EXACT),
        ("The European Union will provide €1.2 trillion.", "1200000000000", "EUR", Qualifier.EXACT),
        ("Britain will give £300m to Ukraine.", "300000000", "GBP", Qualifier.EXACT),
        ("Japan will give Ukraine ¥10 billion.", "10000000000", "JPY", Qualifier.EXACT),
        (
            "The Netherlands will allocate approximately €400 million.",
            "400000000",
            "EUR",
            Qualifier.APPROXIMATELY,
        ),
        ("France will provide about €200 million.", "200000000", "EUR", Qualifier.APPROXIMATELY),
        ("France will provide around €200 million.", "200000000", "EUR", Qualifier.APPROXIMATELY),
        ("France will provide some €50 million.", "50000000", "EUR", Qualifier.APPROXIMATELY),
        ("Italy will provide up to €1 billion.", "1000000000", "EUR", Qualifier.UP_TO),
        ("Spain will provide more than €1 billion.", "1000000000", "EUR", Qualifier.AT_LEAST),
        ("Spain will provide €1 billion or more.", "1000000000", "EUR", Qualifier.AT_LEAST),
        ("Canada will provide a billion dollars to Ukraine.", "1000000000", "USD", Qualifier.EXACT),
        (
            "Denmark will give 2 billion Danish kroner to Ukraine.",
            "2000000000",
            "DKK",
            Qualifier.EXACT,
        ),
        ("Denmark will give 2 billion kroner to Ukraine.", "2000000000", "DKK", Qualifier.EXACT),
        ("Norway will give 2 billion kroner to Ukraine.", "2000000000", "NOK", Qualifier.EXACT),
        ("Poland will give 500 million zlotys to Ukraine.", "500000000", "PLN", Qualifier.EXACT),
    ],
)
def test_an_amount_is_read_with_its_currency_and_qualifier(sentence, amount, currency, qualifier):
    assert money(only(sentence)) == [(Decimal(amount), currency, qualifier)]


class TestAmounts:
    def test_each_figure_of_a_sentence_is_found(self):
        spain = containing(find_candidates(WEEKLY), "Ukraine and Spain signed")
        assert money(spain) == [
            (Decimal("1000000000"), "EUR", Qualifier.EXACT),
            (Decimal("5000000000"), "EUR", Qualifier.EXACT),
        ]
        assert [f.period_text for f in spain.figures] == ["this year", "over the next three years"]
        assert [f.description for f in spain.figures] == [
            "€1 billion in military aid this year",
            "€5 billion over the next three years",
        ]

    @pytest.mark.parametrize(
        ("sentence", "low", "high"),
        [
            ("Germany will provide €400–500 million to Ukraine.", "400000000", "500000000"),
            ("Germany will provide $1-2 billion to Ukraine.", "1000000000", "2000000000"),
            ("Germany will provide between €1 billion and €2 billion.", "1000000000", "2000000000"),
            ("Germany will provide 300 to 400 million euros.", "300000000", "400000000"),
        ],
    )
    def test_a_range_is_at_least_its_lower_end_and_keeps_its_upper_end(self, sentence, low, high):
        (figure,) = only(sentence).amounts
        assert (figure.amount, figure.amount_max, figure.qualifier) == (
            Decimal(low),
            Decimal(high),
            Qualifier.AT_LEAST,
        )
        assert any(e.rule == "range" for e in figure.evidence)

    def test_a_year_after_to_is_not_the_top_of_a_range(self):
        (figure,) = only("Norway will provide €50 million to 2027.").amounts
        assert (figure.amount, figure.amount_max) == (Decimal("50000000"), None)

    def test_an_amount_without_a_currency_takes_the_currency_of_its_sentence(self):
        candidate = only("Spain will give €1 billion this year and 5 billion over three years.")
        assert money(candidate) == [
            (Decimal("1000000000"), "EUR", Qualifier.EXACT),
            (Decimal("5000000000"), "EUR", Qualifier.EXACT),
        ]
        assert any(
            e.rule == "currency of the passage's other figures"
            for e in candidate.figures[1].evidence
        )

    def test_an_amount_with_no_currency_at_all_is_read_and_doubted(self):
        (figure,) = only("Sweden will provide 13.3 billion in military aid to Ukraine.").amounts
        assert (figure.amount, figure.currency) == (Decimal("13300000000"), "")
        assert [d.rule for d in figure.doubts] == ["no currency"]

    def test_a_dollar_of_a_canadian_donor_is_read_as_usd_and_doubted(self):
        (figure,) = only("Canada will provide $500 million in military aid.").amounts
        assert figure.currency == "USD"
        assert "CAD" in figure.doubts[0].reason


class TestNotAmounts:
    def test_a_year_is_not_an_amount(self):
        candidate = only("In 2024, Germany will provide weapons to Ukraine.")
        assert candidate.figures == []
        assert find_candidates("The EUR 2024 budget line is open.") == []

    def test_a_page_or_table_number_is_not_a_figure(self):
        assert find_candidates("See page 12 and Table 3 for the 2024 figures.") == []
        candidate = only("Germany will provide aid to Ukraine, as page 12 of the report shows.")
        assert candidate.figures == []

    def test_f_16_is_not_sixteen(self):
        (figure,) = only("Belgium will provide 30 F-16 fighter jets.").figures
        assert (figure.kind, figure.quantity, figure.unit, figure.category) == (
            "quantity",
            30,
            "aircraft",
            "aircraft",
        )
        coalition = find_candidates("Portugal joined the F-16 Coalition with Ukraine.")
        assert [c.figures for c in coalition] == [[]]

    def test_a_calibre_is_not_a_quantity(self):
        candidate = only("The US will provide 155-mm howitzers and 105 mm shells to Ukraine.")
        assert candidate.figures == []

    def test_a_number_in_a_system_name_is_not_a_quantity(self):
        (figure,) = only("Germany will deliver 14 Leopard 2 tanks to Ukraine.").figures
        assert (figure.quantity, figure.system) == (14, "Leopard")
        costs = find_candidates("A Leopard 2 costs around €10 million.")
        assert [f.kind for c in costs for f in c.figures] == ["amount"]

    def test_a_percentage_or_distance_is_not_a_figure(self):
        assert find_candidates("Support fell to 60 per cent, 320 kilometres from Kyiv.") == []

    def test_a_year_before_equipment_is_not_a_quantity(self):
        assert find_candidates("In 2023 tanks were scarce on both sides.") == []


@pytest.mark.parametrize(
    ("sentence", "quantity", "category", "qualifier"),
    [
        ("Belgium will provide 30 F-16 fighter jets by 2028.", 30, "aircraft", Qualifier.EXACT),
        ("Poland will send 1 million shells.", 1_000_000, "ammunition", Qualifier.EXACT),
        ("Germany will deliver four IRIS-T systems.", 4, "air-defence", Qualifier.EXACT),
        (
            "Sweden will send 20 CV90 infantry fighting vehicles.",
            20,
            "armoured-vehicles",
            Qualifier.EXACT,
        ),
        ("France will send a dozen CAESAR howitzers.", 12, "artillery", Qualifier.EXACT),
        ("The US will send at least 100 Javelin missiles.", 100, "anti-tank", Qualifier.AT_LEAST),
        ("Germany will send 100,000 rounds of ammunition.", 100_000, "ammunition", Qualifier.EXACT),
        ("Latvia will send 2,500 drones.", 2500, "drones", Qualifier.EXACT),
    ],
)
def test_a_quantity_of_equipment_is_read(sentence, quantity, category, qualifier):
    (figure,) = only(sentence).quantities
    assert (figure.quantity, figure.category, figure.qualifier) == (quantity, category, qualifier)


@pytest.mark.parametrize(
    ("words", "category"),
    [
        ("30 F-16 fighter jets", "aircraft"),
        ("missiles for HAWK air defence systems", "air-defence"),
        ("Stinger missiles", "air-defence"),
        ("two Patriot batteries", "air-defence"),
        ("IRIS-T systems", "air-defence"),
        ("ammunition for HIMARS", "ammunition"),
        ("155-mm and 105-mm artillery shells", "ammunition"),
        ("155-mm howitzers", "artillery"),
        ("M113 armoured personnel carriers", "armoured-vehicles"),
        ("CV90 infantry fighting vehicles", "armoured-vehicles"),
        ("VAB armoured personnel carriers", "armoured-vehicles"),
        ("Leopard 2 tanks", "armoured-vehicles"),
        ("Javelin and AT-4 anti-tank systems", "anti-tank"),
        ("guided missiles (TOW)", "anti-tank"),
        ("coastal and river patrol boats", "naval"),
        ("Storm Shadow missiles", "missiles"),
        ("trailers for transporting heavy equipment", "vehicles"),
        ("night vision devices", "equipment"),
        ("$2 billion", "funding"),
    ],
)
def test_a_category_is_read_from_the_equipment_named(words, category):
    assert only(f"The United States will provide {words} to Ukraine.").category == category


class TestDonors:
    @pytest.mark.parametrize(
        ("sentence", "slug"),
        [
            ("The United States will provide $1 billion.", "united-states"),
            ("The U.S. will provide $1 billion.", "united-states"),
            ("The EU will provide €1 billion.", "european-union"),
            ("The European Commission will provide €1 billion.", "european-union"),
            ("The Netherlands will provide €1 billion.", "netherlands"),
            ("The Dutch government will allocate €10 million to Ukraine.", "netherlands"),
            ("Türkiye will provide $10 million.", "turkiye"),
            ("South Korea will provide $10 million.", "south-korea"),
        ],
    )
    def test_a_donor_is_read_as_the_ledger_slug(self, sentence, slug):
        assert only(sentence).donor.slug == slug

    def test_an_adjective_names_a_donor_only_before_a_word_of_government(self):
        candidate = only("The Dutch government will allocate €10 million to Ukraine.")
        assert "adjective" in next(e for e in candidate.evidence if e.field == "donor").reading
        made = only("Ukraine will use British-made Storm Shadow missiles worth €10 million.")
        assert made.donor is None

    def test_a_country_that_receives_is_not_a_donor(self):
        text = (
            "This comes after a gesture of support for Taiwan when the law was signed as "
            "part of a large security package."
        )
        assert all(c.donor is None or c.donor.slug != "taiwan" for c in find_candidates(text))

    def test_a_capital_after_in_is_a_place(self):
        candidate = only("At the summit in Washington, Germany pledged €10 million to Ukraine.")
        assert candidate.donor.slug == "germany"
        assert candidate.other_donors == []

    def test_the_first_donor_named_gives_and_the_others_are_listed(self):
        netherlands = containing(find_candidates(WEEKLY), "Netherlands has joined")
        assert netherlands.donor.slug == "netherlands"
        assert [d.slug for d in netherlands.other_donors] == ["denmark", "sweden"]
        assert "Denmark, Sweden" in netherlands.agreement_initial()["notes"]

    def test_every_donor_row_is_a_ledger_donor(self):
        slugs = [entry.slug for entry in gazetteer.DONORS]
        assert len(slugs) == len(set(slugs))
        for entry in gazetteer.DONORS:
            assert entry.slug == slugify(entry.name), entry
            assert entry.kind in DonorKind.values
            if entry.kind == DonorKind.COUNTRY:
                assert entry.iso_code in COUNTRIES, entry
            else:
                assert entry.iso_code == "", entry

    def test_every_weapon_row_names_a_ledger_category(self):
        for entry in gazetteer.WEAPON_SYSTEMS:
            assert entry.category in CATEGORIES, entry
        for category, _ in gazetteer.GENERIC_NOUNS:
            assert category in CATEGORIES


@pytest.mark.parametrize(
    ("sentence", "stage"),
    [
        ("Belgium will provide Ukraine with €977 million.", Stage.COMMITTED),
        ("Spain signed an agreement that provides Ukraine with €1 billion.", Stage.COMMITTED),
        ("The US has revealed a new $225 million aid package.", Stage.ANNOUNCED),
        ("The fund will have a budget of €5 billion for Ukraine.", Stage.ANNOUNCED),
        ("The Netherlands is allocating about €400 million for Ukraine.", Stage.ALLOCATED),
        ("France has provided Ukraine with 30 VAB armoured personnel carriers.", Stage.DELIVERED),
        ("Sweden delivered 20 CV90 infantry fighting vehicles to Ukraine.", Stage.DELIVERED),
    ],
)
def test_the_stage_is_read_from_the_verb(sentence, stage):
    candidate = only(sentence)
    assert candidate.stage == stage
    assert candidate.figures[0].stage == stage


class TestDates:
    def test_a_day_without_a_year_is_returned_without_a_year(self):
        candidate = only(
            "On 27 May, Spain signed an agreement that provides Ukraine with €1 billion."
        )
        assert candidate.date == PartialDate(None, 5, 27)
        assert candidate.date.precision == Precision.DAY
        initial = candidate.agreement_initial()
        assert "announced_on" not in initial
        assert initial["notes"] == "The passage gives no year."

    def test_the_caller_supplies_the_year_and_the_note_says_so(self):
        candidate = only(
            "On 27 May, Spain signed an agreement that provides Ukraine with €1 billion."
        )
        initial = candidate.agreement_initial(default_year=2024)
        assert (initial["announced_on"], initial["announced_precision"]) == (
            date(2024, 5, 27),
            Precision.DAY,
        )
        assert "2024 is supplied, not stated" in initial["notes"]

    def test_a_month_and_year_or_a_full_date(self):
        assert only("In February 2023, Germany pledged €1 billion to Ukraine.").date == (
            PartialDate(2023, 2, None)
        )
        full = only("On 12 June 2024 Germany pledged €1 billion to Ukraine.")
        assert full.agreement_initial()["announced_on"] == date(2024, 6, 12)

    def test_the_same_day_is_the_date_before_it(self):
        portugal = containing(find_candidates(WEEKLY), "with Portugal, which provides")
        assert portugal.date == PartialDate(None, 5, 28)
        assert any("same day" in e.rule for e in portugal.evidence)

    def test_a_deadline_is_not_the_date_of_a_pledge(self):
        candidate = only("By the end of June, Germany will provide €5 million to Ukraine.")
        assert candidate.date is None

    def test_may_the_verb_is_not_may_the_month(self):
        candidate = only("Germany may provide €5 million to Ukraine.")
        assert candidate.date is None
        assert [d.rule for d in candidate.figures[0].doubts] == ["possibility"]


class TestPeriodsAndRates:
    def test_a_yearly_rate_is_not_a_total(self):
        eu = containing(find_candidates(WEEKLY), "approximately €3 billion a year")
        (figure,) = eu.figures
        assert (figure.amount, figure.qualifier, figure.basis) == (
            Decimal("3000000000"),
            Qualifier.APPROXIMATELY,
            "per-year",
        )
        assert figure.line_item_initial()["period_text"] == "a year"
        assert only("Norway will give €1 billion annually to Ukraine.").figures[0].basis == (
            "per-year"
        )

    @pytest.mark.parametrize(
        ("sentence", "text", "first", "last"),
        [
            ("Belgium will provide 30 F-16 jets by 2028.", "by 2028", None, 2028),
            ("Portugal will provide €126 million in 2024.", "in 2024", 2024, 2024),
            ("Germany will provide €7 billion from 2024 to 2027.", "from 2024 to 2027", 2024, 2027),
            (
                "Spain will provide €5 billion over the next three years.",
                "over the next three years",
                None,
                None,
            ),
        ],
    )
    def test_a_period_after_a_figure(self, sentence, text, first, last):
        (figure,) = only(sentence).figures
        assert (figure.period_text, figure.period_start_year, figure.period_end_year) == (
            text,
            first,
            last,
        )


class TestDoubts:
    @pytest.mark.parametrize(
        ("sentence", "doubt"),
        [
            (
                "In February 2023, the World Bank estimated the cost of rebuilding Ukraine at "
                "\\$411 billion.",
                "estimate",
            ),
            ("Trade between China and Russia reached $240 billion.", "economic statistic"),
            (
                "The seven-year EU budget of €1.2 trillion will guarantee these funds.",
                "general budget",
            ),
            (
                "North Korea has supplied Russia with at least 1 million artillery shells.",
                "adversary actor",
            ),
            (
                "Since 2022, Germany has provided more than €28 billion in military aid in total.",
                "cumulative total",
            ),
            (
                "Seven EU countries refuse to sign bilateral agreements on aid to Ukraine.",
                "negated",
            ),
            ("Will Germany provide €5 billion to Ukraine?", "question"),
        ],
    )
    def test_a_statement_that_is_not_a_pledge_is_set_aside_with_its_reason(self, sentence, doubt):
        (candidate,) = find_candidates(sentence)
        assert not candidate.proposed
        rules_named = [d.rule for d in candidate.doubts] + [
            d.rule for f in candidate.figures for d in f.doubts
        ]
        assert doubt in rules_named
        assert any(doubt in line for line in candidate.explain())

    def test_a_doubt_about_one_figure_leaves_the_pledge_beside_it(self):
        candidate = only("Germany will provide €500 million, bringing its total to €10 billion.")
        assert candidate.proposed
        first, second = candidate.figures
        assert first.doubts == []
        assert [d.rule for d in second.doubts] == ["cumulative total"]

    def test_supplies_to_russia_in_the_weekly_are_set_aside(self):
        china = containing(find_candidates(WEEKLY), "supplied equipment worth")
        assert not china.proposed
        assert any("China" in d.reason for d in china.doubts)


class TestListItems:
    def test_a_list_item_carries_the_donor_of_its_introduction(self):
        item = containing(find_candidates(WEEKLY), "M113 armoured personnel carriers")
        assert item.passage == "- M113 armoured personnel carriers;"
        assert item.kind == "list-item"
        assert (item.donor.slug, item.stage, item.category) == (
            "united-states",
            Stage.COMMITTED,
            "armoured-vehicles",
        )
        donor = next(e for e in item.evidence if e.field == "donor")
        assert donor.rule == "donor from the list's introduction"
        assert donor.words == "United States"
        assert WEEKLY[donor.start : donor.end] == "United States"
        assert item.proposed

    def test_every_item_of_the_us_list_is_proposed(self):
        items = [c for c in find_candidates(WEEKLY) if c.kind == "list-item" and c.proposed]
        assert [c.category for c in items if c.donor.slug == "united-states"][1:] == [
            "armoured-vehicles",
            "vehicles",
            "naval",
            "anti-tank",
            "anti-tank",
            "ammunition",
            "equipment",
            "equipment",
        ]

    def test_a_list_whose_introduction_pledges_nothing_gives_no_candidates(self):
        text = "The leaders of China and Russia\n\n- condemned the sanctions;\n- met again.\n"
        assert find_candidates(text) == []

    def test_a_list_item_with_its_own_figure(self):
        text = "In addition, Germany will deliver:\n\n- 30 Leopard 1A5 tanks;\n- radios.\n"
        tanks, radios = find_candidates(text)
        assert (tanks.donor.slug, tanks.figures[0].quantity) == ("germany", 30)
        assert (radios.donor.slug, radios.category, radios.figures) == ("germany", "equipment", [])


class TestExplanation:
    def test_every_reading_points_at_its_words_in_the_document(self):
        for text in (WEEKLY, ARTICLE):
            view = reading_view(text)
            for candidate in find_candidates(text):
                evidence = list(candidate.evidence)
                evidence += [e for f in candidate.figures for e in f.evidence]
                for item in evidence:
                    if item.start is not None and item.end > item.start:
                        assert " ".join(view[item.start : item.end].split()) == item.words

    def test_the_explanation_gives_the_verdict_each_rule_and_each_doubt(self):
        belgium = containing(find_candidates(WEEKLY), "at least €977 million")
        lines = belgium.explain()
        assert lines[0].startswith(f"Proposed: score {belgium.score}")
        text = "\n".join(lines)
        assert "“Belgium” → belgium" in text
        assert "“at least” → at-least" in text
        assert "“€977 million” → 977,000,000" in text
        assert "“will provide” → committed" in text
        assert "“30 F-16 fighter jets” → 30 aircraft" in text
        world_bank = containing(find_candidates(WEEKLY), "World Bank estimated")
        assert "an estimate or a cost, not a pledge (“estimated”)" in "\n".join(
            world_bank.explain()
        )

    def test_the_score_is_the_sum_of_the_points_explained(self):
        for candidate in find_candidates(WEEKLY):
            points = sum(int(e.reading) for e in candidate.evidence if e.field == "score")
            penalties = sum(d.penalty for d in candidate.doubts)
            assert candidate.score == points - penalties
            assert candidate.proposed == (candidate.score >= rules.PROPOSE_AT)


class TestInitialValues:
    def test_line_items_pre_filled_from_a_passage(self):
        belgium = only(
            "According to the agreement, Belgium will provide Ukraine with at least €977 "
            "million in military aid and 30 F-16 fighter jets by 2028."
        )
        money_item, jets = belgium.line_item_initials()
        assert (
            money_item["amount"],
            money_item["currency"],
            money_item["qualifier"],
            money_item["category"],
            money_item["stage"],
        ) == (Decimal("977000000"), "EUR", Qualifier.AT_LEAST, "funding", Stage.COMMITTED)
        assert money_item["description"] == "at least €977 million in military aid"
        assert (jets["quantity"], jets["unit"], jets["category"], jets["period_end_year"]) == (
            30,
            "aircraft",
            "aircraft",
            2028,
        )

    def test_initial_values_name_model_fields(self):
        line_item_fields = {field.name for field in LineItem._meta.get_fields()}
        agreement_fields = {field.name for field in Agreement._meta.get_fields()}
        for candidate in find_candidates(WEEKLY):
            assert set(candidate.agreement_initial(2024)) <= agreement_fields
            for initial in candidate.line_item_initials():
                assert set(initial) <= line_item_fields

    @pytest.mark.parametrize(
        ("words", "kind"),
        [
            ("Ukraine and Spain signed an agreement that provides", "security-agreement"),
            ("vote in April to give Ukraine", "appropriation"),
            ("foreign military financing", "financing"),
            ("has revealed the contents of a new", "aid-package"),
            ("joined the initiative of Denmark and Sweden", "joint-procurement"),
            ("Ukraine Support Fund will have a budget", "fund-contribution"),
        ],
    )
    def test_the_kind_of_agreement_is_suggested_by_the_passage(self, words, kind):
        candidate = containing(find_candidates(WEEKLY + "\n\n" + ARTICLE), words)
        assert candidate.agreement_initial()["kind"] == kind
        assert next(e for e in candidate.evidence if e.field == "kind").reading == kind

    def test_a_working_title_names_the_donor_and_the_first_figure(self):
        candidates = find_candidates(WEEKLY)
        belgium = containing(candidates, "at least €977 million")
        assert belgium.agreement_initial()["title"] == (
            "Belgium: at least €977 million in military aid"
        )
        france = containing(candidates, "has provided Ukraine with new batches")
        assert france.title().startswith("France: France has provided Ukraine")  # no "**"
        assert len(france.title()) < 100

    def test_a_list_item_without_figures_gives_one_line_item(self):
        item = containing(find_candidates(WEEKLY), "coastal and river patrol boats")
        (initial,) = item.line_item_initials()
        assert (initial["description"], initial["category"], initial["stage"]) == (
            "coastal and river patrol boats",
            "naval",
            Stage.COMMITTED,
        )


class TestBadInput:
    @pytest.mark.parametrize("text", ["", "   \n\n\t", "\x00\x00", "-\n*\n#"])
    def test_empty_text_has_no_candidates(self, text):
        assert find_candidates(text) == []

    @pytest.mark.parametrize("value", [None, "Belgium will provide €5 million".encode(), 42])
    def test_anything_but_text_is_refused_with_a_clear_message(self, value):
        with pytest.raises(TypeError, match="reads a document's text as str"):
            find_candidates(value)

    def test_binary_bytes_decoded_as_text_do_not_break_it(self):
        noise = random.Random(11).randbytes(200_000).decode("latin-1")  # noqa: S311 (test data)
        text = noise + "\nBelgium will provide €5 million to Ukraine.\n" + noise
        candidates = find_candidates(text)
        found = [c for c in candidates if c.passage.startswith("Belgium will provide")]
        assert money(found[0]) == [(Decimal("5000000"), "EUR", Qualifier.EXACT)]
        for candidate in candidates:
            assert candidate.passage == text[candidate.start : candidate.end]

    def test_control_characters_inside_a_sentence(self):
        candidate = only("Belgium\x00 will provide €5\x0b million to Ukraine.")
        assert money(candidate) == [(Decimal("5000000"), "EUR", Qualifier.EXACT)]
        assert "\x00" in candidate.passage

    def test_a_megabyte_of_text_is_read_whole(self):
        copies = 1_000_000 // len(WEEKLY) + 1
        text = "\n\n".join([WEEKLY] * copies)
        spain = [c for c in find_candidates(text) if "Ukraine and Spain signed" in c.passage]
        assert len(spain) == copies
        assert all(c.proposed and len(c.amounts) == 2 for c in spain)

    @pytest.mark.parametrize(
        "text",
        [
            "1," * 50_000,
            "€" * 50_000,
            "$1-" * 20_000,
            "<sup>" * 20_000 + "Belgium will provide €5 million",
            "<a href='" + "x" * 100_000,
            "**" * 50_000,
            "\\$" * 50_000,
            "On " * 30_000 + "27 May",
            "Belgium will provide " + "at least " * 10_000 + "€5 million",
            "and a line wrapped without a full stop\n" * 20_000,
        ],
    )
    def test_pathological_text_ends_without_error(self, text):
        for candidate in find_candidates(text):
            assert candidate.passage == text[candidate.start : candidate.end]

    def test_unclosed_markup_is_left_as_text(self):
        candidate = only("Belgium will provide €5 million to Ukraine <a href='x")
        assert candidate.passage == "Belgium will provide €5 million to Ukraine <a href='x"


class TestDocumentsWrittenForTheTests:
    def test_a_ministry_release(self):
        text = (DOCUMENTS / "ministry_release.md").read_text(encoding="utf-8")
        candidates = find_candidates(text)
        assert all(c.proposed for c in candidates)
        german = containing(candidates, "worth €1.4 billion")
        assert (german.donor.slug, german.date, money(german)) == (
            "germany",
            PartialDate(2024, 6, 12),
            [(Decimal("1400000000"), "EUR", Qualifier.EXACT)],
        )
        package = containing(candidates, "four IRIS-T SLM")
        assert [(f.quantity, f.category) for f in package.figures] == [
            (4, "air-defence"),
            (100_000, "ammunition"),
        ]
        assert money(containing(candidates, "Denmark announced")) == [
            (Decimal("2500000000"), "DKK", Qualifier.EXACT)
        ]
        sweden = containing(candidates, "SEK 13.3 billion")
        assert [(f.amount, f.quantity) for f in sweden.figures] == [
            (Decimal("13300000000"), None),
            (None, 20),
        ]
        uk = containing(candidates, "Challenger 2")
        assert [(f.kind, f.stage) for f in uk.figures] == [
            ("quantity", Stage.DELIVERED),
            ("amount", Stage.COMMITTED),
        ]
        assert uk.figures[0].quantity == 14
        norway = containing(candidates, "kroner")
        assert (norway.figures[0].currency, norway.figures[0].basis) == ("NOK", "per-year")
        poland = containing(candidates, "Poland")
        assert (poland.figures[0].quantity, poland.figures[0].period_end_year) == (1_000_000, 2025)
        tanks = containing(candidates, "Leopard 1A5")
        assert (tanks.donor.slug, tanks.figures[0].quantity) == ("germany", 30)
        howitzers = containing(candidates, "PzH 2000")
        assert howitzers.figures[0].quantity == 12
        assert not any("example.org" in c.passage for c in candidates)

    def test_a_commentary_proposes_nothing(self):
        text = (DOCUMENTS / "commentary.md").read_text(encoding="utf-8")
        candidates = find_candidates(text)
        assert candidates  # it states figures …
        assert [c.passage for c in candidates if c.proposed] == []  # … none of them pledges

    def test_a_news_digest(self):
        text = (DOCUMENTS / "news_digest.txt").read_text(encoding="utf-8")
        candidates = find_candidates(text)
        pentagon = containing(candidates, "Pentagon")
        assert (pentagon.donor.slug, pentagon.stage, pentagon.category) == (
            "united-states",
            Stage.ANNOUNCED,
            None,  # Bradleys and HIMARS munitions: a package to split
        )
        assert money(containing(candidates, "C$60 million")) == [
            (Decimal("60000000"), "CAD", Qualifier.EXACT)
        ]
        assert money(containing(candidates, "A$100 million")) == [
            (Decimal("100000000"), "AUD", Qualifier.EXACT)
        ]
        tanks = containing(candidates, "Challenger 2")
        assert [f.quantity for f in tanks.figures] == [14]
        council = containing(candidates, "Ukraine Facility")
        assert council.date == PartialDate(2024, 2, 1)
        assert (council.figures[0].period_start_year, council.figures[0].period_end_year) == (
            2024,
            2027,
        )
        lithuania = containing(candidates, "NASAMS")
        assert [(f.quantity, f.category) for f in lithuania.figures] == [
            (2, "air-defence"),
            (3000, "drones"),
        ]
        czech = containing(candidates, "Czech-led")
        assert (czech.donor.slug, czech.figures[0].quantity, czech.proposed) == (
            "czechia",
            800_000,
            True,
        )
        set_aside = [c.passage.split()[0] for c in candidates if not c.proposed]
        assert set_aside == ["Ukraine", "Washington", "Russia's"]
        assert not any("GDP" in c.passage for c in candidates)


def _fixture_figures():
    """Line items and headline amounts of the fixture with an amount or a quantity."""
    records = json.loads(FIXTURE.read_text(encoding="utf-8"))
    items = [
        r
        for r in records
        if r["model"] == "aid.lineitem"
        and (r["fields"].get("amount") is not None or r["fields"].get("quantity") is not None)
    ]
    headlines = [r for r in records if r["model"] == "aid.agreement" and r["fields"].get("amount")]
    return len(items) + len(headlines)


class TestSeedDocuments:
    def test_every_figure_of_the_fixture_is_among_the_proposed_candidates(self):
        report = measure()
        assert len(report.expected) >= _fixture_figures() > 0
        assert report.missed == [], "\n".join(str(item) for item in report.missed)
        assert report.recall == 1.0

    def test_the_donor_of_every_figure_found_is_the_fixture_donor(self):
        report = measure()
        wrong = [item for item in report.expected if not item.donor_right]
        assert wrong == [], "\n".join(str(item) for item in wrong)

    def test_precision_on_the_seed_documents(self):
        report = measure()
        noise = [c.passage for source in report.sources for c in source.noise]
        assert report.precision >= 0.9, noise
        assert report.not_pledges  # the judged statements are read
        assert report.not_pledges_proposed == []

    def test_judged_statements_occur_verbatim_in_their_seed(self):
        statements = json.loads(JUDGED.read_text(encoding="utf-8"))["statements"]
        assert statements
        for statement in statements:
            text = (SEEDS / statement["file"]).read_text(encoding="utf-8")
            assert statement["passage"] in text, statement["passage"]
            assert statement["reading"] in ("not-a-pledge", "left-out")
            assert statement["why"]

    def test_the_report_command_prints_recall_and_precision(self):
        out = io.StringIO()
        call_command("candidates_report", stdout=out)
        report = measure()
        assert f"({report.recall:.0%})" in out.getvalue()
        assert f"({report.precision:.0%})" in out.getvalue()
        assert out.getvalue().startswith("Recall: ")

    def test_the_report_command_shows_a_documents_candidates(self):
        out = io.StringIO()
        call_command(
            "candidates_report",
            document=str(DOCUMENTS / "commentary.md"),
            verbosity=2,
            stdout=out,
        )
        assert "commentary.md: 0 proposed, 7 set aside." in out.getvalue()
        assert "the actor is Russia, not a donor to Ukraine" in out.getvalue()

    def test_the_report_command_refuses_a_file_it_cannot_read(self, tmp_path):
        with pytest.raises(CommandError, match="Cannot read"):
            call_command("candidates_report", document=str(tmp_path / "missing.txt"))
        binary = tmp_path / "image.png"
        binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
        with pytest.raises(CommandError, match="as UTF-8 text"):
            call_command("candidates_report", document=str(binary))
