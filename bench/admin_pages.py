#!/usr/bin/env python
"""Open every admin add page and the first record's change page, as a superuser, and print
each page's size, time and SQL queries (and the query it repeats most).

Run against the national data set (see bench/benchmark.py), for example:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench DJANGO_SECRET_KEY=x \
        .venv/bin/python bench/admin_pages.py [MODEL_NAME ...]

A select that lists every record in the country, or names each option by a query of its own,
shows here as megabytes, seconds and thousands of queries: the agreement's change page was
2.3 MB, 49 s and 34,000 queries before its selects became searches (tests/test_admin_scale.py).
"""

import argparse
import collections
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.inprocess import configure  # noqa: E402

configure()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("models", nargs="*", help="model names (default: every admin)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin-pages", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="testserver")
    client.force_login(user)
    for model in admin.site._registry:
        name = model._meta.model_name
        if model._meta.app_label != "agreements" or (args.models and name not in args.models):
            continue
        urls = [reverse(f"admin:agreements_{name}_add")]
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"admin:agreements_{name}_change", args=[first.pk]))
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url, secure=True)
                elapsed = time.perf_counter() - started
            shapes = collections.Counter(
                re.sub(r"\d+", "N", q["sql"])[:70] for q in queries.captured_queries
            )
            shape, repeats = shapes.most_common(1)[0] if shapes else ("", 0)
            print(
                f"{url:52} {response.status_code} {len(response.content) / 1024:8.0f} KB "
                f"{elapsed * 1000:8.0f} ms {len(queries.captured_queries):6} queries "
                f"(most repeated {repeats}x: {shape})"
            )


if __name__ == "__main__":
    main()
