"""A PostgreSQL cluster of a test's own: initdb into a temporary folder, its own free port.

For tests that stop and start a database (tests/test_faults.py): never the machine's shared
server on 5432. PostgreSQL refuses to run as root, so as root the cluster belongs to the
`postgres` user and every command runs through runuser.
"""

import os
import shutil
import subprocess
import tempfile
from contextlib import suppress
from pathlib import Path

import psycopg
from psycopg import sql

from .served import free_port


def binaries():
    """The folder holding initdb and pg_ctl: $PG_BINDIR, Debian's newest, or the PATH's."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if debian:
        return debian[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing():
    """Why a throwaway cluster cannot be made here, or None."""
    folder = binaries()
    if folder is None or not (folder / "pg_ctl").exists():
        return "PostgreSQL's initdb and pg_ctl were not found (apt-get install postgresql)"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return (
            "running as root, and runuser (util-linux) is not there to run PostgreSQL as postgres"
        )
    return None


class ThrowawayPostgres:
    """A cluster in a temporary folder, listening on 127.0.0.1 at a free port.

    Trust authentication for local connections, as user postgres; fsync stays on, as in
    production, so that a write acknowledged before an immediate stop survives it.
    """

    def __init__(self):
        self.bin = binaries()
        self.root = Path(tempfile.mkdtemp(prefix="ledger-throwaway-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgresql.log"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self.run(
            "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"
        )

    def run(self, program, *args):
        command = [str(self.bin / program), *map(str, args)]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{program} failed: {result.stderr}\n{log[-2000:]}")
        return result

    def start(self):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root}"
        self.run("pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "start")

    def stop(self, mode="fast"):
        """fast: connections are ended, then a clean shutdown; immediate: like a crash."""
        self.run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def url(self, database="ledger"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name="ledger"):
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def remove(self):
        with suppress(RuntimeError):  # not running
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
