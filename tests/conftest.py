from pathlib import Path

import pytest
from django.core.management import call_command

SEED_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "seed.json"


@pytest.fixture
def seed(db):
    call_command("loaddata", str(SEED_FIXTURE), verbosity=0)


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("redaktor", "redaktor@example.se", "x")
    client.force_login(user)
    return client
