"""The settings a bench script needs to render pages in-process (bench/profile.py,
bench/admin_pages.py): requests from the test client's host over plain HTTP, static files
unhashed (no collectstatic), and the project's settings; a variable already set wins."""

import os


def configure():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,testserver")
    os.environ.setdefault(
        "DJANGO_STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
