"""Which release of the code is running: part of every validator the public responses carry.

A new release may render the same data differently (a template, a translation, a library), so
a browser's or proxy's copy from the old release must not be confirmed as current. The release
is a fingerprint of the files that shape responses, read once per process, and the time of the
newest of them: no version number to remember to raise.
"""

import hashlib
import os
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from django.conf import settings

# What shapes a response: code, templates, static files (pages name them by content hash),
# compiled translations and the locked libraries; and the settings, which come from the
# environment (a new publisher, base address or max-age changes pages too).
PARTS = ("agreements", "registry", "templates", "static", "locale", "requirements.lock")
SKIPPED = {"__pycache__", "tests"}
SETTINGS_PREFIXES = ("DJANGO_", "REGISTRY_", "OCDS_", "OPEN_DATA_")
# Never part of a digest that leaves the server, however hashed.
SECRET_WORDS = ("SECRET", "PASSWORD", "KEY")


def _files(root: Path):
    for part in PARTS:
        path = root / part
        if path.is_file():
            yield path
        elif path.is_dir():
            for file in sorted(path.rglob("*")):
                if (
                    file.is_file()
                    and file.suffix not in {".pyc", ".po"}
                    and not SKIPPED & set(file.relative_to(root).parts)
                ):
                    yield file


@cache
def release() -> tuple[str, datetime]:
    """(fingerprint, time of the newest file) of the running code."""
    root = Path(settings.BASE_DIR)
    digest, newest = hashlib.sha256(), 0.0
    for file in _files(root):
        digest.update(str(file.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(file.read_bytes())
        newest = max(newest, file.stat().st_mtime)
    for name in sorted(os.environ):
        if name.startswith(SETTINGS_PREFIXES) and not any(w in name for w in SECRET_WORDS):
            digest.update(f"{name}={os.environ[name]}\0".encode())
    return digest.hexdigest()[:16], datetime.fromtimestamp(int(newest), tz=UTC)
