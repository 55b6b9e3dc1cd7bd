"""Backup and restore: `manage.py backup FILE` and `manage.py restore FILE` (aid/backup.py)."""

import difflib
import json
import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client

from aid import backup, triggers
from aid.choices import Status
from aid.models import Agreement, Category, Donor, LineItem, Source

from .factories import (
    browser_post,
    decide,
    edit_agreement,
    logged_in,
    make_line_item,
    make_user,
    propose,
)
from .test_settings import ROOT

pytestmark = pytest.mark.django_db

# Every public export, and the corrections log that history feeds.
PUBLIC = [
    "/items/?_export=csv",
    "/items/?_export=json",
    "/agreements/?_export=csv",
    "/agreements/?_export=json",
    "/donors/?_export=csv",
    "/donors/?_export=json",
    "/changes/",
    "/",
]


def public_outputs(client):
    outputs = {}
    for url in PUBLIC:
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        outputs[url] = b"".join(response) if response.streaming else response.content
    return outputs


def edit_in_admin(browser, record, **changes):
    url = f"/admin/aid/{record._meta.model_name}/{record.pk}/change/"
    response = browser.post(url, browser_post(browser.get(url), **changes))
    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors


@pytest.fixture
def ledger_with_history(seeded):
    """The seed data after a day of analysts' work: edits, an addition, a removal."""
    analyst = make_user("ana", ["Analysts", "Reviewers"], password="correct-horse-battery")
    reviewer = make_user("rita", ["Reviewers"], password="correct-horse-battery")
    browser = Client()
    browser.force_login(analyst)
    item = LineItem.objects.get(description="at least €977 million in military aid")
    # A published figure changes through a revision that another reviewer approves.
    revision = propose(browser, item.agreement)
    edit_agreement(browser, revision, items={item: {"amount": "978000000"}}, status=Status.READY)
    assert decide(logged_in(reviewer), revision, "approve").status_code == HTTPStatus.FOUND
    edit_in_admin(browser, Donor.objects.get(slug="spain"), name="Spain (Kingdom of)")
    agreement = Agreement.objects.published().exclude(pk=item.agreement_id).first()
    make_line_item(agreement=agreement, description="Sea King helicopters", quantity=3)
    removed = agreement.line_items.exclude(description="Sea King helicopters").first()
    removed.citations.update(line_item=None)
    removed.delete()
    # Added and removed again: the highest id is now only in history.
    make_line_item(agreement=agreement, description="Mi-8 helicopters").delete()
    category = Category.objects.get(slug="aircraft")
    category.definition = "Fixed-wing aircraft and helicopters."
    category.save()
    return analyst


def test_every_model_is_backed_up_or_left_out_for_a_reason():
    every = {model._meta.label_lower for model in apps.get_models()}
    assert set(backup.MODELS).isdisjoint(backup.NOT_BACKED_UP)
    assert every == set(backup.MODELS) | set(backup.NOT_BACKED_UP)


def run(*args, database_url, **env):
    """manage.py in a process of its own, on another database, with the test settings."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "DATABASE_URL"
    }
    environment |= {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url,
        **env,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# Run inside the restored instance: its public outputs, as files, and its line items' drift.
FETCH = f"""
import json, os, pathlib
from django.test import Client
from aid.triggers import drifted_line_items
client = Client()
out = pathlib.Path(os.environ["OUTPUTS"])
for index, url in enumerate({PUBLIC!r}):
    response = client.get(url)
    assert response.status_code == 200, url
    body = b"".join(response) if response.streaming else response.content
    (out / str(index)).write_bytes(body)
print(json.dumps({{"drifted": drifted_line_items()}}))
"""


def restore_elsewhere(backup_file, database_url, tmp_path, name):
    """Migrate a new database, restore into it, and read its public outputs back."""
    run("migrate", "--no-input", database_url=database_url)
    run("restore", str(backup_file), database_url=database_url)
    outputs = tmp_path / name
    outputs.mkdir()
    printed = run("shell", "-c", FETCH, database_url=database_url, OUTPUTS=str(outputs))
    assert json.loads(printed.strip().splitlines()[-1]) == {"drifted": 0}
    return {url: (outputs / str(index)).read_bytes() for index, url in enumerate(PUBLIC)}


@pytest.fixture
def same_kind_of_database(tmp_path):
    """A new, empty database of the kind the suite runs on: PostgreSQL or SQLite."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    params = connection.settings_dict
    name = f"{params['NAME']}_restore"
    server = {
        "host": params["HOST"] or "127.0.0.1",
        "port": params["PORT"] or 5432,
        "user": params["USER"],
        "password": params["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    yield f"postgres://{params['USER']}{password}@{server['host']}:{server['port']}/{name}"
    with psycopg.connect(**server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def assert_same(restored, original):
    """Byte for byte; on a difference, the differing lines."""
    for url in PUBLIC:
        if restored[url] != original[url]:
            diff = difflib.unified_diff(
                original[url].decode().splitlines(),
                restored[url].decode().splitlines(),
                "original",
                "restored",
                lineterm="",
            )
            pytest.fail(f"{url} differs after a restore:\n" + "\n".join(list(diff)[:40]))


def data_checksums(path):
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    return {entry["member"]: entry["sha256"] for entry in manifest["models"] + manifest["sources"]}


def test_a_restored_ledger_publishes_exactly_what_the_original_did(
    client, ledger_with_history, same_kind_of_database, tmp_path
):
    original = public_outputs(client)
    assert b"978,000,000" in original["/changes/"], "the history made above is published"
    first = tmp_path / "first.zip"
    call_command("backup", str(first), verbosity=0)

    restored = restore_elsewhere(first, same_kind_of_database, tmp_path, "outputs")

    assert_same(restored, original)


def test_a_backup_moves_between_postgresql_and_sqlite_row_for_row(ledger_with_history, tmp_path):
    first = tmp_path / "first.zip"
    call_command("backup", str(first), verbosity=0)
    sqlite = f"sqlite:///{tmp_path / 'moved.sqlite3'}"
    run("migrate", "--no-input", database_url=sqlite)
    run("restore", str(first), database_url=sqlite)

    second = tmp_path / "second.zip"
    run("backup", str(second), database_url=sqlite)

    # Every row of every table and every text, identical after the journey (on the suite's
    # PostgreSQL run: PostgreSQL to SQLite and back into a file).
    assert data_checksums(second) == data_checksums(first)


def wipe():
    """Empty this database as a new one would be (what migrations make stays)."""
    with connection.cursor() as cursor:
        for table in ["auth_user_groups", "auth_user_user_permissions"]:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (constant names)
        for label in reversed(backup.MODELS):
            if label not in backup.MADE_BY_MIGRATIONS:
                table = apps.get_model(label)._meta.db_table
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608


class TestRestoreHere:
    """Restores into this test database, emptied."""

    def test_history_users_groups_and_copies_come_back(self, ledger_with_history, tmp_path):
        path = tmp_path / "ledger.zip"
        call_command("backup", str(path), verbosity=0)
        histories = {m: m.history.count() for m in [Donor, LineItem, Agreement]}
        analyst_groups = sorted(ledger_with_history.groups.values_list("name", flat=True))
        wipe()
        assert LineItem.objects.count() == 0

        call_command("restore", str(path), verbosity=0)

        assert {m: m.history.count() for m in [Donor, LineItem, Agreement]} == histories
        ana = User.objects.get(username="ana")
        assert ana.check_password("correct-horse-battery")
        assert sorted(ana.groups.values_list("name", flat=True)) == analyst_groups
        # The analyst's edit of the revision, and the reviewer's approval of the live figure.
        live = LineItem.objects.get(amount=Decimal("978000000"))
        approved = LineItem.history.filter(id=live.pk, amount=Decimal("978000000")).get()
        assert approved.history_user == User.objects.get(username="rita")
        edited = LineItem.history.filter(amount=Decimal("978000000")).exclude(id=live.pk)
        assert ana in {record.history_user for record in edited}
        assert Category.objects.get(slug="aircraft").definition.startswith("Fixed-wing")
        assert Group.objects.get(name="Reviewers").permissions.filter(codename="publish_agreement")
        assert triggers.drifted_line_items() == 0
        # A new line item never takes the id of a removed one, whose history names it.
        removed = LineItem.history.get(history_type="-", description="Mi-8 helicopters")
        highest = LineItem.history.order_by("-id").first().id
        assert highest == removed.id > LineItem.objects.order_by("-pk").first().pk
        added = make_line_item(agreement=Agreement.objects.first())
        assert added.pk == highest + 1

    def test_missing_source_texts_are_written_back(self, seeded, tmp_path, settings):
        path = tmp_path / "ledger.zip"
        call_command("backup", str(path), verbosity=0)
        originals = {name: path.read_bytes() for name, path in backup.source_files().items()}
        wipe()
        settings.SEEDS_DIR = tmp_path / "seeds"

        call_command("restore", str(path), verbosity=0)

        assert originals
        for name, text in originals.items():
            assert (tmp_path / "seeds" / name).read_bytes() == text
        assert all(source.text for source in Source.objects.exclude(file=""))


def counts():
    return {label: apps.get_model(label)._base_manager.count() for label in backup.MODELS}


@pytest.fixture
def backup_file(seeded, tmp_path):
    path = tmp_path / "ledger.zip"
    call_command("backup", str(path), verbosity=0)
    return path


def rewrite(path, member, change):
    """A copy of the backup with one member's bytes changed."""
    damaged = path.with_name("changed.zip")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, change(data) if info.filename == member else data)
    return damaged


class TestRefusals:
    """A restore that cannot be exact changes nothing and says why."""

    def refused(self, path, message):
        before = counts()
        with pytest.raises(CommandError, match=message):
            call_command("restore", str(path), verbosity=0)
        assert counts() == before

    def test_a_database_that_holds_records(self, backup_file):
        counts = (
            f"{Donor.objects.count()} donors, {Source.objects.count()} sources, "
            f"{Agreement.objects.count()} agreements"
        )
        self.refused(backup_file, rf"not empty: it holds {counts}")

    def test_a_damaged_backup(self, backup_file):
        damaged = rewrite(
            backup_file,
            "data/aid.lineitem.jsonl",
            lambda data: data.replace(b"977000000.00", b"977.00", 1),
        )
        wipe()
        self.refused(damaged, r"data/aid.lineitem.jsonl does not match its checksum")

    def test_a_backup_whose_migrations_differ(self, backup_file):
        def older(data):
            manifest = json.loads(data)
            manifest["migrations"]["aid"] = manifest["migrations"]["aid"][:-1]
            return json.dumps(manifest).encode()

        applied = MigrationLoader(connection).applied_migrations
        second_last = sorted(name for app, name in applied if app == "aid")[-2]
        wipe()
        self.refused(
            rewrite(backup_file, "manifest.json", older),
            rf"migrations differ from the backup's \(aid: the backup's rows fit {second_last},",
        )

    def test_a_file_that_is_not_a_backup(self, tmp_path, db):
        path = tmp_path / "notes.zip"
        path.write_text("id,description\n1,F-16\n")
        self.refused(path, r"notes.zip is not a ledger backup")
        self.refused(tmp_path / "nowhere.zip", r"There is no file")
        with zipfile.ZipFile(other := tmp_path / "other.zip", "w") as archive:
            archive.writestr("manifest.json", '{"format": "ledger-backup"}')
        self.refused(other, r"other.zip is not a ledger backup \(no readable manifest")

    def test_a_source_text_that_differs_from_the_backups(self, backup_file, tmp_path, settings):
        name = next(iter(backup.source_files()))
        wipe()
        settings.SEEDS_DIR = tmp_path / "seeds"
        settings.SEEDS_DIR.mkdir()
        (settings.SEEDS_DIR / name).write_text("Another text under the same name.\n")
        self.refused(backup_file, rf"seeds/{name} differs from the backup's copy")
        assert (settings.SEEDS_DIR / name).read_text() == "Another text under the same name.\n"

    def test_a_backup_never_overwrites_a_file(self, backup_file):
        before = backup_file.read_bytes()
        with pytest.raises(CommandError, match=r"exists already"):
            call_command("backup", str(backup_file), verbosity=0)
        assert backup_file.read_bytes() == before
