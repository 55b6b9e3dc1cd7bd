"""Recompute every normalised value (EUR, USD, ECB rate) and every agreement's counted total."""

from django.core.management.base import BaseCommand
from django.db import transaction

from aid.models import Agreement


class Command(BaseCommand):
    help = "Convert every amount again at the ECB rate of its date, and recount every agreement."

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic():
            for agreement in Agreement.objects.iterator(chunk_size=500):
                agreement.refresh_values()
                count += 1
        self.stdout.write(f"Recomputed the values of {count} agreements and their line items.")
