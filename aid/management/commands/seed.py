"""Load the seed data (fixtures/ledger.json) and compute its normalised values. Idempotent."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

FIXTURE = settings.BASE_DIR / "fixtures" / "ledger.json"


class Command(BaseCommand):
    help = "Load the seed data; a second run leaves one copy of everything."

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        # loaddata saves raw rows, bypassing Model.save(), so values are computed after.
        call_command("loaddata", str(FIXTURE), verbosity=verbosity)
        call_command("recompute_values", verbosity=verbosity, stdout=self.stdout)
