from pathlib import Path

import pytest
from django.core.management import call_command

SEED_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "seed.json"


def domain_models():
    """The registry's own models: not the history tables django-simple-history adds."""
    from django.apps import apps

    return [
        m
        for m in apps.get_app_config("agreements").get_models()
        if not m._meta.model_name.startswith("historical")
    ]


@pytest.fixture(autouse=True)
def _empty_cache():
    # The page cache lives in memory across tests; each test starts without it.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Personas are created per test; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seed(db):
    call_command("loaddata", str(SEED_FIXTURE), verbosity=0)


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("redaktor", "redaktor@example.se", "x")
    client.force_login(user)
    return client


def count_queries(client, path):
    """How many SQL queries one GET of `path` makes (and that it answers 200)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)
