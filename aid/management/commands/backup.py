"""manage.py backup FILE: the whole ledger in one file (aid/backup.py says what it holds)."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from aid.backup import BackupError, write_backup


class Command(BaseCommand):
    help = (
        "Write every ledger record, its history, the users and groups, and the source "
        "documents' texts to a new zip file, restorable with manage.py restore."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup to write, e.g. ledger-2024-06-01.zip")

    def handle(self, *args, file, **options):
        try:
            manifest = write_backup(file)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Wrote {file}: {summary(manifest)}.")


def summary(manifest):
    counts = [
        f"{entry['rows']} {apps.get_model(entry['model'])._meta.verbose_name_plural}"
        for entry in manifest["models"]
    ]
    return ", ".join(counts) + f", {len(manifest['sources'])} source texts"
