"""Candidate pledges: the passages of a new document that may state military aid to Ukraine.

    from aid.candidates import find_candidates

    for candidate in find_candidates(source.text):
        candidate.passage        # text[candidate.start:candidate.end], verbatim: a citation
        candidate.proposed       # worth a reviewer's look (score >= rules.PROPOSE_AT)
        candidate.donor          # DonorRef(slug, name, kind, iso_code) or None
        candidate.date           # PartialDate: only the parts stated; .resolve(default_year)
        candidate.stage          # announced / committed / allocated / delivered, or None
        candidate.figures        # Figure: amount, currency, qualifier, basis, quantity, unit,
                                 # category, period, stage, description, evidence, doubts
        candidate.explain()      # why: one line per rule that matched, per doubt
        candidate.agreement_initial(default_year=2024)  # initial values for a draft Agreement
        candidate.line_item_initials()                  # one dict per LineItem to pre-fill

Rule-based and deterministic. Tables: gazetteers (gazetteer.py), numbers and currencies
(numbers.py), dates and periods (when.py), pledge verbs, doubts and weights (rules.py). Code:
the text and its passages (text.py), what a passage names (scan.py), figures and what stands
around them (figures.py), weighing a passage (extract.py), the results (readings.py).
measure.py measures it on the seed documents (manage.py candidates_report). README,
"Candidate pledges", says how to read its explanations.
"""

from .extract import find_candidates
from .readings import Candidate, DonorRef, Doubt, Evidence, Figure, System
from .when import PartialDate

__all__ = [
    "Candidate",
    "DonorRef",
    "Doubt",
    "Evidence",
    "Figure",
    "PartialDate",
    "System",
    "find_candidates",
]
