from pathlib import Path

import pytest
from django.core.management import call_command

PASSWORD = "Ett-långt-lösenord-för-test-2026"
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


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Uploaded originals go to a fresh folder per test, never to the developer's media/.
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


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


@pytest.fixture
def personas(seed, django_user_model):
    """Editors as the roles exist: superuser, registry editor, two municipalities, an outsider."""
    from django.contrib.auth.models import Group

    from agreements.models import EditorProfile, Municipality
    from agreements.roles import MUNICIPALITY_EDITORS, REGISTRY_EDITORS

    def make(name, group=None, municipality=None, superuser=False):
        user = django_user_model.objects.create_user(
            name, password=PASSWORD, is_staff=True, is_superuser=superuser
        )
        if group:
            user.groups.add(Group.objects.get(name=group))
        if municipality:
            EditorProfile.objects.create(
                user=user, municipality=Municipality.objects.get(code=municipality)
            )
        return user

    return {
        "superuser": make("admin", superuser=True),
        "registry": make("registret", REGISTRY_EDITORS),
        "laxa": make("laxa", MUNICIPALITY_EDITORS, "1860"),
        "hallsberg": make("hallsberg", MUNICIPALITY_EDITORS, "1861"),
        "outsider": make("utomstaende"),
    }


@pytest.fixture
def admin_app(django_app):
    """django-webtest's browser, over HTTPS as staff use it (cookies are secure-only)."""
    django_app.extra_environ["wsgi.url_scheme"] = "https"
    return django_app
