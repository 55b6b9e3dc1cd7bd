"""Database triggers: line items' copies of their agreement, and the data version.

1. A line item's copy of its agreement's fields, kept in step.

LineItem.donor, .announced_on, .kind, .published and .covered_by_headline repeat the
agreement's donor, announcement date, kind, status and "has a headline amount" so that the
public tables can filter and count line items from one table (bench/README.md). A copy
that lagged would show a draft's items to readers, so the database keeps it, whatever
writes the rows (the admin, an import, a fixture, a queryset update(), plain SQL):

- whenever a line item is inserted or updated, its copy is read from its agreement;
- whenever an agreement's donor, date, kind, status or amount changes, its items follow.

2. The data version (models.DataVersion): bumped when a transaction that wrote any ledger
table commits, whatever wrote it, so that caches and HTTP validators follow the data
(aid/caching.py). On PostgreSQL a deferred constraint trigger fires at commit, and bumps
the one row once per transaction (a transaction-local setting remembers): the row is locked
only for the commit's last moment, so writers never wait on it while they work, and no
reader can see the new number with the old data. SQLite has one writer at a time and no
deferred triggers: it bumps the row as each statement writes.

PostgreSQL gets them in migrations 0008 and 0010. SQLite gets them from the post_migrate
signal (aid/apps.py), and loses them in pre_migrate: Django alters a SQLite table by
building a new one and renaming it, which drops the triggers on the old table and breaks
those that name it. After putting them back, any row that drifted meanwhile is mended.
"""

from django.db import connection, connections

POSTGRESQL = [
    """
    CREATE OR REPLACE FUNCTION aid_lineitem_copy_agreement() RETURNS trigger AS $$
    BEGIN
        SELECT a.donor_id, a.announced_on, a.kind, a.status = 'published', a.amount IS NOT NULL
          INTO NEW.donor_id, NEW.announced_on, NEW.kind, NEW.published, NEW.covered_by_headline
          FROM aid_agreement a WHERE a.id = NEW.agreement_id;
        RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE OR REPLACE TRIGGER aid_lineitem_copy_agreement
    BEFORE INSERT OR UPDATE ON aid_lineitem
    FOR EACH ROW EXECUTE FUNCTION aid_lineitem_copy_agreement()
    """,
    """
    CREATE OR REPLACE FUNCTION aid_agreement_copy_to_items() RETURNS trigger AS $$
    BEGIN
        -- The line items' own trigger reads the new values from this row.
        UPDATE aid_lineitem SET agreement_id = agreement_id WHERE agreement_id = NEW.id;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE OR REPLACE TRIGGER aid_agreement_copy_to_items
    AFTER UPDATE OF donor_id, announced_on, kind, status, amount ON aid_agreement
    FOR EACH ROW
    WHEN (OLD.donor_id IS DISTINCT FROM NEW.donor_id
          OR OLD.announced_on IS DISTINCT FROM NEW.announced_on
          OR OLD.kind IS DISTINCT FROM NEW.kind
          OR OLD.status IS DISTINCT FROM NEW.status
          OR (OLD.amount IS NULL) != (NEW.amount IS NULL))
    EXECUTE FUNCTION aid_agreement_copy_to_items()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS aid_agreement_copy_to_items ON aid_agreement",
    "DROP FUNCTION IF EXISTS aid_agreement_copy_to_items()",
    "DROP TRIGGER IF EXISTS aid_lineitem_copy_agreement ON aid_lineitem",
    "DROP FUNCTION IF EXISTS aid_lineitem_copy_agreement()",
]

# The tables whose writes change the data version: everything a public page can show.
VERSIONED_TABLES = [
    "aid_donor",
    "aid_category",
    "aid_source",
    "aid_agreement",
    "aid_lineitem",
    "aid_citation",
]
# An upsert: a test database's flush empties the table, and the next write starts it again.
BUMP = (
    "INSERT INTO aid_dataversion (id, number, changed_at) VALUES (1, 1, {now}) "
    "ON CONFLICT (id) DO UPDATE SET number = aid_dataversion.number + 1, "
    "changed_at = excluded.changed_at"
)

POSTGRESQL_DATA_VERSION = [
    f"""
    CREATE OR REPLACE FUNCTION aid_bump_data_version() RETURNS trigger AS $$
    BEGIN
        IF current_setting('aid.data_version_bumped', true) IS DISTINCT FROM 'yes' THEN
            PERFORM set_config('aid.data_version_bumped', 'yes', true);
            {BUMP.format(now="clock_timestamp()")};
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    *(
        f"""
        CREATE CONSTRAINT TRIGGER {table}_data_version
        AFTER INSERT OR UPDATE OR DELETE ON {table}
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION aid_bump_data_version()
        """
        for table in VERSIONED_TABLES
    ),
]
POSTGRESQL_DATA_VERSION_DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}" for table in VERSIONED_TABLES),
    "DROP FUNCTION IF EXISTS aid_bump_data_version()",
]

# Sets every copy of the rows it is given (a WHERE follows) from their agreement.
_COPY = """
    UPDATE aid_lineitem SET
        donor_id = (SELECT donor_id FROM aid_agreement WHERE id = aid_lineitem.agreement_id),
        announced_on = (
            SELECT announced_on FROM aid_agreement WHERE id = aid_lineitem.agreement_id),
        kind = (SELECT kind FROM aid_agreement WHERE id = aid_lineitem.agreement_id),
        published = (
            SELECT status = 'published' FROM aid_agreement WHERE id = aid_lineitem.agreement_id),
        covered_by_headline = (
            SELECT amount IS NOT NULL FROM aid_agreement WHERE id = aid_lineitem.agreement_id)
"""
# SQLite has no BEFORE trigger that can change NEW, so its triggers update the row after.
# Its recursive_triggers setting is off, so that update does not fire them again.
SQLITE = [
    f"""
    CREATE TRIGGER IF NOT EXISTS aid_lineitem_copy_agreement_insert
    AFTER INSERT ON aid_lineitem
    BEGIN {_COPY} WHERE id = NEW.id; END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS aid_lineitem_copy_agreement_update
    AFTER UPDATE ON aid_lineitem
    BEGIN {_COPY} WHERE id = NEW.id; END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS aid_agreement_copy_to_items
    AFTER UPDATE OF donor_id, announced_on, kind, status, amount ON aid_agreement
    BEGIN {_COPY} WHERE agreement_id = NEW.id; END
    """,
]
SQLITE_DATA_VERSION = [
    f"""
    CREATE TRIGGER IF NOT EXISTS {table}_data_version_{event.lower()}
    AFTER {event} ON {table}
    BEGIN {BUMP.format(now="strftime('%Y-%m-%d %H:%M:%f', 'now')")}; END
    """
    for table in VERSIONED_TABLES
    for event in ("INSERT", "UPDATE", "DELETE")
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS aid_lineitem_copy_agreement_insert",
    "DROP TRIGGER IF EXISTS aid_lineitem_copy_agreement_update",
    "DROP TRIGGER IF EXISTS aid_agreement_copy_to_items",
    *(
        f"DROP TRIGGER IF EXISTS {table}_data_version_{event.lower()}"
        for table in VERSIONED_TABLES
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
]
# The line items whose copy differs from their agreement.
_DRIFTED = """
    WHERE EXISTS (
        SELECT 1 FROM aid_agreement a WHERE a.id = aid_lineitem.agreement_id AND (
            a.donor_id IS DISTINCT FROM aid_lineitem.donor_id
            OR a.announced_on IS DISTINCT FROM aid_lineitem.announced_on
            OR a.kind != aid_lineitem.kind
            OR (a.status = 'published') != aid_lineitem.published
            OR (a.amount IS NOT NULL) != aid_lineitem.covered_by_headline))
"""
# Mends every line item whose copy differs from its agreement (both databases).
RESYNC = _COPY + _DRIFTED
# Constants only, no input: S608 does not apply.
DRIFT_COUNT = "SELECT COUNT(*) FROM aid_lineitem" + _DRIFTED  # noqa: S608


def _tables_exist(using):
    tables = connections[using].introspection.table_names()
    return {"aid_lineitem", "aid_agreement"} <= set(tables)


def _data_version_exists(using):
    return "aid_dataversion" in connections[using].introspection.table_names()


def _columns_exist(using):
    conn = connections[using]
    with conn.cursor() as cursor:
        columns = conn.introspection.get_table_description(cursor, "aid_lineitem")
    return "covered_by_headline" in {column.name for column in columns}


def drop_sqlite_triggers(using="default", **kwargs):
    """pre_migrate: a SQLite table rebuild must not meet the triggers."""
    conn = connections[using]
    if conn.vendor != "sqlite":
        return
    with conn.cursor() as cursor:
        for sql in SQLITE_DROP:
            cursor.execute(sql)


def install_sqlite_triggers(using="default", **kwargs):
    """post_migrate: put SQLite's triggers back and mend what drifted without them."""
    conn = connections[using]
    if conn.vendor != "sqlite" or not _tables_exist(using) or not _columns_exist(using):
        return
    with conn.cursor() as cursor:
        for sql in SQLITE:
            cursor.execute(sql)
        cursor.execute(RESYNC)
        if _data_version_exists(using):
            for sql in SQLITE_DATA_VERSION:
                cursor.execute(sql)


def drifted_line_items():
    """How many line items disagree with their agreement: 0 unless the triggers are missing."""
    with connection.cursor() as cursor:
        cursor.execute(DRIFT_COUNT)
        return cursor.fetchone()[0]
