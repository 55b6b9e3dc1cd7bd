"""Load the seed data (fixtures/ledger.json) and compute its normalised values. Idempotent.

The fixture names each seed source's file in seeds/, not its text: loaddata stores
the file's text as it saves the source, and checks each citation as it saves it
(aid/models.py: load_seed_text, check_citation). The citations of the seed sources
are checked again here, whatever order the fixture lists them in.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from aid.models import Citation, Source

FIXTURE = settings.BASE_DIR / "fixtures" / "ledger.json"


class Command(BaseCommand):
    help = "Load the seed data; a second run leaves one copy of everything."

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        # loaddata saves raw rows, bypassing Model.save(), so values are computed after.
        call_command("loaddata", str(FIXTURE), verbosity=verbosity)
        seeds = Source.objects.exclude(file="")
        for source in seeds:
            source.recheck_citations()
        unchecked = Citation.objects.filter(source__in=seeds).unchecked()
        for citation in unchecked:
            self.stderr.write(
                f"Citation {citation.pk} is not in its seed file {citation.source.file}: "
                f"{citation.unchecked_reason}"
            )
        call_command("recompute_values", verbosity=verbosity, stdout=self.stdout)
