import pytest
from django.core.management import call_command

SEED_FIXTURE = "fixtures/ledger.json"


@pytest.fixture
def seeded(db):
    """The ledger as `make run` loads it: every figure from seeds/."""
    call_command("seed", verbosity=0)


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "pw")


@pytest.fixture
def superuser_client(client, superuser):
    """The admin, logged in as a superuser (tests/test_admin*.py)."""
    client.force_login(superuser)
    return client
