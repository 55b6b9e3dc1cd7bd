"""manage.py restore FILE: a backup into an empty, migrated database (aid/backup.py)."""

from django.core.management.base import BaseCommand, CommandError

from aid.backup import BackupError, restore_backup

from .backup import summary


class Command(BaseCommand):
    help = (
        "Load a backup made by manage.py backup into this database, which must be migrated "
        "and empty. Refuses a database that holds any record, and a damaged backup."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a backup written by manage.py backup")

    def handle(self, *args, file, **options):
        try:
            manifest = restore_backup(file)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Restored {file} (made {manifest['created']}): {summary(manifest)}.")
