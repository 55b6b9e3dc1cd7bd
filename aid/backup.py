"""Backups of the ledger, and their restore into an empty database (README, "Backup and restore").

A backup is one zip file:

- ``manifest.json``: what it holds, the migrations its rows fit, and each member's row
  count and SHA-256;
- ``data/<app>.<model>.jsonl``: every row of each model below, in Django's JSON Lines
  serialisation, one object a line, primary keys kept;
- ``seeds/<file>``: the text of every source document a source names (Source.file).

Rows keep their ids (public URLs and exports show them; history rows name them), and
users come along with their groups: history says who made each change, and the admin's
log what each did. Content types and permissions are made by ``migrate`` in any
database, under ids of its own, so rows refer to them by natural key.

JSON rather than pg_dump: the same file restores into PostgreSQL or SQLite, needs no
client of the server's exact version, and reads line by line, so neither side holds the
ledger in memory.
"""

import datetime
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers import jsonl
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Max
from django.utils import timezone

from . import triggers

FORMAT = "ledger-backup"
VERSION = 1

# In the order they are written and loaded: an agreement before its line items, because
# the line items' triggers copy from their agreement as each row goes in.
MODELS = [
    "auth.group",
    "auth.user",
    "aid.category",
    "aid.donor",
    "aid.source",
    "aid.agreement",
    "aid.lineitem",
    "aid.citation",
    "aid.historicaldonor",
    "aid.historicalsource",
    "aid.historicalagreement",
    "aid.historicallineitem",
    "aid.historicalcitation",
    "admin.logentry",
]
# Left out, and why (a test checks that every model is in one list or the other).
NOT_BACKED_UP = {
    "contenttypes.contenttype": "made by migrate; rows refer to them by natural key",
    "auth.permission": "made by migrate; rows refer to them by natural key",
    "sessions.session": "logins in progress; a restored ledger asks everyone to log in",
    "axes.accessattempt": "failed-login counts, which expire within the hour",
    "axes.accessattemptexpiration": "failed-login counts, which expire within the hour",
    "axes.accessfailurelog": "a log of failed logins, kept by the server's own logs too",
    "axes.accesslog": "a log of logins, kept by the server's own logs too",
    "aid.dataversion": "kept by the database's triggers: the restore's own writes move it on",
}
# Migrations make these rows in every database (0002_categories, the groups' migrations);
# a restore replaces them with the backup's, ids and all.
MADE_BY_MIGRATIONS = {"aid.category", "auth.group"}
# Natural keys only for what migrate numbers differently in each database.
BY_NATURAL_KEY = {"contenttypes.contenttype", "auth.permission"}
MIGRATED_APPS = sorted({label.split(".")[0] for label in MODELS} | {"contenttypes"})
CHUNK = 2000


class BackupError(Exception):
    """A backup that cannot be made or restored; the message says why and what to do."""


class Serializer(jsonl.Serializer):
    """JSON Lines with natural keys for content types and permissions, and plain ids elsewhere.

    Django's option is all or nothing; by natural key, a history row of a since-deleted
    donor could not be written at all.
    """

    def handle_fk_field(self, obj, field):
        self.use_natural_foreign_keys = by_natural_key(field)
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj, field):
        self.use_natural_foreign_keys = by_natural_key(field)
        super().handle_m2m_field(obj, field)


def by_natural_key(field):
    return field.remote_field.model._meta.label_lower in BY_NATURAL_KEY


class Encoder(DjangoJSONEncoder):
    """Times to the microsecond: Django's encoder cuts them to milliseconds (ECMA-262), and
    history's dates, and so the corrections log, would not survive a restore."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class HashingWriter(io.RawIOBase):
    """Writes through to a zip member and keeps its SHA-256."""

    def __init__(self, target):
        self.target, self.sha256 = target, hashlib.sha256()

    def writable(self):
        return True

    def write(self, data):
        self.target.write(data)
        self.sha256.update(data)
        return len(data)

    def hexdigest(self):
        return self.sha256.hexdigest()


def applied_migrations():
    applied = MigrationRecorder(connection).applied_migrations()
    return {
        app: sorted(name for app_label, name in applied if app_label == app)
        for app in MIGRATED_APPS
    }


def source_files():
    """Every seeds/ file a source names, now or in its history, that the ledger holds."""
    Source = apps.get_model("aid", "Source")
    names = set(Source.objects.exclude(file="").values_list("file", flat=True))
    names |= set(Source.history.exclude(file="").values_list("file", flat=True))
    seeds = settings.SEEDS_DIR.resolve()
    found = {}
    for name in sorted(names):
        path = (seeds / name).resolve()
        if path.parent == seeds and path.is_file():
            found[name] = path
    return found


def sha256_of(path):
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def write_backup(path):
    """Write the whole ledger to a new file at path; returns the manifest."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} exists already; give a new file name (nothing was written).")
    partial = path.with_name(path.name + ".partial")
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created": timezone.now().isoformat(),
        "database": connection.vendor,
        "migrations": None,
        "models": [],
        "sources": [],
    }
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            # One snapshot of every table, even while analysts keep working (SQLite: the
            # read transaction; PostgreSQL: REPEATABLE READ, which can only open one).
            outermost = not connection.in_atomic_block
            with transaction.atomic():
                if outermost and connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                manifest["migrations"] = applied_migrations()
                for label in MODELS:
                    manifest["models"].append(write_model(archive, label))
                for name, source in source_files().items():
                    member = f"seeds/{name}"
                    archive.write(source, member)
                    manifest["sources"].append(
                        {"file": name, "member": member, "sha256": sha256_of(source)}
                    )
            archive.writestr("manifest.json", json.dumps(manifest, indent=2) + "\n")
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def write_model(archive, label):
    model = apps.get_model(label)
    member = f"data/{label}.jsonl"
    rows = model._base_manager.order_by("pk").iterator(chunk_size=CHUNK)
    counted = Counted(rows)
    with archive.open(member, "w", force_zip64=True) as raw:
        writer = HashingWriter(raw)
        text = io.TextIOWrapper(io.BufferedWriter(writer), encoding="utf-8", newline="\n")
        Serializer().serialize(counted, stream=text, cls=Encoder)
        text.flush()
        text.detach().flush()
    return {"model": label, "member": member, "rows": counted.count, "sha256": writer.hexdigest()}


class Counted:
    """An iterable that counts what passes through it."""

    def __init__(self, rows):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


@dataclass
class Backup:
    """An opened backup whose every member matched its checksum."""

    archive: zipfile.ZipFile
    manifest: dict


def open_backup(path):
    """The backup at path, checked; BackupError says what is wrong with it."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BackupError(f"There is no file {path}.") from None
    except (zipfile.BadZipFile, OSError) as error:
        raise BackupError(f"{path} is not a ledger backup (not a zip file: {error}).") from None
    try:
        return Backup(archive, checked_manifest(path, archive))
    except BaseException:
        archive.close()
        raise


def checked_manifest(path, archive):
    try:
        manifest = json.loads(archive.read("manifest.json"))
        kind = (manifest["format"], manifest["version"])
        models = [entry["model"] for entry in manifest["models"]]
        members = [(entry["member"], entry["sha256"]) for entry in manifest["models"]]
        members += [(entry["member"], entry["sha256"]) for entry in manifest["sources"]]
    except (KeyError, TypeError, ValueError):
        raise BackupError(f"{path} is not a ledger backup (no readable manifest.json).") from None
    if kind != (FORMAT, VERSION):
        raise BackupError(f"{path} is not a ledger backup of version {VERSION} ({kind}).")
    if models != MODELS:
        raise BackupError(f"{path} holds other tables than this version of the ledger.")
    for member, sha256 in members:
        try:
            with archive.open(member) as data:
                digest = hashlib.file_digest(data, "sha256").hexdigest()
        except (KeyError, zipfile.BadZipFile, OSError) as error:
            raise BackupError(f"{path} is damaged: {member} ({error}).") from None
        if digest != sha256:
            raise BackupError(
                f"{path} is damaged: {member} does not match its checksum. Nothing was restored."
            )
    return manifest


def rows_in_the_way():
    """What the database holds besides what migrations make: '3 donors, 1 user', or ''."""
    found = []
    for label in MODELS:
        if label in MADE_BY_MIGRATIONS:
            continue
        model = apps.get_model(label)
        count = model._base_manager.count()
        if count:
            found.append(f"{count} {model._meta.verbose_name_plural}")
    return ", ".join(found)


def check_target(backup):
    migrations = applied_migrations()
    if migrations != backup.manifest["migrations"]:
        differences = []
        for app in MIGRATED_APPS:
            want = backup.manifest["migrations"].get(app, [])
            have = migrations.get(app, [])
            if want != have:
                differences.append(
                    f"{app}: the backup's rows fit {want[-1] if want else 'no migrations'}, "
                    f"this database is at {have[-1] if have else 'no migrations'}"
                )
        raise BackupError(
            "This database's migrations differ from the backup's ("
            + "; ".join(differences)
            + "). Restore into a database migrated to the backup's migrations "
            "(manage.py migrate <app> <migration>), then migrate forward."
        )
    in_the_way = rows_in_the_way()
    if in_the_way:
        raise BackupError(
            f"This database is not empty: it holds {in_the_way}. A restore only fills an "
            "empty database: create a new one, run manage.py migrate, and restore into it. "
            "Nothing was changed."
        )
    seeds = settings.SEEDS_DIR
    for entry in backup.manifest["sources"]:
        existing = seeds / entry["file"]
        if existing.exists() and sha256_of(existing) != entry["sha256"]:
            raise BackupError(
                f"seeds/{entry['file']} differs from the backup's copy of that source "
                "document. Move it aside and restore again. Nothing was changed."
            )


def restore_backup(path):
    """Load the backup at path into this empty, migrated database; returns its manifest."""
    backup = open_backup(path)
    with backup.archive:
        check_target(backup)
        with transaction.atomic():
            for label in MADE_BY_MIGRATIONS:
                apps.get_model(label)._base_manager.all().delete()
            loaded = []
            for entry in backup.manifest["models"]:
                load_model(backup.archive, entry)
                loaded.append(apps.get_model(entry["model"]))
            connection.check_constraints(table_names=[m._meta.db_table for m in loaded])
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), loaded):
                    cursor.execute(sql)
                continue_ids_past_history(cursor)
                # The triggers filled each line item's copies as it went in; this mends any
                # row whose copy the backup's own database had let drift.
                cursor.execute(triggers.RESYNC)
            if triggers.drifted_line_items():
                raise BackupError("Line items disagree with their agreements after loading.")
            write_sources(backup)
    return backup.manifest


def continue_ids_past_history(cursor):
    """New records get ids that no record, deleted ones included, ever had.

    A deleted line item lives on in its history under its id (and /changes/ links to it);
    a new line item given that id would take over its history. The original database's
    counter had passed it; the restored one is set past the highest id history names.
    """
    for label in MODELS:
        model = apps.get_model(label)
        if not hasattr(model, "history") or label.startswith("aid.historical"):
            continue
        table, column = model._meta.db_table, model._meta.pk.column
        highest = max(
            model._base_manager.aggregate(n=Max("pk"))["n"] or 0,
            model.history.aggregate(n=Max(column))["n"] or 0,
        )
        if not highest:
            continue
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), %s)", [table, column, highest]
            )
        elif connection.vendor == "sqlite":
            # Django's SQLite ids are AUTOINCREMENT: their counter lives in sqlite_sequence.
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, highest]
            )


def load_model(archive, entry):
    model = apps.get_model(entry["model"])
    batch, count = [], 0
    with archive.open(entry["member"]) as raw:
        lines = io.TextIOWrapper(raw, encoding="utf-8")
        for record in serializers.deserialize("jsonl", lines, handle_forward_references=False):
            count += 1
            if in_bulk(model):
                batch.append(record.object)
                if len(batch) == CHUNK:
                    model._base_manager.bulk_create(batch)
                    batch = []
            else:
                # A raw save: no save() of the model's own, no history made; an INSERT only.
                record.save(force_insert=True)
    if batch:
        model._base_manager.bulk_create(batch)
    if count != entry["rows"]:
        raise BackupError(f"{entry['member']} holds {count} rows, its manifest {entry['rows']}.")


def in_bulk(model):
    """Whether rows can go in 2,000 to an INSERT: bulk_create stamps auto_now fields anew and
    cannot set many-to-many relations, so models with either go a row at a time."""
    return not model._meta.many_to_many and not any(
        getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        for field in model._meta.concrete_fields
    )


def write_sources(backup):
    seeds = settings.SEEDS_DIR
    for entry in backup.manifest["sources"]:
        target = seeds / entry["file"]
        if not target.exists():
            seeds.mkdir(parents=True, exist_ok=True)
            target.write_bytes(backup.archive.read(entry["member"]))
