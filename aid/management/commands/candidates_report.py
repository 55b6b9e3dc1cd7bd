"""Measure the candidate engine on the seed documents, or show its candidates for a document."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from aid.candidates import find_candidates
from aid.candidates.measure import SEEDS, measure


class Command(BaseCommand):
    help = (
        "Recall and precision of the candidate engine on the seed documents, read against "
        "fixtures/ledger.json (README, 'Candidate pledges'). -v 2 lists every candidate, "
        "-v 3 explains each. --document FILE shows a document's candidates instead."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--document", help="A UTF-8 text, Markdown or HTML file: show its candidates."
        )
        parser.add_argument(
            "--time",
            action="store_true",
            help="Also time the engine on about 1 MB of the seed documents' text.",
        )

    def handle(self, *args, document=None, time=False, verbosity=1, **options):
        if document:
            self._document(Path(document), verbosity)
        else:
            report = measure()
            self.stdout.write("\n".join(report.lines(verbose=max(0, verbosity - 1))))
        if time:
            self._time()

    def _document(self, path, verbosity):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {path} as UTF-8 text: {error}") from error
        candidates = find_candidates(text)
        proposed = sum(1 for candidate in candidates if candidate.proposed)
        self.stdout.write(
            f"{path.name}: {proposed} proposed, {len(candidates) - proposed} set aside."
        )
        for candidate in candidates:
            mark = "+" if candidate.proposed else "-"
            self.stdout.write(f"\n{mark} [{candidate.start}:{candidate.end}] {candidate.passage}")
            figures = "; ".join(str(figure) for figure in candidate.figures)
            donor = candidate.donor.slug if candidate.donor else "?"
            self.stdout.write(f"  donor {donor}; {figures or 'no figure'}")
            if verbosity > 1:
                for line in candidate.explain():
                    self.stdout.write(f"  {line}")

    def _time(self):
        text = "\n\n".join(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))
        text = (text * (1_000_000 // len(text) + 1))[:1_000_000]
        started = time.perf_counter()
        candidates = find_candidates(text)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"\nTimed: {len(text):,} characters in {elapsed:.2f} s ({len(candidates)} candidates)."
        )
