"""The rules that weigh a passage: pledge verbs and their stages, doubts, and the score.

Each is a row of a table, so that a reviewer who asks "why was this proposed?" gets an answer
in the words of one of these rows, and a maintainer who disagrees changes one row.
"""

import re
from dataclasses import dataclass

from aid.choices import Stage


@dataclass(frozen=True)
class VerbRule:
    name: str
    pattern: str  # in lower case: verbs are matched against the text in lower case
    stage: str
    needs: str = ""  # a noun that must follow within a few words ("signed … agreement")


_GIVE = (
    r"provide|give|supply|send|deliver|transfer|donate|allocate|finance|fund|contribute|"
    r"hand over|train|purchase|buy|procure"
)
_AGREEMENT = r"agreements?|memorand(?:um|a)|contracts?|deals?|accords?|treaty|package|facility|fund"
_AID = (
    r"aid|assistance|support|package|weapons|arms|equipment|ammunition|funding|financing|"
    r"fund|loan|grant|budget|contributions?"
)
_COALITION = r"coalitions?|initiatives?|programmes?|programs?|fund|facility"

# fmt: off
# Order matters where two rows could match at one place: the longer phrase comes first.
PLEDGE_VERBS = [
    VerbRule("vote to give", r"vote\b[^.;]{0,60}?\bto (?:give|provide|send)", Stage.ANNOUNCED),
    VerbRule("has provided", r"(?:has|have|had) (?:already |now |also |so far )?"
             r"(?:provided|given|supplied|sent|delivered|transferred|donated|handed over)",
             Stage.DELIVERED),
    VerbRule("delivered", r"delivered|handed over|arrived|disbursed", Stage.DELIVERED),
    VerbRule("provided", r"provided|gave|supplied|sent|donated|transferred", Stage.DELIVERED),
    VerbRule("will provide", rf"(?:will|shall) (?:also |soon |now |continue to )?(?:{_GIVE})",
             Stage.COMMITTED),
    VerbRule("agreed to provide", r"(?:agreed|decided|pledged|promised|committed|undertook|"
             rf"undertakes|intends?|plans?) to (?:{_GIVE})", Stage.COMMITTED),
    VerbRule("will receive", r"will receive|is to receive|are to receive", Stage.COMMITTED),
    VerbRule("is to be used", r"(?:is|are) to be (?:used|spent|sent|delivered|provided)",
             Stage.COMMITTED),
    VerbRule("will have a budget", r"will have (?:a|an) (?:\w+ )?budget", Stage.ANNOUNCED),
    VerbRule("provides", r"provides?(?: for)?|providing|pledges?|pledged|pledging|promised?|"
             r"promises|commits|committed|commit", Stage.COMMITTED),
    VerbRule("signed an agreement", r"sign(?:s|ed|ing)?", Stage.COMMITTED, _AGREEMENT),
    VerbRule("approved", r"approv(?:es|ed|ing)", Stage.COMMITTED, _AID),
    VerbRule("allocating", r"allocat(?:e|es|ed|ing)|earmark(?:s|ed|ing)?", Stage.ALLOCATED),
    VerbRule("ordered", r"ordered|contracted|(?:to|will) (?:purchase|buy|procure)|"
             r"purchas(?:ed|ing)|bought|procured", Stage.ALLOCATED),
    VerbRule("announced", r"announc(?:e|es|ed|ing)|unveil(?:s|ed|ing)?|reveal(?:s|ed|ing)?",
             Stage.ANNOUNCED, _AID),
    VerbRule("agreed on", r"agreed(?: on)?", Stage.ANNOUNCED, _AGREEMENT),
    VerbRule("joined", r"join(?:s|ed|ing)?|participat(?:e|es|ed|ing|ion) in", Stage.COMMITTED,
             _COALITION),
]
# fmt: on
NEEDS_WITHIN = 80  # characters between a verb and the noun it needs

# A verb under one of these is not a pledge: "refuse to sign", "has not given".
NEGATION = re.compile(
    r"(?i:\b(?:not|never|no longer|refuses?|refused|refusing|declined|rejects?|rejected|"
    r"won't|wouldn't|doesn't|didn't|hasn't|haven't)\b(?:\s+\w+){0,3}\s*)$"
)


@dataclass(frozen=True)
class DoubtRule:
    name: str
    pattern: str  # case-insensitive; its words count against the figure they stand next to
    penalty: int
    reason: str


# fmt: off
DOUBTS = [
    DoubtRule("estimate", r"\b(?:estimated?|estimates|estimating|valued at|assessed at|"
              r"forecast)\b", 5,
              "an estimate or a cost, not a pledge"),
    DoubtRule("economic statistic", r"\b(?:trade|turnover|exports?|imports?|GDP|revenues?|"
              r"sales|prices?)\b", 5, "an economic statistic, not aid"),
    DoubtRule("general budget", r"\b(?:EU|seven-year|multiannual|national|state|annual|"
              r"defen[cs]e|military|its own|the bloc's|federal)\s+budget\b|\bbudget of the\b",
              5, "a general budget, not aid to Ukraine"),
    DoubtRule("reported figure", r"\b(?:this|the) figure (?:was|is|stood)\b|\bamounted to\b|"
              r"\breached\b|\btotall?ed\b|\bstood at\b", 3,
              "a reported figure or a comparison, not a pledge"),
    DoubtRule("cumulative total", r"\bbringing (?:its|the|their) (?:total|overall)\b|"
              r"\bin total\b|\bso far\b|\bto date\b|\bsince (?:the start|the beginning)\b|"
              r"\bsince (?:\w+ )?20\d\d\b", 4, "a cumulative total, not a new pledge"),
    DoubtRule("reconstruction", r"\b(?:rebuild(?:ing)?|reconstruction|recovery|damage|"
              r"losses)\b", 3, "reconstruction or damage, not military aid"),
    DoubtRule("not to Ukraine", r"\b(?:to|for|from) (?:Russia|Moscow|the Kremlin|China|Iran|"
              r"North Korea|Belarus)\b", 5, "the money goes to or comes from an adversary"),
    # Lower case only: "On 27 May" is a date, "may increase" a possibility.
    DoubtRule("possibility", r"(?-i:\b(?:may|might|could|would|if|considering|proposal|"
              r"possible|potential)\b)", 2, "a possibility or a proposal"),
    DoubtRule("humanitarian", r"\bhumanitarian\b", 2,
              "humanitarian aid: the ledger records military aid"),
]
# fmt: on
DOUBT_BEFORE = 70  # characters before a figure in which a figure's doubts are looked for
DOUBT_AFTER = 40

# What kind of instrument a passage describes (AgreementKind), for a draft agreement's
# initial kind: the first row whose words occur wins; none gives an aid package.
AGREEMENT_KINDS = [
    (r"\bagreement\b", "security-agreement"),
    (r"\b(?:vote|bill|appropriation|supplemental)\b", "appropriation"),
    (r"\b(?:financing|loans?|credit)\b", "financing"),
    (r"\bpackage\b", "aid-package"),
    (r"\b(?:initiative|coalition|joint (?:purchase|procurement))\b", "joint-procurement"),
    (r"\b(?:fund|facility)\b", "fund-contribution"),
]
DEFAULT_AGREEMENT_KIND = "aid-package"

# Points for what a passage shows; a candidate is proposed at PROPOSE_AT or more.
WEIGHTS = {
    "amount": 3,
    "quantity": 3,
    "donor": 2,
    "donor from context": 1,
    "donor from the list's introduction": 2,
    "pledge verb": 2,
    "pledge verb from the list's introduction": 2,
    "recipient": 1,
    "equipment named": 1,
}
PROPOSE_AT = 4
QUESTION_PENALTY = 5
NEGATION_PENALTY = 4
NO_PARTIES_PENALTY = 2
ADVERSARY_PENALTY = 5
