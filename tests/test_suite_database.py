"""The suite's database promise (tests/conftest.py): the seed when asked for, else empty.

The seed is committed once per test database, so a test that writes or forgets to ask for it
must not see another test's rows, nor the seed where it assumes an empty database.
"""

import json
from collections import Counter

import pytest
from django.apps import apps

from agreements.models import Cooperation, County

from .conftest import SEED_FIXTURE, domain_models


def _seed_counts():
    rows = json.loads(SEED_FIXTURE.read_text(encoding="utf-8"))
    return Counter(row["model"] for row in rows)


def _counts():
    return {
        model._meta.label_lower: model.objects.count()
        for model in apps.get_app_config("agreements").get_models()
        if model.objects.exists()
    }


@pytest.mark.django_db
def test_without_the_seed_fixture_the_database_is_empty():
    assert _counts() == {}


def test_with_the_seed_fixture_every_seeded_row_is_there(seed):
    counts = _counts()
    assert {label: counts.get(label) for label in _seed_counts()} == dict(_seed_counts())


@pytest.mark.django_db
@pytest.mark.parametrize("attempt", [1, 2])
def test_what_a_test_writes_is_gone_for_the_next(attempt):
    assert not County.objects.filter(code="99").exists()
    County.objects.create(code="99", name=f"Testlän {attempt}")


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_starts_empty():
    assert all(not model.objects.exists() for model in domain_models())


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_gets_the_seed_committed_when_it_asks(seed):
    assert Cooperation.objects.count() == _seed_counts()["agreements.cooperation"]
