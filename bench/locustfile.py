"""Readers for `make load` (bench/load.py): each opens pages in turn, thinking between them.

The pages and their weights come from the file LOAD_PATHS_FILE names (JSON: [[weight, path,
name], ...], where a path may be a list of paths, one drawn at random per request), so one
file drives the ledger and Datasette alike. LOAD_REVALIDATE=1 makes each reader keep the ETag
of what it saw and ask with If-None-Match next time, as a browser revisiting a page does;
otherwise every request is a first visit.
"""

import json
import os
import random
from pathlib import Path

from locust import HttpUser, between, task

PATHS = json.loads(Path(os.environ["LOAD_PATHS_FILE"]).read_text())
REVALIDATE = os.environ.get("LOAD_REVALIDATE") == "1"
WEIGHTS = [weight for weight, _, _ in PATHS]


class Reader(HttpUser):
    # A reader reads: one to two seconds between pages.
    wait_time = between(1, 2)

    def on_start(self):
        self.etags = {}

    @task
    def open_a_page(self):
        _, path, name = random.choices(PATHS, weights=WEIGHTS)[0]  # noqa: S311
        if not isinstance(path, str):
            path = random.choice(path)  # noqa: S311
        headers = {}
        if REVALIDATE and path in self.etags:
            headers["If-None-Match"] = self.etags[path]
        with self.client.get(path, name=name, headers=headers, catch_response=True) as response:
            if response.status_code not in (200, 304):
                response.failure(f"HTTP {response.status_code}")
                return
            # Read to the last byte, as a browser or a download would.
            _ = response.content
            if REVALIDATE and response.headers.get("ETag"):
                self.etags[path] = response.headers["ETag"]
            response.success()
