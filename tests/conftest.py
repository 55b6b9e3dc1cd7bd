import pytest
from django.core.management import call_command

SEED_FIXTURE = "fixtures/ledger.json"


@pytest.fixture
def seeded(db):
    """The ledger as `make run` loads it: every figure from seeds/."""
    call_command("seed", verbosity=0)
